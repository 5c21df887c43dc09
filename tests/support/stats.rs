//! Percentiles of timed samples, one definition for every figure the benches report.
//!
//! Nearest rank: the p-th percentile of n samples is the smallest sample with at least p % of
//! the samples at or below it, the sample of rank ⌈p·n/100⌉ in ascending order. It is always a
//! measured value, never an interpolation, and p100 is the maximum.

use std::time::Duration;

/// The nearest-rank `pct`-th percentile (0 to 100) of `samples`, in any order; zero for none.
pub fn percentile(samples: &[Duration], pct: u32) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let Some(last) = sorted.len().checked_sub(1) else {
        return Duration::ZERO;
    };
    let rank = (sorted.len() * pct.min(100) as usize).div_ceil(100);
    sorted[rank.saturating_sub(1).min(last)]
}

/// The nearest-rank median: for an even count, the lower of the two middle samples.
pub fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 50)
}

#[cfg(test)]
mod tests {
    // Names from `super` inside the test only: a bench built for `cargo test` compiles this
    // module without its test, and an import at module level would go unused there.
    #[test]
    fn percentiles_are_nearest_rank_samples() {
        use super::{median, percentile};
        use std::time::Duration;

        let ms = |values: &[u64]| -> Vec<Duration> {
            values.iter().map(|&v| Duration::from_millis(v)).collect()
        };
        // Unsorted on purpose: the order samples arrive in does not matter.
        let samples = ms(&[7, 1, 10, 3, 5, 2, 9, 4, 8, 6]);
        assert_eq!(percentile(&samples, 0), Duration::from_millis(1));
        assert_eq!(percentile(&samples, 10), Duration::from_millis(1));
        assert_eq!(percentile(&samples, 11), Duration::from_millis(2));
        assert_eq!(median(&samples), Duration::from_millis(5));
        assert_eq!(percentile(&samples, 51), Duration::from_millis(6));
        assert_eq!(percentile(&samples, 99), Duration::from_millis(10));
        assert_eq!(percentile(&samples, 100), Duration::from_millis(10));

        // p99 of 200 samples is the 198th; of 101 samples, the 100th.
        let hundreds: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        assert_eq!(percentile(&hundreds, 99), Duration::from_millis(198));
        assert_eq!(percentile(&hundreds[..101], 99), Duration::from_millis(100));

        assert_eq!(median(&ms(&[4])), Duration::from_millis(4));
        assert_eq!(median(&ms(&[4, 2, 3])), Duration::from_millis(3));
        assert_eq!(percentile(&[], 99), Duration::ZERO);
    }
}
