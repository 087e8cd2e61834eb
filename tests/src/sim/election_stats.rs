//! Election time after a leader crash: samples and their summary.

use std::time::Duration;

/// One timed election: from the leader's crash until a new leader is acknowledged by a
/// quorum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectionSample {
    /// How long it took, in virtual time.
    pub took: Duration,
    /// Campaigns started by any member (pre-votes, or votes without pre-vote) until the
    /// new leader won: more than one means a round failed (refused pre-vote, split vote).
    pub rounds: u64,
    /// Terms the election took: more than one means a vote round failed after the
    /// pre-vote passed.
    pub terms: u64,
}

/// Median, p99 and the count of multi-round elections over many samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElectionStats {
    /// Samples.
    pub count: usize,
    /// Median time.
    pub median: Duration,
    /// 99th percentile time (nearest rank).
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
    /// Elections that needed more than one campaign round.
    pub multi_round: usize,
    /// Elections that needed more than one term.
    pub multi_term: usize,
}

impl ElectionStats {
    /// Summarises `samples`.
    #[must_use]
    pub fn of(samples: &[ElectionSample]) -> ElectionStats {
        let mut took: Vec<Duration> = samples.iter().map(|s| s.took).collect();
        took.sort_unstable();
        let rank = |p: usize| -> Duration {
            if took.is_empty() {
                return Duration::ZERO;
            }
            // Nearest-rank percentile: the smallest value with at least p% at or below it.
            let r = (p * took.len()).div_ceil(100).max(1);
            took[r - 1]
        };
        ElectionStats {
            count: took.len(),
            median: rank(50),
            p99: rank(99),
            max: took.last().copied().unwrap_or_default(),
            multi_round: samples.iter().filter(|s| s.rounds > 1).count(),
            multi_term: samples.iter().filter(|s| s.terms > 1).count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<ElectionSample> = (1..=100)
            .map(|ms| ElectionSample {
                took: Duration::from_millis(ms),
                rounds: if ms % 10 == 0 { 2 } else { 1 },
                terms: if ms % 20 == 0 { 2 } else { 1 },
            })
            .collect();
        let s = ElectionStats::of(&samples);
        assert_eq!(s.median, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
        assert_eq!((s.multi_round, s.multi_term), (10, 5));
        assert_eq!(ElectionStats::of(&[]).count, 0);
    }
}
