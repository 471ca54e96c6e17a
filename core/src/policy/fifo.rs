//! FIFO, as in vLLM (paper §1.3): one shared pool, strict arrival order. The head of the global
//! queue must be placed before anything behind it; a long request takes the replicas no other
//! long request uses (same node first, smallest summed queue) and runs its prefill exclusively
//! on them, with ring-attention sequence parallelism. Long decodes batch with short work like
//! any sequence.

use super::placement::{place_long, place_short};
use super::{Decision, EngineRules, LongStatus, Policy, PolicyKind, View};
use crate::metrics::Class;

/// The FIFO policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fifo;

impl Policy for Fifo {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Fifo
    }

    fn rules(&self) -> EngineRules {
        EngineRules::BASELINE
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut infos: Vec<_> = view.replicas().collect();
        for req in view.global_queue() {
            let placed = match view.class(req) {
                Class::Short => place_short(view, req, &mut infos, |r| {
                    matches!(r.long, LongStatus::Free | LongStatus::Decoding)
                }),
                Class::Long => place_long(view, req, &mut infos, |r| {
                    !r.decode_only && r.long == LongStatus::Free
                }),
            };
            let Some(d) = placed else { return };
            out.push(d);
        }
    }
}
