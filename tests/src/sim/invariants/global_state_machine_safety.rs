//! State-machine safety of the global store: every member applies the same Commons entry
//! at each Commons index, in increasing index order (DESIGN.md §6 rule 4: every member
//! learns the global log from its district's seat record).

use std::collections::{BTreeMap, BTreeSet};

use parliament_engine::{LogIndex, NodeId, Term};

use super::{SeatInvariant, SeatObservation, Violation};

/// The term of the entry first applied at each Commons index, and each member's last.
#[derive(Debug, Default)]
pub struct GlobalStateMachineSafety {
    applied: BTreeMap<LogIndex, (Term, NodeId)>,
    last: BTreeMap<NodeId, LogIndex>,
    flagged: BTreeSet<LogIndex>,
}

impl SeatInvariant for GlobalStateMachineSafety {
    fn name(&self) -> &'static str {
        "global-state-machine-safety"
    }

    fn observe(&mut self, obs: &SeatObservation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            SeatObservation::Crashed { node, .. } => {
                self.last.remove(&node);
            }
            SeatObservation::GlobalApplied {
                node,
                at,
                index,
                term,
            } => {
                if let Some(&last) = self.last.get(&node)
                    && index <= last
                {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        Some(node),
                        format!("applied Commons {index} after Commons {last}"),
                    ));
                }
                self.last.insert(node, index);
                let (first, by) = *self.applied.entry(index).or_insert((term, node));
                if first != term && self.flagged.insert(index) {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        Some(node),
                        format!(
                            "applied an entry of Commons {term} at Commons {index}, where \
                             {by} applied one of {first}"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::{n, t};

    fn applied(node: u64, index: u64, term: u64) -> SeatObservation<'static> {
        SeatObservation::GlobalApplied {
            node: n(node),
            at: t(index),
            index: LogIndex(index),
            term: Term(term),
        }
    }

    fn run(obs: &[SeatObservation<'_>]) -> Vec<Violation> {
        let mut c = GlobalStateMachineSafety::default();
        let mut out = Vec::new();
        for o in obs {
            c.observe(o, &mut out);
        }
        out
    }

    #[test]
    fn same_entries_everywhere_pass_and_a_restart_replays() {
        let crash = SeatObservation::Crashed {
            node: n(1),
            at: t(5),
        };
        let obs = [
            applied(1, 2, 1),
            applied(2, 2, 1),
            applied(1, 4, 2),
            crash,
            applied(1, 2, 1),
        ];
        assert_eq!(run(&obs), vec![]);
    }

    #[test]
    fn planted_divergent_global_entry_is_flagged() {
        let v = run(&[applied(1, 3, 1), applied(7, 3, 2)]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].detail
                .contains("entry of Commons t2 at Commons i3, where n1 applied one of t1"),
            "{}",
            v[0]
        );
        let v = run(&[applied(1, 3, 1), applied(1, 2, 1)]);
        assert!(
            v[0].detail.contains("applied Commons i2 after Commons i3"),
            "{}",
            v[0]
        );
    }
}
