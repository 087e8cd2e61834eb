//! What members send each other: district messages, Commons messages wrapped with
//! the incarnation of the seat's host (docs/westminster.md §2, DESIGN.md §6 rule 2), and
//! session messages carrying global writes to the Prime Minister.

use crate::engine::Message;
use crate::types::{NodeId, Term};
use crate::westminster::SessionMessage;

/// A message between members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// A message of the sender's district group.
    District(Message),
    /// A message between Commons seats.
    Commons {
        /// The district term of the member hosting the sending seat. A receiver ignores
        /// a message older than the newest incarnation it has seen of that seat.
        incarnation: Term,
        /// Set when a member that does not host the addressed seat passed it on to its
        /// district leader; a forwarded message is never forwarded again.
        forwarded: bool,
        /// On a forwarded message, the member the forwarder had it from: the sending
        /// seat's host (docs/protocol.md §9.2 rule 5). It teaches the addressed host where
        /// to answer, though it did not hear the sender directly. A routing hint only: a
        /// wrong one costs a forward, never safety.
        origin: Option<NodeId>,
        /// The seat-to-seat message.
        message: Message,
    },
    /// Global writes on their way to a session (docs/protocol.md#96-sessions).
    Session(SessionMessage),
}

impl Envelope {
    /// The engine message inside, unless it is a session message.
    #[must_use]
    pub fn message(&self) -> Option<&Message> {
        match self {
            Envelope::District(m) | Envelope::Commons { message: m, .. } => Some(m),
            Envelope::Session(_) => None,
        }
    }
}
