//! Reputation tests: scoring rules (table-driven and monotonicity properties), the
//! observer's smoothing, contact and forgetting, table decisions, and the encoding.

mod config;
mod encoding;
mod observer;
mod scoring;
mod table;

use std::time::Duration;

use crate::types::Time;
use crate::westminster::reputation::{Config, Observation};

/// An observation at `now` of a peer in contact for `uptime`, with the given smoothed
/// round-trip time, success rate and lag.
pub(super) fn observed(
    now: Time,
    uptime: Duration,
    rtt: Option<Duration>,
    success: Option<f64>,
    lag: Option<u64>,
) -> Observation {
    Observation {
        created: now - uptime,
        since: Some(now - uptime),
        last_heard: Some(now),
        direct: true,
        rtt,
        success,
        lag,
    }
}

/// A point in time far enough from zero that subtracting an hour does not saturate.
pub(super) const NOW: Time = Time(10_000_000);

pub(super) fn config() -> Config {
    Config::default()
}

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
