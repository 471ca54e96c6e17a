//! Scenarios: a validated description of one study (cluster, model, workload, policies, knobs,
//! seed), parsed in two stages — JSON or link → versioned [`wire::ScenarioWire`] → [`Scenario`]
//! of enums and checked numbers — and the function that builds and runs it.

mod embedded;
mod error;
pub mod link;
pub mod wire;

pub use embedded::EmbeddedTrace;
pub use error::ScenarioError;

use crate::hardware::{ClusterSpec, GpuKind};
use crate::metrics::{RequestRecord, Summary};
use crate::model::ModelKind;
use crate::perf::{Calibration, PerfModel};
use crate::policy::{PolicyKind, PolicyKnobs};
use crate::rng::SimRng;
use crate::sim::Simulation;
use crate::sim::config::EngineConfig;
use crate::time::{SimDuration, SimTime};
use crate::workload::{self, Arrival, Lengths, Request, SyntheticSpec, TraceFormat};
use wire::{
    ClusterWire, LongInputWire, ScenarioWire, SourceWire, SyntheticWire, WIRE_VERSION, WorkloadWire,
};

/// Upper bounds that keep one scenario from running for hours or allocating gigabytes.
pub mod limits {
    /// Most nodes in a cluster.
    pub const MAX_NODES: u32 = 2048;
    /// Most GPUs per node.
    pub const MAX_GPUS_PER_NODE: u32 = 16;
    /// Most requests in a workload.
    pub const MAX_REQUESTS: u32 = 2_000_000;
    /// Largest rate multiplier.
    pub const MAX_RATE_SCALE: f64 = 1000.0;
    /// Most events one run processes before it stops with partial results (the conversation
    /// trace under the four main policies needs about 0.2 M each).
    pub const MAX_EVENTS: u64 = crate::sim::config::DEFAULT_MAX_EVENTS;
    /// Latest arrival accepted, in seconds after the first request (about 31.7 years). Every
    /// reader refuses later ones, naming the row or field: the trace parsers, the synthetic
    /// generator, rate scaling and time windows. With the drain limit (at most 30 days) this
    /// keeps every instant of a run far below the 584 years `u64` nanoseconds hold, so
    /// simulated time never overflows (see [`crate::time`]).
    pub const MAX_ARRIVAL_S: u64 = 1_000_000_000;
    /// [`MAX_ARRIVAL_S`] as an instant.
    pub const MAX_ARRIVAL: crate::time::SimTime =
        crate::time::SimTime(MAX_ARRIVAL_S * crate::time::NANOS_PER_SEC);
    /// Fastest network between nodes, in Gbit/s per node and direction (today's fastest NICs
    /// are 800 Gbit/s; 100,000 leaves room for any study and keeps transfer times positive).
    pub const MAX_NETWORK_GBPS: f64 = 1.0e5;
    /// Largest input of the long-input transform, in tokens (the paper draws 100K–500K).
    pub const MAX_LONG_INPUT_TOKENS: u32 = 10_000_000;
    /// Fastest mean arrival rate of a synthetic workload, requests per second.
    pub const MAX_SYNTHETIC_RATE_PER_S: f64 = 1.0e6;
    /// Burstiest synthetic arrivals: the largest coefficient of variation of inter-arrival
    /// times (gamma shape 1/cv² stays ≥ 1e-4).
    pub const MAX_SYNTHETIC_CV: f64 = 100.0;
    /// Largest median of a synthetic log-normal length (input or output), in tokens; the
    /// smallest is 1.
    pub const MAX_LOGNORMAL_MEDIAN_TOKENS: f64 = 1.0e8;
    /// Largest σ of ln(length) of a synthetic log-normal length.
    pub const MAX_LOGNORMAL_SIGMA: f64 = 10.0;
    /// Largest colocation cap: short-prefill tokens per GPU batched into one long-decode step.
    pub const MAX_COLOCATION_CAP_TOKENS_PER_GPU: u32 = 1 << 20;
}

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
    Synthetic(SyntheticWire),
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// GPU model.
    pub gpu: GpuKind,
    /// The cluster.
    pub cluster: ClusterSpec,
    /// The LLM served.
    pub model: ModelKind,
    /// Tensor-parallel size of one replica.
    pub tp: u32,
    /// Request source.
    pub source: Source,
    /// Arrivals kept, relative to the first request.
    pub window: Option<(SimTime, SimTime)>,
    /// Arrival-rate multiplier.
    pub rate_scale: f64,
    /// Keep at most this many requests.
    pub max_requests: Option<u32>,
    /// The paper's long-input transform, if applied.
    pub long_input: Option<LongInputWire>,
    /// Policies to compare.
    pub policies: Vec<PolicyKind>,
    /// Engine knobs.
    pub engine: EngineConfig,
    /// Policy knobs.
    pub knobs: PolicyKnobs,
    /// Performance-model calibration.
    pub calibration: Calibration,
    /// Seed of every random draw.
    pub seed: u64,
}

fn field(field: &str, value: impl std::fmt::Display, expected: &str) -> ScenarioError {
    ScenarioError::Field {
        field: field.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// A number as a person reads it: plain in the usual range, scientific outside it (so 1e300 is
/// not printed as 301 digits).
fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-5..1e16).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// Checks the numbers of a synthetic source, naming the field.
fn validate_synthetic(s: &SyntheticWire) -> Result<(), ScenarioError> {
    let path = "workload.source.synthetic";
    if !(s.rate_per_s.is_finite()
        && s.rate_per_s > 0.0
        && s.rate_per_s <= limits::MAX_SYNTHETIC_RATE_PER_S)
    {
        return Err(field(
            &format!("{path}.rate_per_s"),
            num(s.rate_per_s),
            "a finite number > 0",
        ));
    }
    // The mean span of the arrivals must fit what a run can simulate (a slower rate would
    // push arrivals past limits::MAX_ARRIVAL_S).
    let min_rate = f64::from(s.requests.saturating_sub(1)) / limits::MAX_ARRIVAL_S as f64;
    if s.rate_per_s < min_rate {
        return Err(field(
            &format!("{path}.rate_per_s"),
            num(s.rate_per_s),
            &format!(
                "at least {} per second, so that {} requests arrive within {} s (limits::MAX_ARRIVAL_S, about 31 years)",
                num(min_rate),
                s.requests,
                limits::MAX_ARRIVAL_S
            ),
        ));
    }
    // Gamma arrivals use shape 1/cv² and scale cv²/rate: both must be finite and positive.
    let cv2 = s.cv * s.cv;
    if !(s.cv.is_finite()
        && s.cv > 0.0
        && cv2.is_finite()
        && (1.0 / cv2).is_finite()
        && (1.0 / cv2) > 0.0
        && cv2 <= limits::MAX_SYNTHETIC_CV * limits::MAX_SYNTHETIC_CV)
    {
        return Err(field(
            &format!("{path}.cv"),
            num(s.cv),
            &format!("a number in (0, {}]", limits::MAX_SYNTHETIC_CV),
        ));
    }
    if let Some((im, is, om, os)) = s.lognormal {
        let ok = |m: f64, sg: f64| {
            (1.0..=limits::MAX_LOGNORMAL_MEDIAN_TOKENS).contains(&m)
                && (0.0..=limits::MAX_LOGNORMAL_SIGMA).contains(&sg)
        };
        if !ok(im, is) || !ok(om, os) {
            return Err(field(
                &format!("{path}.lognormal"),
                format!("[{}, {}, {}, {}]", num(im), num(is), num(om), num(os)),
                &format!(
                    "[input_median, input_sigma, output_median, output_sigma] with medians in [1, {:e}] tokens and sigmas in [0, {}]",
                    limits::MAX_LOGNORMAL_MEDIAN_TOKENS,
                    limits::MAX_LOGNORMAL_SIGMA
                ),
            ));
        }
    }
    Ok(())
}

fn format_id(f: TraceFormat) -> &'static str {
    match f {
        TraceFormat::AzureCsv => "azure",
        TraceFormat::MooncakeJsonl => "mooncake",
        TraceFormat::BurstGptCsv => "burstgpt",
        TraceFormat::PlainCsv => "plain",
    }
}

/// Parses a trace-format id (`azure`, `mooncake`, `burstgpt`, `plain`).
pub fn format_from_id(id: &str) -> Option<TraceFormat> {
    [
        TraceFormat::AzureCsv,
        TraceFormat::MooncakeJsonl,
        TraceFormat::BurstGptCsv,
        TraceFormat::PlainCsv,
    ]
    .into_iter()
    .find(|f| format_id(*f) == id)
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
            long_input: Some(LongInputWire {
                percentile: 95.0,
                min_tokens: 100_000,
                max_tokens: 500_000,
            }),
            policies: PolicyKind::MAIN.to_vec(),
            engine: EngineConfig::default(),
            knobs: PolicyKnobs::default(),
            calibration: Calibration::datasheet_default(),
            seed: 42,
        }
    }

    /// Parses and validates a scenario from JSON.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        // A byte order mark (files saved by Notepad or Excel) is accepted, as in traces.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // First the version alone (other fields ignored), so that a newer file gets the
        // "update PecSched" message rather than an unknown-field error; then the whole wire
        // struct straight from the text, so errors keep their line and column.
        #[derive(serde::Deserialize)]
        #[serde(expecting = "a scenario: a JSON object such as {\"version\": 1, \"cluster\": …}")]
        struct VersionOnly {
            version: Option<u64>,
        }
        // serde reads a list as a struct's fields in order ("invalid length 0"): say plainly.
        let start = text.trim_start();
        if start.starts_with('[') {
            let before = &text[..text.len() - start.len()];
            return Err(ScenarioError::Json {
                line: before.matches('\n').count() + 1,
                column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                message: "the top level is a list ([…]); expected a scenario: a JSON object such as {\"version\": 1, \"cluster\": …}".into(),
            });
        }
        let v: VersionOnly = serde_json::from_str(text).map_err(ScenarioError::json)?;
        if let Some(ver) = v.version
            && ver > WIRE_VERSION as u64
        {
            return Err(ScenarioError::NewerVersion {
                found: ver,
                supported: WIRE_VERSION,
            });
        }
        let wire: ScenarioWire = serde_json::from_str(text).map_err(ScenarioError::json)?;
        Scenario::from_wire(&wire)
    }

    /// Validates a wire scenario.
    pub fn from_wire(w: &ScenarioWire) -> Result<Scenario, ScenarioError> {
        if w.version > WIRE_VERSION {
            return Err(ScenarioError::NewerVersion {
                found: w.version as u64,
                supported: WIRE_VERSION,
            });
        }
        if w.version < WIRE_VERSION {
            return Err(field(
                "version",
                w.version,
                "1 (the only scenario format version this PecSched reads)",
            ));
        }
        let gpu = GpuKind::from_id(&w.cluster.gpu)
            .ok_or_else(|| field("cluster.gpu", &w.cluster.gpu, "one of a100, h100, h200"))?;
        let c = &w.cluster;
        if !(1..=limits::MAX_NODES).contains(&c.nodes) {
            return Err(field(
                "cluster.nodes",
                c.nodes,
                &format!("between 1 and {}", limits::MAX_NODES),
            ));
        }
        if !(1..=limits::MAX_GPUS_PER_NODE).contains(&c.gpus_per_node) {
            return Err(field(
                "cluster.gpus_per_node",
                c.gpus_per_node,
                &format!("between 1 and {}", limits::MAX_GPUS_PER_NODE),
            ));
        }
        if !(c.network_gbps.is_finite()
            && c.network_gbps > 0.0
            && c.network_gbps <= limits::MAX_NETWORK_GBPS)
        {
            return Err(field(
                "cluster.network_gbps",
                num(c.network_gbps),
                &format!("a number in (0, {}]", limits::MAX_NETWORK_GBPS),
            ));
        }
        let model = ModelKind::from_id(&w.model).ok_or_else(|| {
            let ids: Vec<_> = ModelKind::ALL.iter().map(|m| m.id()).collect();
            field("model", &w.model, &format!("one of {}", ids.join(", ")))
        })?;
        if w.tp == 0 || !c.gpus_per_node.is_multiple_of(w.tp) {
            return Err(field("tp", w.tp, "a divisor of cluster.gpus_per_node"));
        }
        let mut cluster = ClusterSpec::paper_testbed();
        cluster.gpu = gpu.spec();
        cluster.nodes = c.nodes;
        cluster.gpus_per_node = c.gpus_per_node;
        cluster.network_bytes_per_s = c.network_gbps * 1e9 / 8.0;
        let wl = &w.workload;
        let source = match &wl.source {
            SourceWire::Embedded(id) => {
                Source::Embedded(EmbeddedTrace::from_id(id).ok_or_else(|| {
                    field(
                        "workload.source.embedded",
                        id,
                        "azure-conv-2023 or azure-code-2023",
                    )
                })?)
            }
            SourceWire::File { name, format } => Source::File {
                name: name.clone(),
                format: format_from_id(format).ok_or_else(|| {
                    field(
                        "workload.source.file.format",
                        format,
                        "azure, mooncake, burstgpt or plain",
                    )
                })?,
            },
            SourceWire::Synthetic(s) => {
                if s.requests == 0 || s.requests > limits::MAX_REQUESTS {
                    return Err(field(
                        "workload.source.synthetic.requests",
                        s.requests,
                        &format!("between 1 and {}", limits::MAX_REQUESTS),
                    ));
                }
                if let Some(t) = &s.lengths_from
                    && EmbeddedTrace::from_id(t).is_none()
                {
                    return Err(field(
                        "workload.source.synthetic.lengths_from",
                        t,
                        "azure-conv-2023 or azure-code-2023",
                    ));
                }
                validate_synthetic(s)?;
                if s.lengths_from.is_none() && s.lognormal.is_none() {
                    return Err(field(
                        "workload.source.synthetic",
                        "no lengths",
                        "lengths_from or lognormal",
                    ));
                }
                Source::Synthetic(s.clone())
            }
        };
        let window = match wl.window_s {
            None => None,
            Some((a, b))
                if a.is_finite()
                    && b.is_finite()
                    && a >= 0.0
                    && b > a
                    && b > limits::MAX_ARRIVAL_S as f64 =>
            {
                return Err(field(
                    "workload.window_s",
                    format!("[{}, {}]", num(a), num(b)),
                    "an end of at most 1000000000 s (limits::MAX_ARRIVAL_S, about 31 years; omit the window to keep every arrival)",
                ));
            }
            Some((a, b)) if a.is_finite() && b.is_finite() && a >= 0.0 && b > a => Some((
                SimTime::try_from_secs_f64(a).expect("checked: 0 <= a < MAX_ARRIVAL_S"),
                SimTime::try_from_secs_f64(b).expect("checked: 0 < b <= MAX_ARRIVAL_S"),
            )),
            Some((a, b)) => {
                return Err(field(
                    "workload.window_s",
                    format!("[{}, {}]", num(a), num(b)),
                    "[start, end] seconds with 0 <= start < end",
                ));
            }
        };
        if !(wl.rate_scale.is_finite()
            && wl.rate_scale > 0.0
            && wl.rate_scale <= limits::MAX_RATE_SCALE)
        {
            return Err(field(
                "workload.rate_scale",
                num(wl.rate_scale),
                &format!("a number in (0, {}]", limits::MAX_RATE_SCALE),
            ));
        }
        if let Some(li) = wl.long_input
            && (!(0.0..=100.0).contains(&li.percentile)
                || li.min_tokens == 0
                || li.min_tokens > li.max_tokens
                || li.max_tokens > limits::MAX_LONG_INPUT_TOKENS)
        {
            return Err(field(
                "workload.long_input",
                format!(
                    "percentile {}, min_tokens {}, max_tokens {}",
                    num(li.percentile),
                    li.min_tokens,
                    li.max_tokens
                ),
                &format!(
                    "percentile in [0,100] and 1 <= min_tokens <= max_tokens <= {}",
                    limits::MAX_LONG_INPUT_TOKENS
                ),
            ));
        }
        if w.policies.is_empty() {
            return Err(field("policies", "[]", "at least one policy"));
        }
        let mut policies = Vec::new();
        for p in &w.policies {
            let k = PolicyKind::from_id(p).ok_or_else(|| {
                let ids: Vec<_> = PolicyKind::ALL.iter().map(|p| p.id()).collect();
                field("policies", p, &format!("one of {}", ids.join(", ")))
            })?;
            if !policies.contains(&k) {
                policies.push(k);
            }
        }
        let engine = w.engine.unwrap_or_default();
        let knobs = w.knobs.unwrap_or_default();
        if knobs.decode_replicas == Some(0) {
            return Err(field(
                "knobs.decode_replicas",
                0,
                "at least 1 (PecSched's decode-only replicas)",
            ));
        }
        if knobs.colocation_cap_tokens_per_gpu > limits::MAX_COLOCATION_CAP_TOKENS_PER_GPU {
            return Err(field(
                "knobs.colocation_cap_tokens_per_gpu",
                knobs.colocation_cap_tokens_per_gpu,
                &format!("at most {}", limits::MAX_COLOCATION_CAP_TOKENS_PER_GPU),
            ));
        }
        validate_engine(&engine)?;
        Ok(Scenario {
            gpu,
            cluster,
            model,
            tp: w.tp,
            source,
            window,
            rate_scale: wl.rate_scale,
            max_requests: wl.max_requests,
            long_input: wl.long_input,
            policies,
            engine,
            knobs,
            calibration: Calibration::datasheet_default(),
            seed: w.seed,
        })
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
                        format: format_id(*format).to_string(),
                    },
                    Source::Synthetic(s) => SourceWire::Synthetic(s.clone()),
                },
                window_s: self.window.map(|(a, b)| (a.as_secs_f64(), b.as_secs_f64())),
                rate_scale: self.rate_scale,
                max_requests: self.max_requests,
                long_input: self.long_input,
            },
            policies: self.policies.iter().map(|p| p.id().to_string()).collect(),
            engine: Some(self.engine),
            knobs: Some(self.knobs),
            seed: self.seed,
        }
    }

    /// Pretty JSON of [`Scenario::to_wire`].
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_wire()).expect("wire scenarios always serialize")
    }

    /// What a reader of this scenario's trace file keeps ([`workload::TraceReader`]): rows in
    /// the window, up to the request limit, failing past [`limits::MAX_REQUESTS`]. A reader
    /// given this may stop early; [`Scenario::requests_from_trace`] then builds the same
    /// workload as from the whole file (truncation comes after the window, and neither rate
    /// scaling nor the long-input transform changes which rows are kept or their order).
    pub fn trace_keep(&self) -> workload::Keep {
        workload::Keep {
            window: self.window,
            max_requests: self.max_requests,
            limit: Some(limits::MAX_REQUESTS),
        }
    }

    /// Builds the workload from a trace file's requests, read with [`Scenario::trace_keep`]
    /// (or in full): applies window, rate scaling, truncation and the long-input transform.
    pub fn requests_from_trace(&self, reqs: Vec<Request>) -> Result<Vec<Request>, ScenarioError> {
        self.transform(reqs)
    }

    /// Builds the workload: reads the source (`file_text` for a [`Source::File`]), then
    /// applies window, rate scaling, truncation and the long-input transform, in that order.
    pub fn requests(&self, file_text: Option<&str>) -> Result<Vec<Request>, ScenarioError> {
        let reqs = match &self.source {
            Source::Embedded(t) => workload::parse_azure_csv(t.text())?,
            Source::File { name, format } => {
                let text =
                    file_text.ok_or_else(|| ScenarioError::MissingTrace { name: name.clone() })?;
                workload::TraceReader::new(*format)
                    .keeping(self.trace_keep())
                    .read_str(text)?
            }
            Source::Synthetic(s) => {
                let lengths = match (&s.lengths_from, s.lognormal) {
                    (Some(id), _) => {
                        let t = EmbeddedTrace::from_id(id).expect("validated");
                        Lengths::empirical_from(&workload::parse_azure_csv(t.text())?)
                    }
                    (None, Some((im, is, om, os))) => Lengths::LogNormal {
                        input_median: im,
                        input_sigma: is,
                        output_median: om,
                        output_sigma: os,
                    },
                    (None, None) => unreachable!("validated"),
                };
                let arrival = if s.cv == 1.0 {
                    Arrival::Poisson
                } else {
                    Arrival::Gamma { cv: s.cv }
                };
                let spec = SyntheticSpec {
                    requests: s.requests,
                    rate_per_s: s.rate_per_s,
                    arrival,
                    lengths,
                    seed: self.seed,
                };
                spec.generate()?
            }
        };
        self.transform(reqs)
    }

    /// Window, rate scaling, truncation and the long-input transform, in that order.
    fn transform(&self, mut reqs: Vec<Request>) -> Result<Vec<Request>, ScenarioError> {
        if let Some((a, b)) = self.window {
            reqs = workload::window(&reqs, a, b);
        }
        if self.rate_scale != 1.0 {
            reqs = workload::scale_rate(&reqs, self.rate_scale).map_err(|_| {
                let last = reqs.last().map_or(0.0, |r| r.arrival.as_secs_f64());
                field(
                    "workload.rate_scale",
                    num(self.rate_scale),
                    &format!(
                        "large enough that the last arrival ({} s before scaling) stays within {} s (limits::MAX_ARRIVAL_S)",
                        num(last),
                        limits::MAX_ARRIVAL_S
                    ),
                )
            })?;
        }
        if let Some(n) = self.max_requests {
            reqs = workload::truncate(&reqs, n);
        }
        if reqs.len() as u64 > limits::MAX_REQUESTS as u64 {
            return Err(field("workload", reqs.len(), "at most 2000000 requests"));
        }
        if let Some(li) = self.long_input {
            let mut rng = SimRng::new(self.seed, "long-input");
            reqs = workload::long_input_transform(
                &reqs,
                li.percentile,
                li.min_tokens,
                li.max_tokens,
                &mut rng,
            )?
            .requests;
        }
        if reqs.is_empty() {
            return Err(field(
                "workload",
                "0 requests",
                "at least one request after window and truncation",
            ));
        }
        Ok(reqs)
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
        let perf = self.perf_model()?;
        let p = self.build_policy(policy);
        Ok(Simulation::new(
            self.cluster,
            self.model.spec(),
            perf,
            self.tp,
            self.engine,
            p,
            requests,
        )?)
    }

    /// A steppable simulation driven by a caller-supplied policy object (e.g. a wrapper that
    /// times decisions).
    pub fn simulation_with(
        &self,
        policy: Box<dyn crate::policy::Policy>,
        requests: Vec<Request>,
    ) -> Result<Simulation, ScenarioError> {
        let perf = self.perf_model()?;
        Ok(Simulation::new(
            self.cluster,
            self.model.spec(),
            perf,
            self.tp,
            self.engine,
            policy,
            requests,
        )?)
    }

    /// Builds `policy` for this scenario's cluster and model.
    pub fn build_policy(&self, policy: PolicyKind) -> Box<dyn crate::policy::Policy> {
        policy.build(&self.knobs, self.model, self.cluster.total_gpus() / self.tp)
    }

    /// Replicas a long request of these lengths gets (the engine's rule), on this cluster.
    pub fn sp_degree_for(
        &self,
        input_tokens: u32,
        output_tokens: u32,
    ) -> Result<u32, ScenarioError> {
        let perf = self.perf_model()?;
        let r = Request {
            id: 0,
            arrival: SimTime::ZERO,
            input_tokens,
            output_tokens,
        };
        Ok(crate::sim::long_degree(
            &r,
            &self.engine,
            &self.model.spec(),
            perf.kv_capacity_tokens(),
        ))
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

fn validate_engine(e: &EngineConfig) -> Result<(), ScenarioError> {
    let checks: [(&str, u64, u64, u64); 7] = [
        (
            "engine.max_batched_tokens",
            e.max_batched_tokens as u64,
            16,
            1 << 20,
        ),
        ("engine.max_num_seqs", e.max_num_seqs as u64, 1, 4096),
        (
            "engine.local_queue_cap_tokens",
            e.local_queue_cap_tokens as u64,
            1,
            1 << 24,
        ),
        (
            "engine.long_threshold_tokens",
            e.long_threshold_tokens as u64,
            1,
            1 << 26,
        ),
        (
            "engine.max_short_kv_permille",
            e.max_short_kv_permille as u64,
            1,
            1000,
        ),
        (
            "engine.sp_tokens_per_replica",
            e.sp_tokens_per_replica as u64,
            1024,
            1 << 26,
        ),
        (
            "engine.kernels_per_layer",
            e.kernels_per_layer as u64,
            1,
            1000,
        ),
    ];
    for (name, v, lo, hi) in checks {
        if v < lo || v > hi {
            return Err(field(name, v, &format!("between {lo} and {hi}")));
        }
    }
    if e.context_switch > SimDuration::from_millis(3_600_000) {
        return Err(field(
            "engine.context_switch",
            e.context_switch.0,
            "between 0 and 3600000000000 (nanoseconds)",
        ));
    }
    if e.drain_limit.0 == 0 || e.drain_limit > SimDuration::from_millis(30 * 24 * 3_600_000) {
        return Err(field(
            "engine.drain_limit",
            e.drain_limit.0,
            "between 1 ns and 30 days (nanoseconds)",
        ));
    }
    Ok(())
}
