//! The simulated network: decides, per message, whether and when it arrives.
//!
//! Loss, duplication, latency (with a slow tail), reordering and partitions. The network
//! knows nothing of what it carries; the [`World`](crate::sim::World) asks it for the
//! fate of each message and schedules the deliveries.

use std::collections::BTreeMap;

use parliament_engine::{NodeId, Time};

use crate::sim::Conditions;
use crate::sim::{Partition, SimRng};

/// The network between members.
#[derive(Clone, Debug)]
pub struct Network {
    conditions: Conditions,
    partitions: Vec<Partition>,
    /// Per directed link, the latest delivery scheduled (for in-order links).
    last_delivery: BTreeMap<(NodeId, NodeId), Time>,
    /// Counters for the run report.
    pub stats: NetStats,
}

/// What the network did over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Messages handed to the network.
    pub sent: u64,
    /// Lost at random.
    pub lost: u64,
    /// Dropped by a partition (at send or on arrival).
    pub cut: u64,
    /// Extra copies delivered.
    pub duplicated: u64,
    /// Arrived at a member that was down.
    pub to_down: u64,
}

impl Network {
    /// A network with the given conditions and no partitions.
    #[must_use]
    pub fn new(conditions: Conditions) -> Network {
        Network {
            conditions,
            partitions: Vec::new(),
            last_delivery: BTreeMap::new(),
            stats: NetStats::default(),
        }
    }

    /// The current conditions.
    #[must_use]
    pub fn conditions(&self) -> Conditions {
        self.conditions
    }

    /// Replaces the conditions.
    pub fn set_conditions(&mut self, conditions: Conditions) {
        self.conditions = conditions;
    }

    /// Adds a partition.
    pub fn partition(&mut self, p: Partition) {
        self.partitions.push(p);
    }

    /// Removes the partition with `id`; returns it if it was active.
    pub fn heal(&mut self, id: u64) -> Option<Partition> {
        let pos = self.partitions.iter().position(|p| p.id == id)?;
        Some(self.partitions.remove(pos))
    }

    /// Removes every partition.
    pub fn heal_all(&mut self) {
        self.partitions.clear();
    }

    /// The active partitions.
    #[must_use]
    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    /// Whether some partition cuts `from → to` now.
    #[must_use]
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.partitions.iter().any(|p| p.blocks(from, to))
    }

    /// Decides the fate of one message sent at `now`: the times at which copies of it
    /// arrive (none when lost or cut; two when duplicated).
    pub fn route(&mut self, now: Time, from: NodeId, to: NodeId, rng: &mut SimRng) -> Vec<Time> {
        self.stats.sent += 1;
        if self.is_cut(from, to) {
            self.stats.cut += 1;
            return Vec::new();
        }
        let c = self.conditions;
        if rng.chance(c.loss_ppm) {
            self.stats.lost += 1;
            return Vec::new();
        }
        let copies = if rng.chance(c.dup_ppm) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        let mut out = Vec::with_capacity(copies);
        for _ in 0..copies {
            let mut delay = rng.between(c.min_ms, c.max_ms);
            if rng.chance(c.slow_ppm) {
                delay += rng.between(1, c.slow_max_ms.max(1));
            }
            let mut at = Time(now.0 + delay);
            if !c.reorder {
                let last = self.last_delivery.entry((from, to)).or_insert(Time(0));
                at = at.max(*last);
                *last = at;
            }
            out.push(at);
        }
        out
    }

    /// Called when a message arrives: whether a partition formed while it was in flight
    /// now cuts it (a cut link loses what is on the wire).
    pub fn arrives(&mut self, from: NodeId, to: NodeId) -> bool {
        if self.is_cut(from, to) {
            self.stats.cut += 1;
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_links_never_reorder_and_partitions_cut() {
        let mut rng = SimRng::new(3);
        let mut net = Network::new(Conditions {
            slow_ppm: 300_000,
            slow_max_ms: 500,
            ..Conditions::calm()
        });
        let (a, b) = (NodeId(1), NodeId(2));
        let mut last = Time(0);
        for t in 0..200 {
            for at in net.route(Time(t), a, b, &mut rng) {
                assert!(at >= last);
                last = at;
            }
        }
        net.partition(Partition::one_way(9, &[a], &[b]));
        assert!(net.route(Time(300), a, b, &mut rng).is_empty());
        assert!(!net.route(Time(300), b, a, &mut rng).is_empty());
        assert!(!net.arrives(a, b));
        assert!(net.heal(9).is_some());
        assert!(net.arrives(a, b));
    }

    #[test]
    fn loss_and_duplication_happen_at_their_rates() {
        let mut rng = SimRng::new(4);
        let mut net = Network::new(Conditions {
            loss_ppm: 500_000,
            dup_ppm: 500_000,
            reorder: true,
            ..Conditions::calm()
        });
        let counts: Vec<usize> = (0..1000)
            .map(|t| net.route(Time(t), NodeId(1), NodeId(2), &mut rng).len())
            .collect();
        assert!(counts.contains(&0) && counts.contains(&1) && counts.contains(&2));
    }
}
