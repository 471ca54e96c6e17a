//! The rules a policy sets for how long requests share replicas with short ones. Each mode
//! carries the data it needs and nothing else, so a rule set cannot say something the engine
//! would have to ignore (a colocation cap without colocation, decode replicas without
//! disaggregation).

use super::colocation::ColocationCap;
use crate::perf::SpMode;
use crate::time::SimDuration;
use std::num::NonZeroU32;

/// How a long prefill treats short work that lands on its replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongPrefill {
    /// Short work on the group's replicas waits until the prefill ends (the baselines, /PE).
    Exclusive,
    /// The prefill pauses at its next kernel boundary while short work runs (preemption,
    /// paper §2.4).
    Yield,
    /// Stall-free chunked prefill (Sarathi-Serve, OSDI'24; vLLM v1's default): the prefill
    /// advances in steps, each member processing `tokens_per_member` prompt tokens per step
    /// batched with its own short work (decodes and short prefills, under the iteration's
    /// token budget less the chunk), so it never runs alone and never pauses. It starts as
    /// soon as it heads its members' queues and they have its KV room.
    Chunked {
        /// Prompt tokens each member processes per step (the chunk's share of its budget); under
        /// `adaptive`, the largest chunk a step may take.
        tokens_per_member: u32,
        /// Medha's adaptive chunking (`None`: every step takes `tokens_per_member`, priced at
        /// its linear share of the whole prefill — Sarathi-Serve's fixed chunk).
        adaptive: Option<AdaptiveChunk>,
    },
}

/// Adaptive chunking (Medha, Agrawal et al., arXiv 2409.17264): each step of a chunked long
/// prefill takes the largest chunk whose step — the chunk priced at its position (attention over
/// the context already prefilled) fused with each member's short batch, plus the merge of the
/// members' partial attention — stays within `step_target`, so chunks shrink as the prefix
/// grows. When even `min_tokens_per_member` misses the target, the step takes that minimum (a
/// prefill always progresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveChunk {
    /// The longest a step may take: the time between tokens the short requests riding in it
    /// are held to.
    pub step_target: SimDuration,
    /// The smallest chunk a step takes, prompt tokens per member (at least 1).
    pub min_tokens_per_member: u32,
}

/// How a long decode treats short work that lands on its replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongDecode {
    /// Short work on the group's replicas waits until the decode ends.
    Exclusive,
    /// The decode pauses at its next step boundary while short work runs (PecSched /CoL).
    Yield,
    /// Short work runs in the decode's own steps (continuous batching; PecSched's colocation,
    /// paper §2.6).
    Batch {
        /// How many short-prefill tokens per GPU may join one long-decode step (`None`: no cap
        /// beyond the iteration's token budget, as in vLLM). The engine resolves it once per
        /// long request, when its decode starts.
        prefill_cap: Option<ColocationCap>,
    },
}

/// Prefill/decode disaggregation (paper §2.5): finished short prefills hand their KV to a pool
/// of decode-only replicas, the last replicas of the cluster; with `long_requests`, long ones
/// too (DistServe, Splitwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodePool {
    /// Decode-only replicas.
    pub replicas: NonZeroU32,
    /// Long requests hand over too: when a long prefill ends, its job moves to the fewest
    /// decode-only replicas that hold its KV ([`crate::sched::Sizing::decode_group_size`]),
    /// its prefill members freed at once (`false`: a long request decodes on its prefill
    /// group, PecSched's rule, paper §2.5). A job the pool has no room for yet decodes in
    /// place and retries at each decode step, in FIFO order among waiting long jobs; one
    /// whose KV group is larger than the whole pool decodes in place (`sim/long_move.rs`).
    pub long_requests: bool,
}

/// Elastic sequence parallelism of long requests (LoongServe, SOSP'24): a long prefill may
/// run on more replicas than its sizing needs, and its decode scales in to the fewest of its
/// members that hold its KV ([`crate::sched::Sizing::decode_group_size`]), the others freed
/// for short work (`sim/long_move.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElasticSp {
    /// The largest group a long prefill may be given (a group never shrinks below its
    /// sizing's `k`, so this bounds only the scale-out).
    pub max_prefill_degree: NonZeroU32,
}

/// What a policy tells the engine about sharing replicas between long and short requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineRules {
    /// How a long prefill treats short work on its replicas.
    pub long_prefill: LongPrefill,
    /// How a long decode treats short work on its replicas.
    pub long_decode: LongDecode,
    /// Short requests decode on a pool of decode-only replicas (`None`: where they prefilled).
    pub disaggregation: Option<DecodePool>,
    /// How long prefills are parallelised.
    pub sp_mode: SpMode,
    /// Elastic long groups (`None`: a long request keeps the group its sizing gives, from
    /// prefill to last token, unless the decode pool takes it).
    pub elastic_sp: Option<ElasticSp>,
}

impl EngineRules {
    /// The baselines' rules (paper §1.3): a long prefill runs alone on its group, a long decode
    /// batches with short work like any sequence, no disaggregation, ring attention.
    pub const BASELINE: EngineRules = EngineRules {
        long_prefill: LongPrefill::Exclusive,
        long_decode: LongDecode::Batch { prefill_cap: None },
        disaggregation: None,
        sp_mode: SpMode::RingOnly,
        elastic_sp: None,
    };

    /// Whether short requests decode on a decode-only pool.
    pub fn disaggregated(&self) -> bool {
        self.disaggregation.is_some()
    }

    /// Whether long requests hand their KV to the decode pool when their prefill ends.
    pub fn long_handover(&self) -> bool {
        self.disaggregation.is_some_and(|p| p.long_requests)
    }

    /// The largest group a long request may be given: its sizing's `k`, or more under
    /// elastic sequence parallelism.
    pub fn max_group(&self, k: u32) -> u32 {
        self.elastic_sp
            .map_or(k, |e| k.max(e.max_prefill_degree.get()))
    }

    /// Decode-only replicas (0 without disaggregation).
    pub fn decode_replicas(&self) -> u32 {
        self.disaggregation.map_or(0, |p| p.replicas.get())
    }
}
