//! A member's log as the checkers see it: an optional snapshot, then contiguous entries.

use parliament_engine::engine::{Entry, SnapshotMeta};
use parliament_engine::{LogIndex, Term};

/// A log that may start with a snapshot: entries through `snapshot.index` are compacted
/// (committed, and covered by the snapshot's image), the rest are held as entries.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogView<'a> {
    /// The snapshot the log starts after, if any.
    pub snapshot: Option<SnapshotMeta>,
    /// The entries held, contiguous, all after the snapshot.
    pub entries: &'a [Entry],
}

impl<'a> LogView<'a> {
    /// A log of `entries` from index 1, without a snapshot.
    #[must_use]
    pub fn from_entries(entries: &'a [Entry]) -> LogView<'a> {
        LogView {
            snapshot: None,
            entries,
        }
    }

    /// The entry at `index`, if held as an entry.
    #[must_use]
    pub fn entry(&self, index: LogIndex) -> Option<&'a Entry> {
        let first = self.entries.first()?.index;
        let pos = usize::try_from(index.0.checked_sub(first.0)?).ok()?;
        self.entries.get(pos)
    }

    /// Whether `index` is compacted into the snapshot.
    #[must_use]
    pub fn compacted(&self, index: LogIndex) -> bool {
        self.snapshot.is_some_and(|s| index <= s.index)
    }

    /// The term at `index`: the entry's, or the snapshot's at its own index.
    #[must_use]
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if let Some(s) = self.snapshot
            && s.index == index
        {
            return Some(s.term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// The last index the log covers.
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.entries
            .last()
            .map(|e| e.index)
            .or(self.snapshot.map(|s| s.index))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::entry;

    #[test]
    fn entries_after_a_snapshot_are_found_by_index() {
        let entries = [entry(6, 2, "a"), entry(7, 3, "b")];
        let v = LogView {
            snapshot: Some(SnapshotMeta {
                index: LogIndex(5),
                term: Term(2),
            }),
            entries: &entries,
        };
        assert_eq!(v.term_at(LogIndex(5)), Some(Term(2)));
        assert_eq!(v.term_at(LogIndex(7)), Some(Term(3)));
        assert_eq!(v.entry(LogIndex(4)), None);
        assert!(v.compacted(LogIndex(4)) && !v.compacted(LogIndex(6)));
        assert_eq!(v.last_index(), LogIndex(7));
        assert_eq!(LogView::default().last_index(), LogIndex(0));
    }
}
