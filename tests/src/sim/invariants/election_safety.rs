//! Election safety: at most one leader per term (Raft §5.2, Figure 3).

use std::collections::{BTreeMap, BTreeSet};

use parliament_engine::engine::Role;
use parliament_engine::{NodeId, Term, Time};

use super::{Invariant, Observation, Violation};

/// Remembers the leader of every term ever seen and flags a second one.
#[derive(Debug, Default)]
pub struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
    flagged: BTreeSet<Term>,
}

impl ElectionSafety {
    fn note(&mut self, term: Term, node: NodeId, at: Time, out: &mut Vec<Violation>) {
        let first = *self.leaders.entry(term).or_insert(node);
        if first != node && self.flagged.insert(term) {
            out.push(Violation::new(
                self.name(),
                at,
                Some(node),
                format!("{node} leads {term}, which {first} already led"),
            ));
        }
    }
}

impl Invariant for ElectionSafety {
    fn name(&self) -> &'static str {
        "election-safety"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            Observation::RoleChanged { node, at, change } if change.role == Role::Leader => {
                self.note(change.term, node, at, out);
            }
            Observation::State {
                node, at, status, ..
            } if status.role == Role::Leader => self.note(status.term, node, at, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::LogView;
    use crate::sim::invariants::fixtures::{n, run, status, t};
    use parliament_engine::engine::RoleChange;

    fn leader(id: u64, term: u64) -> RoleChange {
        RoleChange {
            role: Role::Leader,
            term: Term(term),
            leader: Some(NodeId(id)),
            token: None,
        }
    }

    #[test]
    fn one_leader_per_term_passes() {
        let s2 = status(2, Role::Leader, 2);
        let v = run(
            &mut ElectionSafety::default(),
            &[
                Observation::RoleChanged {
                    node: n(1),
                    at: t(1),
                    change: leader(1, 1),
                },
                Observation::RoleChanged {
                    node: n(2),
                    at: t(2),
                    change: leader(2, 2),
                },
                Observation::State {
                    node: n(2),
                    at: t(3),
                    status: &s2,
                    log: LogView::default(),
                    lease_end: None,
                },
            ],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn planted_second_leader_in_a_term_is_flagged() {
        let s2 = status(2, Role::Leader, 1);
        let v = run(
            &mut ElectionSafety::default(),
            &[
                Observation::RoleChanged {
                    node: n(1),
                    at: t(1),
                    change: leader(1, 1),
                },
                // n1 stepped down long ago; a second leader of term 1 is still a violation.
                Observation::State {
                    node: n(2),
                    at: t(90),
                    status: &s2,
                    log: LogView::default(),
                    lease_end: None,
                },
            ],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail.contains("n2 leads t1, which n1 already led"),
            "{}",
            v[0]
        );
    }
}
