//! What one parliament run found and measured: [`ParliamentReport`].

use std::time::Duration;

use crate::sim::parliament::{HandOvers, ParliamentOptions};
use crate::sim::{DiskFaultCounts, NetStats, Violation};

/// The outcome of one parliament seed.
#[derive(Clone, Debug, Default)]
pub struct ParliamentReport {
    /// The options, seed included.
    pub options: ParliamentOptions,
    /// Every violation found (the run stops at the first step that finds any).
    pub violations: Vec<Violation>,
    /// Fingerprint of every event, in order.
    pub trace_hash: u64,
    /// Events processed.
    pub events: u64,
    /// Virtual time at the end.
    pub virtual_time: Duration,
    /// From boot to a Prime Minister and every representative.
    pub convene_after_start: Option<Duration>,
    /// From the heal to a Prime Minister and every representative.
    pub convene_after_heal: Option<Duration>,
    /// The bound both must meet.
    pub convene_bound: Duration,
    /// Virtual latencies of acknowledged district writes, proposal to answer.
    pub district_latencies: Vec<Duration>,
    /// Virtual latencies of acknowledged global writes, proposal to answer.
    pub global_latencies: Vec<Duration>,
    /// Client operations: writes acknowledged, reads answered, definitely failed, unknown.
    pub ops: (u64, u64, u64, u64),
    /// Histories checked for linearizability, and how many passed.
    pub histories: (usize, usize),
    /// Why a history failed the check (or could not be decided).
    pub history_problems: Vec<String>,
    /// The highest Commons commit index any member recorded.
    pub commons_commit: u64,
    /// Network counters.
    pub net: NetStats,
    /// Distinct members the final Prime Minister ever sent to, and messages it sent.
    pub pm_fan_out: (usize, u64),
    /// The largest such figures among the final representatives (PM excluded).
    pub representative_fan_out: (usize, u64),
    /// The largest among the other members.
    pub member_fan_out: (usize, u64),
    /// Member crashes.
    pub crashes: u64,
    /// Session fairness: calm global writes judged, the longest any waited for its
    /// session, and the bound.
    pub fairness: (u64, Duration, Duration),
    /// Sessions the final Prime Minister held, and the largest it held (entries).
    pub sessions: (u64, u64),
    /// Distinct reputation tables the districts published and members applied.
    pub tables: u64,
    /// Snapshots: members' own, installed from a district leader (each restores the
    /// member's whole state), and Commons snapshots a seat installed from the Prime
    /// Minister (counted once per district log entry).
    pub snapshots: (u64, u64, u64),
    /// Crashes during a persist that fired, by kind.
    pub disk_faults: DiskFaultCounts,
    /// Disk faults armed (the rest were disarmed by a crash or the heal first).
    pub disk_faults_armed: u64,
    /// Term-limit hand-overs.
    pub hand_overs: HandOvers,
    /// Critical decrees: amendments proposed, decrees enacted and rejected (as the
    /// members reported them, counted once per decree), decisions the critical-ratified
    /// checker judged.
    pub critical: (u64, u64, u64, u64),
    /// Distinct sets of Lords the Commons seated.
    pub lords_sets: u64,
    /// Lords' seats given anew because a term ended (rotations in the committed log).
    pub lord_rotations: u64,
    /// Committed `Seated` decrees every member refused (a rotation proposed again, a
    /// lagging log clock).
    pub lord_seatings_refused: u64,
    /// Member looks the lords-terms checker compared with its replay of the log.
    pub lords_terms_checked: u64,
    /// Roster changes (the `membership` fault): members that joined, members that left
    /// the roster, and those of them that stopped once their district's configuration
    /// dropped them.
    pub roster_changes: (u64, u64, u64),
}

impl ParliamentReport {
    /// Whether the run found nothing wrong.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// Messages sent (all kinds) per committed Commons entry.
    #[must_use]
    pub fn messages_per_global_commit(&self) -> Option<f64> {
        (self.commons_commit > 0).then(|| self.net.sent as f64 / self.commons_commit as f64)
    }
}
