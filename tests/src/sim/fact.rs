//! What happened inside a member during a step, for the checkers: [`Fact`].

use parliament_engine::Term;
use parliament_engine::engine::{Entry, RoleChange, SnapshotMeta};

/// What happened inside a member during a step, for the checkers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// Entries persisted (the log truncated at the first one's index).
    Persisted {
        /// Term of the entry before the first one.
        prev_term: Term,
        /// What was written.
        entries: Vec<Entry>,
        /// What the truncation removed.
        removed: Vec<Entry>,
    },
    /// A committed entry was applied.
    Applied {
        /// The member's term then.
        term: Term,
        /// The entry.
        entry: Entry,
        /// The state machine's applied-sequence fingerprint after it.
        chain: u64,
    },
    /// The state machine was restored from a snapshot: one from the leader (whose
    /// installation may have discarded log entries) or the member's own, on restart.
    Restored {
        /// Whether the snapshot came from the leader (else: the member's own, on restart).
        received: bool,
        /// What it covers.
        meta: SnapshotMeta,
        /// Log entries its installation discarded.
        removed: Vec<Entry>,
        /// The fingerprint the image carries.
        chain: u64,
    },
    /// The role changed.
    Role(RoleChange),
    /// The engine broke its `Ready` contract (or refused to restart).
    Contract(String),
}
