//! Timings, session bounds, term limits and the Lords from a Parliament spec: the same
//! numbers a cluster uses. (`termLimits.staggerSeconds` is not passed on: the core
//! staggers districts over the tenure itself.)

use std::time::Duration;

use parliament_crds::ParliamentSpec;
use parliament_engine::westminster::{LordsConfig, SessionConfig, TermLimits, Timings};

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
    let secs = |v: u32| Duration::from_secs(u64::from(v));
    let limits = &spec.term_limits;
    let term_limits = if limits.enabled {
        TermLimits {
            representative: Some(secs(limits.representative_max_tenure_seconds)),
            prime_minister: Some(secs(limits.prime_minister_max_tenure_seconds)),
        }
    } else {
        TermLimits {
            representative: None,
            prime_minister: None,
        }
    };
    let lords = LordsConfig {
        count: usize::try_from(spec.lords.size).unwrap_or(usize::MAX),
        lord_term: Some(secs(spec.lords.term_seconds)),
        ..LordsConfig::default()
    };
    Settings {
        district,
        commons,
        sessions,
        term_limits,
        lords,
        snapshot_every: spec.storage.snapshot_every,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_spec_sets_timings_sessions_terms_and_lords() {
        let text = include_str!("../../examples/parliament.yaml");
        let spec = parliament_crds::parliament_from_yaml(text)
            .expect("the example parses")
            .spec;
        let s = from_spec(&spec);
        assert_eq!(s.district.election_timeout_min, Duration::from_millis(1000));
        assert_eq!(s.commons.election_timeout_min, Duration::from_millis(3000));
        assert_eq!(s.sessions.max_batch_per_district, 128);
        assert_eq!(
            s.term_limits.prime_minister,
            Some(Duration::from_secs(1800))
        );
        assert_eq!(s.lords.count, 3);
        assert_eq!(s.lords.lord_term, Some(Duration::from_secs(86_400)));
        assert_eq!(
            s.snapshot_every, 10_000,
            "the default: the example sets no storage"
        );
    }
}
