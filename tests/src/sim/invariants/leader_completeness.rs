//! Leader completeness: an entry committed in a term is in the log of every leader of a
//! later term (Raft §5.4, Figure 3).
//!
//! The first member to apply an index tells us the entry committed there, and its term
//! then bounds the term `c` it was committed in from above. Every leader of a term at
//! least that high must hold the entry. Each time a leader runs, the entries committed
//! since its last check are compared with its log; a leader of an older term (deposed,
//! not yet aware) is rightly not held to entries committed after it.

use std::collections::BTreeMap;

use parliament_engine::engine::Role;
use parliament_engine::{LogIndex, NodeId, Term, Time};

use super::{Invariant, LogView, Observation, Violation};
use crate::sim::trace::payload_digest;

#[derive(Clone, Copy, Debug)]
struct Committed {
    term: Term,
    digest: u64,
    /// Term of the first member seen applying it: the commit happened in this term or
    /// an earlier one.
    reported_in: Term,
}

/// Compares every leader's log with the entries known committed.
#[derive(Debug, Default)]
pub struct LeaderCompleteness {
    /// Position `i` holds index `i + 1`.
    committed: Vec<Committed>,
    /// How many committed entries each (leader, term) has been checked against.
    checked: BTreeMap<(NodeId, Term), usize>,
}

impl LeaderCompleteness {
    fn check_leader(
        &mut self,
        node: NodeId,
        term: Term,
        log: LogView<'_>,
        at: Time,
        out: &mut Vec<Violation>,
    ) {
        let from = self.checked.get(&(node, term)).copied().unwrap_or(0);
        for (pos, c) in self.committed.iter().enumerate().skip(from) {
            if c.reported_in > term {
                continue;
            }
            let index = LogIndex(pos as u64 + 1);
            if log.compacted(index) {
                // Compacted entries were applied, hence committed; whether the image is
                // the right one is state-machine safety's question.
                continue;
            }
            let held = log.entry(index);
            let ok =
                held.is_some_and(|e| e.term == c.term && payload_digest(&e.payload) == c.digest);
            if !ok {
                let what = held.map_or_else(
                    || format!("its log ends at {}", log.last_index()),
                    |e| format!("it holds an entry of {} there", e.term),
                );
                out.push(Violation::new(
                    self.name(),
                    at,
                    Some(node),
                    format!(
                        "leader of {term} lacks entry {} of {} committed by {}: {what}",
                        pos + 1,
                        c.term,
                        c.reported_in
                    ),
                ));
                break;
            }
        }
        self.checked.insert((node, term), self.committed.len());
    }
}

impl Invariant for LeaderCompleteness {
    fn name(&self) -> &'static str {
        "leader-completeness"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            Observation::Applied { term, entry, .. }
                if entry.index.0 == self.committed.len() as u64 + 1 =>
            {
                self.committed.push(Committed {
                    term: entry.term,
                    digest: payload_digest(&entry.payload),
                    reported_in: term,
                });
            }
            Observation::State {
                node,
                at,
                status,
                log,
                ..
            } if status.role == Role::Leader => {
                self.check_leader(node, status.term, log, at, out);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::LogView;
    use crate::sim::invariants::fixtures::{entry, log, n, run, status, t};

    #[test]
    fn a_leader_holding_every_committed_entry_passes() {
        let e1 = entry(1, 1, "a");
        let e2 = entry(2, 1, "b");
        let leader_log = log(&[(1, "a"), (1, "b"), (3, "")]);
        let s = status(2, Role::Leader, 3);
        let v = run(
            &mut LeaderCompleteness::default(),
            &[
                Observation::Applied {
                    node: n(1),
                    at: t(1),
                    term: Term(1),
                    entry: &e1,
                    chain: 0,
                },
                Observation::Applied {
                    node: n(1),
                    at: t(2),
                    term: Term(1),
                    entry: &e2,
                    chain: 0,
                },
                Observation::State {
                    node: n(2),
                    at: t(3),
                    status: &s,
                    log: LogView::from_entries(&leader_log),
                    lease_end: None,
                },
            ],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn planted_leader_missing_a_committed_entry_is_flagged() {
        let e1 = entry(1, 1, "a");
        let e2 = entry(2, 1, "b");
        // The new leader of term 3 replaced index 2 with its own entry.
        let leader_log = log(&[(1, "a"), (3, "")]);
        let s = status(2, Role::Leader, 3);
        let v = run(
            &mut LeaderCompleteness::default(),
            &[
                Observation::Applied {
                    node: n(1),
                    at: t(1),
                    term: Term(1),
                    entry: &e1,
                    chain: 0,
                },
                Observation::Applied {
                    node: n(1),
                    at: t(2),
                    term: Term(2),
                    entry: &e2,
                    chain: 0,
                },
                Observation::State {
                    node: n(2),
                    at: t(3),
                    status: &s,
                    log: LogView::from_entries(&leader_log),
                    lease_end: None,
                },
            ],
        );
        assert_eq!(v.len(), 1);
        assert!(v[0].detail.contains("lacks entry 2 of t1"), "{}", v[0]);
    }

    #[test]
    fn a_deposed_leader_of_an_older_term_is_not_held_to_newer_commits() {
        let e1 = entry(1, 4, "a");
        let stale_log = log(&[(2, "x")]);
        let s = status(2, Role::Leader, 2);
        let v = run(
            &mut LeaderCompleteness::default(),
            &[
                Observation::Applied {
                    node: n(1),
                    at: t(1),
                    term: Term(4),
                    entry: &e1,
                    chain: 0,
                },
                Observation::State {
                    node: n(2),
                    at: t(3),
                    status: &s,
                    log: LogView::from_entries(&stale_log),
                    lease_end: None,
                },
            ],
        );
        assert_eq!(v, vec![]);
    }
}
