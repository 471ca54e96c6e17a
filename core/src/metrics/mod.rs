//! What a run measured: per-request records and the aggregates the paper reports.

mod class_pass;
mod offered;
mod prefix;
mod record;
mod sink;
mod slo;
mod stop;
mod summary;
#[cfg(test)]
mod summary_tests;
mod window;

pub use offered::{Capacity, Demand, ShortCapacity};
pub use prefix::{PrefixStats, PrefixSummary};
pub use record::{CSV_HEADER, Class, Records, Rejection, RequestRecord};
pub use sink::{DiscardRecords, RecordSink};
pub use slo::{CSV_SLO_HEADER, ClassSlo, Slo, SloAttainment};
pub use stop::{JobState, MAX_LISTED_STRANDED, Place, StallCheck, StopReason, Stranded};
pub use summary::{ClassSummary, Percentiles, RunEnd, Summary, nearest_rank};
pub use window::{CensoredMean, CensoredP99, MetricsWindow};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{SimDuration, SimTime};

    #[test]
    fn nearest_rank_percentiles_of_one_to_hundred() {
        let v: Vec<u64> = (1..=100).map(|s| s * 1_000_000_000).collect();
        let p = Percentiles::of(v);
        assert_eq!(
            (p.p1, p.p25, p.p50, p.p99, p.max),
            (1.0, 25.0, 50.0, 99.0, 100.0)
        );
        assert_eq!(p.mean, 50.5);
        assert_eq!(nearest_rank(&[], 50), 0.0);
    }

    proptest::proptest! {
        /// Selecting the order statistics gives what a sort and `nearest_rank` give, with ties,
        /// tiny and large samples.
        #[test]
        fn selected_percentiles_equal_the_sorted_ones(
            v in proptest::collection::vec(0u64..50, 0..400),
            w in proptest::collection::vec(proptest::num::u64::ANY, 0..400),
        ) {
            for s in [v, w] {
                let mut sorted = s.clone();
                sorted.sort_unstable();
                let p = Percentiles::of(s.clone());
                let q = |x| nearest_rank(&sorted, x);
                proptest::prop_assert_eq!(
                    (p.n, p.p1, p.p25, p.p50, p.p75, p.p90, p.p99),
                    (s.len() as u64, q(1), q(25), q(50), q(75), q(90), q(99))
                );
                proptest::prop_assert_eq!(p.max, sorted.last().map_or(0.0, |&m| m as f64 / 1e9));
                let mut any = s.clone();
                proptest::prop_assert_eq!(
                    crate::stats::nearest_rank_unsorted(&mut any, 99.0),
                    crate::stats::nearest_rank(&sorted, 99.0)
                );
            }
        }
    }

    #[test]
    fn class_summary_counts_starved_and_throughput() {
        let mut a = RequestRecord::new(0, Class::Short, 10, 3, SimTime(0));
        a.prefill_start = Some(SimTime(1_000_000_000));
        a.first_token = Some(SimTime(2_000_000_000));
        a.completion = Some(SimTime(4_000_000_000));
        let b = RequestRecord::new(1, Class::Short, 10, 3, SimTime(8_000_000_000));
        let window = MetricsWindow::new(SimTime(0), b.arrival, SimDuration(10_000_000_000));
        let s = ClassSummary::of(&[a, b], Class::Short, window, SimTime::MAX);
        assert_eq!((s.count, s.completed, s.starved), (2, 1, 1));
        assert_eq!(s.starvation_share, 0.5);
        assert_eq!(s.queueing_delay.p50, 1.0);
        assert_eq!(s.tbt.p50, 1.0);
        // One completion over the 8 s of arrivals.
        assert_eq!(s.throughput_rps, 0.125);
    }
}
