//! Snapshots: compaction, chunked and resumable transfer, installs that keep or discard
//! the follower's log, and restarts from a snapshot (docs/protocol.md#snapshots).

use bytes::Bytes;

use super::cluster::{Cluster, Fate};
use crate::engine::{
    CompactError, Entry, Message, MessageBody, Payload, Persisted, Replica, Snapshot, SnapshotMeta,
};
use crate::types::{GroupId, LogIndex, NodeId, Term, Time};

/// A 3-member cluster with tiny snapshot chunks, so every transfer takes several.
fn small_chunks() -> Cluster {
    Cluster::with(3, |cfg| cfg.snapshot_chunk_bytes = 16)
}

fn cmds(range: std::ops::Range<u32>) -> Vec<Bytes> {
    range.map(|i| Bytes::from(format!("cmd{i:03}"))).collect()
}

/// Proposes `cmd{from..to}` one by one at the leader and lets them commit.
fn propose_range(c: &mut Cluster, leader: u64, range: std::ops::Range<u32>) {
    for cmd in cmds(range) {
        let now = c.now;
        c.node(leader).propose(now, vec![cmd]).unwrap();
        c.deliver_all();
    }
}

/// InstallSnapshot chunks delivered so far: (to, term, offset, len, done).
fn chunks(c: &Cluster) -> Vec<(u64, Term, u64, usize, bool)> {
    c.delivered
        .iter()
        .filter_map(|m| match &m.body {
            MessageBody::InstallSnapshot {
                offset, data, done, ..
            } => Some((m.to.0, m.term, *offset, data.len(), *done)),
            _ => None,
        })
        .collect()
}

fn is_chunk(m: &Message) -> bool {
    matches!(m.body, MessageBody::InstallSnapshot { .. })
}

/// Sets up the common story: a leader, a follower `f` cut off while 30 commands commit,
/// and the two others compacted through them. Returns (leader, f, the leader's snapshot).
fn lagging_follower(c: &mut Cluster) -> (u64, u64, SnapshotMeta) {
    let l = c.elect();
    let f = (1..=3).find(|id| *id != l).unwrap();
    let other = (1..=3).find(|id| *id != l && *id != f).unwrap();
    tracing::info!("--- cut off follower {f}; commit 30 commands without it");
    c.cut.insert(NodeId(f));
    propose_range(c, l, 0..30);
    c.run_for(200);
    tracing::info!("--- the leader and the other follower compact");
    let meta = c.snapshot(l);
    c.snapshot(other);
    assert_eq!(c.node(l).log().offset_index(), meta.index);
    assert_eq!(c.node(l).log().first_index(), meta.index.next());
    (l, f, meta)
}

fn assert_converged(c: &mut Cluster, want_len: usize) {
    let want = c.applied_commands(1);
    assert_eq!(want.len(), want_len);
    for id in 2..=3 {
        assert_eq!(c.applied_commands(id), want, "member {id}'s state");
    }
    let last = c.node(1).log().last_index();
    for id in 2..=3 {
        assert_eq!(c.node(id).log().last_index(), last, "member {id}'s log");
        assert_eq!(c.node(id).status().commit, c.node(1).status().commit);
    }
}

#[test]
fn a_lagging_follower_catches_up_through_a_chunked_snapshot() {
    let mut c = small_chunks();
    let (l, f, meta) = lagging_follower(&mut c);
    let image_len = c.node(l).snapshot().unwrap().data.len();
    tracing::info!("--- heal; the leader must send its snapshot");
    c.cut.clear();
    c.run_for(500);
    propose_range(&mut c, l, 30..35);
    c.run_for(200);
    assert_converged(&mut c, 35);
    assert_eq!(
        c.installed[f as usize - 1],
        vec![meta],
        "installed exactly once"
    );
    assert_eq!(c.node(f).log().offset_index(), meta.index);
    assert_eq!(
        c.disks[f as usize - 1].snapshot.as_ref().unwrap().meta,
        meta
    );
    let to_f: Vec<_> = chunks(&c).into_iter().filter(|ch| ch.0 == f).collect();
    assert_eq!(
        to_f.len(),
        image_len.div_ceil(16),
        "one chunk per 16 bytes, none resent"
    );
    let offsets: Vec<u64> = to_f.iter().map(|ch| ch.2).collect();
    let want: Vec<u64> = (0..to_f.len() as u64).map(|k| k * 16).collect();
    assert_eq!(offsets, want, "chunks travel in order");
    assert!(to_f.last().unwrap().4, "the last chunk says done");
    // The disk holds the snapshot plus the suffix after it, contiguous.
    let disk = &c.disks[f as usize - 1];
    assert_eq!(
        disk.entries.first().map(|e| e.index),
        Some(meta.index.next())
    );
}

#[test]
fn lost_and_duplicated_chunks_are_resent_and_ignored() {
    let mut c = small_chunks();
    let (l, f, meta) = lagging_follower(&mut c);
    let mut n = 0;
    c.intercept = Some(Box::new(move |m| {
        if !is_chunk(m) {
            return Fate::Deliver;
        }
        n += 1;
        match n % 3 {
            0 => Fate::Drop,
            1 => Fate::Duplicate,
            _ => Fate::Deliver,
        }
    }));
    tracing::info!("--- heal with a third of the chunks lost and a third duplicated");
    c.cut.clear();
    c.run_for(3_000);
    c.intercept = None;
    propose_range(&mut c, l, 30..32);
    c.run_for(200);
    assert_converged(&mut c, 32);
    assert_eq!(
        c.installed[f as usize - 1],
        vec![meta],
        "duplicates install nothing twice"
    );
    let to_f = chunks(&c).into_iter().filter(|ch| ch.0 == f).count();
    let image_len = c.node(l).snapshot().unwrap().data.len();
    assert!(
        to_f > image_len.div_ceil(16),
        "lost chunks were resent ({to_f} delivered)"
    );
}

#[test]
fn a_follower_restarting_mid_transfer_starts_over() {
    let mut c = small_chunks();
    let (l, f, meta) = lagging_follower(&mut c);
    c.cut.clear();
    tracing::info!("--- deliver until the follower holds three chunks");
    let mut guard = 0;
    while chunks(&c).iter().filter(|ch| ch.0 == f).count() < 3 {
        if !c.deliver_one() {
            c.tick_once();
        }
        guard += 1;
        assert!(guard < 10_000, "the transfer never started");
    }
    assert!(c.installed[f as usize - 1].is_empty());
    tracing::info!("--- crash the follower: its partial snapshot was volatile");
    c.restart(f);
    assert_eq!(
        c.node(f).log().offset_index(),
        LogIndex(0),
        "nothing persisted yet"
    );
    c.run_for(1_000);
    let to_f: Vec<_> = chunks(&c).into_iter().filter(|ch| ch.0 == f).collect();
    let restarts = to_f.iter().filter(|ch| ch.2 == 0).count();
    assert_eq!(
        restarts, 2,
        "the transfer restarted from offset 0: {to_f:?}"
    );
    assert_eq!(c.installed[f as usize - 1], vec![meta]);
    propose_range(&mut c, l, 30..31);
    c.run_for(200);
    assert_converged(&mut c, 31);
}

#[test]
fn a_new_leader_mid_transfer_restarts_it_with_its_own_snapshot() {
    let mut c = small_chunks();
    let (old, f, _) = lagging_follower(&mut c);
    let other = (1..=3).find(|id| *id != old && *id != f).unwrap();
    c.cut.clear();
    let mut guard = 0;
    while chunks(&c).iter().filter(|ch| ch.0 == f).count() < 2 {
        if !c.deliver_one() {
            c.tick_once();
        }
        guard += 1;
        assert!(guard < 10_000, "the transfer never started");
    }
    let old_term = c.node(old).status().term;
    tracing::info!("--- hand leadership to {other} mid-transfer");
    let now = c.now;
    c.node(old).transfer_leadership(now, NodeId(other)).unwrap();
    c.run_for(2_000);
    assert_eq!(c.leaders(), vec![other]);
    let new_term = c.node(other).status().term;
    assert!(new_term > old_term);
    let new_chunks: Vec<_> = chunks(&c)
        .into_iter()
        .filter(|ch| ch.0 == f && ch.1 == new_term)
        .collect();
    assert!(!new_chunks.is_empty(), "the new leader sent its snapshot");
    assert_eq!(new_chunks[0].2, 0, "a new term restarts the transfer at 0");
    let new_meta = c.node(other).snapshot().unwrap().meta;
    assert_eq!(c.installed[f as usize - 1], vec![new_meta]);
    propose_range(&mut c, other, 30..33);
    c.run_for(200);
    assert_converged(&mut c, 33);
}

#[test]
fn compaction_never_passes_the_applied_index() {
    let mut c = Cluster::new(3);
    let l = c.elect();
    propose_range(&mut c, l, 0..5);
    c.run_for(200);
    let applied = c.node(l).status().applied;
    tracing::info!("--- the leader, cut off, appends entries that cannot commit");
    c.cut.insert(NodeId(l));
    let now = c.now;
    c.node(l).propose(now, cmds(5..8)).unwrap();
    c.deliver_all();
    let last = c.node(l).log().last_index();
    assert!(last > applied && c.node(l).status().commit == applied);
    let term = c.node(l).status().term;
    let beyond = Snapshot {
        meta: SnapshotMeta { index: last, term },
        data: Bytes::new(),
    };
    assert_eq!(
        c.node(l).compact(beyond),
        Err(CompactError::BeyondApplied {
            index: last,
            applied
        })
    );
    let wrong_term = Snapshot {
        meta: SnapshotMeta {
            index: applied,
            term: Term(term.0 + 1),
        },
        data: Bytes::new(),
    };
    assert!(matches!(
        c.node(l).compact(wrong_term),
        Err(CompactError::TermMismatch { .. })
    ));
    assert_eq!(
        c.node(l).log().offset_index(),
        LogIndex(0),
        "refusals change nothing"
    );
    let meta = c.snapshot(l);
    assert_eq!(meta.index, applied);
    assert_eq!(c.node(l).log().offset_index(), applied);
    assert_eq!(
        c.node(l).log().last_index(),
        last,
        "uncommitted entries stay"
    );
    let older = Snapshot {
        meta: SnapshotMeta {
            index: LogIndex(1),
            term,
        },
        data: Bytes::new(),
    };
    assert_eq!(
        c.node(l).compact(older),
        Ok(()),
        "an older snapshot is ignored"
    );
    assert_eq!(c.node(l).log().offset_index(), applied);
}

#[test]
fn a_whole_cluster_restarts_from_snapshots_and_log_suffixes() {
    let mut c = small_chunks();
    let l = c.elect();
    propose_range(&mut c, l, 0..10);
    c.run_for(200);
    let metas: Vec<SnapshotMeta> = (1..=3).map(|id| c.snapshot(id)).collect();
    propose_range(&mut c, l, 10..15);
    c.run_for(200);
    tracing::info!("--- restart every member from its disk");
    for id in 1..=3 {
        c.restart(id);
        let r = c.node(id);
        assert_eq!(r.log().offset_index(), metas[id as usize - 1].index);
        assert_eq!(r.status().applied, metas[id as usize - 1].index);
        assert_eq!(
            c.applied_commands(id).len(),
            10,
            "restored from the snapshot"
        );
    }
    let l = c.elect();
    propose_range(&mut c, l, 15..20);
    c.run_for(200);
    assert_converged(&mut c, 20);
    assert!(chunks(&c).is_empty(), "nobody needed a snapshot");
}

#[test]
fn a_restarted_leader_sends_the_snapshot_it_restarted_from() {
    let mut c = small_chunks();
    let (l, f, meta) = lagging_follower(&mut c);
    c.restart(l);
    let other = (1..=3).find(|id| *id != l && *id != f).unwrap();
    c.restart(other);
    c.cut.clear();
    c.run_for(3_000);
    assert_eq!(c.installed[f as usize - 1], vec![meta]);
    let leader = c.leaders()[0];
    propose_range(&mut c, leader, 30..31);
    c.run_for(200);
    assert_converged(&mut c, 31);
}

// ----- single-replica tests: one input, exact outputs --------------------------------

fn entry(index: u64, term: u64) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        payload: Payload::Command(Bytes::from(format!("e{index}"))),
    }
}

fn msg(term: u64, body: MessageBody) -> Message {
    Message {
        group: GroupId(7),
        from: NodeId(1),
        to: NodeId(2),
        term: Term(term),
        body,
    }
}

fn chunk(meta: SnapshotMeta, offset: u64, data: &'static [u8], done: bool) -> MessageBody {
    MessageBody::InstallSnapshot {
        meta,
        offset,
        data: Bytes::from_static(data),
        done,
        round: 1,
    }
}

/// Member 2 of 3, holding entries 1..=10 of term 1, of which 1..=5 are committed.
fn follower_with_ten_entries() -> Replica {
    let mut r = Replica::new(super::cluster::config(2, 3), Persisted::default(), Time(0)).unwrap();
    let append = MessageBody::Append {
        prev_index: LogIndex(0),
        prev_term: Term(0),
        entries: (1..=10).map(|i| entry(i, 1)).collect(),
        commit: LogIndex(5),
        round: 1,
    };
    r.step(Time(1), msg(1, append)).unwrap();
    let ready = r.take_ready();
    assert_eq!(ready.committed.len(), 5);
    r
}

#[test]
fn a_follower_whose_log_covers_the_snapshot_keeps_its_suffix() {
    let mut r = follower_with_ten_entries();
    let meta = SnapshotMeta {
        index: LogIndex(8),
        term: Term(1),
    };
    r.step(Time(2), msg(1, chunk(meta, 0, b"ima", false)))
        .unwrap();
    let ready = r.take_ready();
    assert!(ready.snapshot.is_none());
    r.step(Time(2), msg(1, chunk(meta, 3, b"ge", true)))
        .unwrap();
    let ready = r.take_ready();
    assert_eq!(
        ready.snapshot,
        Some(Snapshot {
            meta,
            data: Bytes::from_static(b"image")
        })
    );
    assert!(
        ready.entries.is_empty(),
        "the kept suffix is already durable"
    );
    assert!(
        ready.committed.is_empty(),
        "entries through 8 are in the image"
    );
    assert_eq!(
        ready.messages[0].body,
        MessageBody::InstallSnapshotResponse {
            meta,
            received: 5,
            done: true,
            round: 1
        }
    );
    assert_eq!(r.log().offset_index(), LogIndex(8));
    assert_eq!(r.log().last_index(), LogIndex(10), "suffix 9..=10 kept");
    assert_eq!(r.status().applied, LogIndex(8));
    assert_eq!(r.status().commit, LogIndex(8));
    tracing::info!("--- a duplicate final chunk installs nothing");
    r.step(Time(3), msg(1, chunk(meta, 3, b"ge", true)))
        .unwrap();
    let ready = r.take_ready();
    assert!(ready.snapshot.is_none());
    assert_eq!(
        ready.messages[0].body,
        MessageBody::InstallSnapshotResponse {
            meta,
            received: 0,
            done: true,
            round: 1
        }
    );
}

#[test]
fn a_follower_whose_log_conflicts_with_the_snapshot_discards_it() {
    let mut r = follower_with_ten_entries();
    let meta = SnapshotMeta {
        index: LogIndex(8),
        term: Term(2),
    };
    r.step(Time(2), msg(2, chunk(meta, 0, b"image", true)))
        .unwrap();
    let ready = r.take_ready();
    assert_eq!(ready.snapshot.map(|s| s.meta), Some(meta));
    assert!(ready.committed.is_empty());
    assert_eq!(r.log().offset_index(), LogIndex(8));
    assert_eq!(
        r.log().last_index(),
        LogIndex(8),
        "the conflicting log is gone"
    );
    assert_eq!(r.log().last_term(), Term(2));
    assert_eq!(r.status().applied, LogIndex(8));
}

#[test]
fn malformed_and_stale_chunks_are_refused_as_values() {
    let mut r = follower_with_ten_entries();
    tracing::info!("--- a snapshot of a later term than its sender's");
    let meta = SnapshotMeta {
        index: LogIndex(8),
        term: Term(5),
    };
    r.step(Time(2), msg(1, chunk(meta, 0, b"x", true))).unwrap();
    let ready = r.take_ready();
    assert!(ready.snapshot.is_none());
    assert_eq!(r.log().last_index(), LogIndex(10));
    tracing::info!("--- a chunk starting past everything held");
    let meta = SnapshotMeta {
        index: LogIndex(8),
        term: Term(1),
    };
    r.step(Time(2), msg(1, chunk(meta, u64::MAX, b"x", true)))
        .unwrap();
    let ready = r.take_ready();
    assert!(ready.snapshot.is_none());
    assert_eq!(
        ready.messages[0].body,
        MessageBody::InstallSnapshotResponse {
            meta,
            received: 0,
            done: false,
            round: 1
        }
    );
    tracing::info!("--- a snapshot already covered by the commit index");
    let meta = SnapshotMeta {
        index: LogIndex(4),
        term: Term(1),
    };
    r.step(Time(2), msg(1, chunk(meta, 0, b"x", true))).unwrap();
    let ready = r.take_ready();
    assert!(ready.snapshot.is_none());
    assert_eq!(r.log().offset_index(), LogIndex(0));
}

#[test]
fn persisted_snapshots_are_validated_on_restart() {
    let snap = Some(Snapshot {
        meta: SnapshotMeta {
            index: LogIndex(5),
            term: Term(2),
        },
        data: Bytes::new(),
    });
    let cfg = || super::cluster::config(2, 3);
    let mut p = Persisted {
        snapshot: snap.clone(),
        ..Persisted::default()
    };
    p.hard_state.term = Term(3);
    p.entries = (7..=8).map(|i| entry(i, 3)).collect();
    let err = Replica::new(cfg(), p.clone(), Time(0)).unwrap_err();
    assert!(err.to_string().contains("starts at index i7"), "{err}");
    p.entries = (5..=8).map(|i| entry(i, 3)).collect();
    let err = Replica::new(cfg(), p.clone(), Time(0)).unwrap_err();
    assert!(err.to_string().contains("snapshot there has term"), "{err}");
    tracing::info!("--- a crash between a leader's snapshot and its hard state");
    p.hard_state.term = Term(1);
    p.hard_state.vote = Some(NodeId(3));
    p.entries.clear();
    let r = Replica::new(cfg(), p.clone(), Time(0)).unwrap();
    assert_eq!(r.status().term, Term(2), "the snapshot's term is adopted");
    assert_eq!(r.status().vote, None, "with no vote: none was cast in it");
    tracing::info!("--- a log overlapping the snapshot is trimmed to the suffix");
    p.hard_state.term = Term(3);
    p.hard_state.commit = LogIndex(2);
    p.entries = vec![entry(4, 2), entry(5, 2), entry(6, 3)];
    let r = Replica::new(cfg(), p, Time(0)).unwrap();
    assert_eq!(r.log().offset_index(), LogIndex(5));
    assert_eq!(r.log().first_index(), LogIndex(6));
    assert_eq!(r.status().commit, LogIndex(5), "a snapshot is committed");
    assert_eq!(r.status().applied, LogIndex(5));
}

#[test]
fn a_newer_snapshot_mid_transfer_restarts_the_transfer_with_it() {
    let mut c = small_chunks();
    let (l, f, first) = lagging_follower(&mut c);
    c.cut.clear();
    let mut guard = 0;
    while chunks(&c).iter().filter(|ch| ch.0 == f).count() < 2 {
        if !c.deliver_one() {
            c.tick_once();
        }
        guard += 1;
        assert!(guard < 10_000, "the transfer never started");
    }
    tracing::info!("--- the leader commits more and compacts again mid-transfer");
    let now = c.now;
    c.node(l).propose(now, cmds(30..32)).unwrap();
    let mut guard = 0;
    while c.node(l).status().applied < c.node(l).log().last_index() {
        if !c.deliver_one() {
            c.tick_once();
        }
        guard += 1;
        assert!(guard < 10_000, "the new commands never committed");
    }
    let second = c.snapshot(l);
    assert!(second.index > first.index);
    c.run_for(1_000);
    assert_eq!(
        c.installed[f as usize - 1],
        vec![second],
        "only the newer one installed"
    );
    let restarts = chunks(&c)
        .into_iter()
        .filter(|ch| ch.0 == f && ch.2 == 0)
        .count();
    assert_eq!(
        restarts, 2,
        "the transfer restarted at 0 for the newer snapshot"
    );
    assert_converged(&mut c, 32);
}
