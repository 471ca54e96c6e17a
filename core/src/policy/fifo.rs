//! FIFO, as in vLLM (paper §1.3), over the common dispatch of every policy (docs/paper.md
//! §2.3, §3.4): the global queue feeds per-replica local FIFO queues at once. A short request
//! goes to the shortest token queue; a long request joins the local queues of its group (same
//! node first, smallest summed queue: [`super::placement::place_long`]) at once, starts when it
//! heads all of them and runs its prefill exclusively on them with ring-attention sequence
//! parallelism. Long decodes batch with short work like any sequence.
//!
//! Local FIFO order: a replica whose queue holds a long request that has not started yet
//! (pending, or waiting behind another long request) takes no new short request — it would
//! wait behind the long one, and the shortest-token-queue rule sees that queue as holding the
//! long request's tokens. Nothing waits in the global queue while a replica can take it.
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
        // Set once a long request could not be placed (fewer replicas than it needs, which
        // set-up rejects): the long requests behind it wait too.
        let mut long_blocked = false;
        // Set once a short request could not be placed: no replica accepts short work now.
        let mut short_blocked = false;
        for req in view.global_queue() {
            let placed = match view.class(req) {
                Class::Short if !short_blocked => place_short(view, req, &mut infos, |r| {
                    matches!(r.long, LongStatus::Free | LongStatus::Decoding) && r.long_waiting == 0
                }),
                Class::Long if !long_blocked => {
                    place_long(view, req, &mut infos, |r| !r.decode_only)
                }
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
