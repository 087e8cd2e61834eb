//! State-machine safety: no two members apply different entries at one index, and each
//! member applies committed entries in order without gaps (Raft §5.4.3, Figure 3).
//!
//! Members also fingerprint everything they have applied (a hash chain over the applied
//! entries, carried inside snapshot images), so a member that skipped entries by
//! restoring a snapshot is still compared: a wrong or mislabelled image shows as a
//! fingerprint that differs from what others applied at the same index.

use std::collections::BTreeMap;

use parliament_engine::{LogIndex, NodeId, Term};

use super::{Invariant, Observation, Violation};
use crate::sim::trace::payload_digest;

/// Remembers what was applied at every index, and where each member is.
#[derive(Debug, Default)]
pub struct StateMachineSafety {
    /// Position `i` holds index `i + 1`: term, payload digest, applied-sequence
    /// fingerprint, first member to apply it.
    applied: Vec<(Term, u64, u64, NodeId)>,
    /// Next index each member must apply; a restart replays from 1.
    next: BTreeMap<NodeId, LogIndex>,
}

impl Invariant for StateMachineSafety {
    fn name(&self) -> &'static str {
        "state-machine-safety"
    }

    fn observe(&mut self, obs: &Observation<'_>, out: &mut Vec<Violation>) {
        match *obs {
            Observation::Crashed { node, .. } => {
                self.next.remove(&node);
            }
            Observation::Restored {
                node,
                at,
                meta,
                chain,
                ..
            } => {
                self.next.insert(node, meta.index.next());
                let pos = usize::try_from(meta.index.0.saturating_sub(1)).unwrap_or(usize::MAX);
                if let Some(&(term, _, c, first)) = self.applied.get(pos)
                    && (term, c) != (meta.term, chain)
                {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        Some(node),
                        format!(
                            "restored a snapshot at ({}, {}) whose image differs from what {first} \
                             applied through {} (an entry of {term})",
                            meta.index, meta.term, meta.index
                        ),
                    ));
                }
            }
            Observation::Applied {
                node,
                at,
                entry,
                chain,
                ..
            } => {
                let expected = self.next.get(&node).copied().unwrap_or(LogIndex(1));
                if entry.index != expected {
                    out.push(Violation::new(
                        self.name(),
                        at,
                        Some(node),
                        format!("applied {} when {expected} was next", entry.index),
                    ));
                }
                self.next.insert(node, entry.index.next());
                let digest = payload_digest(&entry.payload);
                let pos = usize::try_from(entry.index.0.saturating_sub(1)).unwrap_or(usize::MAX);
                match self.applied.get(pos) {
                    Some(&(term, d, _, first)) if (term, d) != (entry.term, digest) => {
                        out.push(Violation::new(
                            self.name(),
                            at,
                            Some(node),
                            format!(
                                "applied an entry of {} at {}, where {first} applied one of {term}",
                                entry.term, entry.index
                            ),
                        ));
                    }
                    Some(&(_, _, c, first)) if c != chain => {
                        out.push(Violation::new(
                            self.name(),
                            at,
                            Some(node),
                            format!(
                                "applied the same entry at {} as {first}, but after a different \
                                 sequence of entries",
                                entry.index
                            ),
                        ));
                    }
                    Some(_) => {}
                    None if pos == self.applied.len() => {
                        self.applied.push((entry.term, digest, chain, node));
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::{entry, n, run, t};
    use parliament_engine::engine::{Entry, SnapshotMeta};

    fn applied(node: u64, at: u64, entry: &Entry, chain: u64) -> Observation<'_> {
        Observation::Applied {
            node: n(node),
            at: t(at),
            term: Term(1),
            entry,
            chain,
        }
    }

    fn restored(node: u64, index: u64, chain: u64) -> Observation<'static> {
        let meta = SnapshotMeta {
            index: LogIndex(index),
            term: Term(1),
        };
        Observation::Restored {
            node: n(node),
            at: t(9),
            meta,
            removed: &[],
            chain,
        }
    }

    #[test]
    fn same_entries_on_every_member_pass_including_replay_and_snapshots() {
        let (e1, e2, e3) = (entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c"));
        let v = run(
            &mut StateMachineSafety::default(),
            &[
                applied(1, 1, &e1, 11),
                applied(1, 1, &e2, 12),
                applied(2, 2, &e1, 11),
                Observation::Crashed {
                    node: n(1),
                    at: t(3),
                },
                applied(1, 4, &e1, 11),
                // n3 starts from a snapshot through 2 and applies on from 3.
                restored(3, 2, 12),
                applied(3, 5, &e3, 13),
            ],
        );
        assert_eq!(v, vec![]);
    }

    #[test]
    fn planted_different_entry_at_one_index_is_flagged() {
        let (a, b) = (entry(1, 1, "a"), entry(1, 1, "b"));
        let v = run(
            &mut StateMachineSafety::default(),
            &[applied(1, 1, &a, 1), applied(2, 2, &b, 2)],
        );
        assert_eq!(v.len(), 1);
        assert!(v[0].detail.contains("where n1 applied"), "{}", v[0]);
    }

    #[test]
    fn planted_gap_in_application_is_flagged() {
        let (e1, e3) = (entry(1, 1, "a"), entry(3, 1, "c"));
        let v = run(
            &mut StateMachineSafety::default(),
            &[applied(1, 1, &e1, 1), applied(1, 2, &e3, 3)],
        );
        assert_eq!(v.len(), 1);
        assert!(
            v[0].detail.contains("applied i3 when i2 was next"),
            "{}",
            v[0]
        );
    }

    #[test]
    fn planted_wrong_snapshot_image_is_flagged() {
        let (e1, e2) = (entry(1, 1, "a"), entry(2, 1, "b"));
        let v = run(
            &mut StateMachineSafety::default(),
            &[
                applied(1, 1, &e1, 11),
                applied(1, 1, &e2, 12),
                restored(2, 2, 99),
            ],
        );
        assert_eq!(v.len(), 1);
        assert!(v[0].detail.contains("whose image differs"), "{}", v[0]);
    }

    #[test]
    fn planted_same_entry_after_a_different_history_is_flagged() {
        let (e1, e2) = (entry(1, 1, "a"), entry(2, 1, "b"));
        let v = run(
            &mut StateMachineSafety::default(),
            &[
                applied(1, 1, &e1, 11),
                applied(1, 1, &e2, 12),
                restored(2, 1, 11),
                applied(2, 2, &e2, 78),
            ],
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].detail.contains("after a different sequence"),
            "{}",
            v[0]
        );
    }
}
