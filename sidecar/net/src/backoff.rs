//! Reconnect delays: exponential with jitter, so that peers that lost each other at the
//! same moment do not redial in lockstep.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Exponential backoff with "equal jitter": each delay is uniform in `[d/2, d]` where
/// `d` doubles from `initial` up to `max`. [`Backoff::reset`] after a stream succeeds.
#[derive(Debug)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
    rng: StdRng,
}

impl Backoff {
    pub(crate) fn new(initial: Duration, max: Duration, seed: Option<u64>) -> Backoff {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Backoff {
            initial,
            max,
            current: initial,
            rng,
        }
    }

    /// The next delay to wait before redialling.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = self.current;
        self.current = (self.current * 2).min(self.max);
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(self.rng.random_range(ms.div_ceil(2)..=ms))
    }

    /// Back to the initial delay.
    pub(crate) fn reset(&mut self) {
        self.current = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        let mut b = Backoff::new(
            Duration::from_millis(100),
            Duration::from_millis(700),
            Some(7),
        );
        let caps = [100, 200, 400, 700, 700];
        for cap in caps {
            let d = b.next_delay().as_millis();
            assert!(
                d >= cap / 2 && d <= cap,
                "delay {d} ms outside [{}, {cap}]",
                cap / 2
            );
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let run = |seed| {
            let mut b = Backoff::new(
                Duration::from_millis(50),
                Duration::from_secs(5),
                Some(seed),
            );
            (0..8).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
    }
}
