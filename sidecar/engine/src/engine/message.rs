//! Messages between replicas of one group.

use bytes::Bytes;

use crate::engine::{Entry, SnapshotMeta};
use crate::types::{GroupId, LogIndex, NodeId, Term};

/// A message from one replica to another of the same group.
///
/// Handlers are idempotent: the network may lose, duplicate, delay and reorder messages,
/// and any stale message is ignored or answered harmlessly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The group both replicas belong to.
    pub group: GroupId,
    /// Sender.
    pub from: NodeId,
    /// Recipient.
    pub to: NodeId,
    /// The sender's term, or for a pre-vote the term it would campaign in.
    pub term: Term,
    /// What it says.
    pub body: MessageBody,
}

/// The kinds of message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageBody {
    /// "Would you vote for me in `term`?" Sent without bumping the sender's term
    /// (the motion of no confidence).
    PreVote {
        /// Index of the candidate's last entry.
        last_index: LogIndex,
        /// Term of the candidate's last entry.
        last_term: Term,
    },
    /// Answer to a pre-vote.
    PreVoteResponse {
        /// Whether the recipient would vote.
        granted: bool,
    },
    /// A ballot request in `term`.
    RequestVote {
        /// Index of the candidate's last entry.
        last_index: LogIndex,
        /// Term of the candidate's last entry.
        last_term: Term,
        /// Set when the election follows a leadership transfer (`TimeoutNow`): voters
        /// then skip leader stickiness, because the leader itself asked for it.
        transfer: bool,
    },
    /// Answer to a ballot request.
    RequestVoteResponse {
        /// Whether the vote is granted.
        granted: bool,
    },
    /// Entries to append after `(prev_index, prev_term)`, or a heartbeat when empty.
    Append {
        /// Index of the entry preceding `entries`.
        prev_index: LogIndex,
        /// Term of that entry.
        prev_term: Term,
        /// Entries to append; empty for a heartbeat.
        entries: Vec<Entry>,
        /// The leader's commit index, capped at what this follower is known to match.
        commit: LogIndex,
        /// The leader's heartbeat round; echoed back, it confirms leadership for reads
        /// and leases started no later than this round.
        round: u64,
    },
    /// Answer to an append.
    AppendResponse {
        /// Whether the append's `(prev_index, prev_term)` matched.
        success: bool,
        /// On success, the last index now known to match the leader's log; on failure,
        /// the `prev_index` that was rejected (lets the leader drop stale rejections).
        index: LogIndex,
        /// On failure: the index the leader should try next (fast back-off).
        hint_index: LogIndex,
        /// On failure: the term of the follower's entry at `hint_index`, if it has one;
        /// the leader skips that whole term.
        hint_term: Option<Term>,
        /// The round echoed from the append.
        round: u64,
    },
    /// "Campaign now": sent by a leader to the member it transfers leadership to.
    TimeoutNow,
    /// One chunk of the leader's snapshot, for a follower that needs entries the leader
    /// has compacted (docs/protocol.md#snapshots).
    InstallSnapshot {
        /// The log position the whole image covers.
        meta: SnapshotMeta,
        /// Where `data` starts in the image.
        offset: u64,
        /// The chunk (at most `Config::snapshot_chunk_bytes`).
        data: Bytes,
        /// Set on the chunk that ends the image.
        done: bool,
        /// The leader's heartbeat round, echoed back like an append's.
        round: u64,
    },
    /// Answer to a snapshot chunk.
    InstallSnapshotResponse {
        /// The snapshot the answer is about.
        meta: SnapshotMeta,
        /// Bytes of the image the follower holds: the leader sends from here next.
        received: u64,
        /// The follower's log now matches the leader's through `meta.index` (it installed
        /// the snapshot, or its commit index already covered it).
        done: bool,
        /// The round echoed from the chunk.
        round: u64,
    },
}

impl MessageBody {
    /// A short name for logs and metric labels.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            MessageBody::PreVote { .. } => "pre_vote",
            MessageBody::PreVoteResponse { .. } => "pre_vote_response",
            MessageBody::RequestVote { .. } => "request_vote",
            MessageBody::RequestVoteResponse { .. } => "request_vote_response",
            MessageBody::Append { .. } => "append",
            MessageBody::AppendResponse { .. } => "append_response",
            MessageBody::TimeoutNow => "timeout_now",
            MessageBody::InstallSnapshot { .. } => "install_snapshot",
            MessageBody::InstallSnapshotResponse { .. } => "install_snapshot_response",
        }
    }
}
