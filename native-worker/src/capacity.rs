//! `pecsched-worker capacity`: for each policy, the largest arrival-rate scale at which every
//! request class still meets its SLO for a stated share of its requests (default 90 %), found
//! by the core's [`RateSearch`] (doubling or halving from the scenario's own rate, then
//! bisection). Policies are searched in parallel on threads, one search per thread at a time;
//! the runs themselves are the core's, deterministic, so the result does not depend on the
//! number of threads.

use crate::simulate::{SimulateArgs, scenario_from_args};
use anyhow::{Context, Result, bail};
use clap::Args;
use pecsched_core::metrics::Summary;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::rate_search::{RateBound, RateSearch};
use pecsched_core::scenario::{Scenario, limits};
use pecsched_core::workload::Request;
use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Flags of `capacity`: the scenario as `simulate` takes it, and the search's own.
#[derive(Args, Debug, Clone)]
pub struct CapacityArgs {
    /// The scenario (every `simulate` flag; --requests-csv and --timeline-trace are not used).
    #[command(flatten)]
    pub sim: SimulateArgs,
    /// Share of each class's requests that must meet their SLO, in (0, 1].
    #[arg(long, default_value_t = 0.9)]
    pub attainment: f64,
    /// Bisection steps once the boundary is bracketed (6: within 1.1 %).
    #[arg(long, default_value_t = 6)]
    pub steps: u32,
    /// Largest rate factor tried, × the scenario's rate (capped by the scenario's rate limit).
    #[arg(long, default_value_t = 64.0)]
    pub max_factor: f64,
    /// Threads (default: the machine's cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// One run of a search.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// Rate factor × the scenario's rate.
    pub factor: f64,
    /// The workload's rate scale at this point (× the trace's recorded rate).
    pub rate_scale: f64,
    /// Requests the run covers.
    pub requests: usize,
    /// Offered rate: requests ÷ the arrivals' span, per second.
    pub offered_rps: f64,
    /// Whether every class met the attainment.
    pub attained: bool,
    /// The run's summary (attainment per class in `short.slo`, `long.slo`).
    pub summary: Summary,
}

/// A policy's search.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyCapacity {
    /// The policy's id.
    pub policy: String,
    /// The largest factor that attained (`null`: not even the smallest tried).
    pub capacity_factor: Option<f64>,
    /// The smallest factor that did not (`null`: every factor up to the maximum attained).
    pub failed_factor: Option<f64>,
    /// Every run, in the order run.
    pub points: Vec<Point>,
}

/// Runs `capacity`.
pub fn run(a: CapacityArgs) -> Result<()> {
    if !(a.attainment > 0.0 && a.attainment <= 1.0) {
        bail!("--attainment {}: expected a share in (0, 1]", a.attainment);
    }
    if a.sim.requests_csv.is_some() || a.sim.timeline_trace.is_some() {
        bail!(
            "capacity writes no --requests-csv or --timeline-trace (use simulate at the rate found)"
        );
    }
    if !(a.max_factor.is_finite() && a.max_factor > 0.0) {
        bail!("--max-factor {}: expected a positive number", a.max_factor);
    }
    let permille = (a.attainment * 1000.0).round() as u32;
    let (scenario, trace) = scenario_from_args(&a.sim)?;
    let raw = match &trace {
        Some(t) => Some(crate::trace_file::read(t, scenario.trace_keep(), true)?.requests),
        None => None,
    };
    let max_factor = a
        .max_factor
        .min(limits::MAX_RATE_SCALE / scenario.rate_scale());
    let policies = scenario.policies().to_vec();
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, policies.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<PolicyCapacity>>>> =
        Mutex::new(policies.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&p) = policies.get(i) else { break };
                    let r = search(&scenario, raw.as_deref(), p, permille, a.steps, max_factor);
                    results.lock().expect("no thread panics holding it")[i] = Some(r);
                }
            });
        }
    });
    let results: Vec<PolicyCapacity> = results
        .into_inner()
        .expect("no thread panicked")
        .into_iter()
        .map(|r| r.expect("every policy searched"))
        .collect::<Result<_>>()?;
    if a.sim.json {
        let out = serde_json::json!({
            "scenario": scenario.to_wire(),
            "attainment": a.attainment,
            "steps": a.steps,
            "max_factor": max_factor,
            "slo": pecsched_core::scenario::wire::SloWire::from(scenario.slo()),
            "policies": results,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        crate::output::stdout_text(&render(&scenario, &results, a.attainment, a.steps))?;
    }
    Ok(())
}

/// One policy's search: runs the scenario at each factor the core proposes.
fn search(
    scenario: &Scenario,
    raw: Option<&[Request]>,
    policy: PolicyKind,
    permille: u32,
    steps: u32,
    max_factor: f64,
) -> Result<PolicyCapacity> {
    let mut s = RateSearch::new(steps, max_factor);
    let mut points = Vec::new();
    while let Some(factor) = s.next() {
        let sc = scenario
            .at_load(factor, scenario.seed())
            .with_context(|| format!("{} at ×{factor}", policy.id()))?;
        let reqs = match raw {
            Some(r) => sc.requests_from_trace(r.to_vec())?,
            None => sc.requests(None)?,
        };
        let offered_rps = offered(&reqs);
        let n = reqs.len();
        let (summary, _) = sc.run(policy, reqs)?;
        let attained = !summary.is_partial() && summary.attains(permille);
        s.record(factor, attained);
        points.push(Point {
            factor,
            rate_scale: sc.rate_scale(),
            requests: n,
            offered_rps,
            attained,
            summary,
        });
    }
    let RateBound { attained, failed } = s.bound();
    Ok(PolicyCapacity {
        policy: policy.id().to_string(),
        capacity_factor: attained,
        failed_factor: failed,
        points,
    })
}

/// Requests ÷ the arrivals' span, per second (0 for fewer than two arrivals).
fn offered(reqs: &[Request]) -> f64 {
    match (reqs.first(), reqs.last()) {
        (Some(a), Some(b)) if b.arrival > a.arrival => {
            reqs.len() as f64 / (b.arrival.0 - a.arrival.0) as f64 * 1e9
        }
        _ => 0.0,
    }
}

/// The table: per policy the capacity (factor, rate scale, offered rate), attainment per
/// class and goodput there, the first factor that failed, and how many runs the search took.
fn render(s: &Scenario, results: &[PolicyCapacity], attainment: f64, steps: u32) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "capacity: the largest rate at which every class meets its SLO for ≥ {:.1} % of its requests \
         (× the scenario's rate scale {}; doubling/halving from ×1, then {steps} bisection steps; \
         assumes attainment falls with load)",
        attainment * 100.0,
        s.rate_scale()
    );
    let _ = writeln!(out, "SLO: {}", s.slo());
    let _ = writeln!(
        out,
        "{:<14} {:>10} {:>10} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9} {:>5}",
        "policy",
        "capacity ×",
        "rate scale",
        "req/s",
        "requests",
        "short %",
        "long %",
        "goodput",
        "fails at",
        "runs"
    );
    for r in results {
        let at = r
            .capacity_factor
            .and_then(|f| r.points.iter().find(|p| p.factor == f));
        let pct = |c: &pecsched_core::metrics::ClassSummary| {
            if c.count == 0 {
                "—".to_string()
            } else {
                format!("{:.1}", c.slo.attainment * 100.0)
            }
        };
        let fails = r
            .failed_factor
            .map_or("—".to_string(), |f| format!("×{f:.4}"));
        match at {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "{:<14} {:>10.4} {:>10.5} {:>9.3} {:>8} {:>8} {:>8} {:>9.3} {:>9} {:>5}",
                    r.policy,
                    p.factor,
                    p.rate_scale,
                    p.offered_rps,
                    p.requests,
                    pct(&p.summary.short),
                    pct(&p.summary.long),
                    p.summary.goodput_rps(),
                    fails,
                    r.points.len()
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{:<14} {:>10} {:>10} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9} {:>5}",
                    r.policy,
                    format!("<{}", RateSearch::MIN_FACTOR),
                    "—",
                    "—",
                    "—",
                    "—",
                    "—",
                    "—",
                    fails,
                    r.points.len()
                );
            }
        }
    }
    let unbounded: Vec<&str> = results
        .iter()
        .filter(|r| r.failed_factor.is_none())
        .map(|r| r.policy.as_str())
        .collect();
    if !unbounded.is_empty() {
        let _ = writeln!(
            out,
            "note: {} attained at every factor tried: the capacity is at least the maximum (--max-factor)",
            unbounded.join(", ")
        );
    }
    out
}
