//! The seat record: a district's durable Commons state, held by every member of the
//! district because it is built from the district log (docs/westminster.md §2).

use bytes::Bytes;

use crate::engine::{Entry, HardState, Persisted, Snapshot, SnapshotMeta};
use crate::types::{LogIndex, Term};
use crate::westminster::SeatPersist;

/// What a district has persisted for its Commons seat: the seat's hard state and log,
/// the Commons commit index, and the newest host incarnation that wrote it. Like any
/// replica's log it may start after a snapshot: the Commons state at the snapshot's
/// index (docs/protocol.md#12-snapshots-and-compaction-of-a-member).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeatRecord {
    incarnation: Term,
    hard_state: HardState,
    /// The Commons snapshot the log continues, if any; `entries` start after it.
    snapshot: Option<Snapshot>,
    entries: Vec<Entry>,
    commit: LogIndex,
}

/// What applying a [`SeatPersist`] changed in the Commons state the record feeds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeatApplied {
    /// A Commons snapshot the persist installed: the global state becomes its image
    /// before `committed` applies.
    pub restored: Option<Snapshot>,
    /// Commons entries that became committed, in order.
    pub committed: Vec<Entry>,
}

impl SeatRecord {
    /// Applies a committed [`SeatPersist`]: a snapshot it carries first, then its hard
    /// state and entries; returns what the member must apply to the global store.
    ///
    /// A persist from an older incarnation than one already applied is ignored. The log
    /// order makes that impossible (a new host resumes only after an entry of its own
    /// term committed), so this is a second line of defence, and logged.
    pub fn apply(&mut self, p: &SeatPersist) -> SeatApplied {
        let mut out = SeatApplied::default();
        if p.incarnation < self.incarnation {
            tracing::error!(
                incarnation = %p.incarnation,
                newest = %self.incarnation,
                "seat persist from an older incarnation ignored"
            );
            return out;
        }
        self.incarnation = p.incarnation;
        if let Some(snap) = p.snapshot.as_ref().filter(|s| s.meta.index > self.offset()) {
            // Raft §7: keep the entries after it only if the log holds its last entry.
            if self.term_at(snap.meta.index) == Some(snap.meta.term) {
                self.drop_through(snap.meta.index);
            } else {
                self.entries.clear();
            }
            self.snapshot = Some(snap.clone());
            if snap.meta.index > self.commit {
                self.commit = snap.meta.index;
                self.hard_state.commit = snap.meta.index;
                out.restored = Some(snap.clone());
            }
        }
        if let Some(hs) = p.hard_state {
            self.hard_state.term = self.hard_state.term.max(hs.term);
            self.hard_state.vote = hs.vote;
        }
        if let Some(first) = p.entries.first() {
            if first.index <= self.offset() {
                tracing::error!(first = %first.index, snapshot = %self.offset(), "seat persist below the record's snapshot; ignored");
            } else if first.index <= self.last_index().next() {
                let keep =
                    usize::try_from(first.index.0 - self.offset().0 - 1).unwrap_or(usize::MAX);
                self.entries.truncate(keep);
                self.entries.extend(p.entries.iter().cloned());
            } else {
                tracing::error!(first = %first.index, last = %self.last_index(), "seat persist leaves a gap; ignored");
            }
        }
        let new_commit = p.commit.min(self.last_index());
        if new_commit <= self.commit {
            return out;
        }
        let from = self
            .position(self.commit.next())
            .unwrap_or(self.entries.len());
        let to = self.position(new_commit).map_or(from, |p| p + 1);
        self.commit = new_commit;
        self.hard_state.commit = new_commit;
        out.committed = self
            .entries
            .get(from..to)
            .map(<[Entry]>::to_vec)
            .unwrap_or_default();
        out
    }

    /// Compacts the record through the committed Commons index `meta.index`, whose
    /// global state `data` holds (the member's own snapshot, docs/protocol.md §12).
    /// Ignored unless the index is committed, newer than the record's snapshot, and held
    /// with `meta.term`.
    pub fn compact(&mut self, meta: SnapshotMeta, data: Bytes) {
        if meta.index <= self.offset() || meta.index > self.commit {
            return;
        }
        if self.term_at(meta.index) != Some(meta.term) {
            tracing::error!(index = %meta.index, "seat record compaction at a term it does not hold; skipped");
            return;
        }
        self.drop_through(meta.index);
        self.snapshot = Some(Snapshot { meta, data });
    }

    /// Rebuilds a record from a member's snapshot image: its fields, the entries after
    /// its Commons snapshot, and that snapshot's image.
    pub(crate) fn from_parts(
        incarnation: Term,
        hard_state: HardState,
        snapshot: Option<Snapshot>,
        entries: Vec<Entry>,
        commit: LogIndex,
    ) -> SeatRecord {
        SeatRecord {
            incarnation,
            hard_state,
            snapshot,
            entries,
            commit,
        }
    }

    fn offset(&self) -> LogIndex {
        self.snapshot.as_ref().map_or(LogIndex(0), |s| s.meta.index)
    }

    fn position(&self, index: LogIndex) -> Option<usize> {
        let p = index.0.checked_sub(self.offset().0 + 1)?;
        usize::try_from(p).ok().filter(|p| *p < self.entries.len())
    }

    fn drop_through(&mut self, index: LogIndex) {
        let n = usize::try_from(index.0.saturating_sub(self.offset().0)).unwrap_or(usize::MAX);
        self.entries.drain(..n.min(self.entries.len()));
    }

    /// The term of the Commons entry at `index`, if the record knows it (the
    /// snapshot's own index included).
    #[must_use]
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        match &self.snapshot {
            Some(s) if s.meta.index == index => Some(s.meta.term),
            _ => self.entry(index).map(|e| e.term),
        }
    }

    /// The Commons entry at `index`, if the record holds it (not compacted).
    #[must_use]
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.position(index).and_then(|p| self.entries.get(p))
    }

    /// The last Commons index the record holds (or its snapshot covers).
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        LogIndex(self.offset().0 + self.entries.len() as u64)
    }

    /// What a new host restarts the seat replica from (rule 3: resuming is restarting).
    #[must_use]
    pub fn persisted(&self) -> Persisted {
        Persisted {
            hard_state: self.hard_state,
            entries: self.entries.clone(),
            snapshot: self.snapshot.clone(),
        }
    }

    /// The newest incarnation that wrote the record.
    #[must_use]
    pub fn incarnation(&self) -> Term {
        self.incarnation
    }

    /// The seat's durable term and vote.
    #[must_use]
    pub fn hard_state(&self) -> HardState {
        self.hard_state
    }

    /// The seat's durable Commons log after its snapshot ([`SeatRecord::snapshot`]).
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The Commons snapshot the record's log continues, if compacted.
    #[must_use]
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// The Commons commit index the district has recorded.
    #[must_use]
    pub fn commit(&self) -> LogIndex {
        self.commit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Payload;
    use crate::types::NodeId;

    fn e(index: u64, term: u64) -> Entry {
        Entry {
            term: Term(term),
            index: LogIndex(index),
            payload: Payload::Noop,
        }
    }

    #[test]
    fn persists_append_truncate_and_commit() {
        let mut r = SeatRecord::default();
        let p = SeatPersist {
            incarnation: Term(1),
            hard_state: Some(HardState {
                term: Term(2),
                vote: Some(NodeId(1)),
                commit: LogIndex(0),
            }),
            entries: vec![e(1, 2), e(2, 2)],
            commit: LogIndex(0),
            snapshot: None,
        };
        assert!(r.apply(&p).committed.is_empty());
        let p2 = SeatPersist {
            incarnation: Term(1),
            entries: vec![e(2, 3)],
            commit: LogIndex(1),
            ..SeatPersist::default()
        };
        assert_eq!(r.apply(&p2).committed, vec![e(1, 2)]);
        assert_eq!(r.entries(), &[e(1, 2), e(2, 3)]);
        assert_eq!(
            r.hard_state().vote,
            Some(NodeId(1)),
            "no hard state in a persist keeps the vote"
        );
        let p3 = SeatPersist {
            incarnation: Term(1),
            commit: LogIndex(9),
            ..SeatPersist::default()
        };
        assert_eq!(
            r.apply(&p3).committed,
            vec![e(2, 3)],
            "commit is capped at what the record holds"
        );
        assert_eq!(r.commit(), LogIndex(2));
    }

    #[test]
    fn older_incarnations_are_ignored() {
        let mut r = SeatRecord::default();
        r.apply(&SeatPersist {
            incarnation: Term(5),
            entries: vec![e(1, 1)],
            ..SeatPersist::default()
        });
        r.apply(&SeatPersist {
            incarnation: Term(4),
            entries: vec![e(1, 9)],
            ..SeatPersist::default()
        });
        assert_eq!(r.entries(), &[e(1, 1)]);
        assert_eq!(r.incarnation(), Term(5));
    }

    fn snap(index: u64, term: u64) -> crate::engine::Snapshot {
        crate::engine::Snapshot {
            meta: crate::engine::SnapshotMeta {
                index: LogIndex(index),
                term: Term(term),
            },
            data: Bytes::from_static(b"image"),
        }
    }

    #[test]
    fn compaction_keeps_indices_and_the_log_after_it() {
        let mut r = SeatRecord::default();
        r.apply(&SeatPersist {
            incarnation: Term(1),
            entries: vec![e(1, 1), e(2, 1), e(3, 2), e(4, 2)],
            commit: LogIndex(3),
            ..SeatPersist::default()
        });
        r.compact(snap(4, 2).meta, Bytes::new());
        assert_eq!(
            r.entries().len(),
            4,
            "an uncommitted index is never compacted"
        );
        r.compact(snap(2, 1).meta, Bytes::from_static(b"g"));
        assert_eq!(r.entries(), &[e(3, 2), e(4, 2)]);
        assert_eq!(r.term_at(LogIndex(2)), Some(Term(1)));
        assert_eq!(r.last_index(), LogIndex(4));
        let p = r.persisted();
        assert_eq!(p.snapshot.unwrap().meta.index, LogIndex(2));
        // Appends and commits continue at the right positions.
        let applied = r.apply(&SeatPersist {
            incarnation: Term(1),
            entries: vec![e(4, 3), e(5, 3)],
            commit: LogIndex(5),
            ..SeatPersist::default()
        });
        assert_eq!(applied.committed, vec![e(4, 3), e(5, 3)]);
        assert_eq!(r.entries(), &[e(3, 2), e(4, 3), e(5, 3)]);
    }

    #[test]
    fn a_persisted_snapshot_restores_and_replaces_a_log_that_disagrees() {
        let mut r = SeatRecord::default();
        r.apply(&SeatPersist {
            incarnation: Term(1),
            entries: vec![e(1, 1), e(2, 1)],
            commit: LogIndex(1),
            ..SeatPersist::default()
        });
        let applied = r.apply(&SeatPersist {
            incarnation: Term(1),
            entries: vec![e(6, 4)],
            commit: LogIndex(6),
            snapshot: Some(snap(5, 3)),
            ..SeatPersist::default()
        });
        assert_eq!(applied.restored.map(|s| s.meta.index), Some(LogIndex(5)));
        assert_eq!(
            applied.committed,
            vec![e(6, 4)],
            "entries after it apply after it"
        );
        assert_eq!(r.entries(), &[e(6, 4)], "the disagreeing log is gone");
        assert_eq!(r.commit(), LogIndex(6));
        // An older snapshot changes nothing.
        let applied = r.apply(&SeatPersist {
            incarnation: Term(1),
            snapshot: Some(snap(3, 2)),
            commit: LogIndex(6),
            ..SeatPersist::default()
        });
        assert!(applied.restored.is_none());
        assert_eq!(r.entries(), &[e(6, 4)]);
    }
}
