//! Elections: pre-vote, votes, stickiness, check-quorum, transfer, rank.

use std::time::Duration;

use super::cluster::{Cluster, config};
use crate::engine::{Message, MessageBody, Persisted, Rejected, Replica, Role};
use crate::types::{GroupId, LogIndex, NodeId, Term, Time};

#[test]
fn election_timeout_starts_a_pre_vote_without_bumping_the_term() {
    let mut r = Replica::new(config(1, 3), Persisted::default(), Time(0)).unwrap();
    r.tick(Time(2000));
    let ready = r.take_ready();
    assert_eq!(r.status().role, Role::PreCandidate);
    assert_eq!(
        r.status().term,
        Term(0),
        "a motion of no confidence bumps no term"
    );
    assert_eq!(ready.hard_state, None, "nothing to persist for a pre-vote");
    let to: Vec<_> = ready
        .messages
        .iter()
        .map(|m| (m.to, m.term, m.body.kind()))
        .collect();
    assert_eq!(
        to,
        vec![
            (NodeId(2), Term(1), "pre_vote"),
            (NodeId(3), Term(1), "pre_vote")
        ]
    );
}

#[test]
fn a_quorum_of_pre_votes_turns_into_a_real_campaign() {
    let mut r = Replica::new(config(1, 3), Persisted::default(), Time(0)).unwrap();
    r.tick(Time(2000));
    r.take_ready();
    let grant = Message {
        group: GroupId(7),
        from: NodeId(2),
        to: NodeId(1),
        term: Term(1),
        body: MessageBody::PreVoteResponse { granted: true },
    };
    r.step(Time(2001), grant).unwrap();
    let ready = r.take_ready();
    assert_eq!(r.status().role, Role::Candidate);
    let hs = ready
        .hard_state
        .expect("term and vote must be persisted before the ballot is sent");
    assert_eq!((hs.term, hs.vote), (Term(1), Some(NodeId(1))));
    assert!(ready.messages.iter().all(|m| matches!(
        m.body,
        MessageBody::RequestVote {
            transfer: false,
            ..
        }
    )));
}

#[test]
fn three_members_elect_one_leader_who_commits_a_noop() {
    let mut c = Cluster::new(3);
    let leader = c.elect();
    c.run_for(300);
    assert_eq!(c.leaders(), vec![leader]);
    let term = c.node(leader).status().term;
    for id in 1..=3 {
        let s = c.node(id).status();
        assert_eq!(s.term, term);
        assert_eq!(s.leader, Some(NodeId(leader)));
        assert_eq!(
            s.commit,
            LogIndex(1),
            "the new leader's no-op commits everywhere"
        );
    }
}

#[test]
fn a_single_member_group_leads_and_commits_alone() {
    let mut c = Cluster::new(1);
    assert_eq!(c.elect(), 1);
    c.propose(1, "solo");
    assert_eq!(
        c.applied_commands(1),
        vec![bytes::Bytes::from_static(b"solo")]
    );
}

#[test]
fn a_follower_with_a_fresh_leader_refuses_votes_and_keeps_its_term() {
    let mut c = Cluster::new(3);
    let leader = c.elect();
    let f = if leader == 1 { 2 } else { 1 };
    let other = (1..=3).find(|id| *id != leader && *id != f).unwrap();
    let term = c.node(f).status().term;
    let now = c.now;
    let ballot = Message {
        group: GroupId(7),
        from: NodeId(other),
        to: NodeId(f),
        term: term.next(),
        body: MessageBody::RequestVote {
            last_index: LogIndex(99),
            last_term: Term(99),
            transfer: false,
        },
    };
    c.node(f).step(now, ballot).unwrap();
    let ready = c.node(f).take_ready();
    assert!(
        ready.messages.is_empty(),
        "the ballot is ignored, not answered"
    );
    assert_eq!(c.node(f).status().term, term);
    assert_eq!(c.node(f).status().leader, Some(NodeId(leader)));
}

#[test]
fn a_partitioned_member_cannot_depose_a_healthy_leader() {
    let mut c = Cluster::new(3);
    let leader = c.elect();
    let lonely = (1..=3).find(|id| *id != leader).unwrap();
    let term = c.node(leader).status().term;
    c.cut.insert(NodeId(lonely));
    c.run_for(10_000);
    assert!(
        c.node(lonely).status().term == term,
        "pre-vote kept the lonely member's term"
    );
    c.cut.clear();
    c.run_for(3_000);
    assert_eq!(
        c.leaders(),
        vec![leader],
        "rejoining does not disrupt the leader"
    );
    assert_eq!(c.node(leader).status().term, term);
}

#[test]
fn a_leader_cut_off_from_its_quorum_steps_down_and_the_rest_elect_anew() {
    let mut c = Cluster::new(5);
    let old = c.elect();
    c.cut.insert(NodeId(old));
    c.run_for(3_000);
    assert_ne!(
        c.node(old).status().role,
        Role::Leader,
        "check-quorum deposed the isolated leader"
    );
    let new = c.elect();
    assert_ne!(new, old);
    c.cut.clear();
    c.run_for(1_000);
    assert_eq!(c.leaders(), vec![new]);
    assert_eq!(c.node(old).status().leader, Some(NodeId(new)));
}

#[test]
fn leadership_transfer_hands_over_to_the_named_member() {
    let mut c = Cluster::new(3);
    let old = c.elect();
    c.propose(old, "before");
    let target = (1..=3).find(|id| *id != old).unwrap();
    let now = c.now;
    c.node(old)
        .transfer_leadership(now, NodeId(target))
        .unwrap();
    assert_eq!(
        c.node(old).status().lease_until,
        None,
        "a transferring leader gives up its lease"
    );
    assert!(matches!(
        c.node(old)
            .propose(now, vec![bytes::Bytes::from_static(b"x")]),
        Err(Rejected::TransferInProgress { .. })
    ));
    c.deliver_all();
    assert_eq!(c.leaders(), vec![target]);
    c.propose(target, "after");
    for id in 1..=3 {
        assert_eq!(
            c.applied_commands(id).len(),
            2,
            "member {id} applied both commands"
        );
    }
}

#[test]
fn transfer_to_a_non_member_or_self_is_refused() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    let now = c.now;
    assert_eq!(
        c.node(l).transfer_leadership(now, NodeId(9)),
        Err(Rejected::UnknownMember(NodeId(9)))
    );
    assert_eq!(
        c.node(l).transfer_leadership(now, NodeId(l)),
        Err(Rejected::UnknownMember(NodeId(l)))
    );
}

#[test]
fn the_best_ranked_member_campaigns_first() {
    for best in 1..=5u64 {
        let mut c = Cluster::new(5);
        for id in 1..=5u64 {
            // Rank positions rotate so that `best` is position 0.
            let pos = ((id + 5 - best) % 5) as u32;
            c.node(id).set_candidacy_rank(Some((pos, 5)));
        }
        assert_eq!(c.elect(), best);
    }
}

#[test]
fn messages_from_strangers_or_for_others_are_refused() {
    let mut r = Replica::new(config(1, 3), Persisted::default(), Time(0)).unwrap();
    let mut m = Message {
        group: GroupId(7),
        from: NodeId(9),
        to: NodeId(1),
        term: Term(5),
        body: MessageBody::TimeoutNow,
    };
    assert_eq!(
        r.step(Time(1), m.clone()),
        Err(Rejected::UnknownMember(NodeId(9)))
    );
    m.from = NodeId(2);
    m.group = GroupId(8);
    assert_eq!(
        r.step(Time(1), m.clone()),
        Err(Rejected::WrongGroup(GroupId(8)))
    );
    m.group = GroupId(7);
    m.to = NodeId(3);
    assert_eq!(r.step(Time(1), m), Err(Rejected::Misaddressed(NodeId(3))));
    assert_eq!(
        r.status().term,
        Term(0),
        "a refused message changes nothing"
    );
}

#[test]
fn configurations_that_break_leases_or_liveness_are_refused() {
    let mut c = config(1, 3);
    c.max_clock_drift = Duration::from_millis(1000);
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("max_clock_drift")
    );
    let mut c = config(1, 3);
    c.election_timeout_max = c.election_timeout_min;
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("election_timeout_max")
    );
    let mut c = config(1, 3);
    c.heartbeat_interval = Duration::from_millis(600);
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("election_timeout_min")
    );
    let c = crate::engine::Config::new(NodeId(1), GroupId(1), []);
    assert_eq!(c.validate(), Err(crate::engine::ConfigError::NoVoters));
}

#[test]
fn a_restarted_member_keeps_its_term_and_vote_and_replays_committed_entries() {
    let mut c = Cluster::new(3);
    let leader = c.elect();
    c.propose(leader, "a");
    c.propose(leader, "b");
    c.run_for(200);
    let f = (1..=3).find(|id| *id != leader).unwrap();
    let before = c.node(f).status();
    c.restart(f);
    let after = c.node(f).status();
    assert_eq!(
        (after.term, after.vote, after.role),
        (before.term, before.vote, Role::Follower)
    );
    c.run_for(200);
    assert_eq!(
        c.applied_commands(f),
        vec![
            bytes::Bytes::from_static(b"a"),
            bytes::Bytes::from_static(b"b")
        ]
    );
}

#[test]
fn inconsistent_persisted_state_is_refused() {
    let mut p = Persisted::default();
    p.hard_state.term = Term(1);
    p.entries.push(crate::engine::Entry {
        term: Term(1),
        index: LogIndex(2),
        payload: crate::engine::Payload::Noop,
    });
    let err = Replica::new(config(1, 3), p, Time(0)).unwrap_err();
    assert!(err.to_string().contains("index"), "{err}");
}
