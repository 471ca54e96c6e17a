//! Summary statistics of a workload: size, span, rate, and length percentiles.

use super::Request;
use crate::time::SimDuration;

/// The nearest-rank `p`-th percentile of ascending token counts: [`crate::stats::nearest_rank`]
/// on `u32` (`None` for an empty slice).
///
/// # Panics
/// If `p` is not within `0..=100` (a caller bug).
pub fn nearest_rank_sorted(sorted: &[u32], p: f64) -> Option<u32> {
    crate::stats::nearest_rank(sorted, p)
}

/// Nearest-rank percentiles of a length distribution, in tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LengthStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: u32,
    /// 80th percentile.
    pub p80: u32,
    /// 90th percentile.
    pub p90: u32,
    /// 95th percentile (the paper's long-request threshold).
    pub p95: u32,
    /// 99th percentile.
    pub p99: u32,
    /// Largest value.
    pub max: u32,
}

impl LengthStats {
    /// The statistics of `values` (any order); all zero when empty.
    pub fn of(values: impl IntoIterator<Item = u32>) -> LengthStats {
        let mut v: Vec<u32> = values.into_iter().collect();
        if v.is_empty() {
            return LengthStats::default();
        }
        v.sort_unstable();
        let sum: u64 = v.iter().map(|&x| u64::from(x)).sum();
        let at = |p| nearest_rank_sorted(&v, p).unwrap_or(0);
        LengthStats {
            mean: sum as f64 / v.len() as f64,
            p50: at(50.0),
            p80: at(80.0),
            p90: at(90.0),
            p95: at(95.0),
            p99: at(99.0),
            max: v[v.len() - 1],
        }
    }
}

/// A one-look summary of a workload, for the CLI, the web explorer and the docs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TraceStats {
    /// Number of requests.
    pub count: u32,
    /// From the first arrival to the last.
    pub span: SimDuration,
    /// `count / span` in requests per second; 0 when the span is zero.
    pub mean_rate_per_s: f64,
    /// Input (prompt) lengths.
    pub input: LengthStats,
    /// Output (generated) lengths.
    pub output: LengthStats,
    /// Fraction of requests with fewer than 2,048 input tokens (the paper's "< 2K"), 0..=1.
    pub input_below_2048_share: f64,
}

impl TraceStats {
    /// The statistics of `requests` (any order).
    pub fn of(requests: &[Request]) -> TraceStats {
        let Some(first) = requests.iter().map(|r| r.arrival).min() else {
            return TraceStats::default();
        };
        let last = requests.iter().map(|r| r.arrival).max().unwrap_or(first);
        let span = last.saturating_since(first);
        let n = requests.len() as f64;
        let below = requests.iter().filter(|r| r.input_tokens < 2048).count();
        TraceStats {
            count: u32::try_from(requests.len()).unwrap_or(u32::MAX),
            span,
            mean_rate_per_s: if span.0 == 0 {
                0.0
            } else {
                n / span.as_secs_f64()
            },
            input: LengthStats::of(requests.iter().map(|r| r.input_tokens)),
            output: LengthStats::of(requests.iter().map(|r| r.output_tokens)),
            input_below_2048_share: below as f64 / n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;

    #[test]
    fn nearest_rank_matches_the_textbook() {
        let v = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank_sorted(&v, 5.0), Some(15));
        assert_eq!(nearest_rank_sorted(&v, 30.0), Some(20));
        assert_eq!(nearest_rank_sorted(&v, 40.0), Some(20));
        assert_eq!(nearest_rank_sorted(&v, 50.0), Some(35));
        assert_eq!(nearest_rank_sorted(&v, 100.0), Some(50));
        assert_eq!(nearest_rank_sorted(&v, 0.0), Some(15));
        assert_eq!(nearest_rank_sorted(&[], 50.0), None);
    }

    #[test]
    fn summary_of_a_small_workload() {
        let reqs: Vec<Request> = (0..10u32)
            .map(|i| Request {
                id: i,
                arrival: SimTime(u64::from(i) * 500_000_000),
                input_tokens: 1000 * (i + 1),
                output_tokens: i + 1,
                prefix: crate::workload::PrefixGroup::NONE,
            })
            .collect();
        let s = TraceStats::of(&reqs);
        assert_eq!(s.count, 10);
        assert_eq!(s.span, SimDuration(4_500_000_000));
        assert!((s.mean_rate_per_s - 10.0 / 4.5).abs() < 1e-12);
        assert_eq!(
            (s.input.p50, s.input.p95, s.input.max),
            (5000, 10_000, 10_000)
        );
        assert_eq!(s.output.p80, 8);
        assert!((s.input_below_2048_share - 0.2).abs() < 1e-12);
        assert_eq!(TraceStats::of(&[]), TraceStats::default());
    }
}
