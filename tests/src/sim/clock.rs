//! A member's own clock: an offset and a rate that differ from the simulator's global
//! virtual time, within the drift bound the engine is configured to tolerate.

use parliament_engine::Time;

/// Parts per million: the unit of clock skew.
const PPM: i128 = 1_000_000;

/// Maps global virtual time to one member's local time: `offset + g·(1 + skew)`.
///
/// The engine only ever sees local times. Lease safety must hold as long as any two
/// clocks disagree about an interval of `election_timeout_min` by at most
/// `max_clock_drift`; [`Clock::max_skew_ppm`] turns that bound into a rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// Local time at global time zero, in ms.
    pub offset: u64,
    /// Rate error in parts per million: positive runs fast. Must exceed −1,000,000.
    pub skew_ppm: i64,
}

impl Clock {
    /// A clock with the given offset and skew.
    #[must_use]
    pub fn new(offset: u64, skew_ppm: i64) -> Clock {
        Clock {
            offset,
            skew_ppm: skew_ppm.max(-999_999),
        }
    }

    /// The largest skew (in ppm, either way) that keeps two clocks within `drift` of each
    /// other over an interval of `interval`, measured against either clock: rates in
    /// `[1−δ, 1+δ]` disagree by at most `2δ/(1−δ)`, so `δ = ρ/(2+ρ)` with `ρ = drift/interval`.
    #[must_use]
    pub fn max_skew_ppm(drift_ms: u64, interval_ms: u64) -> i64 {
        if interval_ms == 0 {
            return 0;
        }
        let rho_ppm = i128::from(drift_ms) * PPM / i128::from(interval_ms);
        let delta = rho_ppm * PPM / (2 * PPM + rho_ppm);
        i64::try_from(delta).unwrap_or(0)
    }

    /// The local reading at global time `global`.
    #[must_use]
    pub fn local(&self, global: Time) -> Time {
        let g = i128::from(global.0);
        let skew = (g * i128::from(self.skew_ppm)).div_euclid(PPM);
        let local = i128::from(self.offset) + g + skew;
        Time(u64::try_from(local.max(0)).unwrap_or(u64::MAX))
    }

    /// The earliest global time at which this clock reads `local` or later.
    #[must_use]
    pub fn global_at(&self, local: Time) -> Time {
        if self.local(Time(0)) >= local {
            return Time(0);
        }
        // local() is non-decreasing and gains at least 1 ms per 2 ms of global time.
        let (mut lo, mut hi) = (0u64, local.0.saturating_mul(2).saturating_add(2));
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if self.local(Time(mid)) >= local {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Time(hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_global_are_inverse_at_the_boundary() {
        for clock in [
            Clock::new(0, 0),
            Clock::new(500, 40_000),
            Clock::new(123, -40_000),
        ] {
            for local in [Time(600), Time(1_000), Time(123_456)] {
                let g = clock.global_at(local);
                assert!(clock.local(g) >= local, "{clock:?} {local}");
                assert!(
                    g == Time(0) || clock.local(Time(g.0 - 1)) < local,
                    "{clock:?} {local}"
                );
            }
        }
    }

    #[test]
    fn skew_bound_keeps_two_clocks_within_the_drift() {
        let d = Clock::max_skew_ppm(100, 1000);
        assert!(d > 40_000 && d < 50_000, "{d}");
        let fast = Clock::new(0, d);
        let slow = Clock::new(0, -d);
        // An interval of 1000 ms on the slow clock, measured on the fast one.
        let start = slow.global_at(Time(10_000));
        let end = slow.global_at(Time(11_000));
        let measured = fast.local(end).0 - fast.local(start).0;
        assert!(measured <= 1_100 + 1, "{measured}");
    }
}
