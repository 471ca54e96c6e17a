//! `pecsched-worker scale`: the paper's scalability experiment (docs/paper.md §3.7). Cluster
//! sizes up to 8,192 GPUs (8 per node), Poisson arrivals at a rate proportional to the cluster,
//! PecSched's decision time per request measured around its `dispatch` calls.

use crate::timed::{Samples, Timed};
use anyhow::{Context, Result};
use clap::Args;
use pecsched_core::metrics::nearest_rank;
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::wire::{ScenarioWire, SourceWire, SyntheticWire};
use std::time::Instant;

/// Flags of `scale`.
#[derive(Args, Debug, Clone)]
pub struct ScaleArgs {
    /// Cluster sizes in GPUs (8 per node).
    #[arg(long = "gpus", value_delimiter = ',', default_values_t = vec![32, 128, 512, 2048, 8192])]
    pub gpus: Vec<u32>,
    /// Model (served at TP = 4 for 34B/70B, else TP = 1).
    #[arg(long, default_value = "llama3.1-70b")]
    pub model: ModelKind,
    /// Requests per run.
    #[arg(long, default_value_t = 20_000)]
    pub requests: u32,
    /// Arrival rate per GPU, requests per second (Poisson). The default keeps the paper's
    /// 32-GPU Llama cluster loaded like the default scenario's trace at 0.05× per 32 GPUs.
    #[arg(long, default_value_t = 0.01)]
    pub rate_per_gpu: f64,
    /// Policy whose decisions are timed.
    #[arg(long, default_value = "pecsched")]
    pub policy: PolicyKind,
}

/// Runs `scale`.
pub fn run(a: ScaleArgs) -> Result<()> {
    let model = a.model;
    let policy = a.policy;
    // Checked here, naming the flag: the scenario would report its own field
    // (`workload.source.synthetic.rate_per_s`) and a value already multiplied by the GPUs.
    anyhow::ensure!(
        a.rate_per_gpu.is_finite() && a.rate_per_gpu > 0.0,
        "--rate-per-gpu {}: expected a number of requests per second per GPU, > 0",
        a.rate_per_gpu
    );
    anyhow::ensure!(
        (1..=pecsched_core::scenario::limits::MAX_REQUESTS).contains(&a.requests),
        "--requests {}: expected between 1 and {}",
        a.requests,
        pecsched_core::scenario::limits::MAX_REQUESTS
    );
    let tp = if matches!(model, ModelKind::Yi34B | ModelKind::Llama31_70B) {
        4
    } else {
        1
    };
    crate::outln!(
        "{} (TP={tp}), {}, {} requests per run, Poisson at {} req/s per GPU",
        model.spec().name,
        policy.label(),
        a.requests,
        a.rate_per_gpu
    )?;
    crate::outln!(
        "{:>6} {:>9} {:>8} {:>13} {:>13} {:>13} {:>12} {:>12} {:>8}",
        "GPUs",
        "replicas",
        "wall s",
        "short p50",
        "short p99",
        "long p99",
        "short ÷JCT",
        "long ÷JCT",
        "events"
    )?;
    for &gpus in &a.gpus {
        anyhow::ensure!(
            gpus >= 8 && gpus.is_multiple_of(8),
            "--gpus {gpus}: must be a multiple of 8"
        );
        let mut w: ScenarioWire = Scenario::default_scenario().to_wire();
        w.cluster.nodes = gpus / 8;
        w.model = model.id().into();
        w.tp = tp;
        w.workload.window_s = None;
        w.workload.rate_scale = 1.0;
        w.workload.source = SourceWire::Synthetic(SyntheticWire {
            requests: a.requests,
            rate_per_s: a.rate_per_gpu * gpus as f64,
            cv: 1.0,
            lengths_from: Some("azure-conv-2023".into()),
            lognormal: None,
        });
        let s = Scenario::from_wire(&w).with_context(|| {
            format!(
                "--rate-per-gpu {} on {gpus} GPUs with --requests {}",
                a.rate_per_gpu, a.requests
            )
        })?;
        let reqs = s.requests(None)?;
        let samples = Samples::default();
        let t = Instant::now();
        let sim = s.simulation_with(
            Box::new(Timed::new(s.build_policy(policy), samples.clone())),
            reqs,
        )?;
        let (summary, records) = sim.run();
        let wall = t.elapsed().as_secs_f64();
        let samples = samples.borrow();
        let per_class = crate::timed::by_class(&records, &samples);
        let p99f = crate::timed::p99;
        crate::outln!(
            "{:>6} {:>9} {:>8.2} {:>11.1}µs {:>11.1}µs {:>11.1}µs {:>11.4}% {:>11.4}% {:>8}",
            gpus,
            gpus / tp,
            wall,
            nearest_rank(&per_class[0].ns, 50) * 1e6,
            nearest_rank(&per_class[0].ns, 99) * 1e6,
            nearest_rank(&per_class[1].ns, 99) * 1e6,
            p99f(&per_class[0].ratio) * 100.0,
            p99f(&per_class[1].ratio) * 100.0,
            summary.events
        )?;
    }
    Ok(())
}
