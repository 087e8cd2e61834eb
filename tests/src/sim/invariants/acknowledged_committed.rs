//! Every acknowledged proposal committed: once faults heal and the run goes quiet, every
//! command a client was told had committed is applied, at the index it was told, by
//! every running member.

use std::collections::BTreeMap;

use parliament_engine::{LogIndex, NodeId, Time};

use super::{Invariant, Observation, Violation};
use crate::sim::trace::{TraceHash, payload_digest};

/// Remembers every acknowledgement.
#[derive(Debug, Default)]
pub struct AcknowledgedCommitted {
    /// Index → (payload digest, member that answered, when).
    acked: BTreeMap<LogIndex, (u64, NodeId, Time)>,
}

impl AcknowledgedCommitted {
    /// How many proposals were acknowledged.
    #[must_use]
    pub fn count(&self) -> usize {
        self.acked.len()
    }
}

impl Invariant for AcknowledgedCommitted {
    fn name(&self) -> &'static str {
        "acknowledged-committed"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            Observation::Acknowledged {
                node,
                at,
                index,
                payload,
            } => {
                let digest = TraceHash::of(payload) | 1;
                if let Some(&(d, first, when)) = self.acked.get(&index) {
                    if d != digest {
                        out.push(Violation::new(
                            self.name(),
                            at,
                            Some(node),
                            format!(
                                "acknowledged a different command at {index} than {first} did at {when}"
                            ),
                        ));
                    }
                    return;
                }
                self.acked.insert(index, (digest, node, at));
            }
            Observation::Converged { at, members } => {
                for m in members {
                    for (&index, &(digest, by, when)) in &self.acked {
                        let held = m.log.entry(index).map(|e| payload_digest(&e.payload));
                        let problem = if m.applied < index {
                            Some(format!("has applied only through {}", m.applied))
                        } else if m.log.compacted(index) {
                            // In the snapshot; state-machine safety vouches for the image.
                            None
                        } else if held != Some(digest) {
                            Some("holds a different entry there".to_owned())
                        } else {
                            None
                        };
                        if let Some(problem) = problem {
                            out.push(Violation::new(
                                self.name(),
                                at,
                                Some(m.node),
                                format!(
                                    "the proposal at {index} acknowledged by {by} at {when} is \
                                     not committed here: {} {problem}",
                                    m.node
                                ),
                            ));
                            break;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::LogView;
    use crate::sim::invariants::MemberLog;
    use crate::sim::invariants::fixtures::{log, n, run, t};

    #[test]
    fn acknowledged_entries_applied_everywhere_pass() {
        let l = log(&[(1, ""), (1, "k=v")]);
        let members = [
            MemberLog {
                node: n(1),
                applied: LogIndex(2),
                log: LogView::from_entries(&l),
            },
            MemberLog {
                node: n(2),
                applied: LogIndex(2),
                log: LogView::from_entries(&l),
            },
        ];
        let v = run(
            &mut AcknowledgedCommitted::default(),
            &[
                Observation::Acknowledged {
                    node: n(1),
                    at: t(5),
                    index: LogIndex(2),
                    payload: b"k=v",
                },
                Observation::Converged {
                    at: t(9),
                    members: &members,
                },
            ],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn planted_lost_acknowledged_write_is_flagged() {
        let good = log(&[(1, ""), (1, "k=v")]);
        let lagging = log(&[(1, "")]);
        let replaced = log(&[(1, ""), (2, "k=w")]);
        let members = [
            MemberLog {
                node: n(1),
                applied: LogIndex(2),
                log: LogView::from_entries(&good),
            },
            MemberLog {
                node: n(2),
                applied: LogIndex(1),
                log: LogView::from_entries(&lagging),
            },
            MemberLog {
                node: n(3),
                applied: LogIndex(2),
                log: LogView::from_entries(&replaced),
            },
        ];
        let v = run(
            &mut AcknowledgedCommitted::default(),
            &[
                Observation::Acknowledged {
                    node: n(1),
                    at: t(5),
                    index: LogIndex(2),
                    payload: b"k=v",
                },
                Observation::Converged {
                    at: t(9),
                    members: &members,
                },
            ],
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(
            v[0].detail.contains("n2 has applied only through i1"),
            "{}",
            v[0]
        );
        assert!(
            v[1].detail.contains("n3 holds a different entry"),
            "{}",
            v[1]
        );
    }
}
