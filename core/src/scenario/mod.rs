//! Scenarios: a validated description of one study (cluster, model, workload, policies, knobs,
//! seed), parsed in two stages — JSON or link → versioned [`wire::ScenarioWire`] → [`Scenario`]
//! of enums and checked numbers — and the function that builds and runs it.

mod colocation;
mod embedded;
mod error;
pub mod extra_wire;
pub mod link;
mod load;
pub mod param_edit;
pub mod prefix_wire;
pub mod rate_search;
mod requests;
pub mod stream;
mod validate;
pub mod wire;
pub mod wire_v1;

pub use colocation::DerivedCap;
pub use embedded::EmbeddedTrace;
pub use error::ScenarioError;

use crate::hardware::{ClusterSpec, GpuKind};
use crate::metrics::{RequestRecord, Slo, Summary};
use crate::model::ModelKind;
use crate::perf::{Calibration, PerfModel};
use crate::policy::{PolicyKind, PolicyKnobs};
use crate::sim::Simulation;
use crate::sim::config::EngineConfig;
use crate::time::SimTime;
use crate::workload::{Arrival, Request, TraceFormat};
use wire::{
    CalibrationWire, ClusterWire, EngineWire, KnobsWire, LongInputWire, MedhaParamsWire,
    PolicyParamsWire, ScenarioWire, SloWire, SourceWire, SyntheticWire, WIRE_VERSION, WorkloadWire,
};

/// Upper bounds of a scenario (defined in [`crate::limits`], below every module that reads
/// them; re-exported here, where validation applies them).
pub use crate::limits;

/// Where a scenario's requests come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A trace shipped with PecSched.
    Embedded(EmbeddedTrace),
    /// A trace file the user supplies; its text is passed to [`Scenario::requests`].
    File {
        /// File name, for display.
        name: String,
        /// Its format.
        format: TraceFormat,
    },
    /// Seeded synthetic requests.
    Synthetic(SyntheticSource),
}

/// A validated synthetic source: seeded arrivals and lengths.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyntheticSource {
    /// Number of requests (1 ..= [`limits::MAX_REQUESTS`]).
    pub requests: u32,
    /// Mean arrival rate, requests per second.
    pub rate_per_s: f64,
    /// Coefficient of variation of inter-arrival times (1 = Poisson, else gamma).
    pub cv: f64,
    /// Where lengths come from.
    pub lengths: LengthSource,
}

impl SyntheticSource {
    /// The arrival process: Poisson at `cv` = 1, a gamma renewal process otherwise.
    pub fn arrival(&self) -> Arrival {
        if self.cv == 1.0 {
            Arrival::Poisson
        } else {
            Arrival::Gamma { cv: self.cv }
        }
    }
}

/// Where a synthetic source's lengths come from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LengthSource {
    /// `(input, output)` pairs resampled from an embedded trace.
    Trace(EmbeddedTrace),
    /// Independent log-normal input and output lengths (medians in tokens, log-space σ).
    LogNormal {
        /// Median input length.
        input_median: f64,
        /// σ of ln(input length).
        input_sigma: f64,
        /// Median output length.
        output_median: f64,
        /// σ of ln(output length).
        output_sigma: f64,
    },
}

/// The paper's long-input transform (docs/paper.md §2.1): requests above `percentile` of input length get
/// inputs drawn uniformly from `[min_tokens, max_tokens]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongInput {
    /// Percentile of input length above which requests become long (paper: 95).
    pub percentile: f64,
    /// Smallest long input (paper: 100,000).
    pub min_tokens: u32,
    /// Largest long input (paper: 500,000).
    pub max_tokens: u32,
}

/// A validated scenario. Its fields are private: a scenario is built only by validation
/// ([`Scenario::from_wire`], [`Scenario::from_json`], [`link::decode_scenario`]) and changed
/// through its wire form ([`Scenario::to_wire`], edit, validate again), so it never holds a
/// value validation would refuse.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// GPU model.
    gpu: GpuKind,
    /// The cluster.
    cluster: ClusterSpec,
    /// The LLM served.
    model: ModelKind,
    /// Tensor-parallel size of one replica.
    tp: u32,
    /// Request source.
    source: Source,
    /// Arrivals kept, relative to the first request.
    window: Option<(SimTime, SimTime)>,
    /// Arrival-rate multiplier.
    rate_scale: f64,
    /// Keep at most this many requests.
    max_requests: Option<u32>,
    /// The paper's long-input transform, if applied.
    long_input: Option<LongInput>,
    /// Policies to compare.
    policies: Vec<PolicyKind>,
    /// Engine knobs.
    engine: EngineConfig,
    /// Policy knobs.
    knobs: PolicyKnobs,
    /// Performance-model calibration (resolved from `calibration_wire`, or set by
    /// [`Scenario::with_calibration`]).
    calibration: Calibration,
    /// The calibration as the scenario names it (profile id and overrides).
    calibration_wire: CalibrationWire,
    /// Seed of every random draw.
    seed: u64,
    /// The SLOs requests are judged against.
    slo: Slo,
    /// Prefix caching: the workload's prefix model and whether replicas cache (`None`: off).
    prefix: Option<prefix_wire::PrefixSetup>,
}

/// Read access: a scenario is only built validated ([`Scenario::from_wire`],
/// [`Scenario::from_json`], [`link::decode_scenario`]) and changed through its wire form.
impl Scenario {
    /// GPU model.
    pub fn gpu(&self) -> GpuKind {
        self.gpu
    }
    /// The cluster.
    pub fn cluster(&self) -> &ClusterSpec {
        &self.cluster
    }
    /// The LLM served.
    pub fn model(&self) -> ModelKind {
        self.model
    }
    /// Tensor-parallel size of one replica.
    pub fn tp(&self) -> u32 {
        self.tp
    }
    /// Replicas in the cluster (GPUs ÷ TP).
    pub fn replicas(&self) -> u32 {
        self.cluster.total_gpus() / self.tp
    }
    /// Request source.
    pub fn source(&self) -> &Source {
        &self.source
    }
    /// Arrivals kept, relative to the first request.
    pub fn window(&self) -> Option<(SimTime, SimTime)> {
        self.window
    }
    /// Arrival-rate multiplier.
    pub fn rate_scale(&self) -> f64 {
        self.rate_scale
    }
    /// At most this many requests are kept.
    pub fn max_requests(&self) -> Option<u32> {
        self.max_requests
    }
    /// The paper's long-input transform, if applied.
    pub fn long_input(&self) -> Option<LongInput> {
        self.long_input
    }
    /// Policies to compare, in order, without repeats.
    pub fn policies(&self) -> &[PolicyKind] {
        &self.policies
    }
    /// Engine knobs.
    pub fn engine(&self) -> &EngineConfig {
        &self.engine
    }
    /// Policy knobs.
    pub fn knobs(&self) -> &PolicyKnobs {
        &self.knobs
    }
    /// Performance-model calibration.
    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }
    /// The calibration as the scenario names it: a built-in profile id and overrides.
    pub fn calibration_choice(&self) -> &CalibrationWire {
        &self.calibration_wire
    }
    /// A short label of the calibration for table headers and pages: the built-in profile's
    /// label, plus the number of overridden fields if any (e.g. `H100 — wgpu kernels,
    /// measured`, `datasheet + 25 fields`).
    pub fn calibration_label(&self) -> String {
        let c = &self.calibration_wire;
        let name = crate::perf::profiles::BUILTIN_PROFILES
            .iter()
            .find(|p| p.id == c.profile)
            .map_or(c.profile.as_str(), |p| p.label);
        match c.overrides.len() {
            0 => name.to_string(),
            1 => format!("{name} + 1 field"),
            n => format!("{name} + {n} fields"),
        }
    }
    /// The calibration profile a scenario on `gpu` uses when it names none, and the default
    /// scenario's: the GPU's production-kernel profile (vLLM's kernels, fitted to measured
    /// tables; H200 derived from the H100 fit and the H200 datasheet; docs/fidelity.md). The
    /// datasheet profile stays selectable.
    pub fn default_calibration_id(gpu: GpuKind) -> &'static str {
        match gpu {
            GpuKind::A100Sxm80 => "a100-vllm",
            GpuKind::H100Sxm80 => "h100-vllm",
            GpuKind::H200Sxm141 => "h200-vllm",
        }
    }
    /// Seed of every random draw.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The SLOs requests are judged against.
    pub fn slo(&self) -> &Slo {
        &self.slo
    }

    /// Prefix caching (docs/prefix-caching.md), if the scenario sets it up.
    pub fn prefix(&self) -> Option<&prefix_wire::PrefixSetup> {
        self.prefix.as_ref()
    }

    /// Whether replicas cache prompt prefixes in this scenario's runs.
    pub fn prefix_caching(&self) -> bool {
        self.prefix.as_ref().is_some_and(|p| p.cache)
    }

    /// This scenario with its trace's own block ids (the Mooncake trace's `hash_ids`, read
    /// by [`crate::workload::TraceReader`]): the prefix cache keys blocks by them. Without
    /// prefix caching set up the ids are not used (the scenario is returned as it is). A
    /// synthetic prefix model cannot be combined with them: that is an error naming it.
    pub fn with_block_table(
        mut self,
        table: crate::workload::BlockTable,
    ) -> Result<Scenario, ScenarioError> {
        let Some(p) = self.prefix.as_mut() else {
            return Ok(self);
        };
        if table.is_empty() {
            return Ok(self);
        }
        if p.model.shared_prompt.is_some() || p.model.sessions.is_some() {
            return Err(ScenarioError::Field {
                field: "prefix".into(),
                value: "a shared prompt or session model".into(),
                expected: "neither, for a trace with its own block ids (hash_ids)".into(),
            });
        }
        p.model.table = Some(std::sync::Arc::new(table));
        Ok(self)
    }

    /// The same scenario at `factor` × its arrival rate with another seed (a point of a load
    /// sweep), validated like any scenario (a rate past [`limits::MAX_RATE_SCALE`] is refused);
    /// the calibration is kept.
    pub fn at_load(&self, factor: f64, seed: u64) -> Result<Scenario, ScenarioError> {
        let mut w = self.to_wire();
        w.workload.rate_scale = self.rate_scale * factor;
        w.seed = seed;
        let mut s = Scenario::from_wire(&w)?;
        // A trace's own block ids are not part of the wire form: they stay with the scenario.
        if let (Some(old), Some(new)) = (&self.prefix, s.prefix.as_mut()) {
            new.model.table = old.model.table.clone();
        }
        Ok(s)
    }

    /// This scenario priced with another calibration (e.g. a profile file the CLI read). Its
    /// wire form names every field (`datasheet` plus all fields as overrides), so a link made
    /// from it means the same numbers wherever it is opened; the provenance stays with this
    /// scenario only.
    pub fn with_calibration(mut self, calibration: Calibration) -> Scenario {
        self.calibration_wire = CalibrationWire::every_field(&calibration);
        self.calibration = calibration;
        self
    }
}

impl Scenario {
    /// The embedded default: the paper's Llama-3.1-70B on 32 A100 (4 nodes × 8, TP = 4,
    /// 400 Gbps) on the first 20 minutes of the Azure 2023 conversation trace with the paper's
    /// long-input transform (p95 → 100K–500K tokens), arrivals slowed to 0.05× so that the
    /// cluster sustains the long requests (see docs/reproduction.md for the load choice).
    pub fn default_scenario() -> Scenario {
        Scenario {
            gpu: GpuKind::A100Sxm80,
            cluster: ClusterSpec::paper_testbed(),
            model: ModelKind::Llama31_70B,
            tp: 4,
            source: Source::Embedded(EmbeddedTrace::AzureConv2023),
            window: Some((SimTime::ZERO, SimTime(1200 * crate::time::NANOS_PER_SEC))),
            rate_scale: 0.05,
            max_requests: None,
            long_input: Some(LongInput {
                percentile: 95.0,
                min_tokens: 100_000,
                max_tokens: 500_000,
            }),
            policies: PolicyKind::MAIN.to_vec(),
            engine: EngineConfig::default(),
            knobs: PolicyKnobs::default(),
            calibration: Calibration::builtin(Scenario::default_calibration_id(GpuKind::A100Sxm80))
                .expect("built-in profiles load (tested)"),
            calibration_wire: CalibrationWire::builtin(Scenario::default_calibration_id(
                GpuKind::A100Sxm80,
            )),
            seed: 42,
            slo: Slo::DEFAULT,
            prefix: None,
        }
    }

    /// Parses and validates a scenario from JSON ([`ScenarioWire::from_json`], then
    /// [`Scenario::from_wire`]).
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_wire(&ScenarioWire::from_json(text)?)
    }

    /// The wire form of this scenario.
    pub fn to_wire(&self) -> ScenarioWire {
        ScenarioWire {
            version: WIRE_VERSION,
            cluster: ClusterWire {
                gpu: self.gpu.id().to_string(),
                nodes: self.cluster.nodes,
                gpus_per_node: self.cluster.gpus_per_node,
                network_gbps: self.cluster.network_bytes_per_s * 8.0 / 1e9,
            },
            model: self.model.id().to_string(),
            tp: self.tp,
            workload: WorkloadWire {
                source: match &self.source {
                    Source::Embedded(t) => SourceWire::Embedded(t.id().to_string()),
                    Source::File { name, format } => SourceWire::File {
                        name: name.clone(),
                        format: format.id().to_string(),
                    },
                    Source::Synthetic(s) => SourceWire::Synthetic(SyntheticWire {
                        requests: s.requests,
                        rate_per_s: s.rate_per_s,
                        cv: s.cv,
                        lengths_from: match s.lengths {
                            LengthSource::Trace(t) => Some(t.id().to_string()),
                            LengthSource::LogNormal { .. } => None,
                        },
                        lognormal: match s.lengths {
                            LengthSource::Trace(_) => None,
                            LengthSource::LogNormal {
                                input_median,
                                input_sigma,
                                output_median,
                                output_sigma,
                            } => Some((input_median, input_sigma, output_median, output_sigma)),
                        },
                    }),
                },
                window_s: self.window.map(|(a, b)| (a.as_secs_f64(), b.as_secs_f64())),
                rate_scale: self.rate_scale,
                max_requests: self.max_requests,
                long_input: self.long_input.map(|l| LongInputWire {
                    percentile: l.percentile,
                    min_tokens: l.min_tokens,
                    max_tokens: l.max_tokens,
                }),
            },
            policies: self.policies.iter().map(|p| p.id().to_string()).collect(),
            engine: Some(EngineWire::from(&self.engine)),
            knobs: Some(KnobsWire::from(&self.knobs)),
            calibration: Some(self.calibration_wire.clone()),
            seed: self.seed,
            slo: (self.slo != Slo::DEFAULT).then(|| SloWire::from(&self.slo)),
            policy_params: {
                let p = PolicyParamsWire::from(&self.knobs);
                (p != PolicyParamsWire::default()).then_some(p)
            },
            prefix: self.prefix.as_ref().map(prefix_wire::PrefixWire::from),
            medha: {
                let m = MedhaParamsWire::from(&self.knobs);
                (m != MedhaParamsWire::default()).then_some(m)
            },
            elastic_sp: extra_wire::ElasticSpWire::of(&self.knobs),
        }
    }

    /// Pretty JSON of [`Scenario::to_wire`].
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_wire()).expect("wire scenarios always serialize")
    }

    /// The performance model of one replica.
    pub fn perf_model(&self) -> Result<PerfModel, ScenarioError> {
        Ok(PerfModel::new(
            &self.cluster,
            &self.model.spec(),
            self.tp,
            &self.calibration,
        )?)
    }

    /// A steppable simulation of `policy` on `requests`.
    pub fn simulation(
        &self,
        policy: PolicyKind,
        requests: Vec<Request>,
    ) -> Result<Simulation, ScenarioError> {
        self.simulation_with(self.build_policy(policy), requests)
    }

    /// A steppable simulation driven by a caller-supplied policy object (e.g. a wrapper that
    /// times decisions).
    pub fn simulation_with(
        &self,
        policy: Box<dyn crate::policy::Policy>,
        requests: Vec<Request>,
    ) -> Result<Simulation, ScenarioError> {
        self.engine_for(|c, m, perf, tp, cfg| {
            Simulation::new(c, m, perf, tp, cfg, policy, requests)
        })
    }

    /// The simulation `make` builds from this scenario's cluster, model, performance model,
    /// TP and engine knobs, judged against its SLOs and caching prefixes if it does.
    fn engine_for(
        &self,
        make: impl FnOnce(
            crate::hardware::ClusterSpec,
            crate::model::ModelSpec,
            crate::perf::PerfModel,
            u32,
            crate::sim::config::EngineConfig,
        ) -> Result<Simulation, crate::sim::SimulationError>,
    ) -> Result<Simulation, ScenarioError> {
        let perf = self.perf_model()?;
        let mut sim = make(self.cluster, self.model.spec(), perf, self.tp, self.engine)?;
        sim.set_slo(self.slo);
        if let Some(p) = self.prefix.as_ref().filter(|p| p.cache) {
            sim = sim.with_prefix_cache(p.model.clone());
        }
        Ok(sim)
    }

    /// A streamed run of `policy`: requests are read from `source` as the run needs them (in
    /// arrival order, ids `0, 1, 2, …`; an `Err` item stops the run with that error) and each
    /// finished request's record goes to `sink` as soon as every earlier one has
    /// ([`crate::sim::StreamedRun`]). The scenario's own workload source is not read: the
    /// caller's `source` replaces it (a trace read with [`Scenario::stream_keep`] through a
    /// [`stream::StreamTransform`] from [`Scenario::stream_transform`], or a
    /// generator).
    pub fn streamed_run<K: crate::metrics::RecordSink>(
        &self,
        policy: Box<dyn crate::policy::Policy>,
        source: Box<dyn Iterator<Item = Result<Request, String>>>,
        sink: K,
    ) -> Result<crate::sim::StreamedRun<K>, ScenarioError> {
        let sim = self.engine_for(|c, m, perf, tp, cfg| {
            Simulation::streamed(c, m, perf, tp, cfg, policy, source)
        })?;
        Ok(crate::sim::StreamedRun::new(sim, sink))
    }

    /// Builds `policy` for this scenario's cluster and model.
    pub fn build_policy(&self, policy: PolicyKind) -> Box<dyn crate::policy::Policy> {
        let knobs = PolicyKnobs {
            seed: self.seed,
            slo: self.slo,
            ..self.knobs
        };
        let p = policy.build(&knobs, self.model, self.cluster.total_gpus() / self.tp);
        match self.prefix.as_ref().map(|p| p.dispatch) {
            Some(prefix_wire::PrefixDispatch::CacheAware { weight }) => Box::new(
                crate::policy::prefix_affinity::PrefixAffinity::new(p, weight),
            ),
            _ => p,
        }
    }

    /// Runs `policy` on `requests` to the end.
    pub fn run(
        &self,
        policy: PolicyKind,
        requests: Vec<Request>,
    ) -> Result<(Summary, Vec<RequestRecord>), ScenarioError> {
        Ok(self.simulation(policy, requests)?.run())
    }
}
