//! The nemesis: decides which fault to inject next, from the kinds a run enables.

use std::time::Duration;

use parliament_engine::NodeId;

use crate::sim::{ClusterView, DiskFault, FaultAction};
use crate::sim::{Conditions, Fault, FaultSet, Partition, SimRng};

/// Chooses faults at random intervals.
#[derive(Clone, Debug)]
pub struct Nemesis {
    faults: FaultSet,
    next_partition_id: u64,
}

impl Nemesis {
    /// A nemesis injecting `faults`.
    #[must_use]
    pub fn new(faults: FaultSet) -> Nemesis {
        Nemesis {
            faults,
            next_partition_id: 1,
        }
    }

    /// How long until the next action.
    pub fn interval(&self, rng: &mut SimRng) -> Duration {
        Duration::from_millis(rng.between(100, 1_000))
    }

    /// The next action.
    pub fn plan(&mut self, rng: &mut SimRng, view: &ClusterView) -> FaultAction {
        // One time in twenty the nemesis calms the network so the cluster makes progress
        // between storms; with nothing enabled it is always calm.
        let kinds: Vec<Fault> = self
            .faults
            .iter()
            .filter(|f| {
                !matches!(
                    f,
                    Fault::Drift | Fault::Transfer | Fault::Campaign | Fault::Membership
                )
            })
            .collect();
        if kinds.is_empty() || rng.chance(50_000) {
            return FaultAction::Conditions(Conditions::calm());
        }
        let Some(&kind) = rng.pick(&kinds) else {
            return FaultAction::Nothing;
        };
        let mut c = view.conditions;
        match kind {
            Fault::Loss => {
                c.loss_ppm = *rng
                    .pick(&[0, 0, 10_000, 50_000, 200_000, 500_000])
                    .unwrap_or(&0);
                FaultAction::Conditions(c)
            }
            Fault::Dup => {
                c.dup_ppm = *rng.pick(&[0, 10_000, 50_000, 200_000]).unwrap_or(&0);
                FaultAction::Conditions(c)
            }
            Fault::Delay => {
                let profiles = [
                    (1, 5, 0, 0),
                    (1, 20, 10_000, 500),
                    (5, 50, 50_000, 2_000),
                    (1, 10, 200_000, 300),
                    (1, 10, 20_000, 5_000),
                ];
                let &(min, max, slow, slow_max) = rng.pick(&profiles).unwrap_or(&profiles[0]);
                (c.min_ms, c.max_ms, c.slow_ppm, c.slow_max_ms) = (min, max, slow, slow_max);
                FaultAction::Conditions(c)
            }
            Fault::Reorder => {
                c.reorder = !c.reorder;
                if c.reorder && c.max_ms < 20 {
                    c.max_ms = 20; // some spread, or nothing can overtake
                }
                FaultAction::Conditions(c)
            }
            Fault::Partition => self.symmetric(rng, view),
            Fault::Asym => self.one_way(rng, view),
            Fault::Crash => Self::crash(rng, view),
            Fault::Disk => Self::disk(rng, view),
            Fault::Drift | Fault::Transfer | Fault::Campaign | Fault::Membership => {
                FaultAction::Nothing
            }
        }
    }

    fn heal_after(rng: &mut SimRng) -> Duration {
        Duration::from_millis(rng.between(200, 5_000))
    }

    /// Splits the members in two; a third of the time the leader alone on one side.
    fn symmetric(&mut self, rng: &mut SimRng, view: &ClusterView) -> FaultAction {
        let (side, rest) = Self::split(rng, view);
        if side.is_empty() || rest.is_empty() {
            return FaultAction::Nothing;
        }
        let id = self.next_id();
        FaultAction::Partition {
            partition: Partition::symmetric(id, &side, &rest),
            heal_after: Self::heal_after(rng),
        }
    }

    /// Cuts one direction only; a third of the time the leader's outbound or inbound.
    fn one_way(&mut self, rng: &mut SimRng, view: &ClusterView) -> FaultAction {
        let (side, rest) = Self::split(rng, view);
        if side.is_empty() || rest.is_empty() {
            return FaultAction::Nothing;
        }
        let id = self.next_id();
        let partition = if rng.chance(500_000) {
            Partition::one_way(id, &side, &rest)
        } else {
            Partition::one_way(id, &rest, &side)
        };
        FaultAction::Partition {
            partition,
            heal_after: Self::heal_after(rng),
        }
    }

    fn split(rng: &mut SimRng, view: &ClusterView) -> (Vec<NodeId>, Vec<NodeId>) {
        let mut ids: Vec<NodeId> = view.members.iter().map(|m| m.id).collect();
        let leaders: Vec<NodeId> = view
            .members
            .iter()
            .filter(|m| m.up && m.leads)
            .map(|m| m.id)
            .collect();
        if let Some(&leader) = rng.pick(&leaders)
            && rng.chance(333_333)
        {
            let rest = ids.into_iter().filter(|id| *id != leader).collect();
            return (vec![leader], rest);
        }
        rng.shuffle(&mut ids);
        let cut = rng.between(1, ids.len().saturating_sub(1) as u64) as usize;
        let rest = ids.split_off(cut.min(ids.len()));
        ids.sort_unstable();
        let mut rest = rest;
        rest.sort_unstable();
        (ids, rest)
    }

    fn crash(rng: &mut SimRng, view: &ClusterView) -> FaultAction {
        let Some((node, restart_after)) = Self::victim(rng, view) else {
            return FaultAction::Nothing;
        };
        FaultAction::Crash {
            node,
            restart_after,
        }
    }

    /// A crash during a persist, of the victims and down times of [`Nemesis::crash`].
    fn disk(rng: &mut SimRng, view: &ClusterView) -> FaultAction {
        let Some((node, restart_after)) = Self::victim(rng, view) else {
            return FaultAction::Nothing;
        };
        FaultAction::Disk {
            node,
            fault: DiskFault::random(rng),
            restart_after,
        }
    }

    /// A member to crash (often a leader) and how long it stays down; `None` when a
    /// majority is down already.
    fn victim(rng: &mut SimRng, view: &ClusterView) -> Option<(NodeId, Duration)> {
        let n = view.members.len();
        let down = view.members.iter().filter(|m| !m.up).count();
        // At most a bare majority down at once: quorum loss happens, but not for long.
        if down > n / 2 {
            return None;
        }
        let up: Vec<NodeId> = view.members.iter().filter(|m| m.up).map(|m| m.id).collect();
        let leaders: Vec<NodeId> = view
            .members
            .iter()
            .filter(|m| m.up && m.leads)
            .map(|m| m.id)
            .collect();
        let victim = if !leaders.is_empty() && rng.chance(400_000) {
            rng.pick(&leaders)
        } else {
            rng.pick(&up)
        };
        let &node = victim?;
        Some((node, Self::down_time(rng)))
    }

    /// A third of crashes are a process restart (back within 50 ms), the rest a machine
    /// that stays down for up to three seconds.
    pub fn down_time(rng: &mut SimRng) -> Duration {
        let down_ms = if rng.chance(333_333) {
            rng.between(1, 50)
        } else {
            rng.between(50, 3_000)
        };
        Duration::from_millis(down_ms)
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_partition_id;
        self.next_partition_id += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::MemberView;

    fn view(n: u64) -> ClusterView {
        ClusterView {
            members: (1..=n)
                .map(|i| MemberView {
                    id: NodeId(i),
                    up: true,
                    leads: i == 1,
                })
                .collect(),
            conditions: Conditions::calm(),
        }
    }

    #[test]
    fn injects_only_enabled_kinds() {
        let mut rng = SimRng::new(5);
        let mut nemesis = Nemesis::new(FaultSet::none().with(Fault::Crash));
        for _ in 0..200 {
            match nemesis.plan(&mut rng, &view(5)) {
                FaultAction::Crash { .. } | FaultAction::Nothing => {}
                FaultAction::Conditions(c) => assert_eq!(c, Conditions::calm()),
                other @ (FaultAction::Partition { .. } | FaultAction::Disk { .. }) => {
                    panic!("not enabled: {other:?}")
                }
            }
        }
    }

    #[test]
    fn disk_faults_arm_running_members_with_a_down_time() {
        let mut rng = SimRng::new(7);
        let mut nemesis = Nemesis::new(FaultSet::none().with(Fault::Disk));
        let mut v = view(5);
        v.members[4].up = false;
        let mut kinds = std::collections::BTreeSet::new();
        for _ in 0..300 {
            if let FaultAction::Disk {
                node,
                fault,
                restart_after,
            } = nemesis.plan(&mut rng, &v)
            {
                assert_ne!(node, NodeId(5), "armed a member that is down");
                assert!(restart_after >= Duration::from_millis(1));
                assert!(restart_after <= Duration::from_millis(3_000));
                kinds.insert(fault.kind);
            }
        }
        assert_eq!(
            kinds.len(),
            crate::sim::DiskFaultKind::ALL.len(),
            "{kinds:?}"
        );
    }

    #[test]
    fn partitions_leave_both_sides_non_empty() {
        let mut rng = SimRng::new(6);
        let mut nemesis = Nemesis::new(FaultSet::none().with(Fault::Partition));
        let v = view(3);
        let mut seen = 0;
        for _ in 0..200 {
            if let FaultAction::Partition { partition, .. } = nemesis.plan(&mut rng, &v) {
                seen += 1;
                let cut = v
                    .members
                    .iter()
                    .any(|a| v.members.iter().any(|b| partition.blocks(a.id, b.id)));
                assert!(cut, "{partition:?}");
            }
        }
        assert!(seen > 100);
    }
}
