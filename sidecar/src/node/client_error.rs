//! `ClientError`: why a client request was not answered with a result, and what the
//! client should do. The gRPC and HTTP layers turn it into statuses and error bodies.

use parliament_engine::{FencingToken, NodeId};

/// Where the leader of a group is, as this member knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderHint {
    /// The leader member.
    pub id: NodeId,
    /// Its name (pod name).
    pub name: String,
    /// Its client API address, when clients of other members can reach it.
    pub address: Option<String>,
}

/// A request that did not produce a result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// This member cannot take the request; retry at the leader.
    #[error("{}", not_leader_message(.group, .leader.as_ref(), *.term))]
    NotLeader {
        /// `district` or `commons`.
        group: &'static str,
        /// The leader, when known.
        leader: Option<LeaderHint>,
        /// This member's term in that group.
        term: u64,
    },
    /// The group has no leader this member can reach.
    #[error(
        "no quorum in {group}: no leader known since {since_unix_ms} (Unix ms); wait for an election or check that a majority of its members run"
    )]
    NoQuorum {
        /// `district` or `commons`.
        group: &'static str,
        /// When this member last knew a leader, Unix milliseconds (0: never).
        since_unix_ms: u64,
    },
    /// A create-if-absent found the key present: nothing changed.
    #[error("conflict: the key exists at revision {current_revision}; re-read and decide again")]
    Conflict {
        /// The key's mod revision now.
        current_revision: u64,
    },
    /// The request is malformed.
    #[error("bad request: {field}: {reason}")]
    BadRequest {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The write's fence is older than one the scope has accepted.
    #[error(
        "stale fence: this scope has accepted {highest}; your leadership was superseded, stop writing"
    )]
    StaleFence {
        /// The highest token the scope has seen for the group.
        highest: FencingToken,
    },
    /// Back-pressure: too much is queued; retry after a moment.
    #[error("busy: {0}")]
    Busy(String),
    /// The request's outcome is unknown: it may or may not have taken effect. Retry with
    /// the same request id (a session write applies once).
    #[error("timed out after {0} ms; the outcome is unknown: retry with the same request id")]
    Timeout(u64),
    /// The command was committed but changed nothing, for this reason.
    #[error("refused by the store: {0}")]
    Refused(String),
    /// The member is shutting down or has failed.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

fn not_leader_message(group: &str, leader: Option<&LeaderHint>, term: u64) -> String {
    match leader {
        Some(l) => match &l.address {
            Some(a) => format!(
                "not the leader of the {group} (term {term}); the leader is {} (member {}), retry at {a}",
                l.name, l.id
            ),
            None => format!(
                "not the leader of the {group} (term {term}); the leader is {} (member {}), retry there",
                l.name, l.id
            ),
        },
        None => format!(
            "not the leader of the {group} (term {term}) and no leader is known; an election is on, retry shortly"
        ),
    }
}
