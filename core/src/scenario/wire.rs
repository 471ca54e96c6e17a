//! The versioned wire format of a scenario (JSON, and later the compact link encoding).
//!
//! Wire structs are plain data with string identifiers, owned by this module and frozen per
//! version: [`super::Scenario::from_wire`] maps them onto the engine's and policies' own types
//! ([`crate::sim::config::EngineConfig`], [`crate::policy::PolicyKnobs`]) and validates them
//! into a [`super::Scenario`], so a new engine field never changes what an old file or link
//! means. Links encode these structs positionally (postcard, `link.rs`): a field may only be
//! added in a new version. An older version keeps its own frozen structs (`wire_v1.rs`) and is
//! upgraded to the current one on reading, field for field, with the meaning it had.
//! `core/tests/wire_v1.rs` decodes files and links committed in version 1, and
//! `core/tests/wire_v2.rs` those of version 2; both must keep passing.

use super::ScenarioError;
use super::wire_v1::ScenarioWireV1;
use crate::policy::{ColocationCap, ReservationPool};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::extra_wire::{
    ClassSloWire, ElasticSpWire, MedhaParamsWire, PolicyParamsWire, SloWire,
};

/// Current wire-format version. Readers reject newer versions with a clear message and
/// upgrade older ones ([`super::wire_v1`]).
pub const WIRE_VERSION: u32 = 2;

/// A scenario as stored in a file or link.
///
/// Fields added to version 2 after its first release (`slo`, `policy_params`, `prefix`, `medha`, `elastic_sp`) are optional and
/// trail the others: JSON leaves them out when `None` (a file written before them re-encodes
/// byte for byte), the binary formats (link postcard, the explorer's bincode) always write
/// them — [`ScenarioWire`]'s `Serialize` asks the format which it is — and a link's payload
/// leaves out the trailing `None`s (`link.rs`), so a link written before them is unchanged.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a scenario: a JSON object such as {\"version\": 1, \"cluster\": …}"
)]
pub struct ScenarioWire {
    /// Format version ([`WIRE_VERSION`]).
    pub version: u32,
    /// The GPU cluster.
    pub cluster: ClusterWire,
    /// Model id (see `ModelKind::id`).
    pub model: String,
    /// Tensor-parallel size of one replica.
    pub tp: u32,
    /// Where requests come from and how they are transformed.
    pub workload: WorkloadWire,
    /// Policy ids to run (see `PolicyKind::id`).
    pub policies: Vec<String>,
    /// Engine knobs; `None` (or omitted) takes the defaults, and so does each omitted field.
    #[serde(default)]
    pub engine: Option<EngineWire>,
    /// Policy knobs; `None` (or omitted) takes the defaults, and so does each omitted field.
    #[serde(default)]
    pub knobs: Option<KnobsWire>,
    /// Calibration profile (version 2); `None` (or omitted) = the default profile of the
    /// cluster's GPU (`Scenario::default_calibration_id`). Writers always fill it in, so a
    /// link keeps its numbers if that default changes.
    #[serde(default)]
    pub calibration: Option<CalibrationWire>,
    /// Seed of every random draw.
    pub seed: u64,
    /// Per-class SLOs (added to version 2); `None` (or omitted) = the defaults
    /// ([`crate::metrics::Slo::DEFAULT`]). Written only when they differ.
    #[serde(default)]
    pub slo: Option<SloWire>,
    /// Parameters of the policies added with the SLOs (added to version 2); `None` (or
    /// omitted) = their defaults. Written only when they differ.
    #[serde(default)]
    pub policy_params: Option<PolicyParamsWire>,
    /// Prefix caching (added to version 2, docs/prefix-caching.md); `None` (or omitted) =
    /// no shared prefixes and no cache.
    #[serde(default)]
    pub prefix: Option<super::prefix_wire::PrefixWire>,
    /// Medha's parameters (added to version 2 after `prefix`; issue 18); `None` (or omitted) =
    /// their defaults. Written only when they differ.
    #[serde(default)]
    pub medha: Option<MedhaParamsWire>,
    /// LoongServe's scale-out bound (added to version 2 after `medha`; issue 18); `None` (or
    /// omitted) = the default ([`crate::policy::DEFAULT_MAX_PREFILL_DEGREE`]). Written only
    /// when it differs.
    #[serde(default)]
    pub elastic_sp: Option<ElasticSpWire>,
}

/// Fields [`ScenarioWire`]'s `Serialize` writes, in order, before the trailing optional ones.
const SCENARIO_WIRE_FIELDS: usize = 10;

impl Serialize for ScenarioWire {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // A self-describing format (JSON) leaves a trailing `None` out; a positional one
        // (postcard, bincode) writes every field, so its reader finds each where it expects.
        let human = s.is_human_readable();
        let write_slo = !human || self.slo.is_some();
        let write_params = !human || self.policy_params.is_some();
        let write_prefix = !human || self.prefix.is_some();
        let write_medha = !human || self.medha.is_some();
        let write_elastic = !human || self.elastic_sp.is_some();
        let n = SCENARIO_WIRE_FIELDS
            + usize::from(write_slo)
            + usize::from(write_params)
            + usize::from(write_prefix)
            + usize::from(write_medha)
            + usize::from(write_elastic);
        let mut st = s.serialize_struct("ScenarioWire", n)?;
        st.serialize_field("version", &self.version)?;
        st.serialize_field("cluster", &self.cluster)?;
        st.serialize_field("model", &self.model)?;
        st.serialize_field("tp", &self.tp)?;
        st.serialize_field("workload", &self.workload)?;
        st.serialize_field("policies", &self.policies)?;
        st.serialize_field("engine", &self.engine)?;
        st.serialize_field("knobs", &self.knobs)?;
        st.serialize_field("calibration", &self.calibration)?;
        st.serialize_field("seed", &self.seed)?;
        if write_slo {
            st.serialize_field("slo", &self.slo)?;
        } else {
            st.skip_field("slo")?;
        }
        if write_params {
            st.serialize_field("policy_params", &self.policy_params)?;
        } else {
            st.skip_field("policy_params")?;
        }
        if write_prefix {
            st.serialize_field("prefix", &self.prefix)?;
        } else {
            st.skip_field("prefix")?;
        }
        if write_medha {
            st.serialize_field("medha", &self.medha)?;
        } else {
            st.skip_field("medha")?;
        }
        if write_elastic {
            st.serialize_field("elastic_sp", &self.elastic_sp)?;
        } else {
            st.skip_field("elastic_sp")?;
        }
        st.end()
    }
}

impl ScenarioWire {
    /// How many trailing optional fields (`slo`, `policy_params`, `prefix`, `medha`, `elastic_sp`) are `None` from the end: a
    /// link's payload leaves out their `None` bytes (`link.rs`).
    pub fn trailing_nones(&self) -> usize {
        [
            self.elastic_sp.is_none(),
            self.medha.is_none(),
            self.prefix.is_none(),
            self.policy_params.is_none(),
            self.slo.is_none(),
        ]
        .iter()
        .take_while(|none| **none)
        .count()
    }

    /// Parses a scenario file's JSON (not yet validated: see
    /// [`super::Scenario::from_wire`]). A newer version is refused before any other field is
    /// read, so a newer file gets "update PecSched" rather than an unknown-field error; other
    /// errors keep their line and column.
    pub fn from_json(text: &str) -> Result<ScenarioWire, ScenarioError> {
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
        match v.version {
            Some(ver) if ver > WIRE_VERSION as u64 => Err(ScenarioError::NewerVersion {
                found: ver,
                supported: WIRE_VERSION,
            }),
            Some(1) => {
                let v1: ScenarioWireV1 = serde_json::from_str(text).map_err(ScenarioError::json)?;
                Ok(v1.upgrade())
            }
            _ => serde_json::from_str(text).map_err(ScenarioError::json),
        }
    }
}

impl ScenarioWire {
    /// The scale experiment's scenario (docs/paper.md §3.7: Poisson arrivals on a large
    /// cluster): this one on `gpus` GPUs at its GPUs per node, its workload `requests`
    /// synthetic Poisson requests at `rate_per_s` with lengths resampled from the Azure 2023
    /// conversation trace, no window, rate ×1; its long-input transform is kept. Not validated.
    pub fn at_scale(mut self, gpus: u32, requests: u32, rate_per_s: f64) -> ScenarioWire {
        self.cluster.nodes = gpus / self.cluster.gpus_per_node.max(1);
        self.workload.window_s = None;
        self.workload.rate_scale = 1.0;
        self.workload.source = SourceWire::Synthetic(SyntheticWire {
            requests,
            rate_per_s,
            cv: 1.0,
            lengths_from: Some(
                crate::scenario::EmbeddedTrace::AzureConv2023
                    .id()
                    .to_string(),
            ),
            lognormal: None,
        });
        self
    }
}

/// The cluster part of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a cluster: an object with gpu, nodes, gpus_per_node and network_gbps"
)]
pub struct ClusterWire {
    /// GPU id (see `GpuKind::id`).
    pub gpu: String,
    /// Number of nodes.
    pub nodes: u32,
    /// GPUs per node.
    pub gpus_per_node: u32,
    /// Network bandwidth between nodes, Gbit/s per node.
    pub network_gbps: f64,
}

/// The workload part of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a workload: an object with source (and optionally window_s, rate_scale, max_requests, long_input)"
)]
pub struct WorkloadWire {
    /// Request source.
    pub source: SourceWire,
    /// Keep arrivals in `[start, end)` seconds (relative to the first request).
    #[serde(default)]
    pub window_s: Option<(f64, f64)>,
    /// Multiply the arrival rate by this (1 = as recorded).
    #[serde(default = "one")]
    pub rate_scale: f64,
    /// Keep at most this many requests.
    #[serde(default)]
    pub max_requests: Option<u32>,
    /// The paper's long-input transform; `None` keeps lengths as they are.
    #[serde(default)]
    pub long_input: Option<LongInputWire>,
}

fn one() -> f64 {
    1.0
}

/// One transform a workload applies to its source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transform {
    /// Arrivals kept in `[start_s, end_s)` seconds after the first request.
    Window {
        /// Start, seconds.
        start_s: f64,
        /// End, seconds.
        end_s: f64,
    },
    /// Arrival rate multiplied by this.
    RateScale(f64),
    /// At most this many requests kept.
    MaxRequests(u32),
    /// The paper's long-input transform.
    LongInput(LongInputWire),
}

impl WorkloadWire {
    /// Every transform this workload applies, in the order `Scenario::requests` applies them
    /// (window → rate scale → truncation → long-input transform); empty when the source runs
    /// as recorded. The shells word them; which apply, and in what order, is decided here.
    pub fn transforms(&self) -> Vec<Transform> {
        let mut t = Vec::new();
        if let Some((start_s, end_s)) = self.window_s {
            t.push(Transform::Window { start_s, end_s });
        }
        if self.rate_scale != 1.0 {
            t.push(Transform::RateScale(self.rate_scale));
        }
        if let Some(n) = self.max_requests {
            t.push(Transform::MaxRequests(n));
        }
        if let Some(l) = self.long_input {
            t.push(Transform::LongInput(l));
        }
        t
    }
}

/// Where requests come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a source: {\"embedded\": …}, {\"file\": {…}} or {\"synthetic\": {…}}"
)]
pub enum SourceWire {
    /// A trace shipped with PecSched: `azure-conv-2023` or `azure-code-2023`.
    Embedded(String),
    /// A trace file the user supplies (not embedded in links: the name says which).
    File {
        /// File name, for display.
        name: String,
        /// Format id: `azure`, `mooncake`, `burstgpt` or `plain`.
        format: String,
    },
    /// Seeded synthetic requests.
    Synthetic(SyntheticWire),
}

/// A synthetic workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a synthetic source: an object with requests, rate_per_s, cv, lengths_from (and optionally lognormal)"
)]
pub struct SyntheticWire {
    /// Number of requests.
    pub requests: u32,
    /// Mean arrival rate, requests per second.
    pub rate_per_s: f64,
    /// Coefficient of variation of inter-arrival times (1 = Poisson).
    pub cv: f64,
    /// Lengths resampled from this embedded trace, or log-normal if `None`.
    pub lengths_from: Option<String>,
    /// Log-normal medians and sigmas `(input_median, input_sigma, output_median, output_sigma)`,
    /// used when `lengths_from` is `None`.
    #[serde(default)]
    pub lognormal: Option<(f64, f64, f64, f64)>,
}

/// The paper's long-input transform parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a long-input transform: an object with percentile, min_tokens and max_tokens"
)]
pub struct LongInputWire {
    /// Requests above this percentile of input length become long (paper: 95).
    pub percentile: f64,
    /// Smallest long input (paper: 100,000).
    pub min_tokens: u32,
    /// Largest long input (paper: 500,000).
    pub max_tokens: u32,
}

/// Engine knobs as version 1 of the wire format writes them (the meaning of each field is
/// that of [`crate::sim::config::EngineConfig`]'s field of the same name). Durations are
/// integer nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "engine knobs: an object with max_batched_tokens, max_num_seqs, … (see `pecsched-worker scenario`)"
)]
pub struct EngineWire {
    /// Token budget of one iteration on one replica.
    pub max_batched_tokens: u32,
    /// Sequences one replica runs at once.
    pub max_num_seqs: u32,
    /// A replica accepts dispatches while its local queue holds fewer tokens than this.
    pub local_queue_cap_tokens: u32,
    /// Requests with more input tokens than this are long.
    pub long_threshold_tokens: u32,
    /// A request is also long if its KV needs more than this share of a replica, per mille.
    pub max_short_kv_permille: u32,
    /// A long request gets at least `ceil(input / this)` replicas.
    pub sp_tokens_per_replica: u32,
    /// Preemption points per layer of a long prefill.
    pub kernels_per_layer: u32,
    /// Cost of pausing or resuming a long prefill, nanoseconds.
    pub context_switch: u64,
    /// How long after the last arrival the run stops, nanoseconds.
    pub drain_limit: u64,
}

impl Default for EngineWire {
    fn default() -> Self {
        EngineWire::from(&crate::sim::config::EngineConfig::default())
    }
}

impl From<&crate::sim::config::EngineConfig> for EngineWire {
    fn from(e: &crate::sim::config::EngineConfig) -> Self {
        EngineWire {
            max_batched_tokens: e.max_batched_tokens,
            max_num_seqs: e.max_num_seqs,
            local_queue_cap_tokens: e.local_queue_cap_tokens,
            long_threshold_tokens: e.long_threshold_tokens,
            max_short_kv_permille: e.max_short_kv_permille,
            sp_tokens_per_replica: e.sp_tokens_per_replica,
            kernels_per_layer: e.kernels_per_layer,
            context_switch: e.context_switch.0,
            drain_limit: e.drain_limit.0,
        }
    }
}

impl EngineWire {
    /// The engine's configuration with these knobs (fields the wire does not carry keep the
    /// engine's defaults). Not validated: [`super::Scenario::from_wire`] does that.
    pub fn to_engine(&self) -> crate::sim::config::EngineConfig {
        use crate::time::SimDuration;
        crate::sim::config::EngineConfig {
            max_batched_tokens: self.max_batched_tokens,
            max_num_seqs: self.max_num_seqs,
            local_queue_cap_tokens: self.local_queue_cap_tokens,
            long_threshold_tokens: self.long_threshold_tokens,
            max_short_kv_permille: self.max_short_kv_permille,
            sp_tokens_per_replica: self.sp_tokens_per_replica,
            kernels_per_layer: self.kernels_per_layer,
            context_switch: SimDuration(self.context_switch),
            drain_limit: SimDuration(self.drain_limit),
            ..crate::sim::config::EngineConfig::default()
        }
    }
}

/// Policy knobs as version 2 of the wire format writes them (meanings: those of
/// [`crate::policy::PolicyKnobs`]'s fields of the same names). Version 1's knobs
/// ([`super::wire_v1::KnobsWireV1`]) are upgraded to these.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "policy knobs: an object with decode_replicas, colocation_cap, reservation_pool and priority_placement"
)]
pub struct KnobsWire {
    /// PecSched's decode-only replicas; `None` = the paper's share (1/8 of the replicas).
    pub decode_replicas: Option<u32>,
    /// PecSched's colocation cap: `{"derived": {"max_slowdown_permille": 50}}` (from the cost
    /// model) or `{"fixed": {"tokens_per_gpu": 512}}`.
    pub colocation_cap: ColocationCap,
    /// Reservation's pool: `{"for_request": {"input_tokens": 500000, "output_tokens": 2048}}`
    /// or `{"replicas": 4}`.
    pub reservation_pool: ReservationPool,
    /// Priority's placement rule id: `no-queued-short-work` or `completely-idle`.
    pub priority_placement: String,
}

impl Default for KnobsWire {
    fn default() -> Self {
        KnobsWire::from(&crate::policy::PolicyKnobs::default())
    }
}

impl From<&crate::policy::PolicyKnobs> for KnobsWire {
    fn from(k: &crate::policy::PolicyKnobs) -> Self {
        KnobsWire {
            decode_replicas: k.decode_replicas,
            colocation_cap: k.colocation_cap,
            reservation_pool: k.reservation_pool,
            priority_placement: k.priority_placement.id().to_string(),
        }
    }
}

/// The calibration profile of a scenario: a built-in profile (`perf::profiles`), with named
/// fields overridden. A profile read from a file travels as `datasheet` with every field
/// listed, so a link means the same numbers wherever it is opened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a calibration: an object with profile (a built-in id) and optionally overrides"
)]
pub struct CalibrationWire {
    /// Built-in profile id (`datasheet`, `h100-wgpu`, …).
    pub profile: String,
    /// Field name → value, applied on top of the profile (calibration field names, as in a
    /// profile file's `overrides`).
    #[serde(default)]
    pub overrides: BTreeMap<String, f64>,
}

impl CalibrationWire {
    /// The wire form of any calibration (e.g. a profile read from a file): `datasheet` with
    /// every field listed, so it means the same numbers if the defaults change.
    pub fn every_field(c: &crate::perf::Calibration) -> CalibrationWire {
        CalibrationWire {
            profile: "datasheet".to_string(),
            overrides: crate::perf::CalibrationField::ALL
                .into_iter()
                .map(|f| (f.id().to_string(), c.get(f)))
                .collect(),
        }
    }

    /// A built-in profile, no overrides.
    pub fn builtin(id: &str) -> CalibrationWire {
        CalibrationWire {
            profile: id.to_string(),
            overrides: BTreeMap::new(),
        }
    }
}
