//! What the checkers are shown: [`Observation`]s of one group's members.

use parliament_engine::engine::{Entry, RoleChange, SnapshotMeta, Status};
use parliament_engine::{LogIndex, NodeId, Term, Time};

use super::LogView;

/// One member's applied log at the end of a run, for the final convergence checks.
#[derive(Clone, Copy, Debug)]
pub struct MemberLog<'a> {
    /// The member.
    pub node: NodeId,
    /// How far it has applied.
    pub applied: LogIndex,
    /// Its log.
    pub log: LogView<'a>,
}

/// Something that happened in a run, as a checker sees it. `at` is always global
/// virtual time.
#[derive(Clone, Copy, Debug)]
pub enum Observation<'a> {
    /// A member changed role (from its `Ready::roles`, so even a role held only within one
    /// step is seen).
    RoleChanged {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
        /// The change.
        change: RoleChange,
    },
    /// A member's state after a step in which it ran.
    State {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
        /// Its status.
        status: &'a Status,
        /// Its log, as persisted.
        log: LogView<'a>,
        /// When its leader lease ends, converted to global time; `None` when it holds
        /// no lease.
        lease_end: Option<Time>,
    },
    /// A member persisted entries: its log was truncated from `entries[0].index` (which
    /// removed `removed`) and `entries` appended.
    Persisted {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
        /// The term of the entry before `entries[0]` in its log (0 at index 1).
        prev_term: Term,
        /// The entries written.
        entries: &'a [Entry],
        /// The entries the truncation removed.
        removed: &'a [Entry],
    },
    /// A member applied a committed entry to its state machine.
    Applied {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
        /// The member's term when it applied the entry: the entry was committed in this
        /// term or an earlier one.
        term: Term,
        /// The entry.
        entry: &'a Entry,
        /// Fingerprint of the member's whole applied sequence through this entry (see
        /// `KvStore::chain`): equal on two members iff they applied the same entries.
        chain: u64,
    },
    /// A member's state machine was replaced by a snapshot's image: one received from the
    /// leader (which may also have discarded its log) or its own, on restart.
    Restored {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
        /// What the snapshot covers.
        meta: SnapshotMeta,
        /// Entries of its log the snapshot's installation discarded.
        removed: &'a [Entry],
        /// The applied-sequence fingerprint the image carries.
        chain: u64,
    },
    /// A member crashed: everything but its disk is gone.
    Crashed {
        /// The member.
        node: NodeId,
        /// When.
        at: Time,
    },
    /// A client was told its proposal committed at `index`.
    Acknowledged {
        /// The member that answered.
        node: NodeId,
        /// When the client heard.
        at: Time,
        /// Where the command sits.
        index: LogIndex,
        /// The command.
        payload: &'a [u8],
    },
    /// Every fault was healed: from here on a leader must appear within the bound.
    Healed {
        /// When.
        at: Time,
    },
    /// A leader is acknowledged by a quorum (a quorum of members are in its term and name
    /// it leader).
    LeaderAcknowledged {
        /// When.
        at: Time,
        /// The leader.
        leader: NodeId,
        /// Its term.
        term: Term,
    },
    /// The liveness bound after the last heal has passed.
    LivenessDeadline {
        /// When.
        at: Time,
    },
    /// The run is over and quiet: every running member's applied log.
    Converged {
        /// When.
        at: Time,
        /// The running members.
        members: &'a [MemberLog<'a>],
    },
}
