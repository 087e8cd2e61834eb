//! Who belongs to a group: voters, learners, and the single-server changes between
//! configurations (docs/protocol.md#10-membership-changes).

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::engine::{Entry, Payload};
use crate::types::NodeId;

/// Marks a [`Payload::Command`] that carries a configuration rather than a state-machine
/// command. The engine refuses client proposals that start with it, so no command can be
/// mistaken for a configuration. (A payload kind of its own would change the storage and
/// wire formats; this keeps them, docs/protocol.md#101-configurations-in-the-log.)
const MAGIC: &[u8] = b"\xffparliament-membership\x01";

/// The members of a group: `voters` elect and form quorums, `learners` only receive
/// the log (Raft thesis §4.2.1: non-voting members that catch up before they vote).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Membership {
    /// Members that vote and count for quorums.
    pub voters: BTreeSet<NodeId>,
    /// Members that receive the log but never vote, campaign or count for a quorum.
    pub learners: BTreeSet<NodeId>,
}

/// One single-server change (Raft thesis §4.1): configurations before and after differ
/// by at most one voter, so any majority of one intersects any majority of the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MembershipChange {
    /// A new member joins as a learner.
    AddLearner(NodeId),
    /// A learner that has caught up becomes a voter.
    Promote(NodeId),
    /// A voter or learner leaves.
    Remove(NodeId),
}

/// Why a change does not apply to a membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// `AddLearner` of a member.
    #[error("{0} is already a member; remove it first or promote it")]
    AlreadyMember(NodeId),
    /// `Promote` of a member that is not a learner.
    #[error("{0} is not a learner; add it as a learner first")]
    NotLearner(NodeId),
    /// `Remove` of a non-member.
    #[error("{0} is not a member")]
    NotMember(NodeId),
    /// `Remove` of the last voter.
    #[error("{0} is the last voter; a group needs at least one")]
    LastVoter(NodeId),
}

impl Membership {
    /// A membership of `voters` and `learners`.
    pub fn new(
        voters: impl IntoIterator<Item = NodeId>,
        learners: impl IntoIterator<Item = NodeId>,
    ) -> Membership {
        Membership {
            voters: voters.into_iter().collect(),
            learners: learners.into_iter().collect(),
        }
    }

    /// Whether `id` is a voter or a learner.
    #[must_use]
    pub fn contains(&self, id: NodeId) -> bool {
        self.voters.contains(&id) || self.learners.contains(&id)
    }

    /// Voters and learners.
    #[must_use]
    pub fn members(&self) -> BTreeSet<NodeId> {
        self.voters.union(&self.learners).copied().collect()
    }

    /// The membership after `change`.
    ///
    /// # Errors
    /// A [`ChangeError`] when the change does not fit this membership.
    pub fn apply(&self, change: MembershipChange) -> Result<Membership, ChangeError> {
        let mut next = self.clone();
        match change {
            MembershipChange::AddLearner(id) => {
                if self.contains(id) {
                    return Err(ChangeError::AlreadyMember(id));
                }
                next.learners.insert(id);
            }
            MembershipChange::Promote(id) => {
                if !next.learners.remove(&id) {
                    return Err(ChangeError::NotLearner(id));
                }
                next.voters.insert(id);
            }
            MembershipChange::Remove(id) => {
                if !self.contains(id) {
                    return Err(ChangeError::NotMember(id));
                }
                if self.voters.len() == 1 && self.voters.contains(&id) {
                    return Err(ChangeError::LastVoter(id));
                }
                next.voters.remove(&id);
                next.learners.remove(&id);
            }
        }
        Ok(next)
    }

    /// The payload of a configuration entry carrying this membership.
    #[must_use]
    pub fn to_payload(&self) -> Payload {
        let mut out = Vec::with_capacity(MAGIC.len() + 16 + 8 * self.members().len());
        out.extend_from_slice(MAGIC);
        for set in [&self.voters, &self.learners] {
            out.extend_from_slice(&(set.len() as u64).to_be_bytes());
            for id in set {
                out.extend_from_slice(&id.0.to_be_bytes());
            }
        }
        Payload::Command(Bytes::from(out))
    }

    /// The membership a configuration entry carries; `None` for any other entry.
    #[must_use]
    pub fn of_entry(entry: &Entry) -> Option<Membership> {
        match &entry.payload {
            Payload::Command(b) => Membership::decode(b),
            Payload::Noop => None,
        }
    }

    /// Whether a command's bytes are reserved for configuration entries.
    #[must_use]
    pub fn is_reserved(command: &[u8]) -> bool {
        command.starts_with(MAGIC)
    }

    fn decode(bytes: &[u8]) -> Option<Membership> {
        let mut rest = bytes.strip_prefix(MAGIC)?;
        let mut next_u64 = || -> Option<u64> {
            let (head, tail) = rest.split_first_chunk::<8>()?;
            rest = tail;
            Some(u64::from_be_bytes(*head))
        };
        let mut sets = [BTreeSet::new(), BTreeSet::new()];
        for set in &mut sets {
            let n = next_u64()?;
            for _ in 0..n {
                set.insert(NodeId(next_u64()?));
            }
        }
        let [voters, learners] = sets;
        Some(Membership { voters, learners })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{LogIndex, Term};

    fn ids(v: &[u64]) -> Vec<NodeId> {
        v.iter().copied().map(NodeId).collect()
    }

    #[test]
    fn round_trips_through_an_entry() {
        let m = Membership::new(ids(&[1, 2, 3]), ids(&[9]));
        let e = Entry {
            term: Term(1),
            index: LogIndex(4),
            payload: m.to_payload(),
        };
        assert_eq!(Membership::of_entry(&e), Some(m));
        let plain = Entry {
            payload: Payload::Command(Bytes::from_static(b"put k v")),
            ..e
        };
        assert_eq!(Membership::of_entry(&plain), None);
    }

    #[test]
    fn changes_follow_the_single_server_rules() {
        let m = Membership::new(ids(&[1, 2]), ids(&[3]));
        let cases = [
            (
                MembershipChange::AddLearner(NodeId(4)),
                Ok((ids(&[1, 2]), ids(&[3, 4]))),
            ),
            (
                MembershipChange::AddLearner(NodeId(3)),
                Err(ChangeError::AlreadyMember(NodeId(3))),
            ),
            (
                MembershipChange::Promote(NodeId(3)),
                Ok((ids(&[1, 2, 3]), ids(&[]))),
            ),
            (
                MembershipChange::Promote(NodeId(1)),
                Err(ChangeError::NotLearner(NodeId(1))),
            ),
            (
                MembershipChange::Remove(NodeId(2)),
                Ok((ids(&[1]), ids(&[3]))),
            ),
            (
                MembershipChange::Remove(NodeId(3)),
                Ok((ids(&[1, 2]), ids(&[]))),
            ),
            (
                MembershipChange::Remove(NodeId(5)),
                Err(ChangeError::NotMember(NodeId(5))),
            ),
        ];
        for (change, want) in cases {
            let got = m.apply(change);
            let want = want.map(|(v, l)| Membership::new(v, l));
            assert_eq!(got, want, "{change:?}");
        }
        let one = Membership::new(ids(&[1]), ids(&[]));
        assert_eq!(
            one.apply(MembershipChange::Remove(NodeId(1))),
            Err(ChangeError::LastVoter(NodeId(1)))
        );
    }
}
