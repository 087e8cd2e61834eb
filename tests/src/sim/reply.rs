//! What a member answers a client, and which request an answer belongs to.

use parliament_engine::engine::Rejected;
use parliament_engine::{FencingToken, LogIndex};

/// Which client request an answer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestTag {
    /// The client.
    pub client: u32,
    /// The client's operation (its index in the history).
    pub op: u64,
}

/// How a member answered a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// The command committed at `index`.
    Written {
        /// Where.
        index: LogIndex,
    },
    /// A read was served at `index`.
    Value {
        /// The value read.
        value: Option<Vec<u8>>,
        /// The read index.
        index: LogIndex,
        /// The leadership that confirmed it.
        token: FencingToken,
    },
    /// The command was overwritten before it committed: it will never take effect.
    NotApplied,
    /// The engine refused the request: it had no effect.
    Rejected(Rejected),
    /// The member was down: the request never reached it.
    Unavailable,
    /// The member crashed with the request pending: the outcome is unknown.
    Lost,
}

/// An answer to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Whose request.
    pub tag: RequestTag,
    /// The answer.
    pub outcome: ReplyOutcome,
}
