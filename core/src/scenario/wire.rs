//! The versioned wire format of a scenario (JSON, and later the compact link encoding).
//!
//! Wire structs are plain data with string identifiers; [`super::Scenario::from_wire`] turns
//! them into the validated [`super::Scenario`]. Engine internals are never serialized.

use serde::{Deserialize, Serialize};

/// Current wire-format version. Readers reject newer versions with a clear message.
pub const WIRE_VERSION: u32 = 1;

/// A scenario as stored in a file or link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Engine knobs; omitted fields take their defaults.
    #[serde(default)]
    pub engine: Option<crate::sim::config::EngineConfig>,
    /// Policy knobs; omitted fields take their defaults.
    #[serde(default)]
    pub knobs: Option<crate::policy::PolicyKnobs>,
    /// Seed of every random draw.
    pub seed: u64,
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
