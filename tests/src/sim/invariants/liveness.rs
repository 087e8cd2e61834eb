//! Liveness after heal: once every fault is healed, a leader acknowledged by a quorum
//! appears within a bound, and by the end of the run every member has applied the same
//! entries.

use std::time::Duration;

use parliament_engine::Time;

use super::{Invariant, Observation, Violation};

/// Times the first quorum-acknowledged leader after each heal.
#[derive(Debug)]
pub struct Liveness {
    bound: Duration,
    healed_at: Option<Time>,
    leader_at: Option<Time>,
}

impl Liveness {
    /// A checker that allows `bound` from heal to leader.
    #[must_use]
    pub fn new(bound: Duration) -> Liveness {
        Liveness {
            bound,
            healed_at: None,
            leader_at: None,
        }
    }

    /// How long after the last heal a leader appeared, if one has.
    #[must_use]
    pub fn time_to_leader(&self) -> Option<Duration> {
        Some(self.leader_at?.saturating_since(self.healed_at?))
    }
}

impl Invariant for Liveness {
    fn name(&self) -> &'static str {
        "liveness"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            Observation::Healed { at } => {
                self.healed_at = Some(at);
                self.leader_at = None;
            }
            Observation::LeaderAcknowledged { at, .. }
                if self.healed_at.is_some() && self.leader_at.is_none() =>
            {
                self.leader_at = Some(at);
            }
            Observation::LivenessDeadline { at } => {
                let Some(healed) = self.healed_at else {
                    return;
                };
                let late = match self.leader_at {
                    None => true,
                    Some(l) => l.saturating_since(healed) > self.bound,
                };
                if late {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        None,
                        format!(
                            "no leader acknowledged by a quorum within {} ms of the heal at {healed}",
                            self.bound.as_millis()
                        ),
                    ));
                }
            }
            Observation::Converged { at, members } => {
                let most = members.iter().map(|m| m.applied).max().unwrap_or_default();
                for m in members.iter().filter(|m| m.applied < most) {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        Some(m.node),
                        format!(
                            "{} applied only through {} when others reached {most}, at the end of a calm run",
                            m.node, m.applied
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
    use crate::sim::invariants::fixtures::{n, run, t};
    use parliament_engine::Term;

    #[test]
    fn a_leader_within_the_bound_passes() {
        let mut c = Liveness::new(Duration::from_millis(5_000));
        let v = run(
            &mut c,
            &[
                Observation::Healed { at: t(1_000) },
                Observation::LeaderAcknowledged {
                    at: t(2_500),
                    leader: n(1),
                    term: Term(3),
                },
                Observation::LivenessDeadline { at: t(6_000) },
            ],
        );
        assert_eq!(v, vec![]);
        assert_eq!(c.time_to_leader(), Some(Duration::from_millis(1_500)));
    }

    #[test]
    fn planted_member_left_behind_is_flagged() {
        use crate::sim::invariants::{LogView, MemberLog};
        use parliament_engine::LogIndex;
        let members = [
            MemberLog {
                node: n(1),
                applied: LogIndex(9),
                log: LogView::default(),
            },
            MemberLog {
                node: n(2),
                applied: LogIndex(7),
                log: LogView::default(),
            },
        ];
        let v = run(
            &mut Liveness::new(Duration::from_millis(5_000)),
            &[Observation::Converged {
                at: t(9_000),
                members: &members,
            }],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail
                .contains("n2 applied only through i7 when others reached i9"),
            "{}",
            v[0]
        );
    }

    #[test]
    fn planted_leaderless_heal_is_flagged() {
        let v = run(
            &mut Liveness::new(Duration::from_millis(5_000)),
            &[
                // A leader before the heal does not count.
                Observation::LeaderAcknowledged {
                    at: t(500),
                    leader: n(1),
                    term: Term(1),
                },
                Observation::Healed { at: t(1_000) },
                Observation::LivenessDeadline { at: t(6_000) },
            ],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail.contains("within 5000 ms of the heal at 1000ms"),
            "{}",
            v[0]
        );
    }
}
