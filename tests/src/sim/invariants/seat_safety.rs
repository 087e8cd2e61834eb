//! Seat safety (DESIGN.md §6): a seat never votes for two candidates in one Commons term,
//! and never loses an acknowledged append — the Commons log in a district's seat record
//! never drops or changes an entry at or below the commit index it has recorded.
//!
//! Every member of a district rebuilds the district's seat record from the district log,
//! so the records of one district, at whichever member and whenever observed, must tell
//! one story: one vote per term, one committed Commons prefix.

use std::collections::{BTreeMap, BTreeSet};

use parliament_engine::westminster::DistrictId;
use parliament_engine::{LogIndex, NodeId, Term, Time};

use super::{SeatInvariant, SeatObservation, Violation};
use crate::sim::trace::payload_digest;

/// Per district: the vote of every Commons term and the committed Commons prefix ever
/// recorded; per member: how far its record has been checked.
#[derive(Debug, Default)]
pub struct SeatSafety {
    votes: BTreeMap<(DistrictId, Term), (NodeId, NodeId)>,
    committed: BTreeMap<DistrictId, BTreeMap<u64, (Term, u64, NodeId)>>,
    checked: BTreeMap<NodeId, LogIndex>,
    flagged: BTreeSet<(DistrictId, &'static str, u64)>,
}

impl SeatSafety {
    /// Flags `detail` once per (district, kind of problem, index or term).
    fn flag(
        &mut self,
        what: (DistrictId, &'static str, u64),
        node: NodeId,
        at: Time,
        detail: String,
        out: &mut Vec<Violation>,
    ) {
        if self.flagged.insert(what) {
            out.push(Violation::new("seat-safety", at, Some(node), detail));
        }
    }
}

impl SeatInvariant for SeatSafety {
    fn name(&self) -> &'static str {
        "seat-safety"
    }

    fn observe(&mut self, obs: &SeatObservation<'_>, out: &mut Vec<Violation>) {
        let (node, district, at, record) = match *obs {
            SeatObservation::Crashed { node, .. } => {
                // A restarted member rebuilds its record from the district log, from zero.
                self.checked.remove(&node);
                return;
            }
            SeatObservation::Record {
                node,
                district,
                at,
                record,
            } => (node, district, at, record),
            _ => return,
        };
        let hs = record.hard_state();
        if let Some(vote) = hs.vote {
            let (first, by) = *self
                .votes
                .entry((district, hs.term))
                .or_insert((vote, node));
            if first != vote {
                self.flag(
                    (district, "vote", hs.term.0),
                    node,
                    at,
                    format!(
                        "the seat of {district} voted for {vote} in Commons {}, but {by}'s \
                         record has it voting for {first}",
                        hs.term
                    ),
                    out,
                );
            }
        }
        let commit = record.commit();
        let before = self.checked.get(&node).copied().unwrap_or_default();
        if commit < before {
            self.flag((district, "commit", before.0),
                node,
                at,
                format!("{node}'s record of {district}'s seat went back from Commons commit {before} to {commit}"),
                out,
            );
        }
        if record.last_index() < before {
            self.flag(
                (district, "dropped", before.0),
                node,
                at,
                format!(
                    "{node}'s record of {district}'s seat holds {} Commons entries, but it had \
                     recorded {before} as committed",
                    record.last_index()
                ),
                out,
            );
            return;
        }
        let canon = self.committed.entry(district).or_default();
        let from = if before.0 == 0 { 1 } else { before.0 };
        let mut problem = None;
        for i in from..=commit.0.max(before.0) {
            let Some(e) = record.entry(LogIndex(i)) else {
                // Compacted into the record's snapshot (checked when it was held), or
                // beyond its log.
                if record.snapshot().is_some_and(|s| s.meta.index.0 >= i) {
                    continue;
                }
                break;
            };
            let d = payload_digest(&e.payload);
            match canon.get(&i) {
                Some(&(term, digest, first)) if (term, digest) != (e.term, d) => {
                    problem = Some((
                        i,
                        format!(
                            "{node}'s record of {district}'s seat holds an entry of {} at \
                             committed Commons index {i}, where {first}'s held one of {term}",
                            e.term
                        ),
                    ));
                    break;
                }
                Some(_) => {}
                None => {
                    canon.insert(i, (e.term, d, node));
                }
            }
        }
        if let Some((i, detail)) = problem {
            self.flag((district, "entry", i), node, at, detail, out);
        }
        self.checked.insert(node, commit.max(before));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::invariants::fixtures::{entry, n, t};
    use parliament_engine::engine::HardState;
    use parliament_engine::westminster::{SeatPersist, SeatRecord};

    fn record(term: u64, vote: u64, entries: &[(u64, &str)], commit: u64) -> SeatRecord {
        let mut r = SeatRecord::default();
        r.apply(&SeatPersist {
            incarnation: Term(1),
            hard_state: Some(HardState {
                term: Term(term),
                vote: Some(n(vote)),
                commit: LogIndex(0),
            }),
            entries: entries
                .iter()
                .enumerate()
                .map(|(i, (t, c))| entry(i as u64 + 1, *t, c))
                .collect(),
            commit: LogIndex(commit),
            snapshot: None,
        });
        r
    }

    fn run(obs: &[(u64, &SeatRecord)]) -> Vec<Violation> {
        let mut c = SeatSafety::default();
        let mut out = Vec::new();
        for (i, (node, r)) in obs.iter().enumerate() {
            c.observe(
                &SeatObservation::Record {
                    node: n(*node),
                    district: DistrictId(0),
                    at: t(i as u64),
                    record: r,
                },
                &mut out,
            );
        }
        out
    }

    #[test]
    fn one_story_per_district_passes() {
        let a = record(2, 0, &[(1, "a"), (2, "b")], 1);
        // Another member, further on: a new term, a new vote, more committed.
        let b = record(3, 1, &[(1, "a"), (2, "b"), (3, "c")], 3);
        // A member behind may hold a different uncommitted tail.
        let c = record(2, 0, &[(1, "a"), (2, "x")], 1);
        assert_eq!(run(&[(1, &a), (2, &b), (3, &c)]), vec![]);
    }

    #[test]
    fn planted_second_vote_in_a_term_is_flagged() {
        let a = record(4, 0, &[], 0);
        let b = record(4, 2, &[], 0);
        let v = run(&[(1, &a), (2, &b)]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].detail.contains("voted for n2 in Commons t4"),
            "{}",
            v[0]
        );
    }

    #[test]
    fn planted_lost_committed_append_is_flagged() {
        let a = record(2, 0, &[(1, "a"), (2, "b")], 2);
        let changed = record(2, 0, &[(1, "a"), (3, "z")], 2);
        let v = run(&[(1, &a), (2, &changed)]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].detail.contains("committed Commons index 2"),
            "{}",
            v[0]
        );
        let dropped = record(2, 0, &[(1, "a")], 1);
        let v = run(&[(1, &a), (1, &dropped)]);
        assert!(
            v.iter()
                .any(|v| v.detail.contains("went back from Commons commit i2 to i1")),
            "{v:?}"
        );
    }
}
