//! Lease safety: no two members hold a leader lease at the same instant of global time.
//!
//! A member holds a lease from a step at which its status shows one until the global
//! instant its own clock reaches the lease's end (the harness converts; that is where
//! clock drift enters). Leases only start or grow at steps, so any overlap shows as a
//! step at which one member holds a lease while another's recorded lease has not ended.

use std::collections::BTreeMap;

use parliament_engine::engine::Role;
use parliament_engine::{NodeId, Term, Time};

use super::{Invariant, Observation, Violation};

/// The lease each member holds, as global end time and term.
#[derive(Debug, Default)]
pub struct LeaseSafety {
    holders: BTreeMap<NodeId, (Time, Term)>,
}

impl Invariant for LeaseSafety {
    fn name(&self) -> &'static str {
        "lease-safety"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            Observation::Crashed { node, .. } => {
                self.holders.remove(&node);
            }
            Observation::State {
                node,
                at,
                status,
                lease_end,
                ..
            } => match lease_end {
                Some(end) if end > at && status.role == Role::Leader => {
                    for (&other, &(other_end, other_term)) in &self.holders {
                        if other != node && other_end > at {
                            out.push(Violation::new(
                                self.name(),
                                at,
                                Some(node),
                                format!(
                                    "{node} holds a lease of {} until {end} while {other} holds \
                                     one of {other_term} until {other_end}",
                                    status.term
                                ),
                            ));
                        }
                    }
                    self.holders.insert(node, (end, status.term));
                }
                _ => {
                    self.holders.remove(&node);
                }
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::LogView;
    use crate::sim::invariants::fixtures::{n, run, status, t};

    #[test]
    fn back_to_back_leases_pass() {
        let s1 = status(1, Role::Leader, 1);
        let s2 = status(2, Role::Leader, 2);
        let v = run(
            &mut LeaseSafety::default(),
            &[
                Observation::State {
                    node: n(1),
                    at: t(100),
                    status: &s1,
                    log: LogView::default(),
                    lease_end: Some(t(1000)),
                },
                // n2's lease starts exactly when n1's ends: half-open intervals do not overlap.
                Observation::State {
                    node: n(2),
                    at: t(1000),
                    status: &s2,
                    log: LogView::default(),
                    lease_end: Some(t(1900)),
                },
            ],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn a_lease_given_up_or_lost_in_a_crash_ends_at_once() {
        let s1 = status(1, Role::Leader, 1);
        let f1 = status(1, Role::Follower, 2);
        let s2 = status(2, Role::Leader, 2);
        let s3 = status(3, Role::Leader, 3);
        let v = run(
            &mut LeaseSafety::default(),
            &[
                Observation::State {
                    node: n(1),
                    at: t(100),
                    status: &s1,
                    log: LogView::default(),
                    lease_end: Some(t(1000)),
                },
                Observation::State {
                    node: n(1),
                    at: t(200),
                    status: &f1,
                    log: LogView::default(),
                    lease_end: None,
                },
                Observation::State {
                    node: n(2),
                    at: t(300),
                    status: &s2,
                    log: LogView::default(),
                    lease_end: Some(t(1200)),
                },
                Observation::Crashed {
                    node: n(2),
                    at: t(400),
                },
                Observation::State {
                    node: n(3),
                    at: t(500),
                    status: &s3,
                    log: LogView::default(),
                    lease_end: Some(t(1400)),
                },
            ],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn planted_overlapping_leases_are_flagged() {
        let s1 = status(1, Role::Leader, 1);
        let s2 = status(2, Role::Leader, 2);
        let v = run(
            &mut LeaseSafety::default(),
            &[
                Observation::State {
                    node: n(1),
                    at: t(100),
                    status: &s1,
                    log: LogView::default(),
                    lease_end: Some(t(1000)),
                },
                Observation::State {
                    node: n(2),
                    at: t(999),
                    status: &s2,
                    log: LogView::default(),
                    lease_end: Some(t(1900)),
                },
            ],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail
                .contains("while n1 holds one of t1 until 1000ms"),
            "{}",
            v[0]
        );
    }
}
