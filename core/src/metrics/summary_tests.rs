//! Each metric definition of docs/metrics.md on hand-built records: the censored long JCT,
//! throughput, starvation and the GPU idle rate over the window.

use super::*;
use crate::policy_kind::PolicyKind;
use crate::time::{SimDuration, SimTime};

const S: u64 = 1_000_000_000;

fn at(s: u64) -> SimTime {
    SimTime(s * S)
}

/// A record that arrived at `arrival` s and, if given, started and completed at those seconds.
fn rec(
    id: u32,
    class: Class,
    arrival: u64,
    start: Option<u64>,
    done: Option<u64>,
) -> RequestRecord {
    let mut r = RequestRecord::new(id, class, 100, 10, at(arrival));
    r.prefill_start = start.map(at);
    r.first_token = start.map(|s| at(s + 1));
    r.completion = done.map(at);
    r
}

/// Arrivals 0–100 s, drain 50 s: horizon 150 s, rate span 0–100 s.
fn window() -> MetricsWindow {
    MetricsWindow::new(at(0), at(100), SimDuration(50 * S))
}

fn run_end(
    records: &[RequestRecord],
    busy_gpu_ns: u128,
    end: u64,
    stopped: Option<StopReason>,
) -> RunEnd<'_> {
    RunEnd {
        policy: PolicyKind::Fifo,
        records,
        window: window(),
        gpus: 4,
        busy_gpu_ns,
        end: at(end),
        events: 1,
        log_hash: "0".into(),
        stopped,
        slo: crate::metrics::Slo::DEFAULT,
    }
}

#[test]
fn long_jct_over_all_requests_censors_the_unfinished_at_the_horizon() {
    let records = [
        // Completed: 40 s and 60 s.
        rec(0, Class::Long, 0, Some(5), Some(40)),
        rec(1, Class::Long, 20, Some(30), Some(80)),
        // Started, unfinished at the horizon (150 s): 150 − 90 = 60 s.
        rec(2, Class::Long, 90, Some(100), None),
        // Never started: 150 − 100 = 50 s.
        rec(3, Class::Long, 100, None, None),
        // A short request is another class.
        rec(4, Class::Short, 10, Some(11), Some(12)),
    ];
    let mut rejected = rec(5, Class::Long, 50, None, None);
    rejected.rejected = true;
    let records = [&records[..], &[rejected]].concat();
    let horizon = StopReason::DrainHorizon {
        at_s: 150.0,
        unserved: 2,
    };
    let s = Summary::of(run_end(&records, 0, 140, Some(horizon)));
    let l = &s.long;
    // Rejected requests can never be served: counted apart, not in the JCT.
    assert_eq!((l.jct_all.n, l.jct_all.censored), (4, 2));
    assert_eq!(l.jct_all.mean_s, (40.0 + 60.0 + 60.0 + 50.0) / 4.0);
    // The completed-only mean is kept beside it.
    assert_eq!((l.jct.n, l.jct.mean), (2, 50.0));
    assert_eq!((l.starved, l.unfinished, l.rejected), (1, 1, 1));
    // A partial run is censored where it stopped (its last event, 120 s).
    let partial = Summary::of(run_end(
        &records,
        0,
        120,
        Some(StopReason::EventLimit {
            events: 1,
            at_s: 120.0,
        }),
    ));
    assert_eq!(
        partial.long.jct_all.mean_s,
        (40.0 + 60.0 + 30.0 + 20.0) / 4.0
    );
}

#[test]
fn throughput_counts_completions_inside_the_arrivals_span() {
    let records = [
        rec(0, Class::Short, 0, Some(1), Some(10)),
        rec(1, Class::Short, 50, Some(51), Some(100)),
        // Completed after the last arrival, in the drain: not in the rate span.
        rec(2, Class::Short, 99, Some(101), Some(120)),
        rec(3, Class::Short, 100, Some(100), None),
    ];
    let s = Summary::of(run_end(&records, 0, 130, None));
    assert_eq!(s.short.throughput_rps, 2.0 / 100.0);
    assert_eq!(s.window(), window());
    assert_eq!(s.short.window, s.long.window);
    // Cut where a partial run stopped (60 s): one completion in 60 s.
    let partial = Summary::of(run_end(
        &records,
        0,
        60,
        Some(StopReason::EndedEarly { at_s: 60.0 }),
    ));
    assert_eq!(partial.short.throughput_rps, 1.0 / 60.0);
}

#[test]
fn starvation_is_judged_at_the_horizon_with_the_rejected_counted() {
    let mut rejected = rec(2, Class::Long, 10, None, None);
    rejected.rejected = true;
    let records = [
        rec(0, Class::Long, 0, Some(149), None),
        // Started past the horizon (150 s): never served in the window.
        rec(1, Class::Long, 0, Some(151), None),
        rejected,
        rec(3, Class::Long, 5, None, None),
    ];
    let s = Summary::of(run_end(&records, 0, 150, None));
    assert_eq!(
        (s.long.starved, s.long.unfinished, s.long.rejected),
        (2, 1, 1)
    );
    assert_eq!(s.long.starvation_share, 3.0 / 4.0);
}

#[test]
fn gpu_idle_rate_is_eq_1_over_the_rate_span() {
    // 4 GPUs over the 100 s arrivals' span = 400 GPU-s; 300 busy → idle 0.25.
    let s = Summary::of(run_end(&[], 300 * S as u128, 140, None));
    assert_eq!(s.gpu_idle_rate, 0.25);
    // A partial run stopped at 50 s: 4 × 50 = 200 GPU-s, 150 busy.
    let p = Summary::of(run_end(
        &[],
        150 * S as u128,
        50,
        Some(StopReason::EndedEarly { at_s: 50.0 }),
    ));
    assert_eq!(p.gpu_idle_rate, 0.25);
    // Busy beyond the span (the engine's count is clipped to it) never makes idle negative.
    assert_eq!(
        Summary::of(run_end(&[], 900 * S as u128, 140, None)).gpu_idle_rate,
        0.0
    );
    // Every request at one instant: the rate span is the whole window (start → horizon).
    let mut e = run_end(&[], 100 * S as u128, 10, None);
    e.window = MetricsWindow::new(at(0), at(0), SimDuration(50 * S));
    assert_eq!(Summary::of(e).gpu_idle_rate, 0.5);
}

#[test]
fn old_summaries_read_with_a_zero_window_and_no_censored_mean() {
    let mut v = serde_json::to_value(Summary::of(run_end(&[], 0, 1, None))).unwrap();
    for class in ["short", "long"] {
        let c = v[class].as_object_mut().unwrap();
        c.remove("window");
        c.remove("jct_all");
    }
    let back: Summary = serde_json::from_value(v).unwrap();
    assert_eq!(back.window(), MetricsWindow::default());
    assert_eq!(back.long.jct_all, CensoredMean::default());
}
