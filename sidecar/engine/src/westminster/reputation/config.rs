//! Configuration of reputation: the weights of the four terms, their reference values,
//! the smoothing factors, and how long an observer remembers a silent peer
//! (docs/reputation.md#configuration).

use std::time::Duration;

/// The relative weight of each term of a score.
///
/// Only ratios matter: the weighted sum is divided by the sum of the weights, so
/// `(2, 3, 3, 2)` scores exactly like the default `(0.2, 0.3, 0.3, 0.2)`. A weight of
/// zero switches its term off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    /// Seniority: how long the peer has been in unbroken contact.
    pub seniority: f64,
    /// Round-trip time.
    pub rtt: f64,
    /// Response success rate.
    pub success: f64,
    /// Log lag behind the leader.
    pub lag: f64,
}

impl Weights {
    /// The sum of the four weights: the divisor of the weighted sum.
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.seniority + self.rtt + self.success + self.lag
    }

    /// Each weight with the name `Config::validate` reports it under.
    fn named(&self) -> [(&'static str, f64); 4] {
        [
            ("weights.seniority", self.seniority),
            ("weights.rtt", self.rtt),
            ("weights.success", self.success),
            ("weights.lag", self.lag),
        ]
    }
}

impl Default for Weights {
    /// 0.2 seniority, 0.3 round-trip time, 0.3 success, 0.2 lag: how a peer serves the
    /// group now (rtt, success) counts for more than how long it has been around.
    fn default() -> Weights {
        Weights {
            seniority: 0.2,
            rtt: 0.3,
            success: 0.3,
            lag: 0.2,
        }
    }
}

/// How an [`Observer`](super::Observer) smooths, normalises and forgets what it observes.
///
/// Every member of a district should run with the same values: the published table is
/// the leader's view, and a new leader should not change the scale of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The weights of the four terms.
    pub weights: Weights,
    /// Unbroken contact at which the seniority term reaches 1 (default 1 h).
    pub seniority_horizon: Duration,
    /// The longest silence that still counts as unbroken contact (default 30 s). A peer
    /// heard again after a longer silence was probably down: its seniority starts over,
    /// and while it stays silent longer than this its seniority term is 0.
    pub contact_gap: Duration,
    /// The round-trip time whose term is one half: `1 / (1 + rtt / rtt_ref)`
    /// (default 10 ms, a same-zone round trip that includes a follower's fsync).
    pub rtt_ref: Duration,
    /// The log lag, in entries, whose term is one half: `1 / (1 + lag / lag_ref)`
    /// (default 100).
    pub lag_ref: u64,
    /// Smoothing factor of the round-trip time, in (0, 1]: each sample moves the average
    /// by this fraction of the difference (default 0.125, TCP's SRTT factor, RFC 6298).
    pub rtt_alpha: f64,
    /// Smoothing factor of the success rate, in (0, 1] (default 0.05: a failure's weight
    /// halves every 13.5 responses, `ln 0.5 / ln (1 − α)`).
    pub success_alpha: f64,
    /// A peer not heard from for this long is forgotten (default 10 min): it scores 0
    /// again, and [`Observer::tick`](super::Observer::tick) frees its record.
    pub forget_after: Duration,
    /// Most peers an observer remembers (default 1024). When a new peer arrives at the
    /// limit, forgotten peers are freed first, then the one silent longest. Set it above
    /// the number of members a district can have.
    pub max_peers: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            weights: Weights::default(),
            seniority_horizon: Duration::from_secs(3600),
            contact_gap: Duration::from_secs(30),
            rtt_ref: Duration::from_millis(10),
            lag_ref: 100,
            rtt_alpha: 0.125,
            success_alpha: 0.05,
            forget_after: Duration::from_secs(600),
            max_peers: 1024,
        }
    }
}

impl Config {
    /// Checks that every value can be used.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first field out of range, its value, and the range:
    /// weights must be finite and non-negative with a positive sum, durations and
    /// `lag_ref` positive, smoothing factors in (0, 1], `max_peers` at least 1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, weight) in self.weights.named() {
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(ConfigError::new(
                    field,
                    weight,
                    "a finite number at least 0 (0 switches the term off)",
                ));
            }
        }
        let sum = self.weights.sum();
        if !(sum.is_finite() && sum > 0.0) {
            return Err(ConfigError::new(
                "weights (sum)",
                sum,
                "finite and above 0: give at least one term a positive weight",
            ));
        }
        for (field, value) in [
            ("seniority_horizon", self.seniority_horizon),
            ("contact_gap", self.contact_gap),
            ("rtt_ref", self.rtt_ref),
            ("forget_after", self.forget_after),
        ] {
            if value.is_zero() {
                return Err(ConfigError::new(field, value, "above 0"));
            }
        }
        if self.lag_ref == 0 {
            return Err(ConfigError::new(
                "lag_ref",
                self.lag_ref,
                "at least 1 entry",
            ));
        }
        for (field, alpha) in [
            ("rtt_alpha", self.rtt_alpha),
            ("success_alpha", self.success_alpha),
        ] {
            if !(alpha > 0.0 && alpha <= 1.0) {
                return Err(ConfigError::new(field, alpha, "in (0, 1]"));
            }
        }
        if self.max_peers == 0 {
            return Err(ConfigError::new("max_peers", self.max_peers, "at least 1"));
        }
        Ok(())
    }
}

/// A reputation configuration that cannot be used: which field, its value, and what it
/// must be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("reputation {field} is {value}; it must be {want}")]
pub struct ConfigError {
    /// The offending field, e.g. `"weights.rtt"`.
    pub field: &'static str,
    /// Its value as given.
    pub value: String,
    /// What it must be.
    pub want: &'static str,
}

impl ConfigError {
    fn new(field: &'static str, value: impl std::fmt::Debug, want: &'static str) -> ConfigError {
        ConfigError {
            field,
            value: format!("{value:?}"),
            want,
        }
    }
}
