//! Snapshots as the engine sees them: the log position an image covers, the image
//! itself (opaque bytes from the shell's state machine), and the chunks that carry it
//! from a leader to a follower that needs entries the leader has compacted.

use bytes::{Bytes, BytesMut};

use crate::types::{LogIndex, NodeId, Term};

/// The log position a snapshot covers: every entry through `index` is in the image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotMeta {
    /// The last index the image includes.
    pub index: LogIndex,
    /// The term of the entry at `index`.
    pub term: Term,
}

/// A snapshot: its position and the state machine's image at that position.
///
/// The engine never looks inside `data`; it only stores it (a reference-counted
/// [`Bytes`], so holding it costs no copy) and cuts it into chunks for followers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// What it covers.
    pub meta: SnapshotMeta,
    /// The image, as the state machine produced it.
    pub data: Bytes,
}

/// Why [`Replica::compact`](crate::engine::Replica::compact) refused a snapshot. The
/// replica is unchanged; the shell offered a snapshot it must not compact to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    /// The snapshot covers entries the shell has not been handed to apply (it could hold
    /// uncommitted state, and compacting would lose entries the shell still needs).
    #[error(
        "snapshot at {index} is beyond the applied index {applied}; snapshot only what was applied"
    )]
    BeyondApplied {
        /// The snapshot's index.
        index: LogIndex,
        /// The replica's applied index.
        applied: LogIndex,
    },
    /// The snapshot's term is not the term of the log's entry at its index.
    #[error("snapshot at {index} names term {term}, but the log holds term {log_term:?} there")]
    TermMismatch {
        /// The snapshot's index.
        index: LogIndex,
        /// The snapshot's term.
        term: Term,
        /// The log's term at `index`, if the log still knows it.
        log_term: Option<Term>,
    },
}

/// What a follower does with one `InstallSnapshot` chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ChunkOutcome {
    /// Keep going: this many bytes are held; send from there.
    Need(u64),
    /// The last chunk arrived: the whole image.
    Complete(Bytes),
}

/// A snapshot being received, chunk by chunk. Volatile: a crash forgets it and the
/// leader restarts the transfer from offset 0 (docs/protocol.md#snapshots).
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The transfer is one leader's, in one term, of one snapshot.
    leader: NodeId,
    term: Term,
    meta: SnapshotMeta,
    data: BytesMut,
}

impl Incoming {
    fn matches(&self, leader: NodeId, term: Term, meta: SnapshotMeta) -> bool {
        self.leader == leader && self.term == term && self.meta == meta
    }

    /// Bytes held so far.
    pub(crate) fn received(&self) -> u64 {
        self.data.len() as u64
    }
}

/// Takes one chunk into `slot`. Chunks must arrive in order; a duplicate (or the
/// overlapping part of one) is ignored, a chunk beyond what is held is refused (the
/// leader resends from the offset answered), and a chunk of another transfer replaces
/// the buffer only if it starts at offset 0.
pub(crate) fn accept_chunk(
    slot: &mut Option<Incoming>,
    leader: NodeId,
    term: Term,
    meta: SnapshotMeta,
    offset: u64,
    data: &Bytes,
    done: bool,
) -> ChunkOutcome {
    if !slot.as_ref().is_some_and(|i| i.matches(leader, term, meta)) {
        if offset != 0 {
            // A chunk from the middle of a transfer we hold nothing of (we restarted,
            // or a new leader or snapshot): ask for the start.
            *slot = None;
            return ChunkOutcome::Need(0);
        }
        *slot = Some(Incoming {
            leader,
            term,
            meta,
            data: BytesMut::new(),
        });
    }
    let Some(inc) = slot.as_mut() else {
        return ChunkOutcome::Need(0);
    };
    let held = inc.received();
    let len = data.len() as u64;
    let Some(end) = offset.checked_add(len) else {
        return ChunkOutcome::Need(held); // malformed: refuse, answer what we hold
    };
    if offset > held {
        return ChunkOutcome::Need(held); // a chunk was lost: resend from `held`
    }
    if end > held {
        let skip = usize::try_from(held - offset).unwrap_or(usize::MAX);
        if let Some(fresh) = data.get(skip..) {
            inc.data.extend_from_slice(fresh);
        }
    }
    // `done` marks the chunk that ends the image; it completes the transfer only when
    // everything before it is held (a duplicate final chunk re-completes, harmlessly).
    if done && end == inc.received() {
        let whole = std::mem::take(&mut inc.data).freeze();
        *slot = None;
        return ChunkOutcome::Complete(whole);
    }
    ChunkOutcome::Need(inc.received())
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: SnapshotMeta = SnapshotMeta {
        index: LogIndex(10),
        term: Term(2),
    };

    fn chunk(
        slot: &mut Option<Incoming>,
        offset: u64,
        data: &'static [u8],
        done: bool,
    ) -> ChunkOutcome {
        accept_chunk(
            slot,
            NodeId(1),
            Term(3),
            META,
            offset,
            &Bytes::from_static(data),
            done,
        )
    }

    #[test]
    fn chunk_rules() {
        let mut s = None;
        assert_eq!(
            chunk(&mut s, 3, b"def", false),
            ChunkOutcome::Need(0),
            "mid-transfer start"
        );
        assert_eq!(chunk(&mut s, 0, b"abc", false), ChunkOutcome::Need(3));
        assert_eq!(
            chunk(&mut s, 0, b"abc", false),
            ChunkOutcome::Need(3),
            "duplicate"
        );
        assert_eq!(chunk(&mut s, 6, b"ghi", true), ChunkOutcome::Need(3), "gap");
        assert_eq!(
            chunk(&mut s, 1, b"bcde", false),
            ChunkOutcome::Need(5),
            "overlap keeps the new tail"
        );
        assert_eq!(
            chunk(&mut s, 5, b"fgh", true),
            ChunkOutcome::Complete(Bytes::from_static(b"abcdefgh"))
        );
        assert!(s.is_none());
    }

    #[test]
    fn another_transfer_replaces_the_buffer_only_from_its_start() {
        let mut s = None;
        assert_eq!(chunk(&mut s, 0, b"abc", false), ChunkOutcome::Need(3));
        let other = SnapshotMeta {
            index: LogIndex(20),
            term: Term(3),
        };
        let b = Bytes::from_static(b"xyz");
        assert_eq!(
            accept_chunk(&mut s, NodeId(2), Term(4), other, 3, &b, false),
            ChunkOutcome::Need(0)
        );
        assert!(s.is_none());
        assert_eq!(
            accept_chunk(&mut s, NodeId(2), Term(4), other, 0, &b, true),
            ChunkOutcome::Complete(b.clone())
        );
    }

    #[test]
    fn malformed_offset_is_refused_as_a_value() {
        let mut s = None;
        assert_eq!(chunk(&mut s, 0, b"abc", false), ChunkOutcome::Need(3));
        assert_eq!(chunk(&mut s, u64::MAX, b"abc", true), ChunkOutcome::Need(3));
    }
}
