//! The load regimes `repro` runs each model at, one run of every policy at each, and the point
//! where each model's claims are judged (the paper's regime: FIFO's GPU idle rate ≈ 0).

use crate::timed::{Samples, Timed};
use anyhow::Result;
use indicatif::ProgressBar;
use pecsched_core::metrics::{
    Class, Demand, MetricsWindow, RequestRecord, ShortCapacity, Summary, nearest_rank,
};
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::wire::{EngineWire, ScenarioWire, SourceWire};
use pecsched_core::scenario::{EmbeddedTrace, Scenario};
use pecsched_core::time::{SimDuration, SimTime};
use pecsched_core::workload::Request;
use serde::Serialize;

/// FIFO's GPU idle rate at or below which a point is in the paper's regime: the cluster is
/// saturated, as in the paper's Table 1 (FIFO 0.00008–0.0005). Fixed before any run, not
/// fitted to a result.
pub const SATURATED_FIFO_IDLE: f64 = 0.01;

/// How a point's arrival rate is set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Regime {
    /// The trace's recorded arrival times with their rate multiplied by `scale`, the same for
    /// every model (×1: the recorded times, the paper's setting).
    Scale {
        /// Rate multiplier.
        scale: f64,
    },
    /// The rate at which this model's short requests alone would keep `share` of the cluster
    /// busy at full batching (`Scenario::short_load_scale`, from the performance model).
    ShortLoad {
        /// Share of the cluster.
        share: f64,
    },
    /// The rate at which this model's long prefills at ring-attention speed would take `share`
    /// of the cluster (`Scenario::long_prefill_load`; `repro`'s only regime in earlier versions).
    LongLoad {
        /// Share of the cluster.
        share: f64,
    },
}

impl Regime {
    /// The rate scale this regime applies to `raw` (the requests at rate ×1) on `at_one`.
    fn scale(self, at_one: &Scenario, raw: &[Request]) -> Result<f64> {
        Ok(match self {
            Regime::Scale { scale } => scale,
            Regime::ShortLoad { share } => {
                at_one.short_load_scale(raw, share)?.ok_or_else(|| {
                    anyhow::anyhow!("--short-load: the workload has no short request")
                })?
            }
            Regime::LongLoad { share } => {
                let demand = at_one.long_prefill_load(raw)?;
                anyhow::ensure!(
                    demand > 0.0,
                    "--long-load: the workload has no long request"
                );
                share / demand
            }
        })
    }

    /// `×1 (recorded arrival times)`, `×0.5 (same for every model)`, `short load 0.8 (×5.3)`.
    pub fn label(self, scale: f64) -> String {
        match self {
            Regime::Scale { scale: 1.0 } => "×1 (recorded arrival times)".into(),
            Regime::Scale { scale } => format!("×{scale} (same for every model)"),
            Regime::ShortLoad { share } => format!("short load {share} (×{scale:.3})"),
            Regime::LongLoad { share } => format!("long load {share} (×{scale:.4})"),
        }
    }
}

/// What every point of a run shares.
pub struct Setup {
    /// Embedded trace.
    pub trace: EmbeddedTrace,
    /// Trace window, seconds (before rate scaling).
    pub window: (SimTime, SimTime),
    /// The drain after the last arrival (the engine's drain limit: the metrics window's).
    pub drain: SimDuration,
    /// Seed of the long-input transform.
    pub seed: u64,
}

/// Every policy at one regime.
#[derive(Serialize)]
pub struct Point {
    /// How the rate was set.
    pub regime: Regime,
    /// The regime in words, with its rate scale.
    pub label: String,
    /// Rate scale applied to the trace's recorded arrival times.
    pub rate_scale: f64,
    /// Requests simulated.
    pub requests: usize,
    /// Long requests among them.
    pub long_requests: usize,
    /// The metrics window (arrivals' span + drain), from FIFO's summary.
    pub window: MetricsWindow,
    /// What the workload asks of the cluster at this rate (from the performance model).
    pub demand: Option<Demand>,
    /// Summaries of every policy, in `PolicyKind::PAPER` order.
    pub summaries: Vec<Summary>,
    /// FIFO on the same workload without its long requests (the paper's §1.4 baseline).
    pub fifo_no_long: Summary,
    /// p99 of scheduling time ÷ JCT for PecSched, percent: (short, long).
    pub overhead_p99_pct: (f64, f64),
    /// p99 of PecSched's decision time per dispatch call on this machine, microseconds.
    pub decision_p99_us: f64,
}

impl Point {
    /// The summary of policy `p`.
    pub fn summary(&self, p: PolicyKind) -> &Summary {
        self.summaries
            .iter()
            .find(|s| s.policy == p)
            .expect("every policy ran")
    }

    /// FIFO's GPU idle rate (Eq. 1) over the window: how far from saturated the point is.
    pub fn fifo_idle(&self) -> f64 {
        self.summary(PolicyKind::Fifo).gpu_idle_rate
    }

    /// Whether the paper's regime holds: FIFO keeps the GPUs busy (idle ≤
    /// [`SATURATED_FIFO_IDLE`]).
    pub fn saturated(&self) -> bool {
        self.fifo_idle() <= SATURATED_FIFO_IDLE
    }

    /// Short requests' demand over the cluster at this rate (1 = shorts alone would keep every
    /// replica busy at full batching).
    pub fn short_load(&self) -> f64 {
        self.demand
            .map_or(0.0, |d| d.short_replica_s / d.available_replica_s)
    }

    /// Long prefills' demand over the cluster at this rate, at ring-attention speed.
    pub fn long_load(&self) -> f64 {
        self.demand
            .map_or(0.0, |d| d.long_prefill_replica_s / d.available_replica_s)
    }

    /// The rows of a summary table: each policy under its id, then `fifo-no-long`.
    pub fn rows(&self) -> Vec<(&str, &Summary)> {
        let mut rows: Vec<(&str, &Summary)> =
            self.summaries.iter().map(|s| (s.policy.id(), s)).collect();
        rows.push(("fifo-no-long", &self.fifo_no_long));
        rows
    }
}

/// One model at every regime.
#[derive(Serialize)]
pub struct ModelRun {
    /// The model.
    #[serde(serialize_with = "model_id")]
    pub model: ModelKind,
    /// Its name.
    pub name: String,
    /// Tensor parallelism of a replica.
    pub tp: u32,
    /// Short-request capacity of the cluster at full batching (from the performance model).
    pub capacity: Option<ShortCapacity>,
    /// One layer's activation as a share of a request's KV (the pause state, paper §2.4).
    pub pause_state_share: f64,
    /// The points, in the order run: rate scales, then short loads, then long loads.
    pub points: Vec<Point>,
    /// Index of the point where the claims are judged.
    pub chosen: usize,
    /// Why that point.
    pub chosen_why: String,
}

fn model_id<S: serde::Serializer>(m: &ModelKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.id())
}

impl ModelRun {
    /// The point where the claims are judged.
    pub fn at(&self) -> &Point {
        &self.points[self.chosen]
    }

    /// The regime of the judged point in words, with FIFO's idle rate and whether the paper's
    /// regime holds there.
    pub fn regime_words(&self) -> String {
        let p = self.at();
        format!(
            "{}; FIFO idle {:.4}{}",
            p.label,
            p.fifo_idle(),
            if p.saturated() {
                " (saturated: the paper's regime)"
            } else {
                " (NOT saturated: the paper's regime was reached at no point run)"
            }
        )
    }
}

/// The paper's tensor parallelism per model. Table 5 lost the first two rows in extraction;
/// TP = 1 is our reading (4 decode replicas of 32 = the same 1/8 as 1 of 8 for TP = 4).
pub fn paper_tp(m: ModelKind) -> u32 {
    match m {
        ModelKind::Yi34B | ModelKind::Llama31_70B => 4,
        _ => 1,
    }
}

/// The scenario of `m` at rate `scale` (every policy; the engine's drain limit is the drain).
pub fn scenario(m: ModelKind, setup: &Setup, scale: f64) -> Result<Scenario> {
    let mut w: ScenarioWire = Scenario::default_scenario().to_wire();
    w.model = m.id().to_string();
    w.tp = paper_tp(m);
    w.workload.source = SourceWire::Embedded(setup.trace.id().to_string());
    w.workload.window_s = Some((setup.window.0.as_secs_f64(), setup.window.1.as_secs_f64()));
    w.workload.rate_scale = scale;
    w.seed = setup.seed;
    w.policies = PolicyKind::PAPER
        .iter()
        .map(|p| p.id().to_string())
        .collect();
    w.engine.get_or_insert_with(EngineWire::default).drain_limit = setup.drain.0;
    Ok(Scenario::from_wire(&w)?)
}

/// Runs model `m` at every regime and picks the point where its claims are judged: ×1 (the
/// paper's setting) if FIFO saturates the cluster there, else the lowest rate at which it
/// does, else (the regime reached nowhere) the point where FIFO idles least, said so.
pub fn run_model(
    m: ModelKind,
    setup: &Setup,
    regimes: &[Regime],
    bar: &ProgressBar,
) -> Result<ModelRun> {
    let at_one = scenario(m, setup, 1.0)?;
    let raw = at_one.requests(None)?;
    let mut points = Vec::new();
    for &regime in regimes {
        let scale = regime.scale(&at_one, &raw)?;
        points.push(run_point(m, setup, regime, scale, bar)?);
    }
    let (chosen, chosen_why) = choose(&points);
    let spec = m.spec();
    Ok(ModelRun {
        model: m,
        name: spec.name.to_string(),
        tp: paper_tp(m),
        capacity: at_one.short_capacity(&raw)?,
        pause_state_share: spec.pause_state_share(),
        points,
        chosen,
        chosen_why,
    })
}

/// The point where the claims are judged, and why (see [`run_model`]).
pub fn choose(points: &[Point]) -> (usize, String) {
    let rate = |i: usize| points[i].rate_scale;
    let recorded = (0..points.len()).find(|&i| {
        matches!(points[i].regime, Regime::Scale { scale } if scale == 1.0) && points[i].saturated()
    });
    if let Some(i) = recorded {
        return (
            i,
            format!(
                "×1, the paper's setting: FIFO idle {:.4} ≤ {SATURATED_FIFO_IDLE}",
                points[i].fifo_idle()
            ),
        );
    }
    let lowest = (0..points.len())
        .filter(|&i| points[i].saturated())
        .min_by(|&a, &b| rate(a).total_cmp(&rate(b)));
    if let Some(i) = lowest {
        return (
            i,
            format!(
                "the lowest rate at which FIFO saturates the cluster (idle {:.4} ≤ {SATURATED_FIFO_IDLE}); ×1 does not",
                points[i].fifo_idle()
            ),
        );
    }
    let least_idle = (0..points.len())
        .min_by(|&a, &b| points[a].fifo_idle().total_cmp(&points[b].fifo_idle()))
        .unwrap_or(0);
    (
        least_idle,
        format!(
            "no point saturates the cluster (FIFO idle > {SATURATED_FIFO_IDLE} everywhere): judged where FIFO idles least ({:.4})",
            points.get(least_idle).map_or(f64::NAN, Point::fifo_idle)
        ),
    )
}

fn run_point(
    m: ModelKind,
    setup: &Setup,
    regime: Regime,
    scale: f64,
    bar: &ProgressBar,
) -> Result<Point> {
    let s = scenario(m, setup, scale)?;
    let label = regime.label(scale);
    let reqs = s.requests(None)?;
    let long = s.long_count(&reqs)?;
    let mut summaries = Vec::new();
    let mut overhead = (0.0, 0.0);
    let mut decision_p99_us = 0.0;
    for p in PolicyKind::PAPER {
        bar.set_message(format!("{} {label} {}", m.id(), p.id()));
        let samples = Samples::default();
        let sim = s.simulation_with(
            Box::new(Timed::new(s.build_policy(p), samples.clone())),
            reqs.clone(),
        )?;
        let (summary, records) = sim.run();
        if p == PolicyKind::PecSched {
            let samples = samples.borrow();
            overhead = overhead_p99(&records, &samples);
            let mut ns: Vec<u64> = samples.iter().map(|x| x.1).collect();
            ns.sort_unstable();
            decision_p99_us = nearest_rank(&ns, 99) * 1e6;
        }
        summaries.push(summary);
        bar.inc(1);
    }
    bar.set_message(format!("{} {label} fifo-no-long", m.id()));
    let sizing = s.sizing()?;
    let shorts: Vec<Request> = reqs
        .iter()
        .filter(|r| sizing.class(r.input_tokens, r.output_tokens) == Class::Short)
        .enumerate()
        .map(|(i, r)| Request { id: i as u32, ..*r })
        .collect();
    let (fifo_no_long, _) = s.run(PolicyKind::Fifo, shorts)?;
    bar.inc(1);
    Ok(Point {
        regime,
        label,
        rate_scale: scale,
        requests: reqs.len(),
        long_requests: long,
        window: summaries[0].window(),
        demand: s.demand(&reqs)?,
        summaries,
        fifo_no_long,
        overhead_p99_pct: overhead,
        decision_p99_us,
    })
}

/// p99 over requests of (decision time / JCT), short and long, in percent.
fn overhead_p99(records: &[RequestRecord], samples: &[(u32, u64)]) -> (f64, f64) {
    let [short, long] = crate::timed::by_class(records, samples);
    (
        crate::timed::p99(&short.ratio) * 100.0,
        crate::timed::p99(&long.ratio) * 100.0,
    )
}
