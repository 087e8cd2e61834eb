//! The House of Lords as the Commons log decrees it: who sits, which critical decrees
//! wait, how each Lord voted, and what was enacted (docs/protocol.md#113-the-house-of-lords).
//! Every member derives it from the committed Commons log alone, so it is the same
//! everywhere at the same index.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::types::{LogIndex, NodeId};
use crate::westminster::reputation::Score;
use crate::westminster::{CriticalDecree, DistrictId, Roster, Ticket};

/// Enacted and rejected decrees remembered, newest last.
const MAX_DECIDED: usize = 1024;

/// A critical decree whose Lords' vote is decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enacted {
    /// The Commons index of its `Pending` entry.
    pub decree: LogIndex,
    /// The Commons index of the vote that decided it: where it took effect.
    pub index: LogIndex,
    /// What it decided.
    pub content: CriticalDecree,
    /// Whether it passed (a majority of the seated Lords voted aye) or was rejected
    /// (a majority can no longer vote aye).
    pub passed: bool,
    /// The seated Lords that voted aye when it was decided.
    pub ayes: BTreeSet<NodeId>,
    /// How many Lords sat when it was decided.
    pub seated: usize,
}

#[derive(Clone, Debug)]
struct Pending {
    content: CriticalDecree,
    ticket: Option<Ticket>,
    ayes: BTreeSet<NodeId>,
    nays: BTreeMap<NodeId, String>,
}

/// What a vote decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decided {
    /// Nothing yet.
    Open,
    /// The decree passed at this index: it takes effect here.
    Passed {
        content: CriticalDecree,
        ticket: Option<Ticket>,
    },
    /// The decree was rejected.
    Rejected {
        ticket: Option<Ticket>,
        reasons: Vec<String>,
    },
}

/// The Lords and their business.
#[derive(Clone, Debug, Default)]
pub struct Lords {
    seated: Vec<(NodeId, DistrictId)>,
    pending: BTreeMap<LogIndex, Pending>,
    decided: VecDeque<Enacted>,
}

impl Lords {
    /// The seated Lords and their districts, in the order decreed.
    #[must_use]
    pub fn seated(&self) -> &[(NodeId, DistrictId)] {
        &self.seated
    }

    /// Whether `member` sits in the Lords.
    #[must_use]
    pub fn is_lord(&self, member: NodeId) -> bool {
        self.seated.iter().any(|(l, _)| *l == member)
    }

    /// Critical decrees waiting for the Lords, by the index of their `Pending` entry.
    pub fn pending(&self) -> impl Iterator<Item = (LogIndex, &CriticalDecree)> {
        self.pending.iter().map(|(i, p)| (*i, &p.content))
    }

    /// Whether `lord`'s vote on the pending decree at `decree` is in the log.
    #[must_use]
    pub fn has_voted(&self, decree: LogIndex, lord: NodeId) -> bool {
        self.pending
            .get(&decree)
            .is_some_and(|p| p.ayes.contains(&lord) || p.nays.contains_key(&lord))
    }

    /// The last decided critical decrees (at most 1,024), oldest first.
    pub fn decided(&self) -> impl Iterator<Item = &Enacted> {
        self.decided.iter()
    }

    /// A `Lords` decree: these sit from now on. Entries naming a member outside the
    /// roster, in another district than the roster's, or in a district that already has
    /// a Lord are dropped, alike on every member.
    pub(crate) fn seat(&mut self, lords: &[(NodeId, DistrictId)], roster: &Roster) {
        let mut districts = BTreeSet::new();
        self.seated = lords
            .iter()
            .copied()
            .filter(|(l, d)| roster.district_of(*l) == Some(*d) && districts.insert(*d))
            .collect();
    }

    /// A critical decree entered the Commons log at `index`.
    pub(crate) fn propose(
        &mut self,
        index: LogIndex,
        content: CriticalDecree,
        ticket: Option<Ticket>,
    ) {
        self.pending.insert(
            index,
            Pending {
                content,
                ticket,
                ayes: BTreeSet::new(),
                nays: BTreeMap::new(),
            },
        );
    }

    /// `lord` voted on the decree pending at `decree`, in the entry at `index`. Only a
    /// seated Lord's first vote counts; the decree passes at the vote that gives it a
    /// majority of the seated Lords, and is rejected at the one after which no majority
    /// is possible.
    pub(crate) fn vote(
        &mut self,
        index: LogIndex,
        decree: LogIndex,
        lord: NodeId,
        aye: bool,
        reason: String,
    ) -> Decided {
        if !self.is_lord(lord) {
            return Decided::Open;
        }
        let Some(p) = self.pending.get_mut(&decree) else {
            return Decided::Open;
        };
        if p.ayes.contains(&lord) || p.nays.contains_key(&lord) {
            return Decided::Open;
        }
        if aye {
            p.ayes.insert(lord);
        } else {
            p.nays.insert(lord, reason);
        }
        let seated: BTreeSet<NodeId> = self.seated.iter().map(|(l, _)| *l).collect();
        let ayes: BTreeSet<NodeId> = p.ayes.intersection(&seated).copied().collect();
        let nays = p.nays.keys().filter(|l| seated.contains(l)).count();
        let n = seated.len();
        let passed = 2 * ayes.len() > n;
        let hopeless = 2 * (n - nays) <= n;
        if !passed && !hopeless {
            return Decided::Open;
        }
        let Some(p) = self.pending.remove(&decree) else {
            return Decided::Open;
        };
        if self.decided.len() >= MAX_DECIDED {
            self.decided.pop_front();
        }
        self.decided.push_back(Enacted {
            decree,
            index,
            content: p.content.clone(),
            passed,
            ayes,
            seated: n,
        });
        if passed {
            Decided::Passed {
                content: p.content,
                ticket: p.ticket,
            }
        } else {
            Decided::Rejected {
                ticket: p.ticket,
                reasons: p.nays.into_values().collect(),
            }
        }
    }
}

/// The Lords the Prime Minister proposes: the seated ones that are still in the roster
/// and not `silent`, then, for districts without a Lord by standing (highest first, ties
/// by id), their nominee if it is not silent, up to `count` (docs/protocol.md §11.3).
#[must_use]
pub(crate) fn choose(
    count: usize,
    seated: &[(NodeId, DistrictId)],
    roster: &Roster,
    standings: &BTreeMap<DistrictId, Score>,
    nominees: &BTreeMap<DistrictId, NodeId>,
    silent: impl Fn(NodeId) -> bool,
) -> Vec<(NodeId, DistrictId)> {
    let count = count.min(roster.districts().count());
    let mut out: Vec<(NodeId, DistrictId)> = seated
        .iter()
        .copied()
        .filter(|(l, d)| roster.district_of(*l) == Some(*d) && !silent(*l))
        .take(count)
        .collect();
    let mut districts: Vec<DistrictId> = roster.districts().map(|(d, _)| d).collect();
    districts.sort_by_key(|d| (std::cmp::Reverse(standings.get(d).copied()), *d));
    for d in districts {
        if out.len() >= count {
            break;
        }
        if out.iter().any(|(_, x)| *x == d) {
            continue;
        }
        if let Some(&n) = nominees.get(&d)
            && roster.district_of(n) == Some(d)
            && !silent(n)
        {
            out.push((n, d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::state::DistrictName;
    use crate::westminster::DistrictRoster;

    fn roster(n: u64) -> Roster {
        Roster::new(
            (0..n).map(|d| {
                (
                    DistrictId(d),
                    DistrictRoster {
                        name: DistrictName::new(format!("zone-{d}")).unwrap(),
                        members: (1..=3).map(|k| NodeId(10 * d + k)).collect(),
                        bootstrap_representative: None,
                    },
                )
            }),
            None,
        )
        .unwrap()
    }

    fn write() -> CriticalDecree {
        CriticalDecree::Write(Bytes::from_static(b"w"))
    }

    #[test]
    fn a_decree_passes_at_the_vote_that_makes_the_majority_and_only_lords_count() {
        let r = roster(3);
        let mut l = Lords::default();
        l.seat(
            &[
                (NodeId(1), DistrictId(0)),
                (NodeId(12), DistrictId(1)),
                (NodeId(23), DistrictId(2)),
            ],
            &r,
        );
        l.propose(LogIndex(10), write(), None);
        assert_eq!(
            l.vote(LogIndex(11), LogIndex(10), NodeId(2), true, String::new()),
            Decided::Open,
            "not a Lord"
        );
        assert_eq!(
            l.vote(LogIndex(12), LogIndex(10), NodeId(1), true, String::new()),
            Decided::Open
        );
        assert_eq!(
            l.vote(LogIndex(13), LogIndex(10), NodeId(1), true, String::new()),
            Decided::Open,
            "twice"
        );
        assert!(l.has_voted(LogIndex(10), NodeId(1)));
        assert_eq!(
            l.vote(LogIndex(14), LogIndex(10), NodeId(23), true, String::new()),
            Decided::Passed {
                content: write(),
                ticket: None
            }
        );
        let d: Vec<&Enacted> = l.decided().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].decree, d[0].index, d[0].passed, d[0].seated),
            (LogIndex(10), LogIndex(14), true, 3)
        );
        assert_eq!(d[0].ayes, BTreeSet::from([NodeId(1), NodeId(23)]));
        assert_eq!(l.pending().count(), 0);
    }

    #[test]
    fn a_decree_is_rejected_once_no_majority_can_vote_aye() {
        let r = roster(3);
        let mut l = Lords::default();
        l.seat(
            &[
                (NodeId(1), DistrictId(0)),
                (NodeId(12), DistrictId(1)),
                (NodeId(23), DistrictId(2)),
            ],
            &r,
        );
        l.propose(LogIndex(5), write(), None);
        assert_eq!(
            l.vote(LogIndex(6), LogIndex(5), NodeId(1), false, "no".into()),
            Decided::Open
        );
        assert_eq!(
            l.vote(LogIndex(7), LogIndex(5), NodeId(12), false, "never".into()),
            Decided::Rejected {
                ticket: None,
                reasons: vec!["no".into(), "never".into()]
            }
        );
        assert!(!l.decided().next().unwrap().passed);
    }

    #[test]
    fn seating_drops_strangers_wrong_districts_and_second_lords_of_a_district() {
        let r = roster(2);
        let mut l = Lords::default();
        l.seat(
            &[
                (NodeId(1), DistrictId(0)),
                (NodeId(2), DistrictId(0)),
                (NodeId(12), DistrictId(0)),
                (NodeId(99), DistrictId(1)),
                (NodeId(13), DistrictId(1)),
            ],
            &r,
        );
        assert_eq!(
            l.seated(),
            &[(NodeId(1), DistrictId(0)), (NodeId(13), DistrictId(1))]
        );
    }

    #[test]
    fn the_choice_keeps_reachable_lords_and_fills_from_the_best_standing_districts() {
        let r = roster(4);
        let standings: BTreeMap<DistrictId, Score> =
            [(0, 5_000), (1, 9_000), (2, 7_000), (3, 9_000)]
                .into_iter()
                .map(|(d, s)| (DistrictId(d), Score::new(s).unwrap()))
                .collect();
        let nominees: BTreeMap<DistrictId, NodeId> = (0..4)
            .map(|d| (DistrictId(d), NodeId(10 * d + 2)))
            .collect();
        let none = choose(3, &[], &r, &standings, &nominees, |_| false);
        assert_eq!(
            none,
            vec![
                (NodeId(12), DistrictId(1)),
                (NodeId(32), DistrictId(3)),
                (NodeId(22), DistrictId(2))
            ]
        );
        tracing::info!("--- a silent Lord is replaced by the best district without a Lord");
        let again = choose(3, &none, &r, &standings, &nominees, |l| l == NodeId(32));
        assert_eq!(
            again,
            vec![
                (NodeId(12), DistrictId(1)),
                (NodeId(22), DistrictId(2)),
                (NodeId(2), DistrictId(0))
            ]
        );
        assert_eq!(
            choose(3, &again, &r, &standings, &nominees, |_| false),
            again
        );
        assert_eq!(
            choose(9, &[], &r, &standings, &nominees, |_| false).len(),
            4,
            "at most one per district"
        );
    }
}
