//! The window a run's metrics are measured over (paper §3.5), and the censored mean.
//!
//! The paper reports short-request throughput, the share of long requests never served and the
//! GPU idle rate (Eq. 1) without saying over which interval. Ours is stated and carried in
//! every summary: the **arrivals' span** `[start_s, end_s]` (first to last arrival) plus a
//! named **drain** `drain_s` after it (the engine's `drain_limit`: a run never goes past
//! `end_s + drain_s`, its *horizon*).
//!
//! - Rates (throughput, GPU idle rate) are measured over the arrivals' span, the *rate span*:
//!   while work keeps arriving, a saturated cluster shows its service rate and an idle GPU is
//!   idle for want of work the policy would give it. Counting the drain in would make both
//!   depend mostly on how long the drain is (a cluster that finished early idles through it).
//!   A workload whose requests all arrive at one instant has no arrivals' span; its rate span
//!   is then the whole window, start to horizon.
//! - Service (starvation share, censored JCT) is judged at the horizon: a request is starved if
//!   it has not started by then; one not completed by then counts its time in system up to it.
//!
//! Every bound is integer nanoseconds; `*_s` fields are what JSON carries and tables show, and
//! the bounds are read back from them exactly (a round trip of `SimTime` through seconds is
//! exact below 2⁵¹ ns, 26 days; beyond it, within a few nanoseconds).

use crate::time::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The interval a run's metrics cover: the arrivals' span plus a drain (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsWindow {
    /// First arrival, seconds.
    pub start_s: f64,
    /// Last arrival, seconds.
    pub end_s: f64,
    /// Drain after the last arrival, seconds: requests not started by `end_s + drain_s` are
    /// starved, and unfinished ones are censored there.
    pub drain_s: f64,
}

fn instant(s: f64) -> SimTime {
    SimTime::try_from_secs_f64(s).unwrap_or(SimTime::MAX)
}

impl MetricsWindow {
    /// The window of arrivals from `first` to `last` with `drain` after the last.
    pub fn new(first: SimTime, last: SimTime, drain: SimDuration) -> MetricsWindow {
        let (first, last) = (first.min(last), first.max(last));
        MetricsWindow {
            start_s: first.as_secs_f64(),
            end_s: last.as_secs_f64(),
            drain_s: drain.as_secs_f64(),
        }
    }

    /// The window of these arrivals (in any order) with `drain` after the last; all zero but
    /// the drain when there is none.
    pub fn of_arrivals(arrivals: impl IntoIterator<Item = SimTime>, drain: SimDuration) -> Self {
        let mut span: Option<(SimTime, SimTime)> = None;
        for t in arrivals {
            span = Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
        let (first, last) = span.unwrap_or((SimTime::ZERO, SimTime::ZERO));
        MetricsWindow::new(first, last, drain)
    }

    /// First arrival.
    pub fn start(&self) -> SimTime {
        instant(self.start_s)
    }

    /// Last arrival.
    pub fn end(&self) -> SimTime {
        instant(self.end_s)
    }

    /// The drain after the last arrival.
    pub fn drain(&self) -> SimDuration {
        SimDuration::try_from_secs_f64(self.drain_s).unwrap_or(SimDuration(u64::MAX))
    }

    /// Last arrival + drain: where service is judged (starvation, censoring) and where the
    /// run stops.
    pub fn horizon(&self) -> SimTime {
        SimTime(self.end().0.saturating_add(self.drain().0))
    }

    /// The span rates are measured over: the arrivals' span, or the whole window (start to
    /// horizon) when every request arrived at one instant.
    pub fn rate_span(&self) -> (SimTime, SimTime) {
        let (start, end) = (self.start(), self.end());
        if end > start {
            (start, end)
        } else {
            (start, self.horizon())
        }
    }

    /// The rate span as far as a run observed it: cut at `observed_until` when the run ended
    /// before the span did (a partial run).
    pub fn observed_rate_span(&self, observed_until: SimTime) -> (SimTime, SimTime) {
        let (start, end) = self.rate_span();
        (start, end.min(observed_until).max(start))
    }

    /// Nanoseconds of `[from, to)` inside the rate span (what a GPU busy over `[from, to)`
    /// contributes to the busy side of Eq. 1).
    pub fn rate_span_overlap_ns(&self, from: SimTime, to: SimTime) -> u64 {
        let (start, end) = self.rate_span();
        to.min(end).0.saturating_sub(from.max(start).0)
    }
}

impl fmt::Display for MetricsWindow {
    /// `arrivals 0.0–1200.0 s + drain 600 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arrivals {:.1}–{:.1} s + drain {} s",
            self.start_s, self.end_s, self.drain_s
        )
    }
}

/// A mean over every request of a set, those not finished counted at the time they had spent
/// in the system when observation stopped (right-censored), with the count of censored ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CensoredMean {
    /// Requests averaged over.
    pub n: u64,
    /// How many of them had not finished: each counted at its time in system at the horizon
    /// (a lower bound of its true value, so the mean is one too when `censored > 0`).
    pub censored: u64,
    /// The mean, seconds.
    pub mean_s: f64,
}

impl CensoredMean {
    /// The mean of `(start, end)` pairs in seconds, `end = None` censored at `censor_at`
    /// (a value starting after `censor_at` counts as 0).
    pub fn of(
        items: impl IntoIterator<Item = (SimTime, Option<SimTime>)>,
        censor_at: SimTime,
    ) -> Self {
        let (mut n, mut censored, mut sum) = (0u64, 0u64, 0u128);
        for (start, end) in items {
            n += 1;
            let end = match end {
                Some(e) if e <= censor_at => e,
                _ => {
                    censored += 1;
                    censor_at
                }
            };
            sum += end.0.saturating_sub(start.0) as u128;
        }
        CensoredMean {
            n,
            censored,
            mean_s: if n == 0 {
                0.0
            } else {
                (sum / n as u128) as f64 / 1e9
            },
        }
    }
}

/// The 99th percentile over every request of a set, those that had not reached the end point
/// when observation stopped counted at their time so far (right-censored: a lower bound of
/// their value, so the percentile is a lower bound when `censored > 0`), with the count of
/// censored ones. Used where a percentile over the served requests alone would flatter a
/// policy that leaves many unserved (docs/metrics.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CensoredP99 {
    /// Requests counted.
    pub n: u64,
    /// How many of them were censored.
    pub censored: u64,
    /// The 99th percentile (nearest rank), seconds.
    pub p99_s: f64,
}

impl CensoredP99 {
    /// The p99 of `(start, end)` pairs in seconds, `end = None` (or past `censor_at`) censored
    /// at `censor_at` (a value starting after `censor_at` counts as 0).
    pub fn of(
        items: impl IntoIterator<Item = (SimTime, Option<SimTime>)>,
        censor_at: SimTime,
    ) -> Self {
        let mut censored = 0u64;
        let mut v: Vec<u64> = items
            .into_iter()
            .map(|(start, end)| {
                let end = match end {
                    Some(e) if e <= censor_at => e,
                    _ => {
                        censored += 1;
                        censor_at
                    }
                };
                end.0.saturating_sub(start.0)
            })
            .collect();
        v.sort_unstable();
        CensoredP99 {
            n: v.len() as u64,
            censored,
            p99_s: crate::stats::nearest_rank(&v, 99.0).map_or(0.0, |x| x as f64 / 1e9),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn the_window_spans_the_arrivals_and_reads_its_bounds_back_exactly() {
        let w = MetricsWindow::of_arrivals(
            [SimTime(7 * S), SimTime(2 * S + 1), SimTime(1_200 * S + 3)],
            SimDuration(600 * S),
        );
        assert_eq!(
            (w.start_s, w.end_s, w.drain_s),
            (2.000000001, 1200.000000003, 600.0)
        );
        assert_eq!(w.start(), SimTime(2 * S + 1));
        assert_eq!(w.end(), SimTime(1_200 * S + 3));
        assert_eq!(w.horizon(), SimTime(1_800 * S + 3));
        assert_eq!(w.rate_span(), (SimTime(2 * S + 1), SimTime(1_200 * S + 3)));
        assert_eq!(w.to_string(), "arrivals 2.0–1200.0 s + drain 600 s");
        // Exact through JSON, as summaries cross the explorer's worker boundary.
        let back: MetricsWindow =
            serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
        assert_eq!(back, w);
        // Every instant below 2^51 ns reads back exactly from its seconds.
        for t in [
            1u64,
            999_999_999,
            123_456_789_012_345,
            (1 << 51) - 1,
            86_400 * 26 * S,
        ] {
            assert_eq!(
                MetricsWindow::new(SimTime(t), SimTime(t), SimDuration(t)).end(),
                SimTime(t)
            );
        }
    }

    #[test]
    fn rates_cover_the_arrivals_span_cut_where_observation_stopped() {
        let w = MetricsWindow::new(SimTime(10 * S), SimTime(110 * S), SimDuration(50 * S));
        // Busy [0, 20) counts 10 s, [100, 200) counts 10 s, [120, 130) nothing.
        assert_eq!(w.rate_span_overlap_ns(SimTime(0), SimTime(20 * S)), 10 * S);
        assert_eq!(
            w.rate_span_overlap_ns(SimTime(100 * S), SimTime(200 * S)),
            10 * S
        );
        assert_eq!(
            w.rate_span_overlap_ns(SimTime(120 * S), SimTime(130 * S)),
            0
        );
        assert_eq!(
            w.observed_rate_span(SimTime(60 * S)),
            (SimTime(10 * S), SimTime(60 * S))
        );
        assert_eq!(
            w.observed_rate_span(SimTime(5 * S)),
            (SimTime(10 * S), SimTime(10 * S))
        );
        assert_eq!(
            w.observed_rate_span(SimTime(500 * S)),
            (SimTime(10 * S), SimTime(110 * S))
        );
        // All arrivals at one instant: the rate span is the whole window.
        let burst = MetricsWindow::new(SimTime(3 * S), SimTime(3 * S), SimDuration(50 * S));
        assert_eq!(burst.rate_span(), (SimTime(3 * S), SimTime(53 * S)));
    }

    #[test]
    fn a_censored_mean_counts_the_unfinished_at_the_horizon() {
        let at = |s: u64| SimTime(s * S);
        // Done in 10 s and 30 s; one still running at the horizon (200 s) after arriving at
        // 150 s counts 50 s; one arriving at 100 s never started counts 100 s; one finishing
        // after the horizon is censored too.
        let m = CensoredMean::of(
            [
                (at(0), Some(at(10))),
                (at(20), Some(at(50))),
                (at(150), None),
                (at(100), None),
                (at(170), Some(at(260))),
            ],
            at(200),
        );
        assert_eq!((m.n, m.censored), (5, 3));
        assert_eq!(m.mean_s, (10.0 + 30.0 + 50.0 + 100.0 + 30.0) / 5.0);
        assert_eq!(CensoredMean::of([], at(1)), CensoredMean::default());
        // The p99 counts never-started requests at the horizon: 99 served at once and one
        // waiting since 0 give a p99 of 0; two waiting of 100 give the horizon.
        let mut items: Vec<_> = (0..99).map(|_| (at(0), Some(at(0)))).collect();
        items.push((at(0), None));
        let p = CensoredP99::of(items.clone(), at(50));
        assert_eq!((p.n, p.censored, p.p99_s), (100, 1, 0.0));
        items[0].1 = None;
        let p = CensoredP99::of(items, at(50));
        assert_eq!((p.n, p.censored, p.p99_s), (100, 2, 50.0));
    }
}
