//! What the nemesis may look at when it chooses a fault: [`ClusterView`].

use parliament_engine::NodeId;

use crate::sim::Conditions;

/// One member as the nemesis sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberView {
    /// The member.
    pub id: NodeId,
    /// Whether it is running.
    pub up: bool,
    /// Whether it leads some group.
    pub leads: bool,
}

/// What the nemesis may look at when choosing.
#[derive(Clone, Debug)]
pub struct ClusterView {
    /// Every member.
    pub members: Vec<MemberView>,
    /// Current network conditions.
    pub conditions: Conditions,
}
