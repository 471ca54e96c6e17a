//! FIFO, as in vLLM (paper §1.3), over the common dispatch of every policy (docs/paper.md
//! §2.3, §3.4): the global queue feeds per-replica local FIFO queues at once. A short request
//! goes to the shortest token queue; a long request takes the replicas no other long request
//! uses (same node first, smallest summed queue), reserves them immediately and runs its
//! prefill exclusively on them with ring-attention sequence parallelism. Long decodes batch
//! with short work like any sequence.
//!
//! A long request that cannot be placed yet (too few replicas free of long work: the engine
//! gives a replica to one long request at a time) stays in the global queue, and later long
//! requests stay behind it (first come, first served among the requests that compete for the
//! same replicas); short requests behind it are still dispatched to other replicas' local
//! queues. The paper describes no global head-of-line blocking: in its model the long request
//! would already sit in k local queues, and a short request arriving after it would join the
//! shortest queue elsewhere.
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
        // Set once a long request could not be placed: the long requests behind it wait too.
        let mut long_blocked = false;
        // Set once a short request could not be placed: no replica accepts short work now.
        let mut short_blocked = false;
        for req in view.global_queue() {
            let placed = match view.class(req) {
                Class::Short if !short_blocked => place_short(view, req, &mut infos, |r| {
                    matches!(r.long, LongStatus::Free | LongStatus::Decoding)
                }),
                Class::Long if !long_blocked => place_long(view, req, &mut infos, |r| {
                    !r.decode_only && r.long == LongStatus::Free
                }),
                _ => None,
            };
            match placed {
                Some(d) => out.push(d),
                None => match view.class(req) {
                    Class::Short => short_blocked = true,
                    Class::Long => long_blocked = true,
                },
            }
            if short_blocked && long_blocked {
                return;
            }
        }
    }
}
