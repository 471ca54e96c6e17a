//! FIFO, as in vLLM: one shared pool, strict arrival order. The head of the global queue must
//! be placed before anything behind it; a long request takes the replicas no other long request
//! uses (same node first, smallest summed queue) and runs its prefill exclusively on them, with
//! ring-attention sequence parallelism. Long decodes batch with short work like any sequence.

use super::placement::{choose_group, shortest_queue};
use super::{Decision, Policy, PolicyKind, View};
use crate::metrics::Class;
use crate::perf::SpMode;
use crate::policy::LongStatus;
use crate::sim::config::{EngineRules, PhaseMode};

/// The FIFO policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

impl Policy for Fifo {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Fifo
    }

    fn rules(&self) -> EngineRules {
        EngineRules {
            long_prefill: PhaseMode::Exclusive,
            long_decode: PhaseMode::Batch,
            disaggregate: false,
            decode_replicas: 0,
            sp_mode: SpMode::RingOnly,
            colocation_cap_tokens_per_gpu: None,
        }
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut infos: Vec<_> = view.replicas().collect();
        let mut load: Vec<u64> = infos.iter().map(|r| r.queued_tokens).collect();
        for req in view.global_queue() {
            match view.class(req) {
                Class::Short => {
                    let target = shortest_queue(
                        infos.iter().copied().filter(|r| {
                            !r.decode_only
                                && load[r.id as usize] < view.config().local_queue_cap_tokens as u64
                                && matches!(r.long, LongStatus::Free | LongStatus::Decoding)
                        }),
                        &load,
                    );
                    let Some(replica) = target else { return };
                    load[replica as usize] += view.request(req).input_tokens as u64;
                    out.push(Decision::Short { req, replica });
                }
                Class::Long => {
                    let free: Vec<_> = infos
                        .iter()
                        .copied()
                        .filter(|r| !r.decode_only && r.long == LongStatus::Free)
                        .collect();
                    let Some(group) = choose_group(&free, view.sp_degree(req), &load) else {
                        return;
                    };
                    for &g in &group {
                        infos[g as usize].long = LongStatus::Pending;
                    }
                    out.push(Decision::Long {
                        req,
                        replicas: group,
                    });
                }
            }
        }
    }
}
