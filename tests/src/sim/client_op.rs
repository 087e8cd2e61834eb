//! One client operation as recorded: [`ClientOp`], with its [`Request`], [`Response`]
//! and [`Stamp`]s.

use parliament_engine::engine::ReadLevel;
use parliament_engine::{LogIndex, Time};

/// When something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// Global virtual time.
    pub at: Time,
    /// The simulator step during which it happened.
    pub step: u64,
}

/// What a client asked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// Write `value` to the operation's key.
    Put {
        /// The value, unique per operation.
        value: Vec<u8>,
    },
    /// Read the operation's key.
    Get {
        /// How the leader confirms the read.
        level: ReadLevel,
    },
}

/// What the client learned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Response {
    /// The write committed at `index`.
    Written {
        /// Where.
        index: LogIndex,
    },
    /// The read returned `value`.
    Value {
        /// What was read (`None`: key absent).
        value: Option<Vec<u8>>,
    },
    /// The request definitely had no effect (refused, not applied, or never delivered).
    Failed {
        /// Why, for people.
        reason: String,
    },
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOp {
    /// The client.
    pub client: u32,
    /// The key.
    pub key: String,
    /// The request.
    pub request: Request,
    /// When the request left the client.
    pub call: Stamp,
    /// When the answer arrived; `None` when none did (timeout, crash): the operation may
    /// or may not have taken effect.
    pub ret: Option<Stamp>,
    /// The answer, when one arrived.
    pub response: Option<Response>,
}

impl ClientOp {
    /// Whether the operation is known to have had no effect; checkers leave these out.
    #[must_use]
    pub fn failed(&self) -> bool {
        matches!(self.response, Some(Response::Failed { .. }))
    }
}
