//! Prefill/decode disaggregation for every short request, as DistServe (Zhong et al., OSDI'24:
//! "goodput-optimized LLM serving with disaggregated prefill and decoding") and Splitwise (Patel
//! et al., ISCA'24: "phase splitting") run it: prefill instances and decode instances are
//! separate pools, a finished prefill's KV cache moves to a decode instance, and the P:D split
//! is chosen per workload. Here the split is the knob `pd_decode_permille` (scenario field
//! `policy_params.pd_decode_share`, default [`super::DEFAULT_PD_DECODE_PERMILLE`]): that share
//! of the replicas (rounded, at least one, leaving at least one for prefill) decode only — the
//! last ones, as PecSched's pool. Hand-over is the engine's ([`super::DecodePool`]: to the
//! decode replica with the most free KV, priced by the performance model's KV transfer with
//! layer-wise overlap, `perf/kv.rs`).
//!
//! Dispatch is FIFO's ([`super::Fifo`]) over the prefill pool, and so are the long-request
//! rules (exclusive prefill over the SP group, decode in place batched with short work): the
//! engine hands over only short requests' KV, so a long request decodes where it prefilled
//! (ARCHITECTURE.md, "Decisions": DistServe for long requests).

use super::{Decision, DecodePool, EngineRules, Fifo, Policy, PolicyKind, View};
use std::num::NonZeroU32;

/// The disaggregated policy.
#[derive(Clone, Copy, Debug)]
pub struct Disaggregated {
    /// Decode-only replicas.
    pub decode_replicas: NonZeroU32,
}

impl Disaggregated {
    /// The policy with `permille` ‰ of `replicas` decoding (rounded to the nearest, at least
    /// one, at most `replicas − 1`).
    pub fn with_share(permille: u32, replicas: u32) -> Disaggregated {
        let n = (u64::from(replicas) * u64::from(permille) + 500) / 1000;
        let n = (n as u32).clamp(1, replicas.saturating_sub(1).max(1));
        Disaggregated {
            decode_replicas: NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        }
    }
}

impl Policy for Disaggregated {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Disaggregated
    }

    fn rules(&self) -> EngineRules {
        EngineRules {
            disaggregation: Some(DecodePool {
                replicas: self.decode_replicas,
                long_requests: true,
            }),
            ..EngineRules::BASELINE
        }
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        Fifo.dispatch(view, out);
    }
}
