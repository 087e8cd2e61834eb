//! Quorum systems as values (Howard & Mortier, flexible quorums): which sets of voters
//! may decide.

use std::collections::BTreeSet;

use crate::types::{LogIndex, NodeId};

/// Which sets of members form a quorum.
///
/// Every two quorums of one system intersect; that is the one property the engine's
/// safety argument uses (docs/protocol.md#quorums). Elections and commits use the same
/// system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuorumSystem {
    /// More than half of `voters`.
    Majority {
        /// The voting members.
        voters: BTreeSet<NodeId>,
    },
    /// A quorum of both systems: used while a configuration changes (joint consensus).
    Joint(Box<QuorumSystem>, Box<QuorumSystem>),
}

impl QuorumSystem {
    /// A majority system over `voters`.
    pub fn majority(voters: impl IntoIterator<Item = NodeId>) -> QuorumSystem {
        QuorumSystem::Majority {
            voters: voters.into_iter().collect(),
        }
    }

    /// Every member that votes in some quorum.
    #[must_use]
    pub fn voters(&self) -> BTreeSet<NodeId> {
        match self {
            QuorumSystem::Majority { voters } => voters.clone(),
            QuorumSystem::Joint(a, b) => a.voters().union(&b.voters()).copied().collect(),
        }
    }

    /// Whether `id` votes.
    #[must_use]
    pub fn contains(&self, id: NodeId) -> bool {
        match self {
            QuorumSystem::Majority { voters } => voters.contains(&id),
            QuorumSystem::Joint(a, b) => a.contains(id) || b.contains(id),
        }
    }

    /// Whether the members for which `yes` holds form a quorum.
    pub fn is_quorum(&self, yes: &dyn Fn(NodeId) -> bool) -> bool {
        match self {
            QuorumSystem::Majority { voters } => {
                let ayes = voters.iter().filter(|v| yes(**v)).count();
                ayes * 2 > voters.len()
            }
            QuorumSystem::Joint(a, b) => a.is_quorum(yes) && b.is_quorum(yes),
        }
    }

    /// Whether the members for which `no` holds make a quorum impossible.
    pub fn is_blocked(&self, no: &dyn Fn(NodeId) -> bool) -> bool {
        !self.is_quorum(&|id| !no(id))
    }

    /// The highest index that a quorum has reached, given each voter's match index.
    pub fn committed_index(&self, matched: &dyn Fn(NodeId) -> LogIndex) -> LogIndex {
        match self {
            QuorumSystem::Majority { voters } => {
                let mut m: Vec<LogIndex> = voters.iter().map(|v| matched(*v)).collect();
                m.sort_unstable_by(|a, b| b.cmp(a));
                // The (n/2 + 1)-th highest is reached by a majority.
                m.get(voters.len() / 2).copied().unwrap_or_default()
            }
            QuorumSystem::Joint(a, b) => a.committed_index(matched).min(b.committed_index(matched)),
        }
    }

    /// The latest time that a quorum has reached, given each voter's last confirmation
    /// time (`None` when never). Used for leases.
    pub fn quorum_min<T: Copy + Ord>(&self, at: &dyn Fn(NodeId) -> Option<T>) -> Option<T> {
        match self {
            QuorumSystem::Majority { voters } => {
                let mut m: Vec<Option<T>> = voters.iter().map(|v| at(*v)).collect();
                m.sort_unstable_by(|a, b| b.cmp(a));
                m.get(voters.len() / 2).copied().flatten()
            }
            QuorumSystem::Joint(a, b) => {
                let x = a.quorum_min(at)?;
                let y = b.quorum_min(at)?;
                Some(x.min(y))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u64]) -> Vec<NodeId> {
        v.iter().copied().map(NodeId).collect()
    }

    #[test]
    fn majority_needs_more_than_half() {
        let q = QuorumSystem::majority(ids(&[1, 2, 3, 4]));
        assert!(!q.is_quorum(&|id| id.0 <= 2));
        assert!(q.is_quorum(&|id| id.0 <= 3));
        assert!(q.is_blocked(&|id| id.0 <= 2));
    }

    #[test]
    fn committed_index_is_reached_by_a_majority() {
        let q = QuorumSystem::majority(ids(&[1, 2, 3, 4, 5]));
        let m = [0, 9, 7, 5, 3, 1];
        let got = q.committed_index(&|id| LogIndex(m[id.0 as usize]));
        assert_eq!(got, LogIndex(5));
    }

    #[test]
    fn joint_needs_both() {
        let q = QuorumSystem::Joint(
            Box::new(QuorumSystem::majority(ids(&[1, 2, 3]))),
            Box::new(QuorumSystem::majority(ids(&[3, 4, 5]))),
        );
        assert!(!q.is_quorum(&|id| [1, 2].contains(&id.0)));
        assert!(q.is_quorum(&|id| [1, 3, 4].contains(&id.0)));
        let m = [0, 10, 10, 2, 1, 1];
        assert_eq!(
            q.committed_index(&|id| LogIndex(m[id.0 as usize])),
            LogIndex(1)
        );
        assert_eq!(q.quorum_min(&|id| (id.0 != 2).then_some(id.0)), Some(1));
    }
}
