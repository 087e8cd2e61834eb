//! The term of every log index the ledger holds, kept as runs so that it stays tiny.
//!
//! The ledger keeps no entries in memory (the engine does), but installing a snapshot
//! must know whether the log already holds the snapshot's last entry with the same
//! term: then the entries after it stay (Raft §7), otherwise the log is discarded.

use parliament_engine::engine::Entry;
use parliament_engine::{LogIndex, Term};

/// Terms of a log, as runs of equal term.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TermRuns {
    /// `(first index, term)` of each run, by index; a run lasts until the next one.
    runs: Vec<(LogIndex, Term)>,
    /// The index after the last entry; meaningless while `runs` is empty.
    next: LogIndex,
}

impl TermRuns {
    /// Records `entries` (consecutive), replacing anything from their first index on.
    pub(crate) fn append(&mut self, entries: &[Entry]) {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return;
        };
        self.truncate_from(first.index);
        for e in entries {
            if self.runs.last().is_none_or(|(_, t)| *t != e.term) {
                self.runs.push((e.index, e.term));
            }
        }
        self.next = last.index.next();
    }

    /// Forgets every index from `index` on.
    fn truncate_from(&mut self, index: LogIndex) {
        self.runs.retain(|(start, _)| *start < index);
        if self.runs.is_empty() {
            self.next = LogIndex(0);
        } else {
            self.next = self.next.min(index);
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.runs.clear();
        self.next = LogIndex(0);
    }

    /// Forgets runs that end at or before `upto` (they cannot be asked for again).
    pub(crate) fn forget_upto(&mut self, upto: LogIndex) {
        let keep_from = self.runs.partition_point(|(start, _)| *start <= upto);
        let drop = keep_from.saturating_sub(1);
        self.runs.drain(..drop);
    }

    /// The term of the entry at `index`, if the log holds it.
    pub(crate) fn term(&self, index: LogIndex) -> Option<Term> {
        if index >= self.next {
            return None;
        }
        let after = self.runs.partition_point(|(start, _)| *start <= index);
        after.checked_sub(1).map(|i| self.runs[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parliament_engine::engine::Payload;

    fn entries(from: u64, terms: &[u64]) -> Vec<Entry> {
        terms
            .iter()
            .zip(from..)
            .map(|(t, i)| Entry {
                term: Term(*t),
                index: LogIndex(i),
                payload: Payload::Noop,
            })
            .collect()
    }

    #[test]
    fn tracks_appends_truncations_and_compaction() {
        let mut runs = TermRuns::default();
        assert_eq!(runs.term(LogIndex(1)), None);
        runs.append(&entries(1, &[1, 1, 2, 2, 3]));
        assert_eq!(runs.term(LogIndex(0)), None);
        assert_eq!(runs.term(LogIndex(2)), Some(Term(1)));
        assert_eq!(runs.term(LogIndex(4)), Some(Term(2)));
        assert_eq!(runs.term(LogIndex(5)), Some(Term(3)));
        assert_eq!(runs.term(LogIndex(6)), None);
        runs.append(&entries(4, &[4]));
        assert_eq!(runs.term(LogIndex(3)), Some(Term(2)));
        assert_eq!(runs.term(LogIndex(4)), Some(Term(4)));
        assert_eq!(runs.term(LogIndex(5)), None);
        runs.forget_upto(LogIndex(3));
        assert_eq!(runs.term(LogIndex(3)), Some(Term(2)));
        assert_eq!(runs.term(LogIndex(4)), Some(Term(4)));
        runs.append(&entries(1, &[9]));
        assert_eq!(runs.term(LogIndex(1)), Some(Term(9)));
        assert_eq!(runs.term(LogIndex(2)), None);
    }
}
