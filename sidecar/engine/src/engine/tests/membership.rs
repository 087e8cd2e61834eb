//! Membership changes (docs/protocol.md#10-membership-changes): learners, single-server
//! changes as log entries, the one-at-a-time and commit-first rules, removing the leader,
//! restarts, and election safety while a change meets a partition.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::cluster::Cluster;
use crate::engine::{ChangeError, Membership, MembershipChange, MessageBody, Rejected, Role};
use crate::types::{LogIndex, NodeId, Term};

fn ids(v: &[u64]) -> Vec<NodeId> {
    v.iter().copied().map(NodeId).collect()
}

fn change(c: &mut Cluster, leader: u64, change: MembershipChange) -> LogIndex {
    let now = c.now;
    let (index, _) = c.node(leader).propose_membership(now, change).unwrap();
    c.deliver_all();
    index
}

/// Every member sees `want` in effect.
fn assert_membership(c: &mut Cluster, members: &[u64], want: &Membership) {
    for &id in members {
        assert_eq!(c.node(id).membership(), want, "member {id}");
    }
}

#[test]
fn a_learner_catches_up_is_promoted_and_then_votes() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    for cmd in ["a", "b", "c"] {
        c.propose(l, cmd);
    }
    tracing::info!("--- add member 4 as a learner");
    c.add(4, &[1, 2, 3], |_| {});
    change(&mut c, l, MembershipChange::AddLearner(NodeId(4)));
    c.run_for(300);
    let with_learner = Membership::new(ids(&[1, 2, 3]), ids(&[4]));
    assert_membership(&mut c, &[1, 2, 3, 4], &with_learner);
    assert_eq!(c.applied_commands(4), c.applied_commands(l));
    assert_eq!(c.node(4).status().last_index, c.node(l).status().last_index);

    tracing::info!("--- a learner never campaigns, however long it hears nothing");
    c.cut.insert(NodeId(l));
    c.run_for(5000);
    assert_eq!(c.node(4).status().role, Role::Follower);
    assert!(
        !c.delivered
            .iter()
            .any(|m| m.from == NodeId(4) && matches!(m.body, MessageBody::PreVote { .. })),
        "the learner asked for votes"
    );
    c.cut.clear();
    let l = c.elect();

    tracing::info!("--- promote it");
    change(&mut c, l, MembershipChange::Promote(NodeId(4)));
    c.run_for(300);
    let four = Membership::new(ids(&[1, 2, 3, 4]), ids(&[]));
    assert_membership(&mut c, &[1, 2, 3, 4], &four);

    tracing::info!("--- cut the leader: three of four voters remain, so 4's vote decides");
    c.cut.insert(NodeId(l));
    let before = c.delivered.len();
    let l2 = c.elect();
    assert_ne!(l2, l);
    // Either 4 won (a voter that campaigns, voting for itself) or it granted its vote.
    assert!(
        l2 == 4
            || c.delivered[before..].iter().any(|m| m.from == NodeId(4)
                && m.to == NodeId(l2)
                && matches!(m.body, MessageBody::RequestVoteResponse { granted: true })),
        "member 4 did not vote for the new leader"
    );
    c.propose(l2, "d");
    c.run_for(300);
    assert_eq!(c.applied_commands(4), c.applied_commands(l2));
}

#[test]
fn a_removed_follower_stops_receiving_and_never_campaigns() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    let f = (1..=3).find(|id| *id != l).unwrap();
    let rest: Vec<u64> = (1..=3).filter(|id| *id != f).collect();
    let index = change(&mut c, l, MembershipChange::Remove(NodeId(f)));
    c.run_for(300);
    let want = Membership::new(ids(&rest), ids(&[]));
    assert_membership(&mut c, &[1, 2, 3], &want);
    // It was told of its removal before the leader let it go.
    assert!(c.node(f).log().last_index() >= index);

    tracing::info!("--- the removed member hears nothing and stays quiet");
    let before = c.delivered.len();
    let term = c.node(l).status().term;
    c.run_for(10_000);
    assert!(
        c.delivered[before..]
            .iter()
            .all(|m| m.to != NodeId(f) && m.from != NodeId(f))
    );
    assert_eq!(c.node(f).status().role, Role::Follower);
    assert_eq!(c.node(l).status().term, term);
    assert_eq!(c.leaders(), vec![l]);

    tracing::info!("--- the two remaining voters commit alone");
    c.propose(l, "x");
    c.run_for(300);
    let other = rest.iter().copied().find(|id| *id != l).unwrap();
    assert_eq!(c.applied_commands(other), vec![Bytes::from_static(b"x")]);
}

#[test]
fn a_removed_leader_hands_over_and_steps_down() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.propose(l, "a");
    let old_term = c.node(l).status().term;
    change(&mut c, l, MembershipChange::Remove(NodeId(l)));
    c.run_for(100);
    tracing::info!("--- the leader handed over at once, without waiting for a timeout");
    let leaders = c.leaders();
    assert_eq!(leaders.len(), 1, "{leaders:?}");
    let l2 = leaders[0];
    assert_ne!(l2, l);
    assert_eq!(c.node(l2).status().term, old_term.next());
    assert_eq!(c.node(l).status().role, Role::Follower);

    tracing::info!("--- the group goes on without it, and it never campaigns");
    c.propose(l2, "b");
    c.run_for(10_000);
    assert_eq!(c.leaders(), vec![l2]);
    let other = (1..=3).find(|id| *id != l && *id != l2).unwrap();
    assert_eq!(
        c.applied_commands(other),
        vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
    );
}

#[test]
fn one_change_at_a_time_and_only_after_the_leader_committed_in_its_term() {
    let mut c = Cluster::new(3);
    tracing::info!("--- a leader whose no-op has not committed refuses changes");
    let l = loop {
        c.tick_once();
        while c.leaders().is_empty() && c.deliver_one() {}
        if let Some(&l) = c.leaders().first() {
            break l;
        }
    };
    let now = c.now;
    assert_eq!(
        c.node(l)
            .propose_membership(now, MembershipChange::AddLearner(NodeId(4))),
        Err(Rejected::LeaderNotReady)
    );
    c.deliver_all();

    tracing::info!("--- a second change waits for the first to commit");
    c.cut.insert(NodeId(4)); // never started: its traffic is dropped
    let (index, _) = c
        .node(l)
        .propose_membership(now, MembershipChange::AddLearner(NodeId(4)))
        .unwrap();
    assert_eq!(
        c.node(l)
            .propose_membership(now, MembershipChange::AddLearner(NodeId(5))),
        Err(Rejected::ChangeInProgress { index })
    );
    c.deliver_all();
    let now = c.now;
    assert_eq!(
        c.node(l)
            .propose_membership(now, MembershipChange::AddLearner(NodeId(4))),
        Err(Rejected::InvalidChange(ChangeError::AlreadyMember(NodeId(
            4
        ))))
    );
    assert!(
        c.node(l)
            .propose_membership(now, MembershipChange::Remove(NodeId(4)))
            .is_ok()
    );

    tracing::info!("--- clients cannot forge a configuration entry");
    c.deliver_all();
    let forged = match Membership::new(ids(&[1]), ids(&[])).to_payload() {
        crate::engine::Payload::Command(b) => b,
        crate::engine::Payload::Noop => unreachable!(),
    };
    assert_eq!(
        c.node(l).propose(now, vec![forged]),
        Err(Rejected::ReservedCommand)
    );
}

#[test]
fn promotion_waits_until_the_learner_has_caught_up() {
    let mut c = Cluster::with(3, |cfg| cfg.max_promotion_lag = 2);
    let l = c.elect();
    c.add(4, &[1, 2, 3], |_| {});
    c.cut.insert(NodeId(4));
    change(&mut c, l, MembershipChange::AddLearner(NodeId(4)));
    for cmd in ["a", "b", "c", "d", "e"] {
        c.propose(l, cmd);
    }
    let now = c.now;
    let err = c
        .node(l)
        .propose_membership(now, MembershipChange::Promote(NodeId(4)))
        .unwrap_err();
    assert!(
        matches!(err, Rejected::LearnerLagging { id, matched: LogIndex(0), .. } if id == NodeId(4)),
        "{err:?}"
    );

    tracing::info!("--- once it has caught up, it is promoted");
    c.cut.clear();
    c.run_for(300);
    change(&mut c, l, MembershipChange::Promote(NodeId(4)));
    c.run_for(300);
    assert_membership(
        &mut c,
        &[1, 2, 3, 4],
        &Membership::new(ids(&[1, 2, 3, 4]), ids(&[])),
    );
}

#[test]
fn a_restarted_member_takes_its_membership_from_its_log() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.add(4, &[1, 2, 3], |_| {});
    change(&mut c, l, MembershipChange::AddLearner(NodeId(4)));
    c.run_for(300);
    change(&mut c, l, MembershipChange::Promote(NodeId(4)));
    c.run_for(300);
    let f = (1..=3).find(|id| *id != l).unwrap();
    change(&mut c, l, MembershipChange::Remove(NodeId(f)));
    c.run_for(300);
    let want = c.node(l).membership().clone();
    assert!(want.voters.contains(&NodeId(4)) && !want.voters.contains(&NodeId(f)));

    tracing::info!("--- every member restarts from its disk; bootstrap configs are stale");
    for id in 1..=4 {
        c.restart(id);
        assert_eq!(c.node(id).membership(), &want, "member {id}");
    }
    let l2 = c.elect();
    assert_ne!(l2, f);
    c.propose(l2, "after");
    c.run_for(300);
    assert_eq!(c.applied_commands(4), vec![Bytes::from_static(b"after")]);

    tracing::info!("--- an uncommitted change in a restarted log is in effect too");
    c.cut.extend((1..=4).filter(|id| *id != l2).map(NodeId));
    let now = c.now;
    c.node(l2)
        .propose_membership(now, MembershipChange::AddLearner(NodeId(5)))
        .unwrap();
    c.drain_ready();
    c.restart(l2);
    assert!(c.node(l2).membership().learners.contains(&NodeId(5)));
}

#[test]
fn a_partition_during_a_change_never_yields_two_leaders_in_a_term() {
    for cut_after in 0..12 {
        let mut c = Cluster::new(3);
        let mut leaders_by_term: BTreeMap<Term, u64> = BTreeMap::new();
        let l = c.elect();
        c.add(4, &[1, 2, 3], |_| {});
        c.add(5, &[1, 2, 3], |_| {});
        change(&mut c, l, MembershipChange::AddLearner(NodeId(4)));
        change(&mut c, l, MembershipChange::AddLearner(NodeId(5)));
        c.run_for(300);
        tracing::info!(
            cut_after,
            "--- promote 4, and cut the leader off mid-change"
        );
        let now = c.now;
        c.node(l)
            .propose_membership(now, MembershipChange::Promote(NodeId(4)))
            .unwrap();
        c.drain_ready();
        for _ in 0..cut_after {
            c.deliver_one();
        }
        c.cut.insert(NodeId(l));
        c.cut.insert(NodeId(4));
        for step in 0..400 {
            if step == 200 {
                tracing::info!("--- heal");
                c.cut.clear();
            }
            c.run_for(10);
            for id in 1..=5 {
                let s = c.node(id).status();
                if s.role == Role::Leader {
                    let prev = leaders_by_term.insert(s.term, id);
                    assert!(
                        prev.is_none_or(|p| p == id),
                        "two leaders in {}: {prev:?} and {id} (cut after {cut_after})",
                        s.term
                    );
                }
            }
            if step > 200 {
                // Keep proposing changes: the group must go on changing after the heal.
                if let Some(&ld) = c.leaders().first() {
                    let now = c.now;
                    let m = c.node(ld).membership().clone();
                    let next = if m.learners.contains(&NodeId(5)) {
                        MembershipChange::Promote(NodeId(5))
                    } else if m.voters.contains(&NodeId(5)) {
                        MembershipChange::Remove(NodeId(5))
                    } else {
                        MembershipChange::AddLearner(NodeId(5))
                    };
                    let _ = c.node(ld).propose_membership(now, next);
                }
            }
        }
        tracing::info!("--- after the heal all members agree on the committed log");
        c.run_for(2000);
        let l = c.elect();
        c.propose(l, "end");
        c.run_for(300);
        let want = c.applied_commands(l);
        for id in c.node(l).membership().voters.clone() {
            assert_eq!(
                c.applied_commands(id.0),
                want,
                "member {id}, cut after {cut_after}"
            );
        }
    }
}
