//! No committed entry lost: a member never truncates an entry known committed from its
//! log (compacting it into a snapshot is not losing it), and its commit index never goes
//! back while it runs.

use std::collections::BTreeMap;

use parliament_engine::engine::Entry;
use parliament_engine::{LogIndex, NodeId, Term, Time};

use super::{Invariant, Observation, Violation};
use crate::sim::trace::payload_digest;

/// Remembers committed entries and each member's commit index.
#[derive(Debug, Default)]
pub struct CommittedNotLost {
    /// Position `i` holds index `i + 1`: term and payload digest.
    committed: Vec<(Term, u64)>,
    commit: BTreeMap<NodeId, LogIndex>,
}

impl CommittedNotLost {
    /// Flags a committed entry among `removed` that is not written back in `written`
    /// and not covered by a snapshot through `covered`.
    fn check_removed(
        &self,
        node: NodeId,
        at: Time,
        removed: &[Entry],
        written: &[Entry],
        covered: Option<LogIndex>,
        out: &mut Vec<Violation>,
    ) {
        for r in removed {
            if covered.is_some_and(|c| r.index <= c) {
                continue;
            }
            let pos = usize::try_from(r.index.0.saturating_sub(1)).unwrap_or(usize::MAX);
            let Some(&(term, digest)) = self.committed.get(pos) else {
                continue;
            };
            if (r.term, payload_digest(&r.payload)) != (term, digest) {
                continue;
            }
            let kept = written.iter().any(|e| {
                e.index == r.index && e.term == term && payload_digest(&e.payload) == digest
            });
            if !kept {
                out.push(Violation::new(
                    self.name(),
                    at,
                    Some(node),
                    format!(
                        "truncated committed entry {} of {} from its log",
                        r.index, r.term
                    ),
                ));
                return;
            }
        }
    }
}

impl Invariant for CommittedNotLost {
    fn name(&self) -> &'static str {
        "no-committed-entry-lost"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            Observation::Applied { entry, .. }
                if entry.index.0 == self.committed.len() as u64 + 1 =>
            {
                self.committed
                    .push((entry.term, payload_digest(&entry.payload)));
            }
            Observation::Persisted {
                node,
                at,
                entries,
                removed,
                ..
            } => self.check_removed(node, at, removed, entries, None, out),
            Observation::Restored {
                node,
                at,
                meta,
                removed,
                ..
            } => self.check_removed(node, at, removed, &[], Some(meta.index), out),
            Observation::State {
                node, at, status, ..
            } => {
                let before = self.commit.insert(node, status.commit);
                if let Some(before) = before
                    && status.commit < before
                {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        Some(node),
                        format!("commit index went back from {before} to {}", status.commit),
                    ));
                }
            }
            Observation::Crashed { node, .. } => {
                self.commit.remove(&node);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::LogView;
    use crate::sim::invariants::fixtures::{entry, n, run, status, t};
    use parliament_engine::engine::Role;

    #[test]
    fn truncating_uncommitted_entries_and_rewriting_committed_ones_pass() {
        let c1 = entry(1, 1, "a");
        let removed = [entry(1, 1, "a"), entry(2, 1, "b")];
        let written = [entry(1, 1, "a"), entry(2, 2, "c")];
        let v = run(
            &mut CommittedNotLost::default(),
            &[
                Observation::Applied {
                    node: n(1),
                    at: t(1),
                    term: Term(1),
                    entry: &c1,
                    chain: 0,
                },
                Observation::Persisted {
                    node: n(2),
                    at: t(2),
                    prev_term: Term(0),
                    entries: &written,
                    removed: &removed,
                },
            ],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn planted_truncation_of_a_committed_entry_is_flagged() {
        let c1 = entry(1, 1, "a");
        let c2 = entry(2, 1, "b");
        let removed = [entry(2, 1, "b")];
        let written = [entry(2, 2, "c")];
        let v = run(
            &mut CommittedNotLost::default(),
            &[
                Observation::Applied {
                    node: n(1),
                    at: t(1),
                    term: Term(1),
                    entry: &c1,
                    chain: 0,
                },
                Observation::Applied {
                    node: n(1),
                    at: t(1),
                    term: Term(1),
                    entry: &c2,
                    chain: 0,
                },
                Observation::Persisted {
                    node: n(2),
                    at: t(2),
                    prev_term: Term(1),
                    entries: &written,
                    removed: &removed,
                },
            ],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail.contains("truncated committed entry i2 of t1"),
            "{}",
            v[0]
        );
    }

    #[test]
    fn a_snapshot_may_cover_committed_entries_but_not_discard_later_ones() {
        let (c1, c2, c3) = (entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c"));
        let removed = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
        let applied = |e| Observation::Applied {
            node: n(1),
            at: t(1),
            term: Term(1),
            entry: e,
            chain: 0,
        };
        let restored = |index| Observation::Restored {
            node: n(2),
            at: t(2),
            meta: parliament_engine::engine::SnapshotMeta {
                index: LogIndex(index),
                term: Term(1),
            },
            removed: &removed,
            chain: 0,
        };
        let v = run(
            &mut CommittedNotLost::default(),
            &[applied(&c1), applied(&c2), applied(&c3), restored(3)],
        );
        assert_eq!(v, vec![]);
        let v = run(
            &mut CommittedNotLost::default(),
            &[applied(&c1), applied(&c2), applied(&c3), restored(2)],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail.contains("truncated committed entry i3"),
            "{}",
            v[0]
        );
    }

    #[test]
    fn planted_commit_regression_is_flagged_but_not_across_a_restart() {
        let mut high = status(1, Role::Follower, 1);
        high.commit = LogIndex(5);
        let mut low = status(1, Role::Follower, 1);
        low.commit = LogIndex(3);
        let state = |at, s| Observation::State {
            node: n(1),
            at: t(at),
            status: s,
            log: LogView::default(),
            lease_end: None,
        };
        let v = run(
            &mut CommittedNotLost::default(),
            &[
                state(1, &high),
                Observation::Crashed {
                    node: n(1),
                    at: t(2),
                },
                state(3, &low),
            ],
        );
        assert_eq!(v, vec![]);
        let v = run(
            &mut CommittedNotLost::default(),
            &[state(1, &high), state(2, &low)],
        );
        assert_eq!(v.len(), 1);
        assert!(v[0].detail.contains("went back from i5 to i3"), "{}", v[0]);
    }
}
