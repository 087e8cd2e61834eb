//! The shell's clock: the core's `Time` is milliseconds since the Unix epoch at start
//! plus a monotonic offset, so it never goes back while the process runs and a restarted
//! member starts later than it stopped (the core keys session tickets by the time an
//! incarnation started).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parliament_engine::Time;

/// A monotonic millisecond clock anchored to the wall clock once.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
    start_unix_ms: u64,
}

impl Clock {
    /// A clock starting now.
    #[must_use]
    pub fn new() -> Clock {
        let start_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Clock {
            start: Instant::now(),
            start_unix_ms,
        }
    }

    /// The time now.
    #[must_use]
    pub fn now(&self) -> Time {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        Time(self.start_unix_ms.saturating_add(elapsed))
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_is_unix_milliseconds_and_never_goes_back() {
        let c = Clock::new();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
        // After 2020 and before 2100: the anchor is the wall clock.
        assert!(a.0 > 1_577_836_800_000 && a.0 < 4_102_444_800_000, "{a:?}");
    }
}
