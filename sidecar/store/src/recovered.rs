//! What a restarting member finds in its ledger.

use std::path::PathBuf;

use parliament_engine::LogIndex;
use parliament_engine::engine::{Entry, HardState, Persisted, Snapshot};

/// The durable state of a member, as read back at startup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The last persisted hard state (the default if none was ever persisted).
    pub hard_state: HardState,
    /// The newest snapshot, if any. The log continues right after it.
    pub snapshot: Option<Snapshot>,
    /// The log after the snapshot: consecutive, from
    /// [`first_index`](Recovered::first_index) on.
    pub entries: Vec<Entry>,
    /// A torn write found at the end of the log (the last `persist` was interrupted
    /// by a crash). [`Ledger::open`](crate::Ledger::open) cuts it off;
    /// [`Ledger::load`](crate::Ledger::load) only reports it.
    pub torn_tail: Option<TornTail>,
}

impl Recovered {
    /// The index the log starts at: just after the snapshot, or 1.
    #[must_use]
    pub fn first_index(&self) -> LogIndex {
        self.snapshot
            .as_ref()
            .map_or(LogIndex(1), |s| s.meta.index.next())
    }

    /// What the engine restarts from (everything but the torn-tail report).
    #[must_use]
    pub fn into_persisted(self) -> Persisted {
        Persisted {
            hard_state: self.hard_state,
            entries: self.entries,
            snapshot: self.snapshot,
        }
    }

    /// The last index the member holds: the last entry's, or the snapshot's, or 0.
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.entries
            .last()
            .map(|e| e.index)
            .unwrap_or(self.first_index().prev())
    }
}

/// Where an interrupted write was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub path: PathBuf,
    /// Where the incomplete frame starts; the log ends here.
    pub offset: u64,
    /// Bytes from `offset` to the end of the file.
    pub len: u64,
}
