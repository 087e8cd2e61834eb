//! Replication: commit rules, back-off on divergent logs, pipelining and batching.

use bytes::Bytes;

use super::cluster::Cluster;
use crate::engine::{MessageBody, Rejected, Role};
use crate::types::{LogIndex, NodeId};

#[test]
fn committed_commands_apply_in_the_same_order_everywhere() {
    let mut c = Cluster::new(5);
    let l = c.elect();
    for cmd in ["a", "b", "c", "d"] {
        c.propose(l, cmd);
    }
    c.run_for(300);
    let want = c.applied_commands(l);
    assert_eq!(want.len(), 4);
    for id in 1..=5 {
        assert_eq!(c.applied_commands(id), want, "member {id}");
    }
}

#[test]
fn proposals_to_a_follower_name_the_leader() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    let f = (1..=3).find(|id| *id != l).unwrap();
    let now = c.now;
    let err = c
        .node(f)
        .propose(now, vec![Bytes::from_static(b"x")])
        .unwrap_err();
    assert!(matches!(err, Rejected::NotLeader { leader: Some(id), .. } if id == NodeId(l)));
    assert_eq!(c.node(l).propose(now, vec![]), Err(Rejected::EmptyProposal));
}

#[test]
fn one_proposal_batch_travels_in_one_append_per_follower() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.run_for(200);
    let now = c.now;
    let batch: Vec<Bytes> = (0..100).map(|i| Bytes::from(format!("cmd{i}"))).collect();
    c.node(l).propose(now, batch).unwrap();
    let ready = c.node(l).take_ready();
    assert_eq!(ready.entries.len(), 100, "the batch is persisted together");
    let appends: Vec<usize> = ready
        .messages
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::Append { entries, .. } => Some(entries.len()),
            _ => None,
        })
        .collect();
    assert_eq!(appends, vec![100, 100]);
}

#[test]
fn in_flight_appends_are_bounded_per_follower() {
    let mut c = Cluster::with(3, |cfg| {
        cfg.max_append_entries = 1;
        cfg.max_inflight = 4;
    });
    let l = c.elect();
    c.run_for(200);
    let now = c.now;
    let batch: Vec<Bytes> = (0..20).map(|i| Bytes::from(format!("cmd{i}"))).collect();
    c.node(l).propose(now, batch).unwrap();
    let ready = c.node(l).take_ready();
    let per_follower = ready
        .messages
        .iter()
        .filter(|m| m.to == ready.messages[0].to)
        .count();
    assert_eq!(per_follower, 4, "pipelining stops at max_inflight");
    c.queue.extend(ready.messages);
    c.deliver_all();
    c.run_for(100);
    for id in 1..=3 {
        assert_eq!(
            c.applied_commands(id).len(),
            20,
            "member {id} caught up through the window"
        );
    }
}

#[test]
fn a_divergent_follower_is_repaired_and_committed_entries_survive() {
    let mut c = Cluster::new(5);
    let old = c.elect();
    c.propose(old, "committed");
    // Cut the leader off, let it append entries nobody else sees.
    c.cut.insert(NodeId(old));
    let now = c.now;
    for i in 0..10 {
        c.node(old)
            .propose(now, vec![Bytes::from(format!("orphan{i}"))])
            .unwrap();
    }
    c.deliver_all();
    let new = c.elect();
    for cmd in ["x", "y"] {
        c.propose(new, cmd);
    }
    c.cut.clear();
    c.run_for(2_000);
    assert_eq!(c.leaders(), vec![new]);
    let want: Vec<Bytes> = ["committed", "x", "y"]
        .iter()
        .map(|s| Bytes::from_static(s.as_bytes()))
        .collect();
    for id in 1..=5 {
        assert_eq!(c.applied_commands(id), want, "member {id}");
    }
    assert_eq!(
        c.node(old).log().last_index(),
        c.node(new).log().last_index()
    );
}

#[test]
fn entries_of_an_earlier_term_commit_only_with_one_of_the_current_term() {
    // Raft §5.4.2 (Figure 8): a leader must not count replicas of an old-term entry.
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.cut.insert(NodeId(l));
    let now = c.now;
    let (idx, _) = c
        .node(l)
        .propose(now, vec![Bytes::from_static(b"old")])
        .unwrap();
    c.drain_ready();
    c.queue.clear();
    assert_eq!(c.node(l).status().role, Role::Leader);
    assert!(c.node(l).status().commit < idx);
    c.cut.clear();
    c.run_for(3_000);
    let leader = c.leaders()[0];
    assert!(c.node(leader).status().commit >= LogIndex(2));
}
