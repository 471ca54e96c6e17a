//! `pecsched-worker scale`: the paper's scalability experiment (docs/paper.md §3.7). Cluster
//! sizes up to 8,192 GPUs (8 per node), Poisson arrivals at the cluster's sustainable rate
//! (derived from the performance model by the core, `Scenario::capacity`, and printed) or at a
//! rate per GPU given, the paper's eight policies by default (`PolicyKind::PAPER`); each policy's decision time per request is
//! measured around its `dispatch` calls, and the engine's speed reported in events per second.
//! `--week` runs the synthetic Azure 2024 conversation week instead (27.3 M requests).

mod sketch;

use crate::spool::RecordSpool;
use crate::timed::Timed;
use anyhow::{Context, Result};
use clap::Args;
use pecsched_core::metrics::Summary;
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_core::workload::{ConvWeek2024, azure_week};
use sketch::DecisionStats;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// Flags of `scale`.
#[derive(Args, Debug, Clone)]
pub struct ScaleArgs {
    /// Cluster sizes in GPUs (8 per node).
    #[arg(long = "gpus", value_delimiter = ',', default_values_t = vec![8192])]
    pub gpus: Vec<u32>,
    /// Model (served at TP = 4 for 34B/70B, else TP = 1).
    #[arg(long, default_value = "llama3.1-70b")]
    pub model: ModelKind,
    /// Requests per run (default 1,000,000; with `--week`, the week's 27,303,999).
    #[arg(long)]
    pub requests: Option<u32>,
    /// Arrival rate as a share of the cluster's sustainable rate (1 = at capacity), which the
    /// core derives from the performance model for the workload's mix of lengths
    /// (`Scenario::capacity`: short requests at full batching, long prefills at ring-attention
    /// speed). Ignored when `--rate-per-gpu` or `--week` is given.
    #[arg(long, default_value_t = 1.0)]
    pub load: f64,
    /// A fixed arrival rate per GPU, requests per second (Poisson), instead of `--load`
    /// (the earlier default was 0.01).
    #[arg(long)]
    pub rate_per_gpu: Option<f64>,
    /// Run the synthetic Azure 2024 conversation week (`workload::azure_week`: the published
    /// request count and mean rate, a daily rate profile, log-normal lengths from the published
    /// statistics; no long requests) instead of Poisson arrivals, generated one request at a
    /// time.
    #[arg(long)]
    pub week: bool,
    /// Policies whose decisions are timed, one run each (default: the paper's eight,
    /// `PolicyKind::PAPER`; name others to add them).
    #[arg(long = "policies", value_delimiter = ',')]
    pub policies: Option<Vec<PolicyKind>>,
    /// Stop each run after this many events (default: the engine's, 50 M); a week needs more.
    #[arg(long)]
    pub max_events: Option<u64>,
}

/// Runs `scale`.
pub fn run(a: ScaleArgs) -> Result<()> {
    let model = a.model;
    // Checked here, naming the flag: the scenario would report its own field
    // (`workload.source.synthetic.rate_per_s`) and a value already multiplied by the GPUs.
    if let Some(r) = a.rate_per_gpu {
        anyhow::ensure!(
            r.is_finite() && r > 0.0,
            "--rate-per-gpu {r}: expected a number of requests per second per GPU, > 0"
        );
    }
    anyhow::ensure!(
        a.load.is_finite() && a.load > 0.0,
        "--load {}: expected a share of the cluster's capacity, > 0",
        a.load
    );
    let max = pecsched_core::scenario::limits::MAX_REQUESTS;
    let requests = a.requests.unwrap_or(if a.week {
        azure_week::WEEK_REQUESTS
    } else {
        1_000_000
    });
    anyhow::ensure!(
        (1..=max).contains(&requests),
        "--requests {requests}: expected between 1 and {max}"
    );
    let tp = if matches!(model, ModelKind::Yi34B | ModelKind::Llama31_70B) {
        4
    } else {
        1
    };
    let rate = match (a.week, a.rate_per_gpu) {
        (true, _) => format!(
            "the synthetic Azure 2024 conversation week (mean {:.2} req/s, daily profile, log-normal lengths, no long requests)",
            ConvWeek2024::new(0).mean_rate_per_s()
        ),
        (false, Some(r)) => format!(
            "Poisson at {r} req/s per GPU (lengths resampled from the Azure 2023 conversation trace, 5 % turned long)"
        ),
        (false, None) => format!(
            "Poisson at {} × the cluster's sustainable rate (lengths resampled from the Azure 2023 conversation trace, 5 % turned long)",
            a.load
        ),
    };
    crate::outln!(
        "{} (TP={tp}), {requests} requests per run, {rate}",
        model.spec().name
    )?;
    crate::outln!(
        "{:>6} {:>9} {:<14} {:>10} {:>8} {:>10} {:>10} {:>11} {:>11} {:>11} {:>11} {:>11} {:>10}  end",
        "GPUs",
        "replicas",
        "policy",
        "req/s",
        "wall s",
        "events",
        "events/s",
        "short p50",
        "short p99",
        "long p99",
        "short ÷JCT",
        "long ÷JCT",
        "peak held",
    )?;
    let policies = a.policies.as_deref().unwrap_or(&PolicyKind::PAPER);
    for &gpus in &a.gpus {
        anyhow::ensure!(
            gpus >= 8 && gpus.is_multiple_of(8),
            "--gpus {gpus}: must be a multiple of 8"
        );
        let (s, rps) = scenario_at(&a, requests, model, tp, gpus)?;
        // Every run streams its requests from a generator (the week's, or the scenario's
        // synthetic workload through its transforms). The long-input transform's percentile
        // needs every input length first: a first pass over the generator (counts per length),
        // as `simulate --stream` does over a trace.
        let lengths = if a.week {
            None
        } else {
            s.synthetic_input_lengths()?
        };
        for &policy in policies {
            // Decision times in a bounded histogram per class (not one sample per decision).
            let stats = Rc::new(RefCell::new(DecisionStats::new()));
            let timed = Box::new(Timed::new(s.build_policy(policy), stats.clone()));
            let ratios = sketch::RatioSink::new(stats.clone());
            let t = Instant::now();
            let (summary, ratios, held) = if a.week {
                let week = ConvWeek2024 {
                    requests,
                    ..ConvWeek2024::new(s.seed())
                };
                streamed(&a, &s, Box::new(week.iter()?.map(Ok)), timed, ratios)?
            } else {
                let source = s
                    .synthetic_source(lengths.as_ref())?
                    .map(|r| r.map_err(|e| e.to_string()));
                streamed(&a, &s, Box::new(source), timed, ratios)?
            };
            let wall = t.elapsed().as_secs_f64();
            let stats = stats.borrow();
            let ratios = ratios.out;
            let us = |h: &sketch::LogHistogram, p: f64| {
                h.percentile(p)
                    .map_or("-".into(), |ns| format!("{:.1}µs", ns as f64 / 1e3))
            };
            let pct = |h: &sketch::LogHistogram| h.percentile(99.0).unwrap_or(0) as f64 / 1e10;
            crate::outln!(
                "{:>6} {:>9} {:<14} {:>10.1} {:>8.2} {:>10} {:>10.0} {:>11} {:>11} {:>11} {:>10.4}% {:>10.4}% {:>10}  {}",
                gpus,
                gpus / tp,
                policy.id(),
                rps,
                wall,
                summary.events,
                summary.events as f64 / wall.max(1e-9),
                us(&stats.ns[0], 50.0),
                us(&stats.ns[0], 99.0),
                us(&stats.ns[1], 99.0),
                pct(&ratios[0]),
                pct(&ratios[1]),
                held,
                summary.stopped.as_ref().map_or("complete", |s| s.label())
            )?;
        }
    }
    Ok(())
}

/// One streamed run of `policy` over `source` (the week's generator, or the scenario's
/// synthetic workload through its transforms): nothing but the requests in flight is held,
/// finished records go to a spool on disk for the exact summary at the end. Returns the
/// summary, the decision-time ratios and the most requests the engine held at once.
fn streamed(
    a: &ScaleArgs,
    s: &Scenario,
    source: Box<dyn Iterator<Item = Result<pecsched_core::workload::Request, String>>>,
    policy: Box<dyn pecsched_core::policy::Policy>,
    ratios: sketch::RatioSink,
) -> Result<(Summary, sketch::RatioSink, u64)> {
    let mut run = s.streamed_run(policy, source, (RecordSpool::new()?, ratios))?;
    if let Some(n) = a.max_events {
        run.set_event_limit(n);
    }
    while run.step() {}
    let ((spool, ratios), end) = run.finish()?.split();
    let records = spool.finish()?;
    let summary = end.summary(&records)?;
    records.check()?;
    Ok((summary, ratios, end.peak_held()))
}

/// The scenario of one cluster size: the default scenario's cluster type, model at `tp`,
/// synthetic Poisson arrivals with lengths from the Azure 2023 conversation trace (the default
/// long-input transform kept), at the rate asked for; and that rate, requests per second.
/// With `--week`, the cluster, model and seed only (the requests come from the week's
/// generator) and the week's mean rate.
fn scenario_at(
    a: &ScaleArgs,
    requests: u32,
    model: ModelKind,
    tp: u32,
    gpus: u32,
) -> Result<(Scenario, f64)> {
    let build = |requests: u32, rate_per_s: f64| -> Result<Scenario> {
        let mut w: ScenarioWire = Scenario::default_scenario()
            .to_wire()
            .at_scale(gpus, requests, rate_per_s);
        w.model = model.id().into();
        w.tp = tp;
        if a.week {
            w.workload.long_input = None;
        }
        Scenario::from_wire(&w).with_context(|| {
            format!("{rate_per_s} req/s on {gpus} GPUs with --requests {requests}")
        })
    };
    if a.week {
        return Ok((build(1, 1.0)?, ConvWeek2024::new(0).mean_rate_per_s()));
    }
    if let Some(r) = a.rate_per_gpu {
        let rps = r * gpus as f64;
        return Ok((build(requests, rps)?, rps));
    }
    // Lengths and the long-input transform draw from their own streams: the mix, and so the
    // capacity, is the same at any rate. Read it at a nominal rate, then build at capacity.
    let nominal = build(requests, 1.0)?;
    let cap = nominal
        .capacity(&nominal.requests(None)?)?
        .context("the workload asks for no replica time")?;
    let rps = cap.rps * a.load;
    crate::outln!(
        "{gpus} GPUs: capacity {:.1} req/s ({:.3} replica-s per request, long prefills {:.0} % of the demand, {} of {} requests long); running at {rps:.1} req/s",
        cap.rps,
        cap.replica_s_per_request,
        cap.long_share * 100.0,
        cap.long_requests,
        cap.requests
    )?;
    Ok((build(requests, rps)?, rps))
}
