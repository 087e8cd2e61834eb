//! Configuration of one replica: who it is, who votes, and its timing.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::engine::QuorumSystem;
use crate::types::{GroupId, NodeId};

/// How one replica of one group behaves. District groups and the Commons use the same
/// type with different values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// This replica.
    pub id: NodeId,
    /// The group it belongs to; stamped on every message and fencing token.
    pub group: GroupId,
    /// Who votes and which sets of them form a quorum.
    pub quorum: QuorumSystem,
    /// Members that receive the log but do not vote, at bootstrap. Together with
    /// `quorum` this is the membership until the log holds a configuration entry
    /// (docs/protocol.md#10-membership-changes).
    pub learners: BTreeSet<NodeId>,
    /// A learner is promoted only if its log matches the leader's to within this many
    /// entries (catch-up before voting, Raft thesis §4.2.1).
    pub max_promotion_lag: u64,
    /// Lower bound of the randomised election timeout. A follower that heard from a
    /// leader more recently than this refuses to vote for anyone else (leader stickiness),
    /// which is what makes leader leases safe.
    pub election_timeout_min: Duration,
    /// Upper bound (exclusive) of the randomised election timeout.
    pub election_timeout_max: Duration,
    /// How often a leader sends heartbeats (empty appends).
    pub heartbeat_interval: Duration,
    /// The most two members' clocks may disagree about an interval of length
    /// `election_timeout_min`. Leader leases last `election_timeout_min - max_clock_drift`.
    pub max_clock_drift: Duration,
    /// Most entries in one append message.
    pub max_append_entries: usize,
    /// Most payload bytes in one append message (at least one entry is always sent).
    pub max_append_bytes: usize,
    /// Most append messages in flight to one follower (pipelining bound).
    pub max_inflight: usize,
    /// Most entries proposed but not yet committed; proposals beyond it are refused
    /// (back-pressure) rather than growing memory without bound.
    pub max_uncommitted_entries: usize,
    /// Most bytes of snapshot image in one `InstallSnapshot` chunk.
    pub snapshot_chunk_bytes: usize,
    /// Run a pre-vote ("motion of no confidence") before bumping the term.
    pub pre_vote: bool,
    /// A leader that has not heard from a quorum for an election timeout steps down
    /// ("vote of confidence").
    pub check_quorum: bool,
    /// Seed of the replica's own pseudo-random sequence (election timeouts). The shell
    /// chooses it; the simulator derives it from the run's seed.
    pub seed: u64,
}

impl Config {
    /// A configuration with the default timings for a group of `voters`.
    #[must_use]
    pub fn new(id: NodeId, group: GroupId, voters: impl IntoIterator<Item = NodeId>) -> Config {
        Config {
            id,
            group,
            quorum: QuorumSystem::majority(voters),
            learners: BTreeSet::new(),
            max_promotion_lag: 64,
            election_timeout_min: Duration::from_millis(1000),
            election_timeout_max: Duration::from_millis(2000),
            heartbeat_interval: Duration::from_millis(100),
            max_clock_drift: Duration::from_millis(100),
            max_append_entries: 512,
            max_append_bytes: 1 << 20,
            max_inflight: 8,
            max_uncommitted_entries: 100_000,
            snapshot_chunk_bytes: 1 << 20,
            pre_vote: true,
            check_quorum: true,
            seed: id.0,
        }
    }

    /// The length of a leader lease: strictly shorter than the minimum election timeout.
    #[must_use]
    pub fn lease_duration(&self) -> Duration {
        self.election_timeout_min
            .saturating_sub(self.max_clock_drift)
    }

    /// Checks the configuration for values that would make the protocol unsafe or stuck.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the offending field and value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.quorum.voters().is_empty() {
            return Err(ConfigError::NoVoters);
        }
        if let Some(both) = self.learners.iter().find(|l| self.quorum.contains(**l)) {
            return Err(ConfigError::Invalid {
                field: "learners",
                value: both.to_string(),
                want: "members that are not voters",
            });
        }
        if self.heartbeat_interval.is_zero() {
            return Err(ConfigError::Invalid {
                field: "heartbeat_interval",
                value: format!("{:?}", self.heartbeat_interval),
                want: "greater than zero",
            });
        }
        if self.election_timeout_min <= self.heartbeat_interval * 2 {
            return Err(ConfigError::Invalid {
                field: "election_timeout_min",
                value: format!("{:?}", self.election_timeout_min),
                want: "more than twice heartbeat_interval",
            });
        }
        if self.election_timeout_max <= self.election_timeout_min {
            return Err(ConfigError::Invalid {
                field: "election_timeout_max",
                value: format!("{:?}", self.election_timeout_max),
                want: "greater than election_timeout_min",
            });
        }
        if self.max_clock_drift >= self.election_timeout_min {
            return Err(ConfigError::Invalid {
                field: "max_clock_drift",
                value: format!("{:?}", self.max_clock_drift),
                want: "less than election_timeout_min (the lease would be empty)",
            });
        }
        for (field, value) in [
            ("max_append_entries", self.max_append_entries),
            ("max_append_bytes", self.max_append_bytes),
            ("max_inflight", self.max_inflight),
            ("max_uncommitted_entries", self.max_uncommitted_entries),
            ("snapshot_chunk_bytes", self.snapshot_chunk_bytes),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    field,
                    value: "0".to_owned(),
                    want: "at least 1",
                });
            }
        }
        Ok(())
    }
}

/// A configuration the engine refuses to run with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The quorum system has no voters.
    #[error("the group has no voters; name at least one member")]
    NoVoters,
    /// A field is out of range.
    #[error("{field} is {value}; it must be {want}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        want: &'static str,
    },
    /// The persisted state handed to a restarting replica contradicts itself.
    #[error("persisted state is inconsistent: {0}")]
    Persisted(String),
}
