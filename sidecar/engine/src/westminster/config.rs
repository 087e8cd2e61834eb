//! A member's configuration: who it is, the roster, and the timings of both levels.

use std::time::Duration;

use crate::engine::Config;
use crate::types::NodeId;
use crate::westminster::Roster;
use crate::westminster::reputation;

/// Election and heartbeat timings of one level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// Minimum election timeout.
    pub election_timeout_min: Duration,
    /// Maximum election timeout (exclusive).
    pub election_timeout_max: Duration,
    /// Heartbeat interval.
    pub heartbeat_interval: Duration,
    /// Clock-drift bound over one minimum election timeout.
    pub max_clock_drift: Duration,
}

impl Timings {
    /// District defaults: the engine's (1–2 s, 100 ms heartbeats).
    #[must_use]
    pub fn district() -> Timings {
        Timings {
            election_timeout_min: Duration::from_millis(1000),
            election_timeout_max: Duration::from_millis(2000),
            heartbeat_interval: Duration::from_millis(100),
            max_clock_drift: Duration::from_millis(100),
        }
    }

    /// Commons defaults: every Commons step waits for a district commit, so the Commons
    /// runs about three times slower than a district.
    #[must_use]
    pub fn commons() -> Timings {
        Timings {
            election_timeout_min: Duration::from_millis(3000),
            election_timeout_max: Duration::from_millis(6000),
            heartbeat_interval: Duration::from_millis(300),
            max_clock_drift: Duration::from_millis(300),
        }
    }

    pub(crate) fn apply_to(&self, c: &mut Config) {
        c.election_timeout_min = self.election_timeout_min;
        c.election_timeout_max = self.election_timeout_max;
        c.heartbeat_interval = self.heartbeat_interval;
        c.max_clock_drift = self.max_clock_drift;
    }
}

/// How the Prime Minister runs sessions (the CRD's `sessions`; docs/protocol.md#96-sessions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Time between sessions; representatives pass their queue's head to the Prime
    /// Minister at the same pace (`sessions.intervalMs`).
    pub interval: Duration,
    /// Most writes a session takes from one district, and a representative sends per
    /// interval.
    pub max_batch_per_district: usize,
    /// Most writes a representative queues for its district (and the Prime Minister
    /// holds per district); beyond it a write is refused as busy.
    pub max_queue: usize,
}

impl Default for SessionConfig {
    /// 10 ms sessions of at most 64 writes per district, 1,024 queued per district.
    fn default() -> SessionConfig {
        SessionConfig {
            interval: Duration::from_millis(10),
            max_batch_per_district: 64,
            max_queue: 1024,
        }
    }
}

/// How long a leader may lead before it hands over on purpose
/// (docs/protocol.md#112-term-limits). `None` switches a level's limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermLimits {
    /// A representative's longest tenure as district leader, before its district's
    /// stagger is added (the CRD's `termLimits.representativeSeconds`).
    pub representative: Option<Duration>,
    /// The Prime Minister's longest tenure as Commons leader, before its district's
    /// stagger is added.
    pub prime_minister: Option<Duration>,
}

impl Default for TermLimits {
    /// An hour at both levels: routine hand-overs, rare enough to cost nothing.
    fn default() -> TermLimits {
        TermLimits {
            representative: Some(Duration::from_secs(3600)),
            prime_minister: Some(Duration::from_secs(3600)),
        }
    }
}

/// The House of Lords (docs/protocol.md#113-the-house-of-lords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LordsConfig {
    /// How many Lords sit (at most one per district; default 3).
    pub count: usize,
    /// A Lord not heard in the Commons log for this long is replaced (default 60 s).
    pub timeout: Duration,
    /// How often a Lord shows it is present, and how long it waits before voting again
    /// on a decree whose vote did not reach the log (default 10 s; keep it well below
    /// `timeout`).
    pub presence_interval: Duration,
    /// How long a Lord sits before the Prime Minister replaces it (the CRD's
    /// `lords.termSeconds`; default 24 h, `None`: no terms). Seats end `lord_term / count`
    /// apart, measured on the Commons log clock (docs/protocol.md#113-the-house-of-lords);
    /// keep it well above `count` times the Commons election timeout.
    pub lord_term: Option<Duration>,
}

impl Default for LordsConfig {
    fn default() -> LordsConfig {
        LordsConfig {
            count: 3,
            timeout: Duration::from_secs(60),
            presence_interval: Duration::from_secs(10),
            lord_term: Some(Duration::from_secs(86_400)),
        }
    }
}

/// Everything a member needs to start.
#[derive(Clone, Debug)]
pub struct MemberConfig {
    /// This member.
    pub id: NodeId,
    /// The parliament's roster.
    pub roster: Roster,
    /// District timings.
    pub district: Timings,
    /// Commons timings.
    pub commons: Timings,
    /// Seed of this incarnation's election timeouts (both levels derive from it).
    pub seed: u64,
    /// Sessions.
    pub sessions: SessionConfig,
    /// How this member scores its peers (docs/reputation.md); every member of a
    /// district should use the same values.
    pub reputation: reputation::Config,
    /// How often the district leader publishes the district's reputation table (default
    /// 10 s; keep it below `reputation.contact_gap` so seniority carries across leaders).
    pub publish_interval: Duration,
    /// Term limits of both levels.
    pub term_limits: TermLimits,
    /// The House of Lords.
    pub lords: LordsConfig,
    /// Snapshot the member's state and compact its district log (and its record of the
    /// seat's Commons log) every this many applied district entries; 0 never does
    /// (docs/protocol.md#12-snapshots-and-compaction-of-a-member). Default 10,000.
    pub snapshot_every: u64,
}

impl MemberConfig {
    /// A member of `roster` with default timings.
    #[must_use]
    pub fn new(id: NodeId, roster: Roster, seed: u64) -> MemberConfig {
        MemberConfig {
            id,
            roster,
            district: Timings::district(),
            commons: Timings::commons(),
            seed,
            sessions: SessionConfig::default(),
            reputation: reputation::Config::default(),
            publish_interval: Duration::from_secs(10),
            term_limits: TermLimits::default(),
            lords: LordsConfig::default(),
            snapshot_every: 10_000,
        }
    }
}
