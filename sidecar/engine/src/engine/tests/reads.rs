//! Reads: ReadIndex confirmation, leases, strict reads, and failure on step-down.

use super::cluster::Cluster;
use crate::engine::{MessageBody, ReadId, ReadLevel, ReadOutcome, Rejected};
use crate::types::NodeId;

fn ready_ids(c: &Cluster, id: u64) -> Vec<u64> {
    c.reads[id as usize - 1]
        .iter()
        .filter_map(|r| match r {
            ReadOutcome::Ready { id, .. } => Some(id.0),
            ReadOutcome::Failed { .. } => None,
        })
        .collect()
}

#[test]
fn read_index_waits_for_a_quorum_round() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.run_for(200);
    let now = c.now;
    c.node(l)
        .read(now, ReadId(1), ReadLevel::Linearizable)
        .unwrap();
    let ready = c.node(l).take_ready();
    assert!(
        ready.reads.is_empty(),
        "not confirmed before a quorum echoes"
    );
    let heartbeats = ready
        .messages
        .iter()
        .filter(|m| matches!(m.body, MessageBody::Append { .. }))
        .count();
    assert_eq!(heartbeats, 2, "one confirmation round to each follower");
    c.queue.extend(ready.messages);
    c.deliver_all();
    assert_eq!(ready_ids(&c, l), vec![1]);
}

#[test]
fn read_index_is_never_confirmed_by_a_minority() {
    let mut c = Cluster::new(5);
    let l = c.elect();
    c.run_for(200);
    for id in 1..=5 {
        if id != l {
            c.cut.insert(NodeId(id));
        }
    }
    let now = c.now;
    c.node(l)
        .read(now, ReadId(1), ReadLevel::Linearizable)
        .unwrap();
    c.run_for(2_500);
    assert!(ready_ids(&c, l).is_empty());
    assert!(c.reads[l as usize - 1].iter().any(|r| matches!(
        r,
        ReadOutcome::Failed {
            id: ReadId(1),
            reason: Rejected::LeadershipLost
        }
    )));
}

#[test]
fn lease_reads_need_no_messages_while_the_lease_holds() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.run_for(300);
    assert!(c.node(l).status().lease_until.is_some());
    let now = c.now;
    c.node(l).read(now, ReadId(5), ReadLevel::Lease).unwrap();
    let ready = c.node(l).take_ready();
    assert!(matches!(
        ready.reads.as_slice(),
        [ReadOutcome::Ready { id: ReadId(5), .. }]
    ));
    assert!(ready.messages.is_empty());
}

#[test]
fn the_lease_lapses_without_a_quorum_and_lease_reads_fall_back() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.run_for(300);
    for id in 1..=3 {
        if id != l {
            c.cut.insert(NodeId(id));
        }
    }
    let lease = c.node(l).config().lease_duration().as_millis() as u64;
    c.run_for(lease + 20);
    assert_eq!(c.node(l).status().lease_until, None);
    let now = c.now;
    if c.node(l).read(now, ReadId(9), ReadLevel::Lease).is_ok() {
        c.drain_ready();
        assert!(
            ready_ids(&c, l).is_empty(),
            "a lapsed lease does not serve reads"
        );
    }
}

#[test]
fn strict_reads_commit_a_noop_first() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    c.run_for(200);
    let before = c.node(l).status().last_index;
    let now = c.now;
    c.node(l).read(now, ReadId(3), ReadLevel::Strict).unwrap();
    c.deliver_all();
    assert_eq!(c.node(l).status().last_index, before.next());
    assert_eq!(ready_ids(&c, l), vec![3]);
}

#[test]
fn followers_refuse_reads_and_name_the_leader() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    let f = (1..=3).find(|id| *id != l).unwrap();
    let now = c.now;
    let err = c
        .node(f)
        .read(now, ReadId(1), ReadLevel::Linearizable)
        .unwrap_err();
    assert!(matches!(err, Rejected::NotLeader { leader: Some(id), .. } if id == NodeId(l)));
}
