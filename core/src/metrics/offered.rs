//! What a workload offers its cluster, in the units the load regimes are stated in: the short
//! requests' capacity at full batching and each class's demand in replica-seconds. Computed by
//! the scenario from the performance model (`Scenario::short_capacity`, `Scenario::demand` in
//! `scenario/load.rs`); here so that callers can name and print them.

use serde::{Deserialize, Serialize};

/// What the short requests of a workload can get out of one replica at full batching, and so
/// out of the cluster (`Scenario::short_capacity`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShortCapacity {
    /// Short requests the workload holds.
    pub requests: u64,
    /// Their mean input tokens.
    pub mean_input: f64,
    /// Their mean output tokens.
    pub mean_output: f64,
    /// Sequences decoding in the steady-state iteration: the least of the sequence cap, what
    /// the KV holds (input + output reserved per sequence) and the token budget's share.
    pub decode_seqs: f64,
    /// Prefill tokens in that iteration: as many requests start as finish
    /// (`decode_seqs / mean_output` of them), each with `mean_input` tokens.
    pub prefill_tokens: f64,
    /// The iteration's time on one replica, seconds (the performance model's price).
    pub iteration_s: f64,
    /// Short requests one replica completes per second.
    pub per_replica_rps: f64,
    /// Replicas of the cluster (each counted as prefilling and decoding: the common engine).
    pub replicas: u32,
    /// Short requests the cluster completes per second: `per_replica_rps × replicas`.
    pub cluster_rps: f64,
}

/// What a workload asks of its cluster, in replica-seconds, over the span of its arrivals
/// (`Scenario::demand`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    /// Span of the arrivals (first to last, at least 1 s), seconds.
    pub span_s: f64,
    /// Replica-seconds the cluster offers over the span: `replicas × span_s`.
    pub available_replica_s: f64,
    /// Short requests.
    pub short_requests: u64,
    /// Replica-seconds of the short requests at full batching (`short / per_replica_rps`).
    pub short_replica_s: f64,
    /// Long requests.
    pub long_requests: u64,
    /// Replica-seconds of the long requests' prefills at ring-attention speed, each on its
    /// group (`k × prefill time`), the quantity `Scenario::long_prefill_load` divides by
    /// `available_replica_s`. Long decodes are not counted (their steps share the replicas
    /// with short work), so the long side is a lower bound.
    pub long_prefill_replica_s: f64,
}

impl Demand {
    /// The long requests' share of the demand: `long / (long + short)`.
    pub fn long_share(&self) -> f64 {
        let total = self.long_prefill_replica_s + self.short_replica_s;
        if total > 0.0 {
            self.long_prefill_replica_s / total
        } else {
            0.0
        }
    }

    /// Demand over what the cluster offers over the span (1 = every replica busy throughout).
    pub fn load(&self) -> f64 {
        (self.long_prefill_replica_s + self.short_replica_s) / self.available_replica_s
    }
}

/// The sustainable arrival rate of a workload's mix on a cluster (`Scenario::capacity`): the
/// rate at which its demand ([`Demand`]) keeps every replica busy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// Requests of the sample the mix was read from.
    pub requests: u64,
    /// Of which long (the engine's rule).
    pub long_requests: u64,
    /// Mean replica-seconds one request of the mix asks for: short requests at full batching
    /// (`1 / per_replica_rps`), long prefills at ring-attention speed (`k × prefill time`).
    pub replica_s_per_request: f64,
    /// The long prefills' share of that demand.
    pub long_share: f64,
    /// Replicas of the cluster.
    pub replicas: u32,
    /// Requests per second that keep every replica busy:
    /// `replicas / replica_s_per_request`. Long decodes are not counted (their steps share
    /// the replicas with short work), so this is an upper bound of what the cluster sustains.
    pub rps: f64,
}
