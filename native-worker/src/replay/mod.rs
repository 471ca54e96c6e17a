//! `pecsched-worker replay`: hardware in the loop. Runs a scenario through the core and its
//! policies twice per policy — once with the performance model's iteration times (modelled),
//! once with every iteration the core schedules, on every replica in turn, timed by launching
//! the real kernels with that iteration's shapes ([`oracle::GpuOracle`]) — and reports the
//! per-iteration error and whether the headline metrics and the policy ranking survive.
//!
//! Files: [`bucket`] (what is cached), [`rig`] (GPU buffers and timed launches of the core's
//! `perf::LayerShapes`), [`oracle`] (the core's hook), [`report`] (statistics).

pub mod bucket;
pub mod oracle;
pub mod report;
pub mod rig;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use anyhow::{Result, bail};
use pecsched_core::hardware::GpuKind;
use pecsched_core::metrics::StopReason;
use pecsched_core::model::ModelKind;
use pecsched_core::perf::{Calibration, LayerShapes};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use pecsched_gpu::Gpu;
use pecsched_gpu::timing::Plan;
use serde::Serialize;

use crate::output::OutputFile;
use crate::simulate::{SimulateArgs, scenario_from_args};
use oracle::{GpuOracle, OracleLog};
use report::{ErrorStats, Headline, by_kind, part_ratios, ranking};
use rig::{Rig, RigSize};

/// Flags of `replay`. Defaults: Llama-3.1-8B on one node of 8 H100 at TP = 1 (8 replicas),
/// the first 300 s of the Azure 2023 conversation trace with the long-input transform, FIFO
/// and PecSched, the `h100-wgpu` calibration, 2 layers launched per iteration.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Scenario JSON file (flags below override it).
    #[arg(long, value_name = "PATH")]
    pub scenario: Option<PathBuf>,
    /// Model (see `simulate --help`).
    #[arg(long, default_value = "llama3.1-8b")]
    pub model: ModelKind,
    /// GPU the cluster is made of (a100, h100, h200).
    #[arg(long, default_value = "h100")]
    pub gpu: GpuKind,
    /// Nodes.
    #[arg(long, default_value_t = 1)]
    pub nodes: u32,
    /// GPUs per node.
    #[arg(long, default_value_t = 8)]
    pub gpus_per_node: u32,
    /// Tensor-parallel size of one replica.
    #[arg(long, default_value_t = 1)]
    pub tp: u32,
    /// Policies to compare (repeat); default fifo and pecsched.
    #[arg(long = "policy", value_name = "ID")]
    pub policies: Vec<PolicyKind>,
    /// Arrivals kept, START:END seconds of the trace.
    #[arg(long, default_value = "0:300", value_parser = crate::simulate::parse_window)]
    pub window: (f64, f64),
    /// Arrival-rate multiplier.
    #[arg(long, default_value_t = 0.05)]
    pub rate_scale: f64,
    /// Keep at most this many requests.
    #[arg(long)]
    pub max_requests: Option<u32>,
    /// Do not apply the long-input transform.
    #[arg(long)]
    pub no_long_input: bool,
    /// Seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Calibration of the performance model: a built-in id or a profile JSON file.
    #[arg(long, default_value = "h100-wgpu")]
    pub calibration: String,
    /// Layers launched per timed iteration component (each with its own weights); times are
    /// scaled to the model's layer count.
    #[arg(long, default_value_t = 2)]
    pub layers: u32,
    /// Timed runs per component bucket (median kept), after one warm-up run.
    #[arg(long, default_value_t = 3)]
    pub reps: u32,
    /// GPU memory for the KV pool (one layer's K and V), GB; the pool holds at most the
    /// replica's KV capacity.
    #[arg(long, default_value_t = 24.0)]
    pub kv_gb: f64,
    /// Cap on the KV pool, tokens (smoke tests).
    #[arg(long)]
    pub kv_tokens: Option<u64>,
    /// Divide every layer width by this (smoke tests on a software adapter only: timings are
    /// then meaningless).
    #[arg(long, default_value_t = 1)]
    pub shrink: u32,
    /// The cooperative-matrix prefill variant to launch (the `h100-wgpu` profile was fitted
    /// on `rows`); an adapter without cooperative matrices runs the FMA prefill instead.
    #[arg(long, value_enum, default_value = "rows")]
    pub coop_prefill: pecsched_gpu::prefill_coop::CoopVariant,
    /// Launch the FMA prefill even where cooperative matrices are available.
    #[arg(long)]
    pub fma_prefill: bool,
    /// Include every iteration's record in the JSON report (large for long windows).
    #[arg(long)]
    pub records: bool,
    /// Wall seconds for all measured runs together, split evenly between the policies; a
    /// run that spends its share stops early (its results are then partial).
    #[arg(long, default_value_t = 420.0)]
    pub max_wall_s: f64,
    /// Check the engine's invariants every this many events (and at the end).
    #[arg(long, default_value_t = 2048)]
    pub check_every: u64,
    /// Plan only (no GPU): run the policies with a counting oracle and print how many
    /// iterations and distinct component buckets a replay of this scenario would time.
    #[arg(long)]
    pub plan: bool,
    /// JSON report path.
    #[arg(long, default_value = "replay.json")]
    pub out: PathBuf,
}

/// One policy's results.
#[derive(Serialize)]
struct PolicyResult {
    policy: String,
    modelled: Headline,
    measured: Headline,
    iterations: Vec<(String, ErrorStats)>,
    /// Median measured / predicted of the GEMM part and of the attention part.
    part_ratios: [f64; 2],
    fresh_measurements: u64,
    capped_iterations: u64,
    measured_wall_s: f64,
    invariant_checks: u64,
    timed_iterations: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    records: Vec<oracle::IterRecord>,
}

/// The whole report.
#[derive(Serialize)]
struct Report {
    adapter: String,
    scenario: serde_json::Value,
    calibration: String,
    requests: usize,
    dims: LayerShapes,
    kernels: (String, String),
    layers_launched: u32,
    kv_pool_tokens: u64,
    kv_pool_buffers: usize,
    reps: u32,
    notes: Vec<String>,
    policies: Vec<PolicyResult>,
    ranking_modelled: [Vec<String>; 3],
    ranking_measured: [Vec<String>; 3],
    same_ranking: bool,
    cache_entries: usize,
    measure_wall_s: f64,
}

fn scenario(a: &ReplayArgs) -> Result<(Scenario, String)> {
    let sim = SimulateArgs {
        scenario: a.scenario.clone(),
        link: None,
        trace: None,
        format: None,
        embedded: None,
        model: Some(a.model),
        gpu: Some(a.gpu),
        nodes: Some(a.nodes),
        gpus_per_node: Some(a.gpus_per_node),
        tp: Some(a.tp),
        policies: if a.policies.is_empty() {
            vec![PolicyKind::Fifo, PolicyKind::PecSched]
        } else {
            a.policies.clone()
        },
        seed: a.seed,
        calibration: Some(a.calibration.clone()),
        decode_replicas: None,
        colocation_cap: None,
        reservation_pool: None,
        priority_placement: None,
        rate_scale: Some(a.rate_scale),
        window: Some(a.window),
        no_window: false,
        max_requests: a.max_requests,
        no_long_input: a.no_long_input,
        long_input: false,
        json: false,
        requests_csv: None,
        timeline_trace: None,
        quiet: true,
        prefix: Default::default(),
        stream: false,
        params: Default::default(),
    };
    let (s, _) = scenario_from_args(&sim)?;
    let label = match Calibration::builtin(&a.calibration) {
        Ok(_) => format!("built-in `{}`", a.calibration),
        Err(_) => a.calibration.clone(),
    };
    Ok((s, label))
}

/// Runs `replay`.
pub fn run(a: ReplayArgs) -> Result<()> {
    anyhow::ensure!(
        a.layers >= 1 && a.reps >= 1,
        "--layers and --reps must be ≥ 1"
    );
    let out = OutputFile::check("--out", &a.out)?;
    let (sc, calib_label) = scenario(&a)?;
    let requests = sc.requests(None)?;
    let perf = sc.perf_model()?;
    let model = sc.model().spec();
    let dims = rig::shrink(*perf.layer_shapes(), a.shrink);
    let pool_budget = (a.kv_gb * 1e9 / (2 * dims.kv_row_bytes()) as f64) as u64;
    let kv_tokens = perf
        .kv_capacity_tokens()
        .min(pool_budget)
        .min(a.kv_tokens.unwrap_or(u64::MAX))
        .max(1);
    let size = RigSize {
        dims,
        layers: a.layers,
        max_tokens: sc.engine().max_batched_tokens + sc.engine().max_num_seqs + 1,
        kv_tokens,
    };
    if a.plan {
        return plan(&sc, &requests);
    }
    let gpu = Gpu::open()?;
    let adapter = gpu.describe();
    let coop = (gpu.coop_f16 && !a.fma_prefill).then_some(a.coop_prefill);
    println!("adapter: {adapter}");
    let rig = Rc::new(Rig::new(
        gpu,
        size,
        coop,
        Plan {
            warmup: 1,
            reps: a.reps,
            cold: true,
        },
    )?);
    let (_, bufs) = rig.kv_layout();
    rig.warm_clocks(1.0)?;
    let mut notes = vec![
        format!(
            "{} of {} layers launched per component (own weights each), times scaled ×{:.1}",
            a.layers,
            model.layers,
            model.layers as f64 / a.layers as f64
        ),
        format!(
            "KV pool of {kv_tokens} tokens (one layer's K and V, {} buffer(s)) reused by every layer and sequence; replica KV capacity {} tokens",
            bufs,
            perf.kv_capacity_tokens()
        ),
        "every replica's iterations are timed in turn on the one GPU (replicas are identical)".into(),
        "cached per-layer GPU time by component: GEMMs by ⌈M/64⌉, each prefill chunk by (new, prefix), decode by (sequences, Σ context), the last three to 6 significant bits; the first shape of a bucket is the one launched".into(),
        "long-request prefill segments (sequence parallel over several replicas) are modelled, not launched; long decode steps are launched per member".into(),
        "LM head, TP all-reduces and the fixed iteration overhead are priced by the core (PerfModel::breakdown), not launched; norms, RoPE and KV appends are omitted as in the core".into(),
    ];
    if a.shrink > 1 {
        notes.push(format!(
            "layer widths divided by {}: smoke test, timings meaningless",
            a.shrink
        ));
    }
    let log = Rc::new(RefCell::new(OracleLog::default()));
    let share = a.max_wall_s / sc.policies().len().max(1) as f64;
    let mut results = Vec::new();
    for &p in sc.policies() {
        let (modelled, _) = sc.run(p, requests.clone())?;
        let mut sim = sc.simulation(p, requests.clone())?;
        sim.set_oracle(Box::new(GpuOracle::new(
            rig.clone(),
            perf.clone(),
            log.clone(),
        )));
        let t0 = Instant::now();
        let mut events = 0u64;
        let mut checks = 0u64;
        let mut stopped = None;
        while sim.step() {
            events += 1;
            if let Some(e) = log.borrow().error.clone() {
                bail!("GPU measurement failed under {}: {e}", p.id());
            }
            if events.is_multiple_of(a.check_every) {
                sim.check_invariants().map_err(|e| {
                    anyhow::anyhow!("invariant broken under {} (replay): {e}", p.id())
                })?;
                checks += 1;
                if t0.elapsed().as_secs_f64() > share {
                    // The wall budget is the caller's own limit: an early end, partial.
                    stopped = Some(StopReason::EndedEarly {
                        at_s: sim.now().as_secs_f64(),
                    });
                    break;
                }
            }
        }
        sim.check_invariants()
            .map_err(|e| anyhow::anyhow!("invariant broken under {} at the end: {e}", p.id()))?;
        checks += 1;
        sim.take_oracle();
        let (measured, _) = sim.finish();
        let mut m = Headline::of(&measured);
        if stopped.is_some() {
            m.stopped = stopped;
        }
        let records = std::mem::take(&mut log.borrow_mut().iters);
        let r = PolicyResult {
            policy: p.id().to_string(),
            modelled: Headline::of(&modelled),
            measured: m,
            iterations: by_kind(&records),
            part_ratios: part_ratios(&records),
            fresh_measurements: records.iter().map(|r| r.fresh as u64).sum(),
            capped_iterations: records.iter().filter(|r| r.capped).count() as u64,
            measured_wall_s: t0.elapsed().as_secs_f64(),
            invariant_checks: checks,
            timed_iterations: records.len(),
            records,
        };
        print_policy(&r);
        let mut r = r;
        if !a.records {
            r.records.clear();
        }
        results.push(r);
    }
    let pick = |f: fn(&PolicyResult) -> &Headline| {
        results
            .iter()
            .map(|r| (r.policy.clone(), f(r).clone()))
            .collect::<Vec<_>>()
    };
    let rm = ranking(&pick(|r| &r.modelled));
    let rg = ranking(&pick(|r| &r.measured));
    let same = rm == rg;
    println!("\nranking, best first (short p99 queueing | short throughput | long mean JCT):");
    println!("  modelled: {:?}", rm);
    println!("  measured: {:?}", rg);
    println!("  same ranking: {same}");
    for n in &notes {
        println!("note: {n}");
    }
    let log = log.borrow();
    let report = Report {
        adapter,
        scenario: serde_json::from_str(&sc.to_json())?,
        calibration: calib_label,
        requests: requests.len(),
        dims,
        kernels: rig.kernel_labels(),
        layers_launched: a.layers,
        kv_pool_tokens: kv_tokens,
        kv_pool_buffers: bufs,
        reps: a.reps,
        notes,
        policies: results,
        ranking_modelled: rm,
        ranking_measured: rg,
        same_ranking: same,
        cache_entries: log.cache.len(),
        measure_wall_s: log.measure_wall_s,
    };
    out.write_text(&(serde_json::to_string_pretty(&report)? + "\n"))?;
    println!(
        "{} cache entries, {:.1} s measuring; wrote {}",
        report.cache_entries,
        report.measure_wall_s,
        a.out.display()
    );
    Ok(())
}

/// `--plan`: iterations and distinct buckets per policy, and in all.
fn plan(sc: &Scenario, requests: &[pecsched_core::workload::Request]) -> Result<()> {
    let log = Rc::new(RefCell::new(oracle::PlanLog::default()));
    println!("{} requests", requests.len());
    for &p in sc.policies() {
        let before = log.borrow().iters;
        let mut sim = sc.simulation(p, requests.to_vec())?;
        sim.set_oracle(Box::new(oracle::PlanOracle(log.clone())));
        let (s, _) = sim.run();
        let h = Headline::of(&s);
        let l = log.borrow();
        println!(
            "{}: {} iterations, {} buckets so far; short qd p99 {:.3} s, short RPS {:.4}, long JCT {:.1} s, makespan {:.0} s, done {:?}, stopped {:?}",
            p.id(),
            l.iters - before,
            l.buckets.len(),
            h.short_p99_queueing_s,
            h.short_throughput_rps,
            h.long_mean_jct_s,
            s.makespan_s,
            h.completed,
            h.stopped
        );
    }
    let l = log.borrow();
    let mut kinds = [0u64; 3];
    let mut work = [0u64; 3];
    for (c, w) in &l.buckets {
        let i = match c {
            bucket::Component::Gemms { .. } => 0,
            bucket::Component::Prefill { .. } => 1,
            bucket::Component::Decode { .. } => 2,
        };
        kinds[i] += 1;
        work[i] += w;
    }
    println!(
        "buckets: {} GEMM (Σ M {}), {} prefill (Σ pairs {:.3e}), {} decode (Σ context {:.3e})",
        kinds[0], work[0], kinds[1], work[1] as f64, kinds[2], work[2] as f64
    );
    Ok(())
}

fn print_policy(r: &PolicyResult) {
    println!(
        "\n== {}: {} iterations timed, {} fresh GPU measurements, {} capped, {:.1} s wall",
        r.policy, r.timed_iterations, r.fresh_measurements, r.capped_iterations, r.measured_wall_s
    );
    println!(
        "{:<10} {:>8} {:>9} {:>9} {:>9} {:>12}",
        "kind", "iters", "|err| p50", "p90", "p99", "meas/pred"
    );
    for (k, s) in &r.iterations {
        println!(
            "{:<10} {:>8} {:>8.1}% {:>8.1}% {:>8.1}% {:>12.3}",
            k,
            s.n,
            s.median * 100.0,
            s.p90 * 100.0,
            s.p99 * 100.0,
            s.median_ratio
        );
    }
    println!(
        "median measured/predicted: GEMMs {:.3}, attention {:.3}",
        r.part_ratios[0], r.part_ratios[1]
    );
    println!(
        "{:<10} {:>14} {:>14} {:>14} {:>10}",
        "execution", "short qd p99 s", "short RPS", "long JCT s", "done"
    );
    for (label, h) in [("modelled", &r.modelled), ("measured", &r.measured)] {
        println!(
            "{:<10} {:>14.3} {:>14.4} {:>14.2} {:>10}",
            label,
            h.short_p99_queueing_s,
            h.short_throughput_rps,
            h.long_mean_jct_s,
            format!(
                "{}/{}+{}/{}",
                h.completed[0], h.completed[1], h.completed[2], h.completed[3]
            )
        );
        if let Some(s) = &h.stopped {
            println!("{:<10} stopped: {s}", "");
        }
    }
}
