//! `spec.timeouts`: the consensus timings every district and the Commons run with.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default lower bound of the election timeout, matching the engine's `Config::new`.
pub const DEFAULT_ELECTION_TIMEOUT_MIN_MS: u32 = 1000;
/// Default upper bound of the election timeout, matching the engine's `Config::new`.
pub const DEFAULT_ELECTION_TIMEOUT_MAX_MS: u32 = 2000;
/// Default heartbeat interval, matching the engine's `Config::new`.
pub const DEFAULT_HEARTBEAT_INTERVAL_MS: u32 = 100;
/// Default clock-drift bound, matching the engine's `Config::new`.
pub const DEFAULT_MAX_CLOCK_DRIFT_MS: u32 = 100;

/// Consensus timings, in integer milliseconds, shared by every district and the Commons.
/// The rules between them are the engine's own (sidecar/engine config validation): breaking
/// one would make leader leases unsafe or elections endless.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "self.electionTimeoutMaxMs > self.electionTimeoutMinMs",
        "message": "electionTimeoutMaxMs must be greater than electionTimeoutMinMs: each election timeout is drawn at random between the two",
        "fieldPath": ".electionTimeoutMaxMs",
    },
    {
        "rule": "self.electionTimeoutMinMs > 2 * self.heartbeatIntervalMs",
        "message": "electionTimeoutMinMs must be more than twice heartbeatIntervalMs, so that one lost heartbeat does not start an election",
        "fieldPath": ".electionTimeoutMinMs",
    },
    {
        "rule": "self.maxClockDriftMs < self.electionTimeoutMinMs",
        "message": "maxClockDriftMs must be less than electionTimeoutMinMs: leader leases last electionTimeoutMinMs minus maxClockDriftMs",
        "fieldPath": ".maxClockDriftMs",
    },
]))]
pub struct Timeouts {
    /// Lower bound of the randomised election timeout, in milliseconds. A member that heard
    /// from its leader more recently than this refuses to vote for anyone else, which is what
    /// makes leader leases safe.
    #[serde(default = "default_election_timeout_min_ms")]
    #[schemars(range(min = 10, max = 60_000))]
    pub election_timeout_min_ms: u32,
    /// Upper bound (exclusive) of the randomised election timeout, in milliseconds. Must be
    /// greater than electionTimeoutMinMs.
    #[serde(default = "default_election_timeout_max_ms")]
    #[schemars(range(min = 20, max = 120_000))]
    pub election_timeout_max_ms: u32,
    /// How often a leader sends heartbeats to its followers, in milliseconds. Must be less
    /// than half of electionTimeoutMinMs.
    #[serde(default = "default_heartbeat_interval_ms")]
    #[schemars(range(min = 1, max = 10_000))]
    pub heartbeat_interval_ms: u32,
    /// The most two members' clocks may disagree over an interval of electionTimeoutMinMs,
    /// in milliseconds. Leader leases (and lease reads) last electionTimeoutMinMs minus this;
    /// raise it on nodes with poor time keeping, or use strict reads.
    #[serde(default = "default_max_clock_drift_ms")]
    #[schemars(range(min = 0, max = 10_000))]
    pub max_clock_drift_ms: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            election_timeout_min_ms: DEFAULT_ELECTION_TIMEOUT_MIN_MS,
            election_timeout_max_ms: DEFAULT_ELECTION_TIMEOUT_MAX_MS,
            heartbeat_interval_ms: DEFAULT_HEARTBEAT_INTERVAL_MS,
            max_clock_drift_ms: DEFAULT_MAX_CLOCK_DRIFT_MS,
        }
    }
}

fn default_election_timeout_min_ms() -> u32 {
    DEFAULT_ELECTION_TIMEOUT_MIN_MS
}

fn default_election_timeout_max_ms() -> u32 {
    DEFAULT_ELECTION_TIMEOUT_MAX_MS
}

fn default_heartbeat_interval_ms() -> u32 {
    DEFAULT_HEARTBEAT_INTERVAL_MS
}

fn default_max_clock_drift_ms() -> u32 {
    DEFAULT_MAX_CLOCK_DRIFT_MS
}
