//! Term-limit hand-overs as the run saw them: [`HandOvers`] counts those begun,
//! completed (the target won the next term), superseded (someone else did) and abandoned,
//! per level, and how often one began while another was still under way.

use std::collections::BTreeMap;

use parliament_engine::westminster::{COMMONS, DistrictId};
use parliament_engine::{GroupId, NodeId, Term};

/// Hand-overs of one level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandOverCounts {
    /// `Event::HandOver`s.
    pub started: u64,
    /// The target became leader in a later term.
    pub completed: u64,
    /// Another member (or seat) became leader in a later term first.
    pub superseded: u64,
    /// `Event::HandOverAbandoned`s.
    pub abandoned: u64,
}

impl HandOverCounts {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &HandOverCounts) {
        self.started += other.started;
        self.completed += other.completed;
        self.superseded += other.superseded;
        self.abandoned += other.abandoned;
    }
}

/// Every hand-over of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandOvers {
    /// District hand-overs, all districts together.
    pub district: HandOverCounts,
    /// Commons hand-overs.
    pub commons: HandOverCounts,
    /// Hand-overs begun while another district's was still under way (a Prime
    /// Minister hands the Commons over and then its own district: that is one rotation
    /// of one district, not an overlap).
    pub overlapping: u64,
    /// Under way: group → (target, the term it was begun in, the district of the leader
    /// that began it).
    pending: BTreeMap<GroupId, (NodeId, Term, DistrictId)>,
}

impl HandOvers {
    fn counts(&mut self, group: GroupId) -> &mut HandOverCounts {
        if group == COMMONS {
            &mut self.commons
        } else {
            &mut self.district
        }
    }

    /// The leader of `group` in `term`, a member of `district`, began handing over to
    /// `to`.
    pub fn started(&mut self, group: GroupId, term: Term, to: NodeId, district: DistrictId) {
        if self
            .pending
            .iter()
            .any(|(g, (_, _, d))| *g != group && *d != district)
        {
            self.overlapping += 1;
        }
        self.pending.insert(group, (to, term, district));
        self.counts(group).started += 1;
    }

    /// The hand-over of `group` to `to` was abandoned.
    pub fn abandoned(&mut self, group: GroupId, to: NodeId) {
        if self.pending.get(&group).is_some_and(|(t, _, _)| *t == to) {
            self.pending.remove(&group);
        }
        self.counts(group).abandoned += 1;
    }

    /// `leader` (a member, or a seat for the Commons) leads `group` in `term`.
    pub fn leader(&mut self, group: GroupId, term: Term, leader: NodeId) {
        let Some(&(to, begun, _)) = self.pending.get(&group) else {
            return;
        };
        if term <= begun {
            return;
        }
        self.pending.remove(&group);
        let c = self.counts(group);
        if leader == to {
            c.completed += 1;
        } else {
            c.superseded += 1;
        }
    }

    /// In a run without faults long enough for term limits to come due, at least one
    /// district and one Commons hand-over must have completed (`term-limits`).
    #[must_use]
    pub fn missing(&self) -> Option<String> {
        (self.district.completed == 0 || self.commons.completed == 0).then(|| {
            format!(
                "term limits were on and nothing disturbed the run, yet hand-overs completed: {} district, {} Commons (district {:?}, Commons {:?})",
                self.district.completed, self.commons.completed, self.district, self.commons
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_overs_are_counted_completed_superseded_abandoned_and_overlapping() {
        let d = GroupId(1);
        let (d0, d1) = (DistrictId(0), DistrictId(1));
        let mut h = HandOvers::default();
        h.started(d, Term(2), NodeId(5), d0);
        h.leader(d, Term(2), NodeId(4)); // the old leader's own term: still under way
        h.leader(d, Term(3), NodeId(5));
        h.started(COMMONS, Term(7), NodeId(1), d0);
        h.started(d, Term(3), NodeId(6), d0); // the same district's rotation: no overlap
        assert_eq!(h.overlapping, 0);
        h.started(GroupId(2), Term(3), NodeId(16), d1); // another district's: overlap
        h.abandoned(COMMONS, NodeId(1));
        h.leader(d, Term(4), NodeId(7));
        assert_eq!(
            h.district,
            HandOverCounts {
                started: 3,
                completed: 1,
                superseded: 1,
                abandoned: 0
            }
        );
        assert_eq!(h.commons.abandoned, 1);
        assert_eq!(h.overlapping, 1);
        assert_eq!(h.district.started, 3);
        assert!(h.missing().is_some(), "no Commons hand-over completed");
    }

    #[test]
    fn the_term_limit_check_flags_a_calm_run_without_completed_hand_overs() {
        assert!(HandOvers::default().missing().is_some());
        let mut h = HandOvers::default();
        h.started(GroupId(2), Term(1), NodeId(3), DistrictId(1));
        h.leader(GroupId(2), Term(2), NodeId(3));
        assert!(h.missing().is_some());
        h.started(COMMONS, Term(1), NodeId(0), DistrictId(0));
        h.leader(COMMONS, Term(2), NodeId(0));
        assert_eq!(h.missing(), None);
    }
}
