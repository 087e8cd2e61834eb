//! The four normalised terms of a score, each in [0, 1], and how observations map onto
//! them (docs/reputation.md#normalisation).

use std::time::Duration;

use crate::types::Time;
use crate::westminster::reputation::{Config, Observation, Score, Weights};

/// The four terms of a score, each in [0, 1], 1 best.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Terms {
    /// `min(uptime, seniority_horizon) / seniority_horizon`; 0 while contact is broken.
    pub seniority: f64,
    /// `1 / (1 + rtt / rtt_ref)`; 0 with no sample.
    pub rtt: f64,
    /// The smoothed success rate; 0 with no response.
    pub success: f64,
    /// `1 / (1 + lag / lag_ref)`; 0 with no report.
    pub lag: f64,
}

impl Terms {
    /// The terms of `observation` at `now`.
    ///
    /// What was never observed scores 0: a peer must earn each term. `None`, and an
    /// observation forgotten at `now` (silent longer than `config.forget_after`), give
    /// all zeros, so the result does not depend on when the observer last ran
    /// [`Observer::tick`](super::Observer::tick).
    #[must_use]
    pub fn of(observation: Option<&Observation>, now: Time, config: &Config) -> Terms {
        let Some(o) = observation.filter(|o| !o.is_forgotten(now, config.forget_after)) else {
            return Terms::default();
        };
        Terms {
            seniority: seniority_term(o.uptime(now, config.contact_gap), config.seniority_horizon),
            rtt: o.rtt.map_or(0.0, |rtt| rtt_term(rtt, config.rtt_ref)),
            success: o.success.map_or(0.0, unit),
            lag: o.lag.map_or(0.0, |lag| lag_term(lag, config.lag_ref)),
        }
    }

    /// The terms of the observing member itself, `uptime` after it started: it has no
    /// round trip to itself, never fails to answer itself and is never behind itself, so
    /// those three terms are 1 (docs/reputation.md#the-publishers-own-row).
    #[must_use]
    pub fn own(uptime: Duration, config: &Config) -> Terms {
        Terms {
            seniority: seniority_term(uptime, config.seniority_horizon),
            rtt: 1.0,
            success: 1.0,
            lag: 1.0,
        }
    }

    /// The weighted mean of the terms as a [`Score`]: `Σ wᵢ·tᵢ / Σ wᵢ`, rounded to the
    /// nearest ten-thousandth.
    ///
    /// Every term is clamped to [0, 1] (NaN counts as 0) and so is the result, so the
    /// score is weakly monotone in each term whenever the weights are non-negative.
    #[must_use]
    pub fn score(&self, weights: &Weights) -> Score {
        let sum = weights.sum();
        if !(sum.is_finite() && sum > 0.0) {
            return Score::ZERO;
        }
        let weighted = weights.seniority * unit(self.seniority)
            + weights.rtt * unit(self.rtt)
            + weights.success * unit(self.success)
            + weights.lag * unit(self.lag);
        Score::from_fraction(weighted / sum)
    }
}

/// Seniority saturates: a peer `horizon` old is as senior as one ten times older.
fn seniority_term(uptime: Duration, horizon: Duration) -> f64 {
    unit(uptime.as_secs_f64() / horizon.as_secs_f64())
}

/// Hyperbolic in the round-trip time: 1 at zero, ½ at `rtt_ref`, never quite 0, so two
/// slow peers still order by how slow.
fn rtt_term(rtt: Duration, rtt_ref: Duration) -> f64 {
    unit(1.0 / (1.0 + rtt.as_secs_f64() / rtt_ref.as_secs_f64()))
}

/// Hyperbolic in the lag, like [`rtt_term`].
fn lag_term(lag: u64, lag_ref: u64) -> f64 {
    // `as` rounds to the nearest f64, which keeps the order of the integers.
    unit(1.0 / (1.0 + lag as f64 / lag_ref as f64))
}

/// Clamps to [0, 1]; NaN becomes 0.
fn unit(x: f64) -> f64 {
    if x >= 1.0 {
        1.0
    } else if x > 0.0 {
        x
    } else {
        0.0
    }
}
