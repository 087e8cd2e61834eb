//! Roster changes while the faults run (the `membership` fault): the operator publishes
//! a roster with a new member in a district, or without one of its members, and every
//! member adopts it at its own moment, as sidecars watching the operator's roster do.
//!
//! Each district has [`SPARES`] members that start parked (never booted). A change adds
//! one of them to a district at its founding size, or removes a random member (a
//! founder, the representative, a Lord: whoever the dice pick) from a district one
//! larger, so a district's roster stays within one member of its founding size and a
//! majority of its founders' worth of voters stays reachable. The operator waits for a
//! district to carry out one change (the learner promoted, the member that left
//! stopped) before the next, as one respecting a PodDisruptionBudget of one would. The joining member starts
//! with an empty disk and the new roster; the others get it 0–1 s later each. A member
//! that left keeps running until every running member of its district has a
//! configuration without it (the representative removed it), then stops for good: a pod
//! the operator deleted. Every invariant keeps observing it until then. One that crashes
//! before that stays down (a sidecar whose roster no longer names it refuses to start).
//! Districts founded with fewer than three members are left alone: they cannot lose
//! one without losing their quorum.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use parliament_engine::NodeId;
use parliament_engine::westminster::{DistrictId, DistrictRoster, Roster};

use super::ParliamentRun;
use crate::sim::parliament::{ParliamentEvent, ParliamentOptions};
use crate::sim::{Fault, MemberNode};

/// Spare members per district, parked until a roster change adds them.
pub(super) const SPARES: usize = 2;
/// How often a member that left is looked at again before it stops.
const RETIRE_RECHECK: Duration = Duration::from_millis(500);

/// The run's roster versions, spares and counts.
#[derive(Debug)]
pub(super) struct RosterChanges {
    /// Every member's district, spares included; a member keeps its district after it
    /// left (the checkers still judge what it does until it stops).
    home: BTreeMap<NodeId, DistrictId>,
    /// Spares not used yet, by district.
    spares: BTreeMap<DistrictId, Vec<NodeId>>,
    /// Each district's founders: every roster version names them, as the operator's does.
    founders: BTreeMap<DistrictId, BTreeSet<NodeId>>,
    /// Founding sizes.
    sizes: BTreeMap<DistrictId, usize>,
    /// Every roster published, oldest first.
    versions: Vec<Roster>,
    /// The newest version each member adopted.
    adopted: BTreeMap<NodeId, usize>,
    /// Members that left the roster and still run.
    leaving: BTreeSet<NodeId>,
    /// Members that left and stopped for good.
    stopped: BTreeSet<NodeId>,
    added: u64,
    removed: u64,
    retired: u64,
}

impl RosterChanges {
    /// Spares numbered from `next`, when the run injects the `membership` fault.
    pub(super) fn new(opts: &ParliamentOptions, roster: &Roster, mut next: u64) -> RosterChanges {
        let mut home = BTreeMap::new();
        let mut spares = BTreeMap::new();
        let mut founders = BTreeMap::new();
        let mut sizes = BTreeMap::new();
        let spare = opts.faults.has(Fault::Membership) && !opts.converge_only;
        for (d, r) in roster.districts() {
            for m in &r.members {
                home.insert(*m, d);
            }
            founders.insert(d, r.members.clone());
            sizes.insert(d, r.members.len());
            if spare {
                let ids: Vec<NodeId> = (next..next + SPARES as u64).map(NodeId).collect();
                next += SPARES as u64;
                for id in &ids {
                    home.insert(*id, d);
                }
                spares.insert(d, ids);
            }
        }
        RosterChanges {
            home,
            spares,
            founders,
            sizes,
            versions: vec![roster.clone()],
            adopted: BTreeMap::new(),
            leaving: BTreeSet::new(),
            stopped: BTreeSet::new(),
            added: 0,
            removed: 0,
            retired: 0,
        }
    }

    /// The spares, in id order.
    pub(super) fn spare_ids(&self) -> impl Iterator<Item = NodeId> + use<> {
        let ids: Vec<NodeId> = self.spares.values().flatten().copied().collect();
        ids.into_iter()
    }

    /// Every member the run ever had, spares included.
    pub(super) fn all_ids(&self) -> Vec<NodeId> {
        self.home.keys().copied().collect()
    }

    /// The district `id` belongs (or belonged) to.
    pub(super) fn home(&self, id: NodeId) -> Option<DistrictId> {
        self.home.get(&id).copied()
    }

    /// (joined, left, stopped).
    pub(super) fn counts(&self) -> (u64, u64, u64) {
        (self.added, self.removed, self.retired)
    }

    /// The newest roster with `district`'s members replaced, founders kept.
    fn with_members(&self, district: DistrictId, members: BTreeSet<NodeId>) -> Option<Roster> {
        let latest = self.versions.last()?;
        let districts: Vec<(DistrictId, DistrictRoster)> = latest
            .districts()
            .map(|(d, r)| {
                let mut r = r.clone();
                if d == district {
                    r.members = members.clone();
                }
                (d, r)
            })
            .collect();
        let mut roster = Roster::new(districts, latest.bootstrap_prime_minister()).ok()?;
        for (d, f) in &self.founders {
            roster = roster.with_founders(*d, f.iter().copied()).ok()?;
        }
        Some(roster)
    }
}

impl ParliamentRun {
    /// The operator changes the roster (the module docs).
    pub(super) fn reroster(&mut self) {
        if !self.world.chaos() {
            return;
        }
        let after = Duration::from_millis(self.world.rng().between(2_000, 6_000));
        self.world.schedule(after, ParliamentEvent::Reroster);
        // A district of one or two cannot lose a member without losing its quorum; one
        // still carrying out the last change is left alone.
        let districts: Vec<DistrictId> = self
            .changes
            .sizes
            .iter()
            .filter(|(d, n)| **n >= 3 && self.settled(**d))
            .map(|(d, _)| *d)
            .collect();
        let Some(&district) = self.world.rng().pick(&districts) else {
            return;
        };
        let Some(current) = self.roster.district(district).map(|d| d.members.clone()) else {
            return;
        };
        let founding = self.changes.sizes.get(&district).copied().unwrap_or(0);
        let mut members = current.clone();
        let mut joining = None;
        if current.len() > founding {
            let list: Vec<NodeId> = current.iter().copied().collect();
            let Some(&gone) = self.world.rng().pick(&list) else {
                return;
            };
            members.remove(&gone);
            self.changes.leaving.insert(gone);
            self.changes.removed += 1;
            if self.world.is_up(gone) {
                self.world
                    .schedule(RETIRE_RECHECK, ParliamentEvent::Retire(gone));
            } else {
                // Down already: its pod is deleted before it comes back.
                self.stop_for_good(gone);
            }
            tracing::debug!(node = %gone, %district, "roster change: a member leaves");
        } else if let Some(spare) = self.changes.spares.get_mut(&district).and_then(Vec::pop) {
            members.insert(spare);
            joining = Some(spare);
            self.changes.added += 1;
            tracing::debug!(node = %spare, %district, "roster change: a member joins");
        } else {
            return;
        }
        let Some(roster) = self.changes.with_members(district, members) else {
            self.push(
                "roster-change",
                None,
                format!("the simulator built no valid roster for a change in {district}"),
            );
            return;
        };
        self.roster = roster.clone();
        self.changes.versions.push(roster.clone());
        let version = self.changes.versions.len() - 1;
        self.disturbed = self.world.now();
        for id in self.world.ids() {
            if Some(id) != joining {
                let delay = Duration::from_millis(self.world.rng().between(0, 1_000));
                self.world.schedule(
                    delay,
                    ParliamentEvent::AdoptRoster {
                        node: id,
                        version: version as u64,
                    },
                );
            }
        }
        if let Some(spare) = joining {
            self.adopt_roster(spare, version as u64);
            if self.world.unpark(spare) {
                self.after_member(spare);
            }
        }
    }

    /// Whether `district` carried out the last roster change: no member that left still
    /// runs, and its leader's configuration has exactly the roster's members as voters.
    /// The operator changes one member at a time and waits for this, as one that
    /// respects a PodDisruptionBudget of one does; without the wait, removing two
    /// founders before the learners replacing them are promoted leaves no quorum, which
    /// no protocol can help.
    fn settled(&self, district: DistrictId) -> bool {
        if self
            .changes
            .leaving
            .iter()
            .any(|id| self.changes.home(*id) == Some(district))
        {
            return false;
        }
        let Some(wanted) = self.roster.district(district).map(|d| &d.members) else {
            return false;
        };
        self.world.ids().into_iter().any(|id| {
            self.world
                .node(id)
                .and_then(MemberNode::member)
                .is_some_and(|m| {
                    let c = m.district_membership();
                    m.district() == district
                        && m.district_status().role == parliament_engine::engine::Role::Leader
                        && c.learners.is_empty()
                        && &c.voters == wanted
                })
        })
    }

    /// Roster `version` reaches `node`; an older one than it has is ignored (a watch
    /// delivers versions in order).
    pub(super) fn adopt_roster(&mut self, node: NodeId, version: u64) {
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if self.changes.stopped.contains(&node) {
            return;
        }
        if self
            .changes
            .adopted
            .get(&node)
            .is_some_and(|v| *v >= version)
        {
            return;
        }
        let Some(roster) = self.changes.versions.get(version).cloned() else {
            return;
        };
        let Some(result) = self.world.node_mut(node).map(|n| n.set_roster(roster)) else {
            return;
        };
        match result {
            Ok(()) => {
                self.changes.adopted.insert(node, version);
                self.touched.insert(node);
            }
            Err(why) => self.push(
                "roster-change",
                Some(node),
                format!("member {node} refused roster version {version}, which only adds or removes a member: {why}"),
            ),
        }
    }

    /// A member that left stops once every running member of its district has a
    /// configuration without it; until then it is looked at again.
    pub(super) fn retire(&mut self, id: NodeId) {
        if !self.changes.leaving.contains(&id) {
            return;
        }
        let Some(district) = self.changes.home(id) else {
            return;
        };
        let mut running = 0;
        let mut dropped = true;
        for other in self.world.ids() {
            if other == id || self.changes.home(other) != Some(district) || !self.world.is_up(other)
            {
                continue;
            }
            if let Some(m) = self.world.node(other).and_then(MemberNode::member) {
                running += 1;
                dropped &= !m.district_membership().contains(id);
            }
        }
        if running == 0 || !dropped {
            self.world
                .schedule(RETIRE_RECHECK, ParliamentEvent::Retire(id));
            return;
        }
        tracing::debug!(node = %id, %district, "a member that left stops");
        self.after_member(id);
        self.observe_crash(id);
        self.stop_for_good(id);
    }

    /// A member that left crashed: it does not come back (its pod is being deleted; a
    /// sidecar whose roster no longer names it refuses to start).
    pub(super) fn crashed_while_leaving(&mut self, id: NodeId) {
        if self.changes.leaving.contains(&id) {
            tracing::debug!(node = %id, "a member that left crashed and stays down");
            self.stop_for_good(id);
        }
    }

    fn stop_for_good(&mut self, id: NodeId) {
        if !self.changes.leaving.remove(&id) {
            return;
        }
        self.world.park(id);
        self.changes.stopped.insert(id);
        self.changes.retired += 1;
        self.disturbed = self.world.now();
    }
}
