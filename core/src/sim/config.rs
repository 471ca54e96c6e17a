//! Engine knobs shared by every policy. (The rules a policy sets for how long requests share
//! replicas with short ones are part of the scheduling interface, [`crate::sched::EngineRules`].)

use crate::model::ModelSpec;
use crate::sched::Sizing;
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

/// How often (in simulated time) the engine looks for replicas or jobs idle with work they
/// could start (`sim::liveness`): a stall is reported at most this long after it begins.
pub const WATCH_INTERVAL: SimDuration = SimDuration::from_millis(10_000);

/// Most events one run processes before it stops with partial results, unless configured
/// otherwise (the conversation trace under the four main policies needs about 0.2 M each).
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;

fn default_max_events() -> u64 {
    DEFAULT_MAX_EVENTS
}

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
    /// The run stops after this many events with partial results (a scenario-size limit; the
    /// summary says so).
    #[serde(default = "default_max_events")]
    pub max_events: u64,
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
            max_events: DEFAULT_MAX_EVENTS,
        }
    }
}

impl EngineConfig {
    /// The classification and group-size rule with these knobs, for `model` on replicas of
    /// `kv_capacity_tokens` tokens of KV.
    pub fn sizing(&self, model: ModelSpec, kv_capacity_tokens: u64) -> Sizing {
        Sizing {
            long_threshold_tokens: self.long_threshold_tokens,
            max_short_kv_permille: self.max_short_kv_permille,
            sp_tokens_per_replica: self.sp_tokens_per_replica,
            kv_capacity_tokens,
            model,
        }
    }
}
