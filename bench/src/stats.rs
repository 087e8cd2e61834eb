//! The table math: [`Summary`] (median, min, max of repeated runs), percentiles of
//! latency samples, ratios taken pair by pair within one run, and their [`verdict`].

use std::time::Duration;

/// Median, minimum and maximum of repeated measurements of one figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The middle value (the mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// How many values.
    pub count: usize,
}

impl Summary {
    /// Summarises `values`; `None` when there are none (or one is NaN: a figure that
    /// could not be computed must not hide in a median).
    #[must_use]
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            f64::midpoint(v[n / 2 - 1], v[n / 2])
        };
        Some(Summary {
            median,
            min: v[0],
            max: v[n - 1],
            count: n,
        })
    }

    /// `median (min..max)` with `decimals` digits after the point.
    #[must_use]
    pub fn show(&self, decimals: usize) -> String {
        if self.count == 1 {
            return format!("{:.decimals$}", self.median);
        }
        format!(
            "{:.decimals$} ({:.decimals$}..{:.decimals$})",
            self.median, self.min, self.max
        )
    }
}

/// `Summary::of(values)` shown, or `n/a`.
#[must_use]
pub fn show(values: &[f64], decimals: usize) -> String {
    Summary::of(values).map_or_else(|| "n/a".to_owned(), |s| s.show(decimals))
}

/// The `p`-th percentile (0–100) of `samples` by the nearest-rank method: the smallest
/// sample with at least `p` % of the samples at or below it. `None` when empty.
#[must_use]
pub fn percentile(samples: &[Duration], p: f64) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_unstable();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

/// `a[i] / b[i]` for each run pair `i`: the two sides of a ratio always come from the
/// same run (same seed, or measured back to back), never from two medians. Pairs with a
/// zero denominator are left out.
#[must_use]
pub fn ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .filter(|(_, d)| **d != 0.0)
        .map(|(n, d)| n / d)
        .collect()
}

/// `ratio (min..max)× wins/loses/even` for per-run ratios of Parliament to flat: lower
/// is better unless `higher_better`; within 5 % of 1 is even.
#[must_use]
pub fn verdict(ratios: &[f64], higher_better: bool) -> String {
    let Some(s) = Summary::of(ratios) else {
        return "n/a".to_owned();
    };
    let wins = if higher_better {
        s.median > 1.0
    } else {
        s.median < 1.0
    };
    let word = if (s.median - 1.0).abs() < 0.05 {
        "even"
    } else if wins {
        "wins"
    } else {
        "LOSES"
    };
    format!("{}× {word}", s.show(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_of_odd_and_even_counts() {
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.count), (3.0, 1.0, 5.0, 3));
        let s = Summary::of(&[4.0, 1.0, 3.0, 10.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.5, 1.0, 10.0));
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn summary_shows_the_range_only_for_repeats() {
        assert_eq!(Summary::of(&[2.0]).unwrap().show(1), "2.0");
        assert_eq!(Summary::of(&[2.0, 1.0, 4.0]).unwrap().show(0), "2 (1..4)");
        assert_eq!(show(&[], 0), "n/a");
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&ms, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&ms, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(percentile(&ms, 0.0), Some(Duration::from_millis(1)));
        let one = [Duration::from_millis(7)];
        assert_eq!(percentile(&one, 99.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn ratios_pair_runs_and_skip_zero_denominators() {
        // The median of per-pair ratios is not the ratio of medians.
        let ours = [10.0, 30.0, 20.0];
        let theirs = [5.0, 10.0, 0.0];
        assert_eq!(ratios(&ours, &theirs), vec![2.0, 3.0]);
        let paired = Summary::of(&ratios(&[1.0, 9.0, 4.0], &[1.0, 3.0, 8.0])).unwrap();
        assert_eq!(paired.median, 1.0);
    }

    #[test]
    fn a_loss_is_called_a_loss() {
        assert_eq!(verdict(&[3.0, 2.0, 4.0], false), "3.00 (2.00..4.00)× LOSES");
        assert_eq!(verdict(&[0.5], false), "0.50× wins");
        assert_eq!(verdict(&[0.5], true), "0.50× LOSES");
        assert_eq!(verdict(&[1.01], true), "1.01× even");
        assert_eq!(verdict(&[], true), "n/a");
    }
}
