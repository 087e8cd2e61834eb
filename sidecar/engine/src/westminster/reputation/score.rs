//! The reputation score: an integer from 0 to 10 000, and the function that computes it.

use std::fmt;

use crate::types::Time;
use crate::westminster::reputation::{Config, Observation, Terms};

/// A reputation score: 0 (nothing known, or the worst on every term) to 10 000 (the best
/// on every term), i.e. the weighted mean of the terms in hundredths of a percent.
///
/// Scores are integers so that a published table is exact: it has one encoding, every
/// member decodes the same numbers, and two scores are equal or not with no rounding in
/// between, so ranking ties (broken by `NodeId`) are decided alike everywhere
/// (docs/reputation.md#why-integers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u16);

impl Score {
    /// The lowest score.
    pub const ZERO: Score = Score(0);
    /// The highest score.
    pub const MAX: Score = Score(10_000);

    /// `value` as a score, if it is at most [`Score::MAX`].
    #[must_use]
    pub const fn new(value: u16) -> Option<Score> {
        if value <= Score::MAX.0 {
            Some(Score(value))
        } else {
            None
        }
    }

    /// The score, 0 to 10 000.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }

    /// A fraction in [0, 1] as a score, rounded to the nearest (halves away from zero).
    /// Values below 0 or NaN give 0; values above 1 give [`Score::MAX`].
    #[must_use]
    pub fn from_fraction(fraction: f64) -> Score {
        let scaled = (fraction * f64::from(Score::MAX.0)).round();
        if scaled >= f64::from(Score::MAX.0) {
            Score::MAX
        } else if scaled > 0.0 {
            // In (0, 10 000): the cast is exact.
            Score(scaled as u16)
        } else {
            // Zero, negative or NaN.
            Score::ZERO
        }
    }
}

impl fmt::Display for Score {
    /// As a percentage with two decimals, e.g. `87.65%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

/// The score of `observation` at `now`: its four [`Terms`], weighted by
/// `config.weights` and divided by their sum (docs/reputation.md#the-formula).
///
/// `None`, or an observation forgotten at `now`, scores 0. Never panics, whatever the
/// values; with a configuration that fails [`Config::validate`] the result is still a
/// score, just not a meaningful one.
#[must_use]
pub fn score(observation: Option<&Observation>, now: Time, config: &Config) -> Score {
    Terms::of(observation, now, config).score(&config.weights)
}
