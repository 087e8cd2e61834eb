//! The seat record: a district's durable Commons state, held by every member of the
//! district because it is built from the district log (docs/westminster.md §2).

use crate::engine::{Entry, HardState, Persisted};
use crate::types::{LogIndex, Term};
use crate::westminster::SeatPersist;

/// What a district has persisted for its Commons seat: the seat's hard state and log,
/// the Commons commit index, and the newest host incarnation that wrote it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeatRecord {
    incarnation: Term,
    hard_state: HardState,
    entries: Vec<Entry>,
    commit: LogIndex,
}

impl SeatRecord {
    /// Applies a committed [`SeatPersist`]; returns the Commons entries that became
    /// committed, for the member to apply to the global store.
    ///
    /// A persist from an older incarnation than one already applied is ignored. The log
    /// order makes that impossible (a new host resumes only after an entry of its own
    /// term committed), so this is a second line of defence, and logged.
    pub fn apply(&mut self, p: &SeatPersist) -> Vec<Entry> {
        if p.incarnation < self.incarnation {
            tracing::error!(
                incarnation = %p.incarnation,
                newest = %self.incarnation,
                "seat persist from an older incarnation ignored"
            );
            return Vec::new();
        }
        self.incarnation = p.incarnation;
        if let Some(hs) = p.hard_state {
            self.hard_state.term = self.hard_state.term.max(hs.term);
            self.hard_state.vote = hs.vote;
        }
        if let Some(first) = p.entries.first() {
            let keep = usize::try_from(first.index.0.saturating_sub(1)).unwrap_or(usize::MAX);
            if keep <= self.entries.len() {
                self.entries.truncate(keep);
                self.entries.extend(p.entries.iter().cloned());
            } else {
                tracing::error!(first = %first.index, held = self.entries.len(), "seat persist leaves a gap; ignored");
            }
        }
        let last = LogIndex(self.entries.len() as u64);
        let new_commit = p.commit.min(last);
        if new_commit <= self.commit {
            return Vec::new();
        }
        let from = usize::try_from(self.commit.0).unwrap_or(usize::MAX);
        let to = usize::try_from(new_commit.0).unwrap_or(usize::MAX);
        self.commit = new_commit;
        self.hard_state.commit = new_commit;
        self.entries
            .get(from..to)
            .map(<[Entry]>::to_vec)
            .unwrap_or_default()
    }

    /// What a new host restarts the seat replica from (rule 3: resuming is restarting).
    #[must_use]
    pub fn persisted(&self) -> Persisted {
        Persisted {
            hard_state: self.hard_state,
            entries: self.entries.clone(),
            ..Persisted::default()
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

    /// The seat's durable Commons log.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
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
        };
        assert!(r.apply(&p).is_empty());
        let p2 = SeatPersist {
            incarnation: Term(1),
            entries: vec![e(2, 3)],
            commit: LogIndex(1),
            ..SeatPersist::default()
        };
        assert_eq!(r.apply(&p2), vec![e(1, 2)]);
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
            r.apply(&p3),
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
}
