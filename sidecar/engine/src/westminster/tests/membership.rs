//! Roster changes inside a district (docs/protocol.md#105-the-roster-and-the-configuration):
//! the representative adds a new member as a learner, promotes it once caught up, and
//! removes members the roster dropped, one change at a time, through crashes and
//! compaction.

use std::collections::BTreeSet;

use crate::engine::{Persisted, Role};
use crate::state::{DistrictName, Key, Scope, Write};
use crate::types::NodeId;
use crate::westminster::{
    DistrictId, DistrictRoster, Member, MemberConfig, MemberError, Roster, SessionConfig,
};

use super::parliament::Parliament;

fn snapshot_often(c: &mut MemberConfig) {
    c.snapshot_every = 16;
}

/// The roster with district 1's members replaced by `members`, founded by 11, 12, 13.
fn district_one(p: &Parliament, members: &[u64]) -> Roster {
    let districts = p.roster.districts().map(|(d, r)| {
        let mut r = r.clone();
        if d == DistrictId(1) {
            r.members = members.iter().map(|m| NodeId(*m)).collect();
        }
        (d, r)
    });
    Roster::new(
        districts.collect::<Vec<(DistrictId, DistrictRoster)>>(),
        None,
    )
    .unwrap()
    .with_founders(DistrictId(1), [11, 12, 13].map(NodeId))
    .unwrap()
}

fn adopt(p: &mut Parliament, roster: &Roster) {
    p.roster = roster.clone();
    for m in p.members.values_mut() {
        m.set_roster(roster.clone()).unwrap();
    }
}

fn voters(p: &Parliament, id: NodeId) -> BTreeSet<NodeId> {
    p.members[&id].district_membership().voters.clone()
}

fn leader_of_one(p: &Parliament) -> Option<NodeId> {
    p.members
        .values()
        .find(|m| m.district() == DistrictId(1) && m.district_status().role == Role::Leader)
        .map(Member::id)
}

fn district_put(p: &mut Parliament, key: &str) {
    for _ in 0..100 {
        if let Some(rep) = leader_of_one(p) {
            let now = p.now;
            let scope = Scope::District(DistrictName::new("zone-1").unwrap());
            let cmd = Write::put(scope, Key::new(key).unwrap(), "v").into();
            if p.member(rep).propose(now, &cmd).is_ok() {
                p.run_for(100);
                return;
            }
        }
        p.run_for(100);
    }
    panic!("district 1 took no write");
}

fn has(p: &Parliament, id: NodeId, key: &str) -> bool {
    let scope = Scope::District(DistrictName::new("zone-1").unwrap());
    p.members[&id]
        .get(&scope, &Key::new(key).unwrap())
        .unwrap()
        .value
        .is_some()
}

fn join(p: &mut Parliament, id: u64) {
    p.disks.insert(NodeId(id), Persisted::default());
    p.start(NodeId(id));
}

#[test]
fn a_new_member_joins_as_a_learner_and_is_promoted_once_caught_up() {
    let mut p = Parliament::configured(2, 3, SessionConfig::default(), snapshot_often);
    p.elect_prime_minister();
    for i in 0..30 {
        district_put(&mut p, &format!("before{i}"));
    }
    let roster = district_one(&p, &[11, 12, 13, 14]);
    adopt(&mut p, &roster);
    join(&mut p, 14);
    // Before the representative adds it, the newcomer is a learner of its own base
    // configuration: it never campaigns.
    assert!(!voters(&p, NodeId(14)).contains(&NodeId(14)));
    p.run_for(5_000);
    let rep = leader_of_one(&p).unwrap();
    assert_eq!(voters(&p, rep), [11, 12, 13, 14].map(NodeId).into());
    assert_eq!(voters(&p, NodeId(14)), [11, 12, 13, 14].map(NodeId).into());
    // It caught up (from its leader's snapshot: the district compacted long ago).
    assert!(has(&p, NodeId(14), "before29"));
    assert!(p.disks[&NodeId(14)].snapshot.is_some());
    district_put(&mut p, "after");
    p.run_for(500);
    assert!(has(&p, NodeId(14), "after"));
    // A global write reaches it too.
    p.global_put("g", "x");
    p.run_for(2_000);
    assert_eq!(p.global_value(NodeId(14), "g").as_deref(), Some(&b"x"[..]));
}

#[test]
fn a_member_the_roster_drops_is_removed_and_the_district_goes_on() {
    let mut p = Parliament::configured(2, 3, SessionConfig::default(), snapshot_often);
    p.elect_prime_minister();
    // Drop whoever leads district 1: the leader removes itself and steps down.
    let gone = leader_of_one(&p).unwrap();
    let keep: Vec<u64> = [11, 12, 13].into_iter().filter(|m| *m != gone.0).collect();
    let roster = district_one(&p, &keep);
    adopt(&mut p, &roster);
    p.run_for(6_000);
    let rep = leader_of_one(&p).unwrap();
    assert_ne!(rep, gone, "the removed leader stepped down");
    assert_eq!(voters(&p, rep), keep.iter().map(|m| NodeId(*m)).collect());
    p.crash(gone);
    district_put(&mut p, "without");
    for m in &keep {
        assert!(has(&p, NodeId(*m), "without"));
    }
}

#[test]
fn a_replacement_survives_crashes_and_restarts_from_snapshots() {
    let mut p = Parliament::configured(2, 3, SessionConfig::default(), snapshot_often);
    p.elect_prime_minister();
    for i in 0..20 {
        district_put(&mut p, &format!("k{i}"));
    }
    // Replace 13 by 14: 14 is added and promoted before 13 is removed.
    let roster = district_one(&p, &[11, 12, 14]);
    adopt(&mut p, &roster);
    join(&mut p, 14);
    p.run_for(300);
    // Crash the representative in the middle of the changes, and bring it back.
    let rep = leader_of_one(&p).unwrap();
    p.crash(rep);
    p.run_for(3_000);
    if rep != NodeId(13) {
        p.restart(rep);
    }
    p.run_for(6_000);
    let rep = leader_of_one(&p).unwrap();
    assert_eq!(voters(&p, rep), [11, 12, 14].map(NodeId).into());
    for i in 0..20 {
        district_put(&mut p, &format!("more{i}"));
    }
    // Every remaining member restarts from its snapshot with the new configuration.
    for id in [11, 12, 14].map(NodeId) {
        assert!(p.disks[&id].snapshot.is_some(), "{id} compacted");
        p.crash(id);
        p.restart(id);
        assert_eq!(
            voters(&p, id),
            [11, 12, 14].map(NodeId).into(),
            "{id} after restart"
        );
        p.run_for(3_000);
    }
    district_put(&mut p, "end");
    for id in [11, 12, 14].map(NodeId) {
        assert!(has(&p, id, "end"), "{id}");
        assert!(has(&p, id, "k19"), "{id}");
    }
}

#[test]
fn a_roster_that_cannot_be_adopted_while_running_is_refused() {
    let mut p = Parliament::new(2, 3);
    let moved = {
        let districts = p.roster.districts().map(|(d, r)| {
            let mut r = r.clone();
            if d == DistrictId(0) {
                r.members.remove(&NodeId(1));
            } else {
                r.members.insert(NodeId(1));
            }
            (d, r)
        });
        Roster::new(districts.collect::<Vec<_>>(), None).unwrap()
    };
    let err = p.member(NodeId(1)).set_roster(moved).unwrap_err();
    assert!(matches!(err, MemberError::RosterChange(_)), "{err}");
    assert!(err.to_string().contains("another district"), "{err}");
    let refounded = p
        .roster
        .clone()
        .with_founders(DistrictId(0), [NodeId(1)])
        .unwrap();
    let err = p.member(NodeId(2)).set_roster(refounded).unwrap_err();
    assert!(err.to_string().contains("founders"), "{err}");
}
