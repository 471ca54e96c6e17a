//! PecSched (Zhang & Shen; paper §2): preemptive and efficient scheduling.
//!
//! A short request goes, in this order of preference (the paper's Fig. 6, paper §2.3), to
//! 1. the least-loaded replica hosting no long request (②);
//! 2. a replica decoding a long request, batched into its decode steps under a per-GPU token cap
//!    (colocation, ③④);
//! 3. a replica running (or about to run) a long prefill, which pauses at its next kernel
//!    boundary while the short prefills run, token-balanced across its group (preemption, ⑤;
//!    paper §2.4).
//!
//! Short prefills hand their KV layer by layer to a few decode-only replicas (disaggregation,
//! ⑥; paper §2.5). A long request takes replicas that host no other long request, same node
//! first, and its prefill uses fast sequence parallelism (paper §2.7). Each mechanism can be
//! switched off (the ablations, paper §3.6).

use super::placement::choose_group;
use super::{
    Decision, DecodePool, EngineRules, LongDecode, LongPrefill, LongStatus, Policy, PolicyKind,
    ReplicaInfo, View,
};
use crate::metrics::Class;
use crate::perf::SpMode;
use crate::sched::colocation::ColocationCap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

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
    pub decode_replicas: NonZeroU32,
    /// Colocation cap: short-prefill tokens per GPU in one long-decode step.
    pub colocation_cap: ColocationCap,
}

impl Policy for PecSched {
    fn kind(&self) -> PolicyKind {
        self.kind
    }

    fn rules(&self) -> EngineRules {
        let m = self.mechanisms;
        EngineRules {
            long_prefill: if m.preemption {
                LongPrefill::Yield
            } else {
                LongPrefill::Exclusive
            },
            long_decode: if m.colocation {
                LongDecode::Batch {
                    prefill_cap: Some(self.colocation_cap),
                }
            } else {
                LongDecode::Yield
            },
            disaggregation: m.disaggregation.then_some(DecodePool {
                replicas: self.decode_replicas,
                // PecSched disaggregates short requests only (paper §2.5).
                long_requests: false,
            }),
            sp_mode: if m.fast_sp {
                SpMode::Fast
            } else {
                SpMode::RingOnly
            },
            elastic_sp: None,
        }
    }

    fn dispatch(&mut self, view: &View<'_>, out: &mut Vec<Decision>) {
        let preemption = self.mechanisms.preemption;
        // Tokens this call has added to replicas' queues so far.
        let mut added: BTreeMap<u32, u64> = BTreeMap::new();
        // Snapshots of every replica and their queues as the call began, built only if a long
        // request needs more than the long-free index.
        let mut snapshot: Option<(Vec<ReplicaInfo>, Vec<u64>)> = None;
        const COLOCATE: &[LongStatus] = &[LongStatus::Decoding, LongStatus::DecodePaused];
        const PREEMPT: &[LongStatus] = &[
            LongStatus::PrefillRunning,
            LongStatus::PrefillPaused,
            LongStatus::Pending,
        ];
        // Short requests first (each class in arrival order; classes use disjoint resources
        // except that a long request's group stops being long-free).
        for req in view.queue(Class::Short) {
            let target = least_loaded_long_free(view, &added)
                .or_else(|| shortest_with_status(view, &added, COLOCATE))
                .or_else(|| {
                    preemption
                        .then(|| shortest_with_status(view, &added, PREEMPT))
                        .flatten()
                });
            let Some(replica) = target else { break };
            *added.entry(replica).or_default() += view.request(req).input_tokens as u64;
            out.push(Decision::Short { req, replica });
        }
        if view.queue(Class::Long).next().is_none() {
            return;
        }
        let mut taken: BTreeSet<u32> = BTreeSet::new();
        // Long input tokens this call has sent to each replica.
        let mut long_added: BTreeMap<u32, u64> = BTreeMap::new();
        for req in view.queue(Class::Long) {
            let k = view.sp_degree(req);
            let group = match group_from_index(view, k, &added, &taken) {
                Some(g) => g,
                None => {
                    // Fewer than k long-free replicas: the request joins the local queues of
                    // the group with the smallest load, long requests counted (the common
                    // rule, docs/paper.md §3.4), and starts when it heads all of them.
                    let (infos, base) = snapshot.get_or_insert_with(|| take_snapshot(view));
                    let at = |m: &BTreeMap<u32, u64>, id: u32| m.get(&id).copied().unwrap_or(0);
                    let loaded: Vec<ReplicaInfo> = infos
                        .iter()
                        .filter(|r| !r.decode_only)
                        .map(|r| ReplicaInfo {
                            queued_tokens: base[r.id as usize]
                                + at(&added, r.id)
                                + r.long_tokens
                                + at(&long_added, r.id),
                            ..*r
                        })
                        .collect();
                    let Some(g) = choose_group(&loaded, k) else {
                        return;
                    };
                    g
                }
            };
            let input = view.request(req).input_tokens as u64;
            for &g in &group {
                *long_added.entry(g).or_default() += input;
            }
            taken.extend(group.iter().copied());
            out.push(Decision::Long {
                req,
                replicas: group,
            });
        }
    }
}

/// The paper's placement rule for a long request (same node first, smallest summed queue) over
/// the engine's per-node index of long-free replicas: one node if any has `k`, else the nodes
/// with the most long-free replicas first, each giving its least loaded. O(nodes · k) instead
/// of a scan of every replica.
fn group_from_index(
    view: &View<'_>,
    k: u32,
    added: &BTreeMap<u32, u64>,
    taken: &BTreeSet<u32>,
) -> Option<Vec<u32>> {
    let eff = |(l, id): (u64, u32)| (l + added.get(&id).copied().unwrap_or(0), id);
    // The k least loaded usable replicas of a node (loads including this call's additions).
    let best_k = |node: u32| -> Vec<(u64, u32)> {
        let extra = added.len() + taken.len();
        let mut v: Vec<(u64, u32)> = view
            .long_free_on_node(node)
            .filter(|(_, id)| !taken.contains(id))
            .take(k as usize + extra)
            .map(eff)
            .collect();
        v.sort_unstable();
        v.truncate(k as usize);
        v
    };
    let mut single: Option<(u64, u32)> = None;
    for node in 0..view.nodes() {
        if view.long_free_count(node) < k {
            continue;
        }
        let sum = if added.is_empty() && taken.is_empty() {
            // Common case: no allocation, the index order is the load order.
            Some(
                view.long_free_on_node(node)
                    .take(k as usize)
                    .map(|x| x.0)
                    .sum::<u64>(),
            )
        } else {
            let v = best_k(node);
            (v.len() as u32 == k).then(|| v.iter().map(|x| x.0).sum::<u64>())
        };
        if let Some(sum) = sum
            && single.is_none_or(|s| (sum, node) < s)
        {
            single = Some((sum, node));
            if sum == 0 {
                break; // nothing beats an empty node, and lower node ids win ties
            }
        }
    }
    let mut picked: Vec<(u32, u32)> = Vec::with_capacity(k as usize);
    if let Some((_, node)) = single {
        picked.extend(best_k(node).into_iter().map(|(_, id)| (node, id)));
    } else {
        let mut nodes: Vec<(u32, u32)> = (0..view.nodes())
            .map(|n| (view.long_free_count(n), n))
            .filter(|x| x.0 > 0)
            .collect();
        nodes.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        'outer: for (_, node) in nodes {
            let mut v: Vec<(u64, u32)> = view
                .long_free_on_node(node)
                .filter(|(_, id)| !taken.contains(id))
                .map(eff)
                .collect();
            v.sort_unstable();
            for (_, id) in v {
                picked.push((node, id));
                if picked.len() as u32 == k {
                    break 'outer;
                }
            }
        }
        if (picked.len() as u32) < k {
            return None;
        }
    }
    picked.sort_unstable();
    Some(picked.into_iter().map(|(_, id)| id).collect())
}

/// The replica open for short work whose long status is one of `statuses`, with the smallest
/// queue (this call's additions included), lowest id on ties — what
/// [`super::placement::shortest_open`] picks over a snapshot of every replica, found by walking
/// the engine's status index from each slot's least-loaded entry (O(slots · log R) plus the
/// replicas this call has sent work to). Statuses do not change during the short requests'
/// placement, only queues.
fn shortest_with_status(
    view: &View<'_>,
    added: &BTreeMap<u32, u64>,
    statuses: &[LongStatus],
) -> Option<u32> {
    let mut best: Option<(u64, u32)> = None;
    for &long in statuses {
        for waiting in [false, true] {
            for (q, id) in view.by_status(long, waiting) {
                if !view.accepting(q) || best.is_some_and(|b| (q, id) > b) {
                    break;
                }
                if !added.contains_key(&id) {
                    best = Some((q, id));
                    break;
                }
            }
        }
    }
    for (&id, &t) in added {
        let r = view.replica(id);
        let key = (r.queued_tokens + t, id);
        if !r.decode_only
            && statuses.contains(&r.long)
            && view.accepting(key.0)
            && best.is_none_or(|b| key < b)
        {
            best = Some(key);
        }
    }
    best.map(|(_, id)| id)
}

/// Every replica's snapshot, and each one's queue as the call began.
fn take_snapshot(view: &View<'_>) -> (Vec<ReplicaInfo>, Vec<u64>) {
    let infos: Vec<_> = view.replicas().collect();
    let base = infos.iter().map(|r| r.queued_tokens).collect();
    (infos, base)
}

/// The accepting long-free replica with the smallest queue (this call's additions included),
/// lowest id on ties: a walk of the engine's load index that stops as soon as no later entry
/// can win, so it is O(log R) in the common case.
fn least_loaded_long_free(view: &View<'_>, added: &BTreeMap<u32, u64>) -> Option<u32> {
    let mut best: Option<(u64, u32)> = None;
    for (base, id) in view.long_free_by_load() {
        // The index is in (load, id) order: once one entry does not accept, none after it does;
        // once an entry's own (load, id) is above the best, no later one can win (this call's
        // additions only grow a queue).
        if !view.accepting(base) || best.is_some_and(|b| (base, id) > b) {
            break;
        }
        let eff = base + added.get(&id).copied().unwrap_or(0);
        if view.accepting(eff) && best.is_none_or(|b| (eff, id) < b) {
            best = Some((eff, id));
        }
    }
    best.map(|(_, id)| id)
}
