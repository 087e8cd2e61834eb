//! What a parliament run schedules in the world beside the members' own events:
//! [`ParliamentEvent`].

use parliament_engine::NodeId;

use crate::sim::{Digest, TraceHash};

/// A scenario event of the parliament run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParliamentEvent {
    /// A client issues its next operation.
    Issue {
        /// The client.
        client: u32,
    },
    /// A client gives up waiting for `op` (its outcome stays unknown).
    Timeout {
        /// The client.
        client: u32,
        /// The operation.
        op: u64,
    },
    /// The parliament nemesis acts: cuts a district off, crashes the Prime Minister or a
    /// representative, or cuts a representative from its own district.
    Fault,
    /// A partition of the parliament nemesis heals.
    Heal(u64),
    /// A member the parliament nemesis crashed restarts.
    Restart(NodeId),
    /// A random member proposes an amendment, constitutional or not, for the Lords.
    Amend,
    /// The operator changes the roster: a spare member joins a district, or a member
    /// leaves one.
    Reroster,
    /// The published roster `version` reaches `node` (members read it at different
    /// moments).
    AdoptRoster {
        /// The member.
        node: NodeId,
        /// Index into the run's roster versions.
        version: u64,
    },
    /// A member that left the roster stops for good once its district's configuration no
    /// longer holds it (checked again later otherwise).
    Retire(NodeId),
}

impl Digest for ParliamentEvent {
    fn digest(&self, h: &mut TraceHash) {
        match self {
            ParliamentEvent::Issue { client } => {
                h.write_str("issue");
                h.write_u64(u64::from(*client));
            }
            ParliamentEvent::Timeout { client, op } => {
                h.write_str("timeout");
                h.write_u64(u64::from(*client));
                h.write_u64(*op);
            }
            ParliamentEvent::Fault => h.write_str("parliament-fault"),
            ParliamentEvent::Heal(id) => {
                h.write_str("parliament-heal");
                h.write_u64(*id);
            }
            ParliamentEvent::Restart(id) => {
                h.write_str("parliament-restart");
                id.digest(h);
            }
            ParliamentEvent::Amend => h.write_str("parliament-amend"),
            ParliamentEvent::Reroster => h.write_str("parliament-reroster"),
            ParliamentEvent::AdoptRoster { node, version } => {
                h.write_str("parliament-adopt-roster");
                node.digest(h);
                h.write_u64(*version);
            }
            ParliamentEvent::Retire(id) => {
                h.write_str("parliament-retire");
                id.digest(h);
            }
        }
    }
}
