//! Events of the one-group scenario that the world schedules but does not interpret:
//! client traffic and operator actions.

use parliament_engine::NodeId;

use crate::sim::{Digest, ReplyOutcome, TraceHash};

/// A scenario event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppEvent {
    /// A client issues its next operation.
    Issue {
        /// The client.
        client: u32,
    },
    /// A client's request reaches the member it was sent to.
    Arrive {
        /// The client.
        client: u32,
        /// The operation.
        op: u64,
    },
    /// A member's answer reaches the client.
    Answer {
        /// The client.
        client: u32,
        /// The operation.
        op: u64,
        /// The member that answered.
        node: NodeId,
        /// The answer.
        outcome: ReplyOutcome,
    },
    /// A client gives up waiting.
    Timeout {
        /// The client.
        client: u32,
        /// The operation.
        op: u64,
    },
    /// An operator acts: a leadership transfer, a forced campaign or new candidacy ranks.
    Operator,
    /// The workload changes pace: busy, light or idle, for a few seconds.
    Pace,
}

impl Digest for AppEvent {
    fn digest(&self, h: &mut TraceHash) {
        match self {
            AppEvent::Issue { client } => {
                h.write_str("issue");
                h.write_u64(u64::from(*client));
            }
            AppEvent::Arrive { client, op } => {
                h.write_str("arrive");
                h.write_u64(u64::from(*client));
                h.write_u64(*op);
            }
            AppEvent::Answer {
                client,
                op,
                node,
                outcome,
            } => {
                h.write_str("answer");
                h.write_u64(u64::from(*client));
                h.write_u64(*op);
                node.digest(h);
                match outcome {
                    ReplyOutcome::Written { index } => {
                        h.write_str("written");
                        index.digest(h);
                    }
                    ReplyOutcome::Value {
                        value,
                        index,
                        token,
                    } => {
                        h.write_str("value");
                        h.write_bytes(value.as_deref().unwrap_or(b"<absent>"));
                        index.digest(h);
                        token.term.digest(h);
                    }
                    ReplyOutcome::NotApplied => h.write_str("not-applied"),
                    ReplyOutcome::Rejected(r) => {
                        h.write_str("rejected");
                        h.write_str(&r.to_string());
                    }
                    ReplyOutcome::Unavailable => h.write_str("unavailable"),
                    ReplyOutcome::Lost => h.write_str("lost"),
                }
            }
            AppEvent::Timeout { client, op } => {
                h.write_str("timeout");
                h.write_u64(u64::from(*client));
                h.write_u64(*op);
            }
            AppEvent::Operator => h.write_str("operator"),
            AppEvent::Pace => h.write_str("pace"),
        }
    }
}
