//! Read levels the engine confirms, and read ids.

/// An id the caller gives a read so it can match the [`ReadOutcome`](crate::engine::ReadOutcome).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReadId(pub u64);

/// How a leader confirms that it may serve a read.
///
/// `stale` and `at-least-revision` reads need no confirmation and never reach the engine:
/// any member serves them from what it has applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadLevel {
    /// ReadIndex (Raft §6.4): record the commit index, confirm leadership with one
    /// heartbeat round to a quorum, serve once applied. Safe under any clock behaviour.
    Linearizable,
    /// Serve at the commit index while the leader lease holds, with no message; falls back
    /// to [`ReadLevel::Linearizable`] when the lease has lapsed. Safe while clock drift
    /// stays within `Config::max_clock_drift`.
    Lease,
    /// Commit a no-op entry and read after it (the Paxon "decree for every inquiry").
    /// Slowest; safe under any clock behaviour and under any leadership change.
    Strict,
}

impl ReadLevel {
    /// A short name for logs and metric labels.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ReadLevel::Linearizable => "linearizable",
            ReadLevel::Lease => "lease",
            ReadLevel::Strict => "strict",
        }
    }
}
