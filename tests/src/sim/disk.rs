//! A member's durable storage for one group: what survives a crash.
//!
//! It holds exactly what the engine's `Ready` contract says to persist: the newest
//! snapshot, the last hard state, and the log after the snapshot, truncated from the
//! first index of each new batch of entries. Everything else a member has (its replica,
//! state machine, pending requests) is volatile and lost in a crash. A crash in the middle
//! of a persist leaves part of it ([`Disk::write_torn`]; see [`DiskFault`](crate::sim::DiskFault)).

use parliament_engine::engine::{Entry, HardState, Persisted, Snapshot, SnapshotMeta};
use parliament_engine::{LogIndex, Term};

use crate::Error;

/// Durable snapshot, hard state and log of one replica.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disk {
    hard_state: HardState,
    snapshot: Option<Snapshot>,
    /// Contiguous entries, all after the snapshot.
    entries: Vec<Entry>,
    /// Number of writes, for reports.
    writes: u64,
}

impl Disk {
    /// An empty disk (a member that has never run).
    #[must_use]
    pub fn new() -> Disk {
        Disk::default()
    }

    /// Persists one `Ready`'s hard state and entries: the log is truncated from
    /// `entries[0].index` and the entries appended (ready.rs, step 1).
    ///
    /// Returns the entries the truncation removed, so checkers can tell whether a
    /// committed one was among them.
    ///
    /// # Errors
    /// [`Error::Contract`] when the entries would leave a gap, are not contiguous or
    /// reach into the snapshot: the engine broke its side of the contract.
    pub fn write(
        &mut self,
        hard_state: Option<HardState>,
        entries: &[Entry],
    ) -> Result<Vec<Entry>, Error> {
        self.write_torn(hard_state, entries, entries.len())
    }

    /// Persists what a crash in the middle of [`Disk::write`] leaves: `hard_state` (the
    /// caller passes `None` when the crash lost it) and the first `keep` entries. The
    /// truncation is part of the first entry's write, so with `keep == 0` the log is
    /// untouched. Returns the entries the truncation removed.
    ///
    /// # Errors
    /// [`Error::Contract`] as for [`Disk::write`], judged on the whole batch the engine
    /// asked for; nothing is written then.
    pub fn write_torn(
        &mut self,
        hard_state: Option<HardState>,
        entries: &[Entry],
        keep: usize,
    ) -> Result<Vec<Entry>, Error> {
        if let Some(first) = entries.first() {
            if first.index <= self.snapshot_meta().index || first.index > self.last_index().next() {
                return Err(Error::Contract(format!(
                    "entries to persist start at {} but the persisted log covers {}..={}",
                    first.index,
                    self.snapshot_meta().index.next(),
                    self.last_index()
                )));
            }
            for pair in entries.windows(2) {
                if pair[1].index != pair[0].index.next() {
                    return Err(Error::Contract(format!(
                        "entries to persist jump from {} to {}",
                        pair[0].index, pair[1].index
                    )));
                }
            }
        }
        if let Some(hs) = hard_state {
            self.hard_state = hs;
        }
        let kept = &entries[..keep.min(entries.len())];
        let Some(first) = kept.first() else {
            self.writes += u64::from(hard_state.is_some());
            return Ok(Vec::new());
        };
        let from = usize::try_from(first.index.0 - self.first_index().0).unwrap_or(usize::MAX);
        let removed = if from < self.entries.len() {
            self.entries.split_off(from)
        } else {
            Vec::new()
        };
        self.entries.extend_from_slice(kept);
        self.writes += 1;
        Ok(removed)
    }

    /// Persists a snapshot received from the leader (ready.rs, step 1): the log after it
    /// is kept only if the log holds the snapshot's last entry with the snapshot's term,
    /// and is otherwise discarded. Returns the entries removed beyond the snapshot.
    pub fn install_snapshot(&mut self, snapshot: Snapshot) -> Vec<Entry> {
        let meta = snapshot.meta;
        let matches = self.term_at(meta.index) == Some(meta.term);
        let mut removed = Vec::new();
        let all = std::mem::take(&mut self.entries);
        for e in all {
            if e.index <= meta.index {
                continue; // covered by the snapshot
            }
            if matches {
                self.entries.push(e);
            } else {
                removed.push(e);
            }
        }
        self.snapshot = Some(snapshot);
        self.writes += 1;
        removed
    }

    /// Persists a snapshot of this member's own state machine and drops the entries it
    /// covers (after `Replica::compact` accepted it).
    pub fn compact(&mut self, snapshot: Snapshot) {
        let index = snapshot.meta.index;
        self.entries.retain(|e| e.index > index);
        self.snapshot = Some(snapshot);
        self.writes += 1;
    }

    /// What a restarting replica is given.
    #[must_use]
    pub fn persisted(&self) -> Persisted {
        Persisted {
            hard_state: self.hard_state,
            entries: self.entries.clone(),
            snapshot: self.snapshot.clone(),
        }
    }

    /// The persisted hard state.
    #[must_use]
    pub fn hard_state(&self) -> HardState {
        self.hard_state
    }

    /// The newest snapshot.
    #[must_use]
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// What the newest snapshot covers (index 0 without one).
    #[must_use]
    pub fn snapshot_meta(&self) -> SnapshotMeta {
        self.snapshot.as_ref().map(|s| s.meta).unwrap_or_default()
    }

    /// The persisted entries, contiguous, all after the snapshot.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The first index held as an entry (or that would be, once one is written).
    #[must_use]
    pub fn first_index(&self) -> LogIndex {
        self.snapshot_meta().index.next()
    }

    /// The entry at `index`.
    #[must_use]
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        let pos = usize::try_from(index.0.checked_sub(self.first_index().0)?).ok()?;
        self.entries.get(pos)
    }

    /// The term at `index`: the entry's, the snapshot's at its own index, 0 at index 0.
    #[must_use]
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        let meta = self.snapshot_meta();
        if index == meta.index {
            return Some(meta.term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// The last persisted index.
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.entries
            .last()
            .map_or(self.snapshot_meta().index, |e| e.index)
    }

    /// How many writes (fsyncs) this disk has taken.
    #[must_use]
    pub fn writes(&self) -> u64 {
        self.writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use parliament_engine::engine::Payload;

    fn e(index: u64, term: u64) -> Entry {
        Entry {
            term: Term(term),
            index: LogIndex(index),
            payload: Payload::Noop,
        }
    }

    fn snap(index: u64, term: u64) -> Snapshot {
        Snapshot {
            meta: SnapshotMeta {
                index: LogIndex(index),
                term: Term(term),
            },
            data: Bytes::new(),
        }
    }

    #[test]
    fn write_truncates_from_the_first_new_entry() {
        let mut d = Disk::new();
        assert_eq!(d.write(None, &[e(1, 1), e(2, 1), e(3, 1)]), Ok(vec![]));
        let removed = d.write(None, &[e(2, 2)]);
        assert_eq!(removed, Ok(vec![e(2, 1), e(3, 1)]));
        assert_eq!(d.entries(), &[e(1, 1), e(2, 2)]);
        assert_eq!(d.term_at(LogIndex(2)), Some(Term(2)));
        assert_eq!(d.term_at(LogIndex(0)), Some(Term(0)));
    }

    #[test]
    fn a_gap_breaks_the_contract() {
        let mut d = Disk::new();
        assert!(d.write(None, &[e(2, 1)]).is_err());
        assert!(d.write(None, &[e(1, 1), e(3, 1)]).is_err());
    }

    #[test]
    fn snapshots_keep_a_matching_log_and_discard_a_conflicting_one() {
        let mut d = Disk::new();
        assert_eq!(d.write(None, &[e(1, 1), e(2, 1), e(3, 1)]), Ok(vec![]));
        d.compact(snap(2, 1));
        assert_eq!(d.entries(), &[e(3, 1)]);
        assert_eq!(d.term_at(LogIndex(2)), Some(Term(1)));
        assert_eq!(d.write(None, &[e(4, 2)]), Ok(vec![]));
        assert!(
            d.write(None, &[e(2, 2)]).is_err(),
            "entries inside the snapshot"
        );
        assert_eq!(d.install_snapshot(snap(3, 1)), vec![]);
        assert_eq!(d.entries(), &[e(4, 2)]);
        assert_eq!(d.write(None, &[e(5, 2), e(6, 2)]), Ok(vec![]));
        // The log holds (5, t2), not the snapshot's (5, t3): everything after goes.
        assert_eq!(d.install_snapshot(snap(5, 3)), vec![e(6, 2)]);
        assert_eq!(d.entries(), &[]);
        assert_eq!(d.last_index(), LogIndex(5));
        assert_eq!(
            d.persisted().snapshot.map(|s| s.meta.index),
            Some(LogIndex(5))
        );
    }

    #[test]
    fn a_torn_write_keeps_the_hard_state_it_is_given_and_a_prefix_of_the_entries() {
        let hs = |term: u64| HardState {
            term: Term(term),
            vote: None,
            commit: LogIndex(0),
        };
        let mut d = Disk::new();
        assert_eq!(
            d.write(Some(hs(1)), &[e(1, 1), e(2, 1), e(3, 1)]),
            Ok(vec![])
        );
        // The truncation comes with the first kept entry: 2 and 3 go, (2, t2) stays.
        let torn = d.write_torn(Some(hs(2)), &[e(2, 2), e(3, 2), e(4, 2)], 1);
        assert_eq!(torn, Ok(vec![e(2, 1), e(3, 1)]));
        assert_eq!(d.entries(), &[e(1, 1), e(2, 2)]);
        assert_eq!(d.hard_state(), hs(2));
        // Nothing kept but the hard state: the log is untouched.
        assert_eq!(d.write_torn(Some(hs(3)), &[e(2, 3)], 0), Ok(vec![]));
        assert_eq!(d.entries(), &[e(1, 1), e(2, 2)]);
        assert_eq!(d.hard_state(), hs(3));
        // The hard state lost, entries kept.
        assert_eq!(d.write_torn(None, &[e(3, 3), e(4, 3)], 2), Ok(vec![]));
        assert_eq!(d.last_index(), LogIndex(4));
        assert_eq!(d.hard_state(), hs(3));
        // Nothing at all: not a write.
        let writes = d.writes();
        assert_eq!(d.write_torn(None, &[e(5, 3)], 0), Ok(vec![]));
        assert_eq!((d.writes(), d.last_index()), (writes, LogIndex(4)));
    }

    #[test]
    fn a_torn_write_of_a_bad_batch_breaks_the_contract_and_writes_nothing() {
        let mut d = Disk::new();
        let hs = HardState {
            term: Term(1),
            vote: None,
            commit: LogIndex(0),
        };
        // The kept prefix alone would be fine; the batch the engine asked for is not.
        assert!(d.write_torn(Some(hs), &[e(1, 1), e(3, 1)], 1).is_err());
        assert_eq!(d.persisted(), Persisted::default());
    }
}
