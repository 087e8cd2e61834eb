//! A replica's log in memory: the decrees it holds, what is committed, and what the
//! shell has not yet been asked to persist.

use crate::engine::Entry;
use crate::types::{LogIndex, Term};

/// The log of one replica.
///
/// Entries are contiguous from `first_index()`. Everything at or below the offset has
/// been compacted away (the offset's term is remembered, so `term_at(offset)` still
/// answers, as Raft's consistency check needs).
#[derive(Clone, Debug)]
pub struct Log {
    /// Index of the last compacted entry (0 when nothing is compacted).
    offset_index: LogIndex,
    /// Term of that entry.
    offset_term: Term,
    entries: Vec<Entry>,
    /// The first index not yet handed to the shell to persist.
    unstable_from: LogIndex,
    commit: LogIndex,
}

/// Why an append from a leader did not fit this log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// The log ends before `prev_index`; the leader should try `hint_index`.
    TooShort { hint_index: LogIndex },
    /// The log has `term` at `prev_index`; `hint_index` is the first index of that term.
    Conflict { hint_index: LogIndex, term: Term },
    /// The append cannot come from a correct leader (entries out of sequence, or a
    /// conflict at a committed index); it is refused without changing anything.
    Invalid(&'static str),
}

impl Default for Log {
    fn default() -> Log {
        Log::restore_after(LogIndex(0), Term(0), Vec::new(), LogIndex(0))
    }
}

impl Log {
    /// A log restored from persisted, contiguous entries starting at index 1.
    #[cfg(test)]
    pub(crate) fn restore(entries: Vec<Entry>, commit: LogIndex) -> Log {
        Log::restore_after(LogIndex(0), Term(0), entries, commit)
    }

    /// A log restored after a snapshot at `(offset_index, offset_term)`, from persisted,
    /// contiguous entries starting at `offset_index + 1`. Everything through the offset
    /// is committed.
    pub(crate) fn restore_after(
        offset_index: LogIndex,
        offset_term: Term,
        entries: Vec<Entry>,
        commit: LogIndex,
    ) -> Log {
        let last = entries.last().map_or(offset_index, |e| e.index);
        Log {
            offset_index,
            offset_term,
            entries,
            unstable_from: last.next(),
            commit: commit.min(last).max(offset_index),
        }
    }

    /// The index of the last compacted entry (0 when nothing is compacted): the index
    /// of the snapshot the log continues.
    #[must_use]
    pub fn offset_index(&self) -> LogIndex {
        self.offset_index
    }

    /// Drops every entry through `index`, remembering its term. The caller guarantees
    /// `index` is committed and held (or already compacted, which is a no-op).
    pub(crate) fn compact_to(&mut self, index: LogIndex) {
        if index <= self.offset_index {
            return;
        }
        let Some(term) = self.term_at(index) else {
            return;
        };
        debug_assert!(index <= self.commit, "compacting uncommitted entry {index}");
        let drop = self.pos(index).map_or(0, |p| p + 1).min(self.entries.len());
        self.entries.drain(..drop);
        self.offset_index = index;
        self.offset_term = term;
        // Entries not yet handed out for persistence that the snapshot covers are now
        // in the snapshot, which is persisted with (before) the rest.
        self.unstable_from = self.unstable_from.max(index.next());
    }

    /// Installs a snapshot at `(index, term)` received from the leader (Raft §7): if the
    /// log holds that entry with that term, the suffix after it is kept (it matches the
    /// leader's log, by log matching); otherwise the whole log is discarded. Either way
    /// everything through `index` is committed and compacted.
    pub(crate) fn install_snapshot(&mut self, index: LogIndex, term: Term) {
        if self.term_at(index) == Some(term) && index >= self.offset_index {
            self.commit = self.commit.max(index);
            self.compact_to(index);
        } else {
            self.entries.clear();
            self.offset_index = index;
            self.offset_term = term;
            self.commit = index;
            self.unstable_from = index.next();
        }
    }

    /// The first index still held.
    #[must_use]
    pub fn first_index(&self) -> LogIndex {
        self.offset_index.next()
    }

    /// The last index held (the offset when empty).
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.entries.last().map_or(self.offset_index, |e| e.index)
    }

    /// The term of the last entry.
    #[must_use]
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.offset_term, |e| e.term)
    }

    /// The commit index: every entry through it is committed.
    #[must_use]
    pub fn commit(&self) -> LogIndex {
        self.commit
    }

    /// The term of the entry at `index`, if the log knows it.
    #[must_use]
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == self.offset_index {
            return Some(self.offset_term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// The entry at `index`, if held.
    #[must_use]
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        let pos = self.pos(index)?;
        self.entries.get(pos)
    }

    /// All entries held, in order.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn pos(&self, index: LogIndex) -> Option<usize> {
        if index <= self.offset_index {
            return None;
        }
        usize::try_from(index.0 - self.offset_index.0 - 1).ok()
    }

    /// Entries in `from..=to`, at most `max_count` and about `max_bytes` (at least one).
    pub(crate) fn slice(
        &self,
        from: LogIndex,
        to: LogIndex,
        max_count: usize,
        max_bytes: usize,
    ) -> Vec<Entry> {
        let (Some(start), Some(end)) = (self.pos(from), self.pos(to)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut bytes = 0;
        for e in self.entries.iter().take(end + 1).skip(start) {
            if !out.is_empty() && (out.len() >= max_count || bytes + e.size() > max_bytes) {
                break;
            }
            bytes += e.size();
            out.push(e.clone());
        }
        out
    }

    /// Whether a candidate whose log ends at `(last_index, last_term)` is at least as
    /// up to date as this log (Raft §5.4.1).
    #[must_use]
    pub fn is_up_to_date(&self, last_index: LogIndex, last_term: Term) -> bool {
        (last_term, last_index) >= (self.last_term(), self.last_index())
    }

    /// Appends entries created by this replica as leader.
    pub(crate) fn append_new(&mut self, entries: impl IntoIterator<Item = Entry>) {
        for e in entries {
            debug_assert_eq!(
                e.index,
                self.last_index().next(),
                "leader appends are contiguous"
            );
            self.entries.push(e);
        }
    }

    /// Applies an append from the leader after `(prev_index, prev_term)`.
    ///
    /// On a match, appends what is new, truncating the first conflicting suffix, and
    /// returns the last index now known to match the leader's log. Entries already
    /// held are kept: a delayed, shorter append must never shorten a log that a newer
    /// append extended (that would lose acknowledged entries).
    pub(crate) fn try_append(
        &mut self,
        prev_index: LogIndex,
        prev_term: Term,
        entries: &[Entry],
    ) -> Result<LogIndex, Mismatch> {
        if prev_index > self.last_index() {
            return Err(Mismatch::TooShort {
                hint_index: self.last_index().next(),
            });
        }
        if prev_index >= self.offset_index {
            match self.term_at(prev_index) {
                Some(t) if t == prev_term => {}
                Some(t) => {
                    // Skip back over the whole conflicting term, but never into committed
                    // entries, which match every leader's log.
                    let mut first = prev_index;
                    while first.prev() > self.commit.max(self.offset_index)
                        && self.term_at(first.prev()) == Some(t)
                    {
                        first = first.prev();
                    }
                    return Err(Mismatch::Conflict {
                        hint_index: first,
                        term: t,
                    });
                }
                None => {
                    return Err(Mismatch::TooShort {
                        hint_index: self.last_index().next(),
                    });
                }
            }
        }
        // Check everything before changing anything: a message that no correct leader
        // sends is input to refuse, never a reason to corrupt the log or panic.
        for (i, e) in entries.iter().enumerate() {
            if e.index != LogIndex(prev_index.0.saturating_add(1 + i as u64)) {
                return Err(Mismatch::Invalid(
                    "entries do not follow prev_index in sequence",
                ));
            }
        }
        if let Some(e) = entries.iter().find(|e| {
            e.index > self.offset_index && self.term_at(e.index).is_some_and(|t| t != e.term)
        }) && e.index <= self.commit
        {
            return Err(Mismatch::Invalid("append conflicts with a committed entry"));
        }
        let last_new = LogIndex(prev_index.0 + entries.len() as u64);
        for e in entries {
            if e.index <= self.offset_index {
                continue; // compacted, hence committed, hence matching.
            }
            match self.term_at(e.index) {
                Some(t) if t == e.term => {}
                Some(_) => {
                    // Above the commit index: checked before the loop.
                    self.truncate_from(e.index);
                    self.entries.push(e.clone());
                }
                None => self.entries.push(e.clone()),
            }
        }
        Ok(last_new)
    }

    fn truncate_from(&mut self, index: LogIndex) {
        if let Some(pos) = self.pos(index) {
            self.entries.truncate(pos);
        }
        self.unstable_from = self.unstable_from.min(index);
    }

    /// Raises the commit index (never lowers it).
    pub(crate) fn commit_to(&mut self, index: LogIndex) -> bool {
        let index = index.min(self.last_index());
        if index > self.commit {
            self.commit = index;
            true
        } else {
            false
        }
    }

    /// Whether entries await persistence.
    pub(crate) fn has_unstable(&self) -> bool {
        self.unstable_from <= self.last_index()
    }

    /// Hands the entries that await persistence to the shell.
    pub(crate) fn take_unstable(&mut self) -> Vec<Entry> {
        let last = self.last_index();
        if self.unstable_from > last {
            return Vec::new();
        }
        let out = self.slice(self.unstable_from, last, usize::MAX, usize::MAX);
        self.unstable_from = last.next();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Payload;

    fn e(index: u64, term: u64) -> Entry {
        Entry {
            term: Term(term),
            index: LogIndex(index),
            payload: Payload::Noop,
        }
    }

    fn log(terms: &[u64]) -> Log {
        let entries = terms
            .iter()
            .enumerate()
            .map(|(i, t)| e(i as u64 + 1, *t))
            .collect();
        Log::restore(entries, LogIndex(0))
    }

    #[test]
    fn append_beyond_end_hints_the_end() {
        let mut l = log(&[1, 1]);
        assert_eq!(
            l.try_append(LogIndex(5), Term(1), &[]),
            Err(Mismatch::TooShort {
                hint_index: LogIndex(3)
            })
        );
    }

    #[test]
    fn conflict_hints_the_first_index_of_the_conflicting_term() {
        let mut l = log(&[1, 2, 2, 2]);
        assert_eq!(
            l.try_append(LogIndex(4), Term(3), &[]),
            Err(Mismatch::Conflict {
                hint_index: LogIndex(2),
                term: Term(2)
            })
        );
    }

    #[test]
    fn conflicting_suffix_is_truncated_and_marked_unstable() {
        let mut l = Log::default();
        l.append_new([e(1, 1), e(2, 1), e(3, 1)]);
        assert_eq!(l.take_unstable().len(), 3);
        assert!(!l.has_unstable());
        let got = l.try_append(LogIndex(1), Term(1), &[e(2, 2)]);
        assert_eq!(got, Ok(LogIndex(2)));
        assert_eq!(l.last_index(), LogIndex(2));
        assert_eq!(l.take_unstable(), vec![e(2, 2)]);
    }

    #[test]
    fn appends_no_correct_leader_sends_are_refused_without_change() {
        let mut l = log(&[1, 1, 1]);
        l.commit_to(LogIndex(2));
        assert_eq!(
            l.try_append(LogIndex(0), Term(0), &[e(1, 1), e(3, 1)]),
            Err(Mismatch::Invalid(
                "entries do not follow prev_index in sequence"
            ))
        );
        assert_eq!(
            l.try_append(LogIndex(1), Term(1), &[e(2, 5)]),
            Err(Mismatch::Invalid("append conflicts with a committed entry"))
        );
        assert_eq!(l.entries(), log(&[1, 1, 1]).entries(), "nothing changed");
    }

    #[test]
    fn stale_shorter_append_keeps_newer_entries() {
        let mut l = log(&[1, 1, 1]);
        assert_eq!(
            l.try_append(LogIndex(0), Term(0), &[e(1, 1)]),
            Ok(LogIndex(1))
        );
        assert_eq!(l.last_index(), LogIndex(3));
    }

    #[test]
    fn up_to_date_compares_term_then_index() {
        let l = log(&[1, 2]);
        assert!(l.is_up_to_date(LogIndex(1), Term(3)));
        assert!(l.is_up_to_date(LogIndex(2), Term(2)));
        assert!(!l.is_up_to_date(LogIndex(5), Term(1)));
        assert!(!l.is_up_to_date(LogIndex(1), Term(2)));
    }

    #[test]
    fn slice_respects_byte_budget_but_sends_one() {
        let l = log(&[1, 1, 1, 1]);
        assert_eq!(l.slice(LogIndex(1), LogIndex(4), 10, 1).len(), 1);
        assert_eq!(l.slice(LogIndex(2), LogIndex(4), 2, usize::MAX).len(), 2);
    }
}
