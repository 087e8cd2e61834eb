//! lords-terms: the House of Lords sits as the Commons log says, never two Lords of one
//! district, and a Lord's seat is given anew by a rotation only after its term ended on
//! the log clock (docs/protocol.md#113-the-house-of-lords).
//!
//! The checker replays each member's committed Commons log on its own (its seat record,
//! up to the member's applied global revision): `Lords` decrees seat without terms,
//! `Seated` decrees seat with term ends at their log-clock stamp `at`. A committed
//! `Seated` decree is refused when its clock runs backwards, when it rotates a Lord that
//! does not sit or whose term ends after `at`, or when two of its Lords' terms end
//! together, and the replay skips it: such a decree may well be committed (a Prime
//! Minister proposing a rotation again before the first reached the log, a new Prime
//! Minister whose reading of the log clock lags), but no member may apply it. After the
//! replay the member's own seated Lords and term ends must equal the replay's (the
//! violation names the decrees the log refused), and hold at most one Lord per
//! district. Rotations are counted once per Commons index.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use parliament_engine::engine::Entry;
use parliament_engine::westminster::{CommonsDecree, SeatedLord};
use parliament_engine::{LogIndex, NodeId, Time};

use crate::sim::invariants::Violation;
use crate::sim::invariants::critical_ratified::decree_of;

const NAME: &str = "lords-terms";

/// The Lords as a replay of the log has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct House {
    pub(crate) lords: Vec<SeatedLord>,
    clock: Option<Duration>,
}

#[derive(Clone, Debug, Default)]
struct Replay {
    through: LogIndex,
    house: House,
    /// Why the last few refused decrees were refused.
    refused: Vec<String>,
}

/// The lords-terms checker.
#[derive(Debug, Default)]
pub struct LordsTerms {
    replays: BTreeMap<NodeId, Replay>,
    rotations: BTreeSet<LogIndex>,
    refused: BTreeSet<LogIndex>,
    /// Member looks compared with the replay.
    pub checked: u64,
}

impl LordsTerms {
    /// Rotations the committed log holds (Commons indices of valid rotating decrees).
    #[must_use]
    pub fn rotations(&self) -> u64 {
        self.rotations.len() as u64
    }

    /// Committed `Seated` decrees the log refused (by Commons index).
    #[must_use]
    pub fn refused(&self) -> u64 {
        self.refused.len() as u64
    }

    /// One look at `node`: `log` is its Commons log (its seat record's entries),
    /// `applied` its applied global revision, `seated` its Lords with their term ends.
    #[allow(clippy::too_many_arguments)]
    pub fn look(
        &mut self,
        node: NodeId,
        at: Time,
        log: &[Entry],
        applied: LogIndex,
        seated: &[SeatedLord],
        violations: &mut Vec<Violation>,
    ) {
        let mut districts = BTreeSet::new();
        if let Some(s) = seated.iter().find(|s| !districts.insert(s.district)) {
            violations.push(Violation::new(
                NAME,
                at,
                Some(node),
                format!("two Lords of district {:?} sit: {seated:?}", s.district),
            ));
        }
        let replay = self.replays.entry(node).or_default();
        if applied < replay.through {
            // A restarted member applies its log again from the start.
            *replay = Replay::default();
        }
        let Some(first) = log.first().map(|e| e.index) else {
            return;
        };
        if first > replay.through.next() && replay.through < applied {
            // Entries compacted away before the replay read them: this member cannot be
            // judged any more.
            replay.through = applied;
            return;
        }
        let from = replay.through;
        for e in log.iter().filter(|e| e.index > from && e.index <= applied) {
            if let Some((d, _)) = decree_of(e) {
                judge(&mut replay.house, &d, e.index, &mut self.rotations).unwrap_or_else(|why| {
                    self.refused.insert(e.index);
                    if replay.refused.len() >= 4 {
                        replay.refused.remove(0);
                    }
                    replay.refused.push(format!(
                        "the Seated decree at Commons index {} {why}",
                        e.index
                    ));
                });
            }
            replay.through = e.index;
        }
        if replay.through < applied {
            return;
        }
        self.checked += 1;
        if replay.house.lords != seated {
            violations.push(Violation::new(
                NAME,
                at,
                Some(node),
                format!(
                    "at Commons index {applied} the member seats {seated:?}, the log {:?}; refused: {:?}",
                    replay.house.lords, replay.refused
                ),
            ));
        }
    }
}

/// The engine's apply-time filter: one Lord per district, judged from the log alone
/// (whether a Lord belongs to its district is the proposer's judgement, from its roster).
fn seat(lords: impl Iterator<Item = SeatedLord>) -> Vec<SeatedLord> {
    let mut districts = BTreeSet::new();
    lords.filter(|s| districts.insert(s.district)).collect()
}

/// Applies one decree to `house`; a `Seated` decree that breaks the rules is skipped
/// and said why.
pub(crate) fn judge(
    house: &mut House,
    d: &CommonsDecree,
    index: LogIndex,
    rotations: &mut BTreeSet<LogIndex>,
) -> Result<(), String> {
    match d {
        CommonsDecree::Lords { lords } => {
            house.lords = seat(lords.iter().map(|(lord, district)| SeatedLord {
                lord: *lord,
                district: *district,
                term_end: None,
            }));
            Ok(())
        }
        CommonsDecree::Seated { at, lords, rotated } => {
            if let Some(c) = house.clock.filter(|c| at < c) {
                return Err(format!("turns the log clock back from {c:?} to {at:?}"));
            }
            if let Some(r) = rotated {
                match house.lords.iter().find(|s| s.lord == *r) {
                    None => return Err(format!("rotates {r}, who does not sit")),
                    Some(s) if s.term_end.is_none_or(|end| end > *at) => {
                        return Err(format!(
                            "rotates {r} at {at:?}, before its term ends at {:?}",
                            s.term_end
                        ));
                    }
                    Some(_) => {
                        rotations.insert(index);
                    }
                }
            }
            let new = seat(lords.iter().copied());
            let mut ends = BTreeSet::new();
            if let Some(s) = new
                .iter()
                .find(|s| s.term_end.is_some_and(|e| !ends.insert(e)))
            {
                return Err(format!("ends two terms together at {:?}", s.term_end));
            }
            house.lords = new;
            house.clock = Some(*at);
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use parliament_engine::Term;
    use parliament_engine::engine::Payload;
    use parliament_engine::westminster::DistrictId;

    use super::*;

    fn sl(lord: u64, district: u64, end: u64) -> SeatedLord {
        SeatedLord {
            lord: NodeId(lord),
            district: DistrictId(district),
            term_end: Some(Duration::from_millis(end)),
        }
    }

    fn seated(index: u64, at: u64, lords: Vec<SeatedLord>, rotated: Option<u64>) -> Entry {
        Entry {
            term: Term(1),
            index: LogIndex(index),
            payload: Payload::Command(
                CommonsDecree::Seated {
                    at: Duration::from_millis(at),
                    lords,
                    rotated: rotated.map(NodeId),
                }
                .encode(),
            ),
        }
    }

    fn first() -> Vec<SeatedLord> {
        vec![sl(1, 0, 1_000), sl(11, 1, 2_000), sl(21, 2, 3_000)]
    }

    fn after_rotation() -> Vec<SeatedLord> {
        vec![sl(11, 1, 2_000), sl(21, 2, 3_000), sl(2, 0, 4_000)]
    }

    /// Looks at a member whose log is `log` and whose Lords are `seated`.
    fn check(log: &[Entry], seated: &[SeatedLord]) -> (Vec<Violation>, u64) {
        let mut c = LordsTerms::default();
        let mut v = Vec::new();
        let applied = log.last().map_or(LogIndex(0), |e| e.index);
        c.look(NodeId(9), Time(0), log, applied, seated, &mut v);
        (v, c.rotations())
    }

    #[test]
    fn a_rotation_after_the_term_ended_passes_and_is_counted() {
        let log = vec![
            seated(1, 0, first(), None),
            seated(2, 1_000, after_rotation(), Some(1)),
        ];
        let (v, rotations) = check(&log, &after_rotation());
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(rotations, 1);
    }

    #[test]
    fn a_refused_decree_that_no_member_applied_is_no_violation() {
        let log = vec![
            seated(1, 0, first(), None),
            seated(2, 1_000, after_rotation(), Some(1)),
            seated(3, 1_100, after_rotation(), Some(1)),
        ];
        let (v, rotations) = check(&log, &after_rotation());
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(rotations, 1);
    }

    #[test]
    fn planted_violations_are_flagged() {
        // (what, log after the first seating, the member's Lords, what the report says)
        let cases: Vec<(&str, Vec<Entry>, Vec<SeatedLord>, &str)> = vec![
            (
                "a rotation before the term ended",
                vec![seated(2, 999, after_rotation(), Some(1))],
                after_rotation(),
                "before its term ends",
            ),
            (
                "a rotation of a member that does not sit",
                vec![seated(2, 5_000, after_rotation(), Some(2))],
                after_rotation(),
                "who does not sit",
            ),
            (
                "the log clock turned back",
                vec![
                    seated(2, 1_000, after_rotation(), Some(1)),
                    seated(3, 900, first(), None),
                ],
                first(),
                "turns the log clock back",
            ),
            (
                "two terms ending together",
                vec![seated(2, 10, vec![sl(1, 0, 1_000), sl(11, 1, 1_000)], None)],
                vec![sl(1, 0, 1_000), sl(11, 1, 1_000)],
                "ends two terms together",
            ),
            (
                "two Lords of one district at a member",
                vec![],
                vec![sl(1, 0, 1_000), sl(2, 0, 2_000), sl(21, 2, 3_000)],
                "two Lords of district",
            ),
            (
                "a member that applied an early rotation",
                vec![seated(2, 999, after_rotation(), Some(1))],
                after_rotation(),
                "the member seats",
            ),
        ];
        for (what, rest, member, says) in cases {
            let mut log = vec![seated(1, 0, first(), None)];
            log.extend(rest);
            let (v, _) = check(&log, &member);
            assert!(
                v.iter().any(|v| v.to_string().contains(says)),
                "{what}: {v:?}"
            );
        }
    }
}
