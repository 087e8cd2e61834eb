//! One thing the nemesis does to the cluster: [`FaultAction`].

use std::time::Duration;

use parliament_engine::NodeId;

use crate::sim::{Conditions, DiskFault, Partition};

/// One thing the nemesis does to the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Change how the network behaves.
    Conditions(Conditions),
    /// Cut the network, and heal the cut after `heal_after`.
    Partition {
        /// The cut.
        partition: Partition,
        /// How long it lasts.
        heal_after: Duration,
    },
    /// Crash a member and restart it after `restart_after`.
    Crash {
        /// The victim.
        node: NodeId,
        /// How long it stays down.
        restart_after: Duration,
    },
    /// Arm a crash during one of a member's next persists; it restarts `restart_after`
    /// the crash.
    Disk {
        /// The victim.
        node: NodeId,
        /// How the persist dies.
        fault: DiskFault,
        /// How long it stays down.
        restart_after: Duration,
    },
    /// Do nothing this time.
    Nothing,
}
