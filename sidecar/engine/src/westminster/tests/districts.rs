//! Adding and removing districts (docs/protocol.md#106-adding-and-removing-districts):
//! the Prime Minister proposes the amendment, the Lords ratify it, and the Prime
//! Minister then changes the Commons configuration one seat at a time.

use std::collections::BTreeSet;

use crate::engine::Persisted;
use crate::state::DistrictName;
use crate::types::NodeId;
use crate::westminster::{DistrictId, DistrictRoster, Roster};

use super::parliament::Parliament;

fn founded(districts: Vec<(DistrictId, DistrictRoster)>) -> Roster {
    Roster::new(districts, None)
        .unwrap()
        .with_founding_districts((0..3).map(DistrictId))
        .unwrap()
}

fn with_district_three(p: &Parliament) -> Roster {
    let mut districts: Vec<_> = p.roster.districts().map(|(d, r)| (d, r.clone())).collect();
    districts.push((
        DistrictId(3),
        DistrictRoster {
            name: DistrictName::new("zone-3").unwrap(),
            members: [31, 32, 33].map(NodeId).into(),
            bootstrap_representative: None,
        },
    ));
    // As the operator publishes it: without naming the founding districts. Members
    // running keep theirs; the newcomers take every listed district as founding, which
    // their empty logs make harmless (no vote goes to a log behind).
    Roster::new(districts, None).unwrap()
}

fn without_district_three(p: &Parliament) -> Roster {
    founded(
        p.roster
            .districts()
            .filter(|(d, _)| *d != DistrictId(3))
            .map(|(d, r)| (d, r.clone()))
            .collect(),
    )
}

fn commons_voters(p: &mut Parliament) -> BTreeSet<NodeId> {
    let pm = p.elect_prime_minister();
    p.members[&pm].commons_membership().unwrap().voters.clone()
}

fn run_until(p: &mut Parliament, what: &str, mut done: impl FnMut(&mut Parliament) -> bool) {
    for _ in 0..600 {
        if done(p) {
            return;
        }
        p.run_for(100);
    }
    panic!("{what} within 60 s of virtual time");
}

#[test]
fn a_district_is_seated_by_a_ratified_amendment_and_unseated_by_another() {
    let mut p = Parliament::new(3, 3);
    p.elect_prime_minister();
    // The Lords sit before anything is ratified.
    run_until(&mut p, "Lords seated", |p| {
        let pm = p.elect_prime_minister();
        p.members[&pm].lords().seated().len() == 3
    });
    p.global_put("before", "b");
    p.run_for(1_000);

    let roster = with_district_three(&p);
    p.roster = roster.clone();
    for m in p.members.values_mut() {
        m.set_roster(roster.clone()).unwrap();
    }
    for id in [31, 32, 33] {
        p.disks.insert(NodeId(id), Persisted::default());
        p.start(NodeId(id));
    }
    // A newcomer district's seat is a learner of the Commons until promoted: it never
    // campaigns for Prime Minister on its own.
    run_until(&mut p, "district 3 seated and its seat a voter", |p| {
        commons_voters(p).contains(&DistrictId(3).seat())
    });
    let pm = p.elect_prime_minister();
    assert!(p.members[&pm].seated_districts().contains(&DistrictId(3)));
    assert!(
        p.members[&pm]
            .enacted()
            .any(|e| e.passed && format!("{:?}", e.content).contains("AddDistrict")),
        "the Lords ratified the amendment"
    );
    // The new district caught up with the Commons and takes global writes.
    p.global_put("after", "a");
    p.run_for(2_000);
    for id in [31, 32, 33].map(NodeId) {
        assert_eq!(
            p.global_value(id, "before").as_deref(),
            Some(&b"b"[..]),
            "{id}"
        );
        assert_eq!(
            p.global_value(id, "after").as_deref(),
            Some(&b"a"[..]),
            "{id}"
        );
    }

    // The roster drops district 3: its seat is removed the same way.
    let roster = without_district_three(&p);
    p.roster = roster.clone();
    for m in p.members.values_mut() {
        if m.district() != DistrictId(3) {
            m.set_roster(roster.clone()).unwrap();
        }
    }
    run_until(&mut p, "district 3 unseated", |p| {
        !commons_voters(p).contains(&DistrictId(3).seat())
    });
    for id in [31, 32, 33].map(NodeId) {
        p.crash(id);
    }
    p.global_put("without", "w");
    p.run_for(2_000);
    assert_eq!(
        p.global_value(NodeId(1), "without").as_deref(),
        Some(&b"w"[..])
    );
}

#[test]
fn the_constitution_judges_district_amendments_against_the_seated_districts() {
    use crate::westminster::{Amendment, MemberConfig};
    let p = Parliament::new(3, 3);
    let roster = with_district_three(&p);
    let config = MemberConfig::new(NodeId(1), roster, 1);
    let seated: BTreeSet<DistrictId> = (0..3).map(DistrictId).collect();
    let add = Amendment::AddDistrict {
        district: DistrictId(3),
        members: [31, 32, 33].map(NodeId).into(),
    };
    assert_eq!(
        add.breaks_constitution(&config, &seated),
        None,
        "listed but not seated"
    );
    let again = add.breaks_constitution(
        &config,
        &seated.iter().copied().chain([DistrictId(3)]).collect(),
    );
    assert!(again.unwrap().contains("has a seat already"));
    let remove = Amendment::RemoveDistricts {
        districts: [DistrictId(3)].into(),
    };
    assert!(
        remove
            .breaks_constitution(&config, &seated)
            .unwrap()
            .contains("no seat")
    );
}
