//! Reservation (isolation), as in Llumnix: a pool of replicas big enough for one 500K-token
//! input serves long requests only; every other replica serves short requests only. Within each
//! pool requests are served first come, first served.

use super::placement::{choose_group, shortest_queue};
use super::{Decision, Policy, PolicyKind, View};
use crate::metrics::Class;
use crate::policy::LongStatus;
use crate::sim::config::EngineRules;

/// Input length the reserved pool is sized for (the paper: 500K tokens).
pub const RESERVED_FOR_INPUT_TOKENS: u32 = 500_000;
/// Output length assumed when sizing the reserved pool (above every trace's maximum output).
pub const RESERVED_FOR_OUTPUT_TOKENS: u32 = 2_048;

/// The reservation policy.
#[derive(Clone, Debug, Default)]
pub struct Reservation {
    reserved: Vec<bool>,
}

impl Reservation {
    /// Replicas reserved for long requests (after `init`).
    pub fn reserved(&self) -> impl Iterator<Item = u32> + '_ {
        self.reserved
            .iter()
            .enumerate()
            .filter(|(_, r)| **r)
            .map(|(i, _)| i as u32)
    }
}

impl Policy for Reservation {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Reservation
    }

    fn rules(&self) -> EngineRules {
        super::Fifo.rules()
    }

    fn init(&mut self, view: &View<'_>) {
        let k = view.sp_degree_for(RESERVED_FOR_INPUT_TOKENS, RESERVED_FOR_OUTPUT_TOKENS);
        // The pool takes the first replicas (node 0 upwards): same node first, as for any group.
        let usable = view.replicas().filter(|r| !r.decode_only).count() as u32;
        // At least one replica must stay for short requests; with fewer than two replicas no
        // pool is reserved and long requests are rejected (see `long_group_limit`).
        let k = k.min(usable.saturating_sub(1));
        self.reserved = (0..view.replica_count()).map(|i| i < k).collect();
    }

    fn long_group_limit(&self) -> Option<u32> {
        Some(self.reserved.iter().filter(|r| **r).count() as u32)
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut infos: Vec<_> = view.replicas().collect();
        let mut load: Vec<u64> = infos.iter().map(|r| r.queued_tokens).collect();
        let cap = view.config().local_queue_cap_tokens as u64;
        for req in view.queue(Class::Short) {
            let target = shortest_queue(
                infos.iter().copied().filter(|r| {
                    !self.reserved[r.id as usize] && !r.decode_only && load[r.id as usize] < cap
                }),
                &load,
            );
            let Some(replica) = target else { break };
            load[replica as usize] += view.request(req).input_tokens as u64;
            out.push(Decision::Short { req, replica });
        }
        for req in view.queue(Class::Long) {
            let free: Vec<_> = infos
                .iter()
                .copied()
                .filter(|r| self.reserved[r.id as usize] && r.long == LongStatus::Free)
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
