//! Priority, as in Past-Future: one shared pool; short requests have high priority, long-input
//! requests low priority. Short requests are placed first (in arrival order); a long request is
//! placed only when no short request waits and enough replicas are completely idle — it runs on
//! spare capacity only, so under sustained short load it starves, which is measured, not hidden.

use super::placement::{choose_group, shortest_queue};
use super::{Decision, Policy, PolicyKind, View};
use crate::metrics::Class;
use crate::policy::LongStatus;
use crate::sim::config::EngineRules;

/// The priority policy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Priority;

impl Policy for Priority {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Priority
    }

    fn rules(&self) -> EngineRules {
        super::Fifo.rules()
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let mut infos: Vec<_> = view.replicas().collect();
        let mut load: Vec<u64> = infos.iter().map(|r| r.queued_tokens).collect();
        let cap = view.config().local_queue_cap_tokens as u64;
        let mut short_waiting = false;
        for req in view
            .global_queue()
            .filter(|&r| view.class(r) == Class::Short)
        {
            let target = shortest_queue(
                infos.iter().copied().filter(|r| {
                    !r.decode_only
                        && load[r.id as usize] < cap
                        && matches!(r.long, LongStatus::Free | LongStatus::Decoding)
                }),
                &load,
            );
            let Some(replica) = target else {
                short_waiting = true;
                break;
            };
            load[replica as usize] += view.request(req).input_tokens as u64;
            infos[replica as usize].queued_tokens += view.request(req).input_tokens as u64;
            out.push(Decision::Short { req, replica });
        }
        if short_waiting {
            return;
        }
        for req in view
            .global_queue()
            .filter(|&r| view.class(r) == Class::Long)
        {
            let idle: Vec<_> = infos
                .iter()
                .copied()
                .filter(|r| !r.decode_only && r.idle())
                .collect();
            let Some(group) = choose_group(&idle, view.sp_degree(req), &load) else {
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
