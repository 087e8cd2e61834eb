//! What one run found and measured.

use std::time::Duration;

use parliament_engine::{LogIndex, Term, Time};

use crate::sim::{ClientHistory, DiskFaultCounts, ElectionSample, NetStats, SimOptions, Violation};

/// The outcome of one seed.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The options, seed included.
    pub options: SimOptions,
    /// Every violation found (the run stops at the first step that finds any).
    pub violations: Vec<Violation>,
    /// The engine settings the seed drew (batching, pipelining, snapshot chunks).
    pub engine: String,
    /// Fingerprint of every event, in order.
    pub trace_hash: u64,
    /// Events processed.
    pub events: u64,
    /// Virtual time at the end.
    pub virtual_time: Time,
    /// Timed elections after leader crashes.
    pub elections: Vec<ElectionSample>,
    /// Time from the heal to a quorum-acknowledged leader.
    pub heal_to_leader: Option<Duration>,
    /// The liveness bound used.
    pub liveness_bound: Duration,
    /// Client operations: writes acknowledged, reads answered, definitely failed, unknown.
    pub ops: (u64, u64, u64, u64),
    /// The full client history, for the linearizability checker.
    pub history: ClientHistory,
    /// Member crashes.
    pub crashes: u64,
    /// Network counters.
    pub net: NetStats,
    /// Highest term any member reached.
    pub max_term: Term,
    /// Highest commit index any member reached.
    pub commit: LogIndex,
    /// Snapshots received from a leader and installed.
    pub restores: u64,
    /// Crashes during a persist that fired, by kind.
    pub disk_faults: DiskFaultCounts,
    /// Disk faults armed (the rest were disarmed by a crash or the heal first).
    pub disk_faults_armed: u64,
}

impl RunReport {
    /// Whether the run found nothing wrong.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}
