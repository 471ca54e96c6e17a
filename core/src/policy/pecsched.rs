//! PecSched (Zhang & Shen, §5 of the paper; digest §2): preemptive and efficient scheduling.
//!
//! A short request goes, in this order of preference (Fig. 6 of the paper), to
//! 1. the least-loaded replica hosting no long request (②);
//! 2. a replica decoding a long request, batched into its decode steps under a per-GPU token cap
//!    (colocation, ③④);
//! 3. a replica running (or about to run) a long prefill, which pauses at its next kernel
//!    boundary while the short prefills run, token-balanced across its group (preemption, ⑤).
//!
//! Short prefills hand their KV layer by layer to a few decode-only replicas (disaggregation,
//! ⑥). A long request takes replicas that host no other long request, same node first, and its
//! prefill uses fast sequence parallelism. Each mechanism can be switched off (the ablations).

use super::placement::{choose_group, shortest_queue};
use super::{Decision, Policy, PolicyKind, ReplicaInfo, View};
use crate::metrics::Class;
use crate::perf::SpMode;
use crate::policy::LongStatus;
use crate::sim::config::{EngineRules, PhaseMode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which PecSched mechanisms are on (all on = PecSched; one off = an ablation of the paper).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mechanisms {
    /// Short prefills pause long prefills (off = /PE).
    pub preemption: bool,
    /// Short requests decode on decode-only replicas (off = /Dis).
    pub disaggregation: bool,
    /// Short prefills batch with long decodes (off = /CoL: they pause the decode instead).
    pub colocation: bool,
    /// Fast sequence parallelism (off = /FSP: ring attention + TP only).
    pub fast_sp: bool,
}

impl Mechanisms {
    /// All mechanisms on.
    pub const ALL_ON: Mechanisms = Mechanisms {
        preemption: true,
        disaggregation: true,
        colocation: true,
        fast_sp: true,
    };
}

/// The PecSched policy (or one of its ablations).
#[derive(Clone, Copy, Debug)]
pub struct PecSched {
    /// Which policy id this instance reports.
    pub kind: PolicyKind,
    /// Mechanisms switched on.
    pub mechanisms: Mechanisms,
    /// Decode-only replicas (used when disaggregation is on).
    pub decode_replicas: u32,
    /// Colocation cap: short-prefill tokens per GPU in one long-decode step.
    pub colocation_cap_tokens_per_gpu: u32,
}

impl Policy for PecSched {
    fn kind(&self) -> PolicyKind {
        self.kind
    }

    fn rules(&self) -> EngineRules {
        let m = self.mechanisms;
        EngineRules {
            long_prefill: if m.preemption {
                PhaseMode::Yield
            } else {
                PhaseMode::Exclusive
            },
            long_decode: if m.colocation {
                PhaseMode::Batch
            } else {
                PhaseMode::Yield
            },
            disaggregate: m.disaggregation,
            decode_replicas: if m.disaggregation {
                self.decode_replicas
            } else {
                0
            },
            sp_mode: if m.fast_sp {
                SpMode::Fast
            } else {
                SpMode::RingOnly
            },
            colocation_cap_tokens_per_gpu: m
                .colocation
                .then_some(self.colocation_cap_tokens_per_gpu),
        }
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let cap = view.config().local_queue_cap_tokens as u64;
        let preemption = self.mechanisms.preemption;
        // Tokens this call has added to replicas' queues so far.
        let mut added: BTreeMap<u32, u64> = BTreeMap::new();
        // Snapshots of every replica, built only if a request needs more than the index.
        let mut snapshot: Option<(Vec<ReplicaInfo>, Vec<u64>)> = None;
        // Short requests first (each class in arrival order; classes use disjoint resources
        // except that a long request's group stops being long-free).
        for req in view.queue(Class::Short) {
            let target = least_loaded_long_free(view, &added, cap).or_else(|| {
                let (infos, load) = snapshot.get_or_insert_with(|| take_snapshot(view));
                for (&id, &t) in &added {
                    load[id as usize] = infos[id as usize].queued_tokens + t;
                }
                let open = |r: &ReplicaInfo| !r.decode_only && load[r.id as usize] < cap;
                let colocate =
                    |s: LongStatus| matches!(s, LongStatus::Decoding | LongStatus::DecodePaused);
                let preempt = |s: LongStatus| {
                    preemption
                        && matches!(
                            s,
                            LongStatus::PrefillRunning
                                | LongStatus::PrefillPaused
                                | LongStatus::Pending
                        )
                };
                shortest_queue(
                    infos
                        .iter()
                        .copied()
                        .filter(|r| open(r) && colocate(r.long)),
                    load,
                )
                .or_else(|| {
                    shortest_queue(
                        infos.iter().copied().filter(|r| open(r) && preempt(r.long)),
                        load,
                    )
                })
            });
            let Some(replica) = target else { break };
            *added.entry(replica).or_default() += view.request(req).input_tokens as u64;
            out.push(Decision::Short { req, replica });
        }
        if view.queue(Class::Long).next().is_none() {
            return;
        }
        let (infos, load) = snapshot.get_or_insert_with(|| take_snapshot(view));
        for (&id, &t) in &added {
            load[id as usize] = infos[id as usize].queued_tokens + t;
        }
        for req in view.queue(Class::Long) {
            let free: Vec<_> = infos
                .iter()
                .copied()
                .filter(|r| !r.decode_only && r.long == LongStatus::Free)
                .collect();
            let Some(group) = choose_group(&free, view.sp_degree(req), load) else {
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

fn take_snapshot(view: &View<'_>) -> (Vec<ReplicaInfo>, Vec<u64>) {
    let infos: Vec<_> = view.replicas().collect();
    let load = infos.iter().map(|r| r.queued_tokens).collect();
    (infos, load)
}

/// The long-free replica with the smallest queue (this call's additions included) below the
/// cap, lowest id on ties: a walk of the engine's load index that stops as soon as no later
/// entry can win, so it is O(log R) in the common case.
fn least_loaded_long_free(view: &View<'_>, added: &BTreeMap<u32, u64>, cap: u64) -> Option<u32> {
    let mut best: Option<(u64, u32)> = None;
    for (base, id) in view.long_free_by_load() {
        if base >= cap || best.is_some_and(|(b, _)| base > b) {
            break;
        }
        let eff = base + added.get(&id).copied().unwrap_or(0);
        if eff < cap && best.is_none_or(|b| (eff, id) < b) {
            best = Some((eff, id));
        }
    }
    best.map(|(_, id)| id)
}
