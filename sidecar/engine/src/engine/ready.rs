//! What a replica asks its shell to do: the output side of the sans-IO contract.

use crate::engine::{Entry, Message, ReadId, Rejected, Role, Snapshot};
use crate::types::{FencingToken, LogIndex, NodeId, Term};

/// The state a replica must find again after a crash (Raft's "persistent state").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HardState {
    /// The latest term this replica has seen.
    pub term: Term,
    /// Whom it voted for in `term`, if anyone.
    pub vote: Option<NodeId>,
    /// A commit index known to be committed. Persisting it is an optimisation (faster
    /// re-apply after restart); safety never depends on it.
    pub commit: LogIndex,
}

/// Everything a restarting replica needs: its hard state, its newest snapshot and its
/// durable log.
///
/// With a snapshot at `(i, t)`, the replica restarts with its log's offset at `i` (entries
/// through `i` are compacted) and its applied index at `i`: the shell restores its state
/// machine from `snapshot.data` itself before applying the entries the first `Ready`
/// hands out (they start at `i + 1`). Partly received snapshots are never persisted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persisted {
    /// The last persisted hard state.
    pub hard_state: HardState,
    /// The durable log, contiguous: from index 1 without a snapshot, otherwise starting
    /// at or below `snapshot.meta.index + 1` (entries through the snapshot are dropped;
    /// if the entry at the snapshot's index is present it must have the snapshot's term).
    pub entries: Vec<Entry>,
    /// The newest durable snapshot, if any (`parliament-store`'s `install_snapshot`).
    pub snapshot: Option<Snapshot>,
}

/// Outputs of a replica, drained by [`Replica::take_ready`](crate::engine::Replica::take_ready).
///
/// # Contract
/// The shell must act on each `Ready` **in this order**, and on successive `Ready`s in
/// the order they were taken:
/// 1. **Persist** `snapshot` (if any) first, then `hard_state` (if any) and `entries`,
///    durably (fsync). The hard state and the entries must become durable together
///    (`parliament-store` writes them as one checksummed frame) or the entries first:
///    a hard state whose commit index covers entries that a crash then loses would make a
///    restarted replica apply the stale entries it still holds at those indices. A snapshot received from the leader replaces the stored log up to
///    its index: the stored entries after it stay only if the stored log holds the
///    snapshot's last entry with the snapshot's term, otherwise the stored log is
///    discarded (`parliament-store`'s `install_snapshot` does exactly this). `entries`
///    may start at or below the last persisted index: the persisted log is truncated
///    from the first entry's index and the new entries appended.
/// 2. **Send** `messages`. Never before step 1 has completed: a vote or an
///    acknowledgement sent before it is durable can be forgotten in a crash, and Raft's
///    safety (one vote per term, no lost acknowledged entry) rests on not forgetting.
/// 3. **Restore** the state machine from `snapshot.data` (if any), replacing its state,
///    **before** applying anything of this `Ready`; then **apply** `committed`, in order.
///    After a snapshot, `committed` starts at `snapshot.meta.index + 1`: the entries
///    the snapshot covers are never handed out. These entries are committed and will
///    never change.
/// 4. **Answer** `reads`: a read that is `Ready` at index `i` may be served once the
///    state machine has applied through `i` (after step 3 that is always true).
///
/// A shell may take the next `Ready` before the previous one is durable (pipelining),
/// provided each `Ready`'s sends, applies and answers still wait for its own persistence
/// and that of every earlier `Ready`. The Commons seat does exactly this: its
/// "persistence" is a commit in its district's log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// A snapshot received from the leader: persist it (step 1), and restore the state
    /// machine from it before applying `committed` (step 3).
    pub snapshot: Option<Snapshot>,
    /// The hard state to persist, if it changed.
    pub hard_state: Option<HardState>,
    /// Entries to persist (truncating any conflicting suffix first).
    pub entries: Vec<Entry>,
    /// Messages to send after persisting.
    pub messages: Vec<Message>,
    /// Newly committed entries to apply, in index order.
    pub committed: Vec<Entry>,
    /// Role changes, oldest first.
    pub roles: Vec<RoleChange>,
    /// Reads that are now ready to serve, or have failed.
    pub reads: Vec<ReadOutcome>,
}

impl Ready {
    /// Whether there is nothing to do.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_none()
            && self.hard_state.is_none()
            && self.entries.is_empty()
            && self.messages.is_empty()
            && self.committed.is_empty()
            && self.roles.is_empty()
            && self.reads.is_empty()
    }
}

/// A change of this replica's role, or of the leader it knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleChange {
    /// The new role.
    pub role: Role,
    /// The term it holds in.
    pub term: Term,
    /// The leader of `term`, when known.
    pub leader: Option<NodeId>,
    /// When `role` is [`Role::Leader`], the proof of the grant.
    pub token: Option<FencingToken>,
}

/// The result of a [`Replica::read`](crate::engine::Replica::read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The read may be served from the state machine once it has applied through `index`.
    Ready {
        /// The read's id, as given.
        id: ReadId,
        /// The read index.
        index: LogIndex,
        /// The fencing token of the leadership that confirmed it.
        token: FencingToken,
    },
    /// The read cannot be confirmed here; the client should retry (maybe elsewhere).
    Failed {
        /// The read's id, as given.
        id: ReadId,
        /// Why.
        reason: Rejected,
    },
}
