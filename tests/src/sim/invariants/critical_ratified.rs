//! critical-ratified: no critical decree takes effect without a recorded Lords majority
//! (docs/protocol.md#113-the-house-of-lords).
//!
//! When a member reports `Event::CriticalEnacted { decree, index }`, the checker reads
//! that member's Commons log (its seat record) through `index` on its own: the `Lords`
//! and `Seated` decrees (replayed as lords-terms does) say who sits at `index`, the entry at `decree` must be a `Pending` decree,
//! and the `LordVote`s for it in the log up to `index`, each carried by a session entry
//! whose origin is the voting Lord, must hold ayes of more than half of the Lords seated
//! at `index`. Each (decree, index, term) is judged once.

use std::collections::{BTreeMap, BTreeSet};

use parliament_engine::engine::{Entry, Payload};
use parliament_engine::westminster::{CommonsDecree, SessionEntry};
use parliament_engine::{LogIndex, NodeId, Term, Time};

use crate::sim::invariants::Violation;
use crate::sim::invariants::lords_terms::{House, judge};

/// The critical-ratified checker.
#[derive(Debug, Default)]
pub struct CriticalRatified {
    judged: BTreeSet<(LogIndex, LogIndex, Term)>,
    /// Decisions judged.
    pub checked: u64,
}

/// A Westminster decree in a Commons entry, with the origin of the session entry that
/// carried it (if one did).
pub(crate) fn decree_of(e: &Entry) -> Option<(CommonsDecree, Option<NodeId>)> {
    let Payload::Command(bytes) = &e.payload else {
        return None;
    };
    if SessionEntry::is_session_entry(bytes) {
        let s = SessionEntry::decode(bytes).ok()?;
        return CommonsDecree::decode(&s.command)
            .ok()
            .map(|d| (d, Some(s.ticket.origin)));
    }
    CommonsDecree::decode(bytes).ok().map(|d| (d, None))
}

impl CriticalRatified {
    /// `node` reports that the decree pending at `decree` took effect at `index`; `log`
    /// is its Commons log.
    #[allow(clippy::too_many_arguments)]
    pub fn enacted(
        &mut self,
        node: NodeId,
        at: Time,
        decree: LogIndex,
        index: LogIndex,
        log: &[Entry],
        violations: &mut Vec<Violation>,
    ) {
        let Some(term) = log.iter().find(|e| e.index == index).map(|e| e.term) else {
            violations.push(Violation::new(
                "critical-ratified",
                at,
                Some(node),
                format!("a critical decree took effect at Commons index {index}, which the member's log does not hold"),
            ));
            return;
        };
        if !self.judged.insert((decree, index, term)) {
            return;
        }
        self.checked += 1;
        let mut lords: BTreeSet<NodeId> = BTreeSet::new();
        let mut house = House::default();
        let mut pending = false;
        let mut ayes: BTreeMap<NodeId, bool> = BTreeMap::new();
        for e in log.iter().filter(|e| e.index <= index) {
            let Some((d, origin)) = decree_of(e) else {
                continue;
            };
            match d {
                CommonsDecree::Lords { .. } | CommonsDecree::Seated { .. } => {
                    // Refused Seated decrees change nothing, as on the members.
                    let _ = judge(&mut house, &d, e.index, &mut BTreeSet::new());
                    lords = house.lords.iter().map(|s| s.lord).collect();
                }
                CommonsDecree::Pending { .. } if e.index == decree => pending = true,
                CommonsDecree::LordVote {
                    decree: voted,
                    lord,
                    aye,
                    ..
                } if voted == decree && origin == Some(lord) => {
                    ayes.entry(lord).or_insert(aye);
                }
                _ => {}
            }
        }
        let counted = ayes
            .iter()
            .filter(|(l, aye)| **aye && lords.contains(l))
            .count();
        if !pending || 2 * counted <= lords.len() {
            violations.push(Violation::new(
                "critical-ratified",
                at,
                Some(node),
                format!(
                    "the critical decree at Commons index {decree} took effect at {index} with {counted} recorded ayes of {} seated Lords {lords:?} (pending entry found: {pending})",
                    lords.len()
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use parliament_engine::westminster::{CriticalDecree, DistrictId, Ticket};

    use super::*;

    fn entry(index: u64, decree: &CommonsDecree, origin: Option<u64>) -> Entry {
        let bytes = decree.encode();
        let payload = match origin {
            Some(o) => SessionEntry {
                ticket: Ticket {
                    origin: NodeId(o),
                    epoch: 0,
                    seq: index,
                },
                command: bytes,
            }
            .encode(),
            None => bytes,
        };
        Entry {
            term: Term(1),
            index: LogIndex(index),
            payload: Payload::Command(payload),
        }
    }

    fn vote(index: u64, lord: u64, origin: u64, aye: bool) -> Entry {
        entry(
            index,
            &CommonsDecree::LordVote {
                decree: LogIndex(2),
                lord: NodeId(lord),
                aye,
                reason: String::new(),
            },
            Some(origin),
        )
    }

    fn log() -> Vec<Entry> {
        vec![
            entry(
                1,
                &CommonsDecree::Lords {
                    lords: vec![
                        (NodeId(1), DistrictId(0)),
                        (NodeId(11), DistrictId(1)),
                        (NodeId(21), DistrictId(2)),
                    ],
                },
                None,
            ),
            entry(
                2,
                &CommonsDecree::Pending {
                    decree: CriticalDecree::Write(Bytes::from_static(b"w")),
                },
                Some(5),
            ),
            vote(3, 1, 1, true),
        ]
    }

    fn judge(log: &[Entry], index: u64) -> Vec<Violation> {
        let mut v = Vec::new();
        CriticalRatified::default().enacted(
            NodeId(9),
            Time(0),
            LogIndex(2),
            LogIndex(index),
            log,
            &mut v,
        );
        v
    }

    #[test]
    fn a_majority_of_recorded_ayes_passes() {
        let mut l = log();
        l.push(vote(4, 21, 21, true));
        assert!(judge(&l, 4).is_empty());
    }

    #[test]
    fn planted_one_aye_of_three_is_flagged() {
        let v = judge(&log(), 3);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].to_string().contains("1 recorded ayes of 3"),
            "{}",
            v[0]
        );
    }

    #[test]
    fn planted_votes_that_do_not_count_are_flagged() {
        let mut l = log();
        l.push(vote(4, 21, 7, true)); // carried by another member than the Lord
        l.push(vote(5, 12, 12, true)); // not a Lord
        l.push(vote(6, 1, 1, true)); // the same Lord again
        assert_eq!(judge(&l, 6).len(), 1);
        tracing::info!("--- a vote after the decision does not count for it");
        l.push(vote(7, 11, 11, true));
        assert_eq!(judge(&l, 6).len(), 1);
        assert!(judge(&l, 7).is_empty());
    }

    #[test]
    fn planted_decision_without_a_pending_entry_is_flagged() {
        let mut l = log();
        l.remove(1);
        l.push(vote(4, 21, 21, true));
        let v = judge(&l, 4);
        assert_eq!(v.len(), 1);
        assert!(v[0].to_string().contains("pending entry found: false"));
    }
}
