//! Snapshots and compaction (docs/protocol.md#12-snapshots-and-compaction-of-a-member): a member's
//! image carries everything its district log derives, the district log and the seat
//! record are compacted through it, and lagging members and seats catch up from
//! snapshots — a district member from its leader's, a seat from the Prime Minister's.

use bytes::Bytes;

use crate::engine::{Role, Snapshot};
use crate::state::{DistrictName, Key, Scope, Write};
use crate::types::NodeId;
use crate::westminster::{DistrictId, Member, MemberConfig, MemberError, SessionConfig};

use super::parliament::Parliament;

fn snapshot_often(c: &mut MemberConfig) {
    c.snapshot_every = 16;
}

fn district_put(p: &mut Parliament, district: u64, key: &str, value: &'static str) {
    for _ in 0..200 {
        let rep = p
            .members
            .values()
            .find(|m| {
                m.district() == DistrictId(district) && m.district_status().role == Role::Leader
            })
            .map(Member::id);
        if let Some(rep) = rep {
            let now = p.now;
            let scope = Scope::District(DistrictName::new(format!("zone-{district}")).unwrap());
            let cmd = Write::put(scope, Key::new(key).unwrap(), value).into();
            if p.member(rep).propose(now, &cmd).is_ok() {
                p.run_for(50);
                return;
            }
        }
        p.run_for(50);
    }
    panic!("no representative of district {district} took a write");
}

fn district_value(p: &Parliament, id: NodeId, key: &str) -> Option<Bytes> {
    let scope = Scope::District(DistrictName::new(format!("zone-{}", id.0 / 10)).unwrap());
    p.members[&id]
        .get(&scope, &Key::new(key).unwrap())
        .unwrap()
        .value
        .map(|v| v.value)
}

/// Writes `n` global keys `{prefix}{i}` through the Prime Minister and lets them apply.
fn global_puts(p: &mut Parliament, prefix: &str, n: usize) {
    for i in 0..n {
        let key = format!("{prefix}{i}");
        p.global_put(&key, "v");
        p.run_for(30);
    }
    p.run_for(1_000);
}

#[test]
fn members_snapshot_compact_and_restart_from_the_snapshot() {
    let mut p = Parliament::configured(3, 3, SessionConfig::default(), snapshot_often);
    p.elect_prime_minister();
    global_puts(&mut p, "g", 30);
    for i in 0..20 {
        district_put(&mut p, 1, &format!("d{i}"), "dv");
    }
    p.run_for(2_000);
    for (id, disk) in &p.disks {
        let snap = disk
            .snapshot
            .as_ref()
            .unwrap_or_else(|| panic!("{id} took no snapshot"));
        assert!(
            disk.entries
                .first()
                .is_none_or(|e| e.index > snap.meta.index),
            "{id}'s stored log still holds entries its snapshot covers"
        );
    }
    // Every member's record of its seat was compacted: it holds far fewer Commons
    // entries than the Commons committed.
    let m = &p.members[&NodeId(21)];
    let record = m.seat_record();
    assert!(
        record.snapshot().is_some(),
        "the seat record was never compacted"
    );
    assert!(record.entries().len() < record.commit().0 as usize);
    // A restart rebuilds the state from the snapshot and the log after it.
    let before: Vec<_> = (0..30)
        .map(|i| p.global_value(NodeId(12), &format!("g{i}")))
        .collect();
    let district_before = district_value(&p, NodeId(12), "d19");
    assert_eq!(district_before.as_deref(), Some(&b"dv"[..]));
    p.crash(NodeId(12));
    p.restart(NodeId(12));
    // Before it hears from anyone, the state is the snapshot's.
    let from_snapshot: Vec<_> = (0..30)
        .map(|i| p.global_value(NodeId(12), &format!("g{i}")))
        .collect();
    assert!(p.disks[&NodeId(12)].snapshot.is_some());
    assert!(
        from_snapshot.iter().filter(|v| v.is_some()).count() > 0,
        "the global store starts from the snapshot's image"
    );
    // Its leader tells it the commit index; the entries after the snapshot apply.
    p.run_for(1_000);
    let after: Vec<_> = (0..30)
        .map(|i| p.global_value(NodeId(12), &format!("g{i}")))
        .collect();
    assert_eq!(
        after, before,
        "the global store comes back from the snapshot"
    );
    assert!(after.iter().all(|v| v.as_deref() == Some(&b"v"[..])));
    assert_eq!(district_value(&p, NodeId(12), "d19"), district_before);
    // And the parliament keeps working with it.
    p.global_put("after-restart", "x");
    p.run_for(2_000);
    assert_eq!(
        p.global_value(NodeId(12), "after-restart").as_deref(),
        Some(&b"x"[..])
    );
}

#[test]
fn a_member_cut_off_past_the_compaction_catches_up_from_its_leaders_snapshot() {
    let mut p = Parliament::configured(3, 3, SessionConfig::default(), snapshot_often);
    p.elect_prime_minister();
    p.run_for(1_000);
    let laggard = p
        .members
        .values()
        .find(|m| m.district() == DistrictId(1) && m.district_status().role != Role::Leader)
        .map(Member::id)
        .unwrap();
    p.cut.insert(laggard);
    for i in 0..40 {
        district_put(&mut p, 1, &format!("k{i}"), "v");
    }
    global_puts(&mut p, "cut", 10);
    // Its district compacted past everything the laggard holds.
    let leader_snapshot = p
        .disks
        .iter()
        .filter(|(id, _)| **id != laggard && id.0 / 10 == 1)
        .filter_map(|(_, d)| d.snapshot.as_ref().map(|s| s.meta.index))
        .min()
        .unwrap();
    let held = p.disks[&laggard].entries.last().map_or(0, |e| e.index.0);
    assert!(
        leader_snapshot.0 > held,
        "the district did not compact past the laggard"
    );
    p.cut.remove(&laggard);
    p.run_for(3_000);
    assert_eq!(
        district_value(&p, laggard, "k39").as_deref(),
        Some(&b"v"[..])
    );
    assert_eq!(p.global_value(laggard, "cut9").as_deref(), Some(&b"v"[..]));
    let installed = p.disks[&laggard].snapshot.as_ref().unwrap().meta.index;
    assert!(
        installed.0 > held,
        "the laggard installed its leader's snapshot"
    );
}

#[test]
fn a_district_cut_off_past_the_commons_compaction_catches_up_from_the_prime_ministers_snapshot() {
    let mut p = Parliament::configured(3, 3, SessionConfig::default(), snapshot_often);
    let pm = p.elect_prime_minister();
    p.run_for(1_000);
    let lagging = (0..3u64).find(|d| *d != pm.0 / 10).unwrap();
    let cut: Vec<NodeId> = p
        .members
        .keys()
        .copied()
        .filter(|id| id.0 / 10 == lagging)
        .collect();
    let commit_before = p.members[&cut[0]].seat_record().commit();
    p.cut.extend(cut.iter().copied());
    global_puts(&mut p, "while-cut", 40);
    // The Prime Minister's seat compacted past the lagging seat's log.
    let pm = p.elect_prime_minister();
    let pm_record = p.members[&pm].seat_record();
    let compacted = pm_record.snapshot().map(|s| s.meta.index).unwrap();
    assert!(compacted > commit_before);
    p.cut.clear();
    p.run_for(8_000);
    for id in &cut {
        assert_eq!(
            p.global_value(*id, "while-cut39").as_deref(),
            Some(&b"v"[..]),
            "{id} caught up with the Commons"
        );
        assert!(p.members[id].seat_record().commit() > compacted);
    }
    // The lagging seat got there through the Prime Minister's Commons snapshot: its
    // district's record holds one newer than anything it had before the cut.
    let installed = p.members[&cut[0]]
        .seat_record()
        .snapshot()
        .map(|s| s.meta.index)
        .unwrap();
    assert!(
        installed > commit_before,
        "no Commons snapshot reached the lagging seat"
    );
    p.global_put("healed", "h");
    p.run_for(2_000);
    for id in &cut {
        assert_eq!(p.global_value(*id, "healed").as_deref(), Some(&b"h"[..]));
    }
}

#[test]
fn a_damaged_stored_snapshot_refuses_to_start_with_a_clear_error() {
    let mut p = Parliament::configured(1, 3, SessionConfig::default(), snapshot_often);
    p.elect_prime_minister();
    global_puts(&mut p, "g", 20);
    let id = NodeId(1);
    let mut disk = p.disks[&id].clone();
    let snap = disk.snapshot.as_mut().expect("a snapshot was taken");
    let mut data = snap.data.to_vec();
    let last = data.len() - 1;
    data.truncate(last);
    *snap = Snapshot {
        meta: snap.meta,
        data: Bytes::from(data),
    };
    let cfg = MemberConfig::new(id, p.roster.clone(), 1);
    let err = Member::new(cfg, disk, p.now).unwrap_err();
    assert!(matches!(err, MemberError::Image { .. }), "{err}");
    assert!(err.to_string().contains("stored snapshot"), "{err}");
}
