//! Timings and session bounds from a Parliament spec, the same numbers a cluster uses.

use std::time::Duration;

use parliament_crds::ParliamentSpec;
use parliament_engine::westminster::{SessionConfig, Timings};

use crate::node::Settings;

/// How much slower the Commons runs than a district: every Commons step waits for a
/// district commit (docs/westminster.md §1).
pub const COMMONS_SLOWDOWN: u32 = 3;

/// The settings a spec asks for.
#[must_use]
pub fn from_spec(spec: &ParliamentSpec) -> Settings {
    let t = &spec.timeouts;
    let ms = |v: u32| Duration::from_millis(u64::from(v));
    let district = Timings {
        election_timeout_min: ms(t.election_timeout_min_ms),
        election_timeout_max: ms(t.election_timeout_max_ms),
        heartbeat_interval: ms(t.heartbeat_interval_ms),
        max_clock_drift: ms(t.max_clock_drift_ms),
    };
    let commons = Timings {
        election_timeout_min: district.election_timeout_min * COMMONS_SLOWDOWN,
        election_timeout_max: district.election_timeout_max * COMMONS_SLOWDOWN,
        heartbeat_interval: district.heartbeat_interval * COMMONS_SLOWDOWN,
        max_clock_drift: district.max_clock_drift * COMMONS_SLOWDOWN,
    };
    let defaults = SessionConfig::default();
    let sessions = SessionConfig {
        interval: ms(spec.sessions.interval_ms.max(1)),
        max_batch_per_district: usize::try_from(spec.sessions.max_batch_per_district)
            .unwrap_or(defaults.max_batch_per_district)
            .max(1),
        max_queue: defaults.max_queue,
    };
    Settings {
        district,
        commons,
        sessions,
    }
}
