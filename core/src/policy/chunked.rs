//! Stall-free chunked prefill, as vLLM v1 runs it by default and Sarathi-Serve (Agrawal et al.,
//! "Taming Throughput-Latency Tradeoff in LLM Inference with Sarathi-Serve", OSDI'24) defines
//! it: a long prompt is split into chunks, and each iteration batches one chunk with the
//! running decodes (and other prefills) under a token budget, so decodes never stall behind a
//! prefill and the prefill never runs alone (§4: chunked prefills, stall-free batching).
//!
//! Here: every request over the common dispatch ([`super::placement`]; short requests to the
//! shortest local queue on any replica that is not decode-only — a replica running a long
//! prefill keeps taking short work, which rides in the prefill's steps), long requests over
//! their sequence-parallel group (same node first, smallest summed queue), with the engine rule
//! [`LongPrefill::Chunked`]: each member processes `tokens_per_member` prompt tokens per step
//! (the policy knob `chunk_tokens_per_member`, scenario field
//! `policy_params.chunk_tokens_per_member`, default [`super::DEFAULT_CHUNK_TOKENS_PER_MEMBER`]:
//! Sarathi-Serve's token budget for relaxed TBT SLOs, §5) batched with its short work under
//! the rest of its budget. Long decodes batch with short work like any sequence (no cap), no
//! disaggregation, ring attention — vLLM's. Placement reads the replicas through the engine's
//! indexes ([`crate::policy::placement::working`]), not a snapshot of every replica.

use super::placement::in_arrival_order;
use super::placement::working::{LongCandidates, Working};
use super::{Decision, EngineRules, LongDecode, LongPrefill, Policy, PolicyKind, View};
use crate::metrics::Class;
use crate::perf::SpMode;

/// The chunked-prefill policy.
#[derive(Clone, Copy, Debug)]
pub struct ChunkedPrefill {
    /// Prompt tokens each member of a long request's group processes per step.
    pub tokens_per_member: u32,
}

impl Policy for ChunkedPrefill {
    fn kind(&self) -> PolicyKind {
        PolicyKind::ChunkedPrefill
    }

    fn rules(&self) -> EngineRules {
        EngineRules {
            long_prefill: LongPrefill::Chunked {
                tokens_per_member: self.tokens_per_member,
                adaptive: None,
            },
            long_decode: LongDecode::Batch { prefill_cap: None },
            disaggregation: None,
            sp_mode: SpMode::RingOnly,
            elastic_sp: None,
        }
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut w = Working::new(view);
        in_arrival_order(view, out, |req, class| match class {
            Class::Short => w.place_short(req, |_, _| true, |_| true),
            Class::Long => w.place_long(req, LongCandidates::Any, |r| !r.decode_only),
        });
    }
}
