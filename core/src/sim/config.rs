//! Engine knobs shared by every policy, and the rules a policy sets for how long requests share
//! replicas with short ones.

use crate::perf::SpMode;
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

/// Knobs of the serving engine common to all policies. Defaults are vLLM-like; each is a named
/// parameter because the paper does not state it (see ARCHITECTURE.md, "Decisions").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Token budget of one iteration on one replica (chunked prefill; decode tokens count too).
    /// vLLM's `max_num_batched_tokens` with chunked prefill.
    pub max_batched_tokens: u32,
    /// Sequences one replica runs at once (vLLM's `max_num_seqs`, default 256).
    pub max_num_seqs: u32,
    /// A replica accepts new dispatches while the tokens in its local queue are below this.
    pub local_queue_cap_tokens: u32,
    /// Requests with more input tokens than this are *long* (served by sequence parallelism
    /// over several replicas). Every Azure request is < 15K tokens and every transformed one
    /// ≥ 100K, so any value in between reproduces the paper's split.
    pub long_threshold_tokens: u32,
    /// A request is also long if its KV (input + output) needs more than this share of one
    /// replica's KV capacity, in per mille (500 = half).
    pub max_short_kv_permille: u32,
    /// Sequence-parallel degree: a long request gets at least `ceil(input / this)` replicas
    /// (and at least 2, and at least what its KV needs).
    pub sp_tokens_per_replica: u32,
    /// Kernels per layer: a long prefill can pause at `layers × this` evenly spaced points.
    pub kernels_per_layer: u32,
    /// Cost of pausing or resuming a long prefill (saving/restoring the pause state).
    pub context_switch: SimDuration,
    /// The run stops this long after the last arrival; requests not served by then are
    /// reported as starved or unfinished.
    pub drain_limit: SimDuration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_batched_tokens: 8192,
            max_num_seqs: 256,
            local_queue_cap_tokens: 8192,
            long_threshold_tokens: 32_768,
            max_short_kv_permille: 500,
            sp_tokens_per_replica: 131_072,
            kernels_per_layer: 8,
            context_switch: SimDuration::from_micros(50),
            drain_limit: SimDuration::from_millis(3_600_000),
        }
    }
}

/// How a long request's phase treats short work that lands on its replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhaseMode {
    /// Short work on the group's replicas waits until the phase ends (no preemption).
    Exclusive,
    /// The phase pauses at the next kernel boundary while short work runs (preemption).
    Yield,
    /// Short work runs in the same iterations as the phase (continuous batching/colocation).
    Batch,
}

/// What a policy tells the engine about sharing replicas between long and short requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineRules {
    /// How a long prefill treats short work on its replicas.
    pub long_prefill: PhaseMode,
    /// How a long decode treats short work on its replicas.
    pub long_decode: PhaseMode,
    /// Short requests decode on dedicated decode-only replicas (prefill/decode disaggregation).
    pub disaggregate: bool,
    /// Number of decode-only replicas when `disaggregate` is set.
    pub decode_replicas: u32,
    /// How long prefills are parallelised.
    pub sp_mode: SpMode,
    /// Cap on short-prefill tokens per GPU batched into one long-decode step (colocation).
    pub colocation_cap_tokens_per_gpu: Option<u32>,
}
