//! Medha (Agrawal et al., "Medha: Efficiently Serving Multi-Million Context Length LLM
//! Inference Requests Without Approximations", arXiv 2409.17264; v5: "No Request Left Behind").
//! Three mechanisms, each mapped onto the common dispatch and the same engine:
//!
//! 1. **Adaptive chunking** — long prefills run in chunks batched with the running decodes (as
//!    Sarathi-Serve's), but each step takes the largest chunk whose step keeps the short
//!    requests riding in it within a target time between tokens, so chunks shrink as the
//!    prefix grows and attention over it costs more. Engine rule [`LongPrefill::Chunked`] with
//!    `adaptive` ([`AdaptiveChunk`], `sim/adaptive_chunk.rs`: the chunk priced at its position,
//!    fused with the members' short batches). Target: [`PolicyKnobs::medha_tbt_target`]
//!    (default: the scenario's short-class TBT SLO); largest chunk:
//!    [`PolicyKnobs::chunk_tokens_per_member`] (shared with `chunked-prefill`); smallest:
//!    [`PolicyKnobs::medha_min_chunk_tokens_per_member`].
//! 2. **Least remaining slack first, with preemption** — the global queue is served by least
//!    slack: the request's TTFT deadline (arrival + its class's TTFT limit for its input,
//!    [`crate::metrics::ClassSlo::ttft_limit`]) minus its estimated prefill time (from the
//!    performance model: one iteration of the whole prompt on a replica for a short request,
//!    the ring-SP prefill over its group for a long one). The key is static: a request in the
//!    global queue has done no prefill, so its remaining time is its whole estimate, and the
//!    paper's dynamic slack `deadline − now − remaining` differs from ours by `now`, the same
//!    for every waiting request — the order is the same. Dispatch is the rank-ordered walk of
//!    SJF and learning-to-rank ([`super::ranked`]), short requests to any replica that is not
//!    decode-only (they ride in a long prefill's chunks). Preemption is at chunk boundaries:
//!    every step forms the members' short batches first and sizes the chunk to the time left,
//!    so the long prefill yields each step's capacity to short work — down to the smallest
//!    chunk when short prefills fill the step — and never stops outright.
//! 3. **KV-parallel decode** — a long request decodes over its `k`-member group with its KV
//!    sharded, each member attending over its shard with its own short batch, the partial
//!    outputs merged (Q broadcast, LSE all-reduce, merge kernel: `sim/jobs.rs`
//!    `start_decode_step`, [`crate::perf::PerfModel::sp_decode_overhead`]) — KVP's pricing.
//!
//! What the paper also has and we do not model: Sequence Pipeline Parallelism (chunks of one
//! prefill pipelined over pipeline stages); the per-iteration choice among all waiting
//! requests' chunks (here local queues stay FIFO: the order is the global queue's).

use super::ranked::{RankedQueue, ShortPlacement};
use super::{
    AdaptiveChunk, Decision, EngineRules, LongDecode, LongPrefill, Policy, PolicyKind, View,
};
use crate::metrics::{Class, Slo};
use crate::perf::{BatchShape, PerfModel, SpGroup, SpMode};
use crate::time::SimDuration;

/// The Medha policy.
#[derive(Clone, Debug)]
pub struct Medha {
    queue: RankedQueue,
    /// The largest chunk a long-prefill step takes, prompt tokens per member.
    pub max_chunk_tokens_per_member: u32,
    /// The smallest chunk a long-prefill step takes, prompt tokens per member.
    pub min_chunk_tokens_per_member: u32,
    /// The longest a long-prefill step may take.
    pub tbt_target: SimDuration,
    /// The SLOs whose TTFT limits set the deadlines.
    pub slo: Slo,
    /// The run's performance model (set by [`Policy::prepare`]; without it every estimate is
    /// zero and the order is earliest deadline first).
    perf: Option<PerfModel>,
}

impl Medha {
    /// The policy with `knobs`' chunk bounds and TBT target (default: the short class's TBT
    /// limit in `knobs.slo`).
    pub fn new(knobs: &super::PolicyKnobs) -> Medha {
        Medha {
            queue: RankedQueue::with_short_placement(ShortPlacement::AnyPrefill),
            max_chunk_tokens_per_member: knobs.chunk_tokens_per_member.max(1),
            min_chunk_tokens_per_member: knobs
                .medha_min_chunk_tokens_per_member
                .clamp(1, knobs.chunk_tokens_per_member.max(1)),
            tbt_target: knobs.medha_tbt_target.unwrap_or(knobs.slo.short.tbt),
            slo: knobs.slo,
            perf: None,
        }
    }

    /// The estimated prefill time of a request of `input` tokens needing `k` replicas (0:
    /// short) under `perf`.
    pub fn prefill_estimate(perf: &PerfModel, input: u32, k: u32) -> SimDuration {
        if k == 0 {
            let mut shape = BatchShape::default();
            shape.add_prefill_chunk(u64::from(input), 0);
            return perf.iteration_time(&shape);
        }
        // The group as the common placement prefers it: same node first.
        let per_node = (perf.cluster().gpus_per_node / perf.tp().max(1)).max(1);
        let mut left = k;
        let mut replicas_per_node = Vec::new();
        while left > 0 {
            replicas_per_node.push(left.min(per_node));
            left -= left.min(per_node);
        }
        let group = SpGroup { replicas_per_node };
        perf.sp_prefill(u64::from(input), &group, SpMode::RingOnly)
            .time
    }

    /// The slack key of request `req`: its TTFT deadline less its estimated prefill time, in
    /// nanoseconds offset by 2⁶² so that a negative slack still orders first.
    pub fn slack_key(&self, view: &View<'_>, req: u32) -> u64 {
        let r = view.request(req);
        let class = view.class(req);
        let deadline = r.arrival + self.slo.class(class).ttft_limit(r.input_tokens);
        let k = match class {
            Class::Short => 0,
            Class::Long => view.sp_degree(req),
        };
        let estimate = self.perf.as_ref().map_or(SimDuration::ZERO, |p| {
            Medha::prefill_estimate(p, r.input_tokens, k)
        });
        let key = i128::from(deadline.0) - i128::from(estimate.0) + (1i128 << 62);
        key.clamp(0, i128::from(u64::MAX)) as u64
    }
}

impl Policy for Medha {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Medha
    }

    fn rules(&self) -> EngineRules {
        EngineRules {
            long_prefill: LongPrefill::Chunked {
                tokens_per_member: self.max_chunk_tokens_per_member,
                adaptive: Some(AdaptiveChunk {
                    step_target: self.tbt_target,
                    min_tokens_per_member: self.min_chunk_tokens_per_member,
                }),
            },
            long_decode: LongDecode::Batch { prefill_cap: None },
            disaggregation: None,
            sp_mode: SpMode::RingOnly,
            elastic_sp: None,
        }
    }

    fn prepare(&mut self, perf: &PerfModel) {
        self.perf = Some(perf.clone());
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut queue = std::mem::take(&mut self.queue);
        queue.dispatch(view, out, |v, req| self.slack_key(v, req));
        self.queue = queue;
    }
}
