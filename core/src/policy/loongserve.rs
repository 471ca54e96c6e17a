//! LoongServe (Wu et al., SOSP'24, arXiv 2404.09526: "efficiently serving long-context large
//! language models with elastic sequence parallelism"). Its mechanism is elastic sequence
//! parallelism (ESP): the degree of sequence parallelism of each request is chosen per
//! iteration — a long prefill **scales out** over as many elastic instances as are free (it is
//! compute-bound, so more instances prefill it faster), and its decode **scales in** to the
//! fewest instances that hold its KV cache (decode is memory-bound: more instances buy little),
//! the others released to other requests. Its proactive scale-down migrates the KV during the
//! prefill to the instances that will decode, so the scale-in costs little.
//!
//! Here, on the common dispatch and engine ([`super::ElasticSp`]):
//! - **Scale-out** is the group chosen at dispatch: FIFO's placement
//!   ([`super::placement::in_arrival_order`], the common long rule for its `k` replicas), and,
//!   when that group is free of long work, up to `max_prefill_degree − k` more replicas that
//!   are idle (free of long work, nothing queued or running;
//!   [`super::placement::working::Working::scale_out`]), on the group's nodes first. The
//!   prefill over the larger group is priced by the SP model like any group.
//! - **Scale-in** is the engine's move of a long job at the end of its prefill
//!   (`sim/long_move.rs`): the job keeps the fewest of its members that hold its KV
//!   ([`crate::sched::Sizing::decode_group_size`]) and frees the rest; the KV of the members
//!   released streams to the ones kept layer by layer behind the prefill
//!   ([`crate::perf::PerfModel::sharded_kv_move_exposed_time`]) and only its exposed part delays
//!   the first decode step — LoongServe's proactive scale-down writes that KV during the
//!   prefill, which the layer-wise overlap models.
//! - Long prefills run exclusively on their group and long decodes batch with short work, as
//!   the baselines (ring attention); short requests are placed as FIFO places them.
//!
//! Approximations (ARCHITECTURE.md, "Decisions"): the degree is chosen twice per request (at
//! dispatch and at the end of the prefill), not per iteration; a group does not grow once its
//! prefill started; decode is on one group (no multi-master decoding across instances that
//! each hold part of several requests' KV).

use super::placement::in_arrival_order;
use super::placement::working::{LongCandidates, Working};
use super::{Decision, ElasticSp, EngineRules, LongStatus, Policy, PolicyKind, View};
use crate::metrics::Class;
use std::num::NonZeroU32;

/// The LoongServe policy.
#[derive(Clone, Copy, Debug)]
pub struct LoongServe {
    /// The largest group a long prefill scales out to.
    pub max_prefill_degree: NonZeroU32,
}

impl Policy for LoongServe {
    fn kind(&self) -> PolicyKind {
        PolicyKind::LoongServe
    }

    fn rules(&self) -> EngineRules {
        EngineRules {
            elastic_sp: Some(ElasticSp {
                max_prefill_degree: self.max_prefill_degree,
            }),
            ..EngineRules::BASELINE
        }
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        // FIFO's placement rules, the scale-out on top.
        use super::fifo::{long_ok, short_ok, short_slots};
        let mut w = Working::new(view);
        let max = self.max_prefill_degree.get();
        in_arrival_order(view, out, |req, class| match class {
            Class::Short => w.place_short(req, short_slots, short_ok),
            Class::Long => {
                let Decision::Long { replicas, .. } =
                    w.place_long(req, LongCandidates::Any, long_ok)?
                else {
                    unreachable!("a long placement")
                };
                // Scale out only a group that can start now (every member was free of long
                // work: none has a long request ahead of this one).
                let free_group = replicas.iter().all(|&g| {
                    let r = w.get(g);
                    r.long == LongStatus::Pending && r.long_waiting == 0
                });
                let k = replicas.len() as u32;
                let extra = if free_group { max.saturating_sub(k) } else { 0 };
                let input = view.request(req).input_tokens as u64;
                let replicas = w.scale_out(replicas, input, extra, long_ok);
                Some(Decision::Long { req, replicas })
            }
        });
    }
}
