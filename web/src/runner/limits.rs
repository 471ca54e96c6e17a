//! The explorer's own limits, tighter than the core's ([`pecsched_core::scenario::limits`]):
//! a browser tab must never run for minutes or allocate gigabytes because of a link.
//!
//! Budgets count simulation events, not wall-clock time, so a run stopped by the budget stops
//! at the same instant on every machine and its partial numbers are still reproducible.

use crate::describe::grouped;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::wire::{ScenarioWire, SourceWire};

/// Most requests in one workload (the embedded conversation trace has 19,366).
pub const MAX_REQUESTS: u32 = 250_000;

/// Largest time-window bound, in seconds (115 days; the embedded traces last an hour). Larger
/// ones cannot be told apart in simulated time (integer nanoseconds).
pub const MAX_WINDOW_S: f64 = 1e7;

/// Most GPUs in the simulated cluster.
pub const MAX_GPUS: u32 = 4096;

/// Events the side-by-side comparison may process in all (about 10–20 s of wasm); each
/// policy gets an equal share.
pub const COMPARE_BUDGET_EVENTS: u64 = 24_000_000;

/// Events the load sweep may process in all. A sweep estimated above this is reduced to one
/// seed, then skipped.
pub const SWEEP_BUDGET_EVENTS: u64 = 12_000_000;

/// The event budgets of one run (the constants above; smaller in tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Events of the whole comparison, shared equally by the policies.
    pub compare_events: u64,
    /// Events of the whole load sweep.
    pub sweep_events: u64,
}

impl Budget {
    /// The event cap of one policy's run when `policies` share the comparison's budget
    /// (the load sweep gives each of its runs the same cap).
    pub fn per_policy(&self, policies: usize) -> u64 {
        self.compare_events / policies.max(1) as u64
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            compare_events: COMPARE_BUDGET_EVENTS,
            sweep_events: SWEEP_BUDGET_EVENTS,
        }
    }
}

/// Most timeline spans kept per policy (the Gantt chart's data).
pub const MAX_TIMELINE_SPANS: u32 = 60_000;

/// Largest uploaded trace file, in bytes.
pub const MAX_TRACE_BYTES: usize = 64 * 1024 * 1024;

/// Refuses, before anything is allocated, a scenario too large for a browser tab.
pub fn check_wire(w: &ScenarioWire) -> Result<(), String> {
    if let Some((a, b)) = w.workload.window_s
        && !(a.is_finite() && b.is_finite() && a.abs() <= MAX_WINDOW_S && b.abs() <= MAX_WINDOW_S)
    {
        return Err(format!(
            "the time window [{}, {}] s reaches beyond {MAX_WINDOW_S:e} s; the explorer accepts \
             windows between 0 and {} s",
            show(a),
            show(b),
            grouped(MAX_WINDOW_S as u64)
        ));
    }
    if let SourceWire::Synthetic(s) = &w.workload.source
        && s.requests > MAX_REQUESTS
    {
        return Err(format!(
            "the synthetic workload has {} requests; the explorer runs at most {MAX_REQUESTS} \
             (use the command line for more)",
            s.requests
        ));
    }
    Ok(())
}

/// Refuses a validated scenario too large for a browser tab.
pub fn check_scenario(s: &Scenario) -> Result<(), String> {
    let gpus = s.cluster().nodes as u64 * s.cluster().gpus_per_node as u64;
    if gpus > MAX_GPUS as u64 {
        return Err(format!(
            "the cluster has {gpus} GPUs; the explorer simulates at most {MAX_GPUS} \
             (use the command line for larger clusters)"
        ));
    }
    Ok(())
}

/// Refuses a workload with too many requests.
pub fn check_requests(n: usize) -> Result<(), String> {
    if n > MAX_REQUESTS as usize {
        return Err(format!(
            "the workload has {n} requests; the explorer runs at most {MAX_REQUESTS} \
             (narrow the time window, set a request limit, or use the command line)"
        ));
    }
    Ok(())
}

/// A number as people read it: plain in the usual range, scientific outside it (1e300 is not
/// printed as 301 digits).
fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-5..1e16).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::scenario::Scenario;

    #[test]
    fn a_window_beyond_simulated_time_is_refused_in_plain_words() {
        let mut w = Scenario::default_scenario().to_wire();
        assert_eq!(check_wire(&w), Ok(()));
        w.workload.window_s = Some((0.0, 1e300));
        let e = check_wire(&w).unwrap_err();
        assert!(e.contains("1e300") && e.contains("10,000,000 s"), "{e}");
    }
}
