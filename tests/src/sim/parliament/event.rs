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
        }
    }
}
