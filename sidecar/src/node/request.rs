//! What the client API hands the engine task: a request and the channel for its answer.

use parliament_crds::Roster as PublishedRoster;
use parliament_engine::NodeId;
use parliament_engine::state::{Command, Key, Read, Response, Revision, Scope};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::node::ClientError;

/// How a read is confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadLevel {
    /// A no-op decree through the scope's group, then read.
    Strict,
    /// ReadIndex at the scope's leader.
    Linearizable,
    /// The leader's lease (bounded clock drift).
    Lease,
    /// Any member that has applied at least this scope revision; waits until it has.
    AtLeast(Revision),
    /// Any member, whatever it has applied.
    Stale,
}

impl ReadLevel {
    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ReadLevel::Strict => "strict",
            ReadLevel::Linearizable => "linearizable",
            ReadLevel::Lease => "lease",
            ReadLevel::AtLeast(_) => "at-least-revision",
            ReadLevel::Stale => "stale",
        }
    }
}

/// A served read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadAnswer {
    /// The value and the revision it was read at.
    pub read: Read,
    /// The member that served it.
    pub served_by: NodeId,
}

/// A request for the engine task.
#[derive(Debug)]
pub(crate) enum Request {
    Write {
        command: Command,
        deadline: Instant,
        reply: oneshot::Sender<Result<Response, ClientError>>,
    },
    Read {
        scope: Scope,
        key: Key,
        level: ReadLevel,
        deadline: Instant,
        reply: oneshot::Sender<Result<ReadAnswer, ClientError>>,
    },
    /// A newer roster from the operator; the answer says whether it was adopted (false:
    /// not newer than the one in use).
    SetRoster {
        roster: Box<PublishedRoster>,
        reply: oneshot::Sender<crate::error::Result<bool>>,
    },
}
