//! What members send each other about global writes in sessions: a write to the
//! district's representative, a batch to the Prime Minister, a refusal back to the
//! write's origin (docs/protocol.md#96-sessions).

use bytes::Bytes;

use crate::westminster::{DistrictId, Refused, SessionEntry, Ticket};

/// A session message between members. Losing one loses at most the writes it carries:
/// their origins time out and their clients retry with the same request ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionMessage {
    /// A member passes a write it accepted to its district's representative.
    Submit {
        /// The write's ticket.
        ticket: Ticket,
        /// The encoded `state::Command`.
        command: Bytes,
    },
    /// A representative passes its queue's head to the Prime Minister.
    Batch {
        /// The representative's district.
        district: DistrictId,
        /// At most one session's worth of writes, oldest first.
        entries: Vec<SessionEntry>,
    },
    /// A representative or Prime Minister could not take a write.
    Refused {
        /// The write's ticket.
        ticket: Ticket,
        /// Why.
        reason: Refused,
    },
}
