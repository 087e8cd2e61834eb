//! Reputation in the member: the district leader publishes its table as a district
//! decree, every member adopts it and ranks its candidacy from it, and districts'
//! standings reach the Commons (docs/protocol.md#111-publishing-reputation).

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::Role;
use crate::types::NodeId;
use crate::westminster::reputation::Score;
use crate::westminster::{DistrictId, Member};

use super::parliament::Parliament;

fn district_members(p: &Parliament, d: u64) -> Vec<&Member> {
    p.members
        .values()
        .filter(|m| m.district() == DistrictId(d))
        .collect()
}

#[test]
fn every_member_ranks_from_its_leaders_published_table() {
    let mut p = Parliament::new(3, 3);
    p.elect_prime_minister();
    tracing::info!("--- run past two publications");
    p.run_for(25_000);
    for d in 0..3 {
        let members = district_members(&p, d);
        let leader = members
            .iter()
            .find(|m| m.district_status().role == Role::Leader)
            .map(|m| m.id())
            .unwrap();
        let table = members[0].reputation().cloned().unwrap();
        assert_eq!(table.publisher(), leader, "district {d}");
        assert_eq!(table.len(), 3, "a row per member of district {d}");
        let mut positions = BTreeSet::new();
        for m in &members {
            assert_eq!(
                m.reputation(),
                Some(&table),
                "member {} of district {d}",
                m.id()
            );
            assert_eq!(m.candidacy_rank(), table.rank_of(m.id()));
            let (position, of) = m.candidacy_rank().unwrap();
            assert_eq!(of, 3);
            positions.insert(position);
        }
        assert_eq!(positions, BTreeSet::from([0, 1, 2]), "district {d}");
        // A follower answering every heartbeat in no time scores above zero.
        for (id, row) in table.rows() {
            assert!(row.score > Score::ZERO, "{id} in district {d}");
        }
    }
}

#[test]
fn standings_reach_the_commons_and_rank_the_seats() {
    let mut p = Parliament::new(3, 3);
    p.elect_prime_minister();
    p.run_for(25_000);
    let reference: BTreeMap<DistrictId, Score> = p.members[&NodeId(1)].standings().clone();
    assert_eq!(
        reference.keys().copied().collect::<Vec<_>>(),
        vec![DistrictId(0), DistrictId(1), DistrictId(2)]
    );
    for m in p.members.values() {
        assert_eq!(m.standings(), &reference, "member {}", m.id());
    }
    tracing::info!("--- each host's seat rank is its district's place by standing");
    let mut order: Vec<DistrictId> = reference.keys().copied().collect();
    order.sort_by_key(|d| (std::cmp::Reverse(reference[d]), *d));
    for m in p.members.values() {
        if m.seat_status().is_some() {
            let place = order.iter().position(|d| *d == m.district()).unwrap();
            assert_eq!(
                m.seat_candidacy_rank(),
                Some((place as u32, 3)),
                "host {}",
                m.id()
            );
        } else {
            assert_eq!(m.seat_candidacy_rank(), None);
        }
    }
}

#[test]
fn a_crashed_follower_falls_to_the_last_rank() {
    let mut p = Parliament::new(1, 3);
    p.elect_prime_minister();
    p.run_for(12_000);
    let leader = p.representatives()[&DistrictId(0)][0];
    let victim = district_members(&p, 0)
        .iter()
        .map(|m| m.id())
        .find(|id| *id != leader)
        .unwrap();
    tracing::info!("--- crash follower {victim} across two publications");
    p.crash(victim);
    p.run_for(21_000);
    let table = p.members[&leader].reputation().cloned().unwrap();
    assert_eq!(table.publisher(), leader);
    assert_eq!(table.rank_of(victim), Some((2, 3)));
    assert_eq!(table.ranking()[0], leader);
    tracing::info!("--- it restarts and adopts the district's table from the log");
    p.restart(victim);
    p.run_for(1_000);
    let now = p.members[&leader].reputation().cloned().unwrap();
    assert!(now.index() >= table.index());
    assert_eq!(p.members[&victim].reputation(), Some(&now));
    assert_eq!(p.members[&victim].candidacy_rank(), now.rank_of(victim));
}
