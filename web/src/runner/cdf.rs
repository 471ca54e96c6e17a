//! Empirical CDFs of per-request latencies, downsampled for plotting.
//!
//! The latencies themselves come from the core ([`RequestRecord`]'s accessors); this only
//! sorts them and keeps a bounded number of steps, so a plot of 250,000 requests costs as
//! much as one of 300.

use crate::protocol::{CdfMetric, CdfPoints};
use pecsched_core::metrics::{Class, RequestRecord};

/// Most points kept per CDF.
pub const MAX_POINTS: usize = 300;

/// The latency `metric` of `r`, in nanoseconds, if it applies to `r` and happened.
fn sample(metric: CdfMetric, r: &RequestRecord) -> Option<u64> {
    match (metric, r.class) {
        (CdfMetric::ShortQueueing, Class::Short) => r.queueing_delay_ns(),
        (CdfMetric::ShortTtft, Class::Short) => r.ttft_ns(),
        (CdfMetric::ShortJct, Class::Short) => r.jct_ns(),
        (CdfMetric::LongJct, Class::Long) => r.jct_ns(),
        _ => None,
    }
}

/// The CDF of `metric` over `records`. The fraction is over every request of the metric's
/// class, so requests that never got there (starved, unfinished) keep the curve below 1.
pub fn cdf(metric: CdfMetric, records: &[RequestRecord]) -> CdfPoints {
    let class = match metric {
        CdfMetric::LongJct => Class::Long,
        _ => Class::Short,
    };
    let total = records.iter().filter(|r| r.class == class).count();
    let mut v: Vec<u64> = records.iter().filter_map(|r| sample(metric, r)).collect();
    if v.is_empty() || total == 0 {
        return Vec::new();
    }
    v.sort_unstable();
    let n = v.len();
    let step = n.div_ceil(MAX_POINTS).max(1);
    let mut out: CdfPoints = (step - 1..n)
        .step_by(step)
        .map(|i| (v[i] as f64 / 1e9, (i + 1) as f64 / total as f64))
        .collect();
    // Always end at the largest sample.
    if out.last().is_none_or(|&(_, f)| f < n as f64 / total as f64) {
        out.push((v[n - 1] as f64 / 1e9, n as f64 / total as f64));
    }
    out
}

/// Every CDF of [`CdfMetric::ALL`], in that order.
pub fn all(records: &[RequestRecord]) -> Vec<CdfPoints> {
    CdfMetric::ALL.iter().map(|&m| cdf(m, records)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::time::SimTime;

    fn rec(id: u32, class: Class, delay_s: Option<u64>) -> RequestRecord {
        let mut r = RequestRecord::new(id, class, 10, 10, SimTime(0));
        r.prefill_start = delay_s.map(|s| SimTime(s * 1_000_000_000));
        r
    }

    #[test]
    fn small_sets_keep_every_step_and_starved_requests_keep_it_below_one() {
        let rs = [
            rec(0, Class::Short, Some(3)),
            rec(1, Class::Short, Some(1)),
            rec(2, Class::Short, None),
            rec(3, Class::Long, Some(9)),
        ];
        let c = cdf(CdfMetric::ShortQueueing, &rs);
        assert_eq!(c, vec![(1.0, 1.0 / 3.0), (3.0, 2.0 / 3.0)]);
        assert!(cdf(CdfMetric::LongJct, &rs).is_empty());
    }

    #[test]
    fn large_sets_are_bounded_and_end_at_the_maximum() {
        let rs: Vec<_> = (0..10_007)
            .map(|i| rec(i, Class::Short, Some(i as u64)))
            .collect();
        let c = cdf(CdfMetric::ShortQueueing, &rs);
        assert!(c.len() <= MAX_POINTS + 1);
        assert_eq!(*c.last().unwrap(), (10_006.0, 1.0));
        assert!(c.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1));
    }
}
