//! What the transport hands the engine task: a message and the peer it came from.

use parliament_engine::NodeId;
use parliament_engine::engine::Message;

/// A message received from an authenticated peer.
///
/// `peer` is the member that completed the handshake on the stream (with mTLS, the one
/// its certificate names). It may differ from `message.from`, which names the sender in
/// its group (a seat, in the Commons); the engine task decides what to trust.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    /// The member whose stream carried the message.
    pub peer: NodeId,
    /// The message.
    pub message: Message,
}
