//! The paper's common placement rules (docs/paper.md §2.3, §3.4), shared by every policy: a
//! short request goes to the replica with the shortest local queue in tokens; a long request
//! gets replicas on as few nodes as possible, choosing the set with the smallest summed queue,
//! and joins their local queues at once. Replicas free of long work come first (a group that
//! can start now); when fewer than `k` exist, the group is chosen among all the policy's
//! replicas by their load counting the long requests already there
//! ([`ReplicaInfo::long_load`]), and the request waits until it heads every member's queue.
//!
//! The functions work on a policy's working copy of the replicas' snapshots, in which
//! `queued_tokens` already counts what this dispatch call has sent (so a call spreads its
//! requests as the queues fill).

use super::{Decision, LongStatus, ReplicaInfo, View};
use crate::metrics::Class;

pub mod working;

/// Whether replica `r` may take a short request now: it is not decode-only and its local queue
/// is accepting ([`View::accepting`]).
pub fn open_for_short(view: &View<'_>, r: &ReplicaInfo) -> bool {
    !r.decode_only && view.accepting(r.queued_tokens)
}

/// The candidate with the smallest queue, lowest id on ties.
pub fn shortest_queue(candidates: impl Iterator<Item = ReplicaInfo>) -> Option<u32> {
    candidates
        .min_by_key(|r| (r.queued_tokens, r.id))
        .map(|r| r.id)
}

/// The replica of `infos` open for short work ([`open_for_short`]) that passes `eligible`,
/// with the shortest queue.
pub fn shortest_open(
    view: &View<'_>,
    infos: &[ReplicaInfo],
    eligible: impl Fn(&ReplicaInfo) -> bool,
) -> Option<u32> {
    shortest_queue(
        infos
            .iter()
            .copied()
            .filter(|r| open_for_short(view, r) && eligible(r)),
    )
}

/// Sends short request `req` to the replica [`shortest_open`] picks and counts its input tokens
/// in that replica's queue; `None` if no replica qualifies.
pub fn place_short(
    view: &View<'_>,
    req: u32,
    infos: &mut [ReplicaInfo],
    eligible: impl Fn(&ReplicaInfo) -> bool,
) -> Option<Decision> {
    let replica = shortest_open(view, infos, eligible)?;
    infos[replica as usize].queued_tokens += view.request(req).input_tokens as u64;
    Some(Decision::Short { req, replica })
}

/// Sends long request `req` to the group [`long_group`] picks among the replicas of `infos`
/// that pass `eligible`, and counts it in `infos` (the group's replicas are no longer free of
/// long work); `None` if fewer than `k` replicas qualify.
pub fn place_long(
    view: &View<'_>,
    req: u32,
    infos: &mut [ReplicaInfo],
    eligible: impl Fn(&ReplicaInfo) -> bool,
) -> Option<Decision> {
    let group = long_group(infos, view.sp_degree(req), eligible)?;
    let input = view.request(req).input_tokens as u64;
    for &g in &group {
        let r = &mut infos[g as usize];
        if r.long == LongStatus::Free {
            r.long = LongStatus::Pending;
        } else {
            r.long_waiting += 1;
        }
        r.long_tokens += input;
    }
    Some(Decision::Long {
        req,
        replicas: group,
    })
}

/// The group of `k` replicas for a long request among those of `infos` that pass `eligible`:
/// [`choose_group`] over the ones free of long work if `k` of them are, else over all of them
/// by [`ReplicaInfo::long_load`] (the request then waits in their queues behind the long
/// requests there).
pub fn long_group(
    infos: &[ReplicaInfo],
    k: u32,
    eligible: impl Fn(&ReplicaInfo) -> bool,
) -> Option<Vec<u32>> {
    let free: Vec<_> = infos
        .iter()
        .copied()
        .filter(|r| eligible(r) && r.long == LongStatus::Free)
        .collect();
    choose_group(&free, k).or_else(|| {
        let busy: Vec<_> = infos
            .iter()
            .filter(|r| eligible(r))
            .map(|r| ReplicaInfo {
                queued_tokens: r.long_load(),
                ..*r
            })
            .collect();
        choose_group(&busy, k)
    })
}

/// Picks `k` replicas among `candidates` for a long request: same node first (the fewest nodes
/// possible), and among those the smallest summed queue. Returns replica ids sorted by node then
/// id, or `None` if fewer than `k` candidates exist.
///
/// Exact minimisation over all node subsets is exponential; the rule used here is exact for a
/// single node (best k within the best node) and greedy across nodes: nodes are taken in order
/// of most candidates, then least load, each contributing its least-loaded replicas.
pub fn choose_group(candidates: &[ReplicaInfo], k: u32) -> Option<Vec<u32>> {
    if k == 0 || (candidates.len() as u32) < k {
        return None;
    }
    // Candidates by node, each node's least loaded first (one sort, no per-node allocation:
    // this runs over every replica when a long request must wait, 2,048 at 8,192 GPUs).
    let mut c: Vec<(u32, u64, u32)> = candidates
        .iter()
        .map(|r| (r.node, r.queued_tokens, r.id))
        .collect();
    c.sort_unstable();
    // Each node's run of candidates: (start, end) in `c`, in node order.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, x) in c.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if c[run.0].0 == x.0 => run.1 = i + 1,
            _ => runs.push((i, i + 1)),
        }
    }
    let k_us = k as usize;
    let sum = |run: &[(u32, u64, u32)]| run.iter().map(|x| x.1).sum::<u64>();
    // One node suffices? The node whose k least loaded sum least (lowest node on ties).
    let best_single = runs
        .iter()
        .filter(|&&(a, b)| b - a >= k_us)
        .map(|&(a, _)| (sum(&c[a..a + k_us]), c[a].0, a))
        .min();
    let mut picked: Vec<(u32, u32)> = Vec::with_capacity(k_us);
    if let Some((_, node, a)) = best_single {
        picked.extend(c[a..a + k_us].iter().map(|x| (node, x.2)));
    } else {
        // Nodes with the most candidates first, then the least summed load, then node id.
        let mut nodes: Vec<(usize, u64, u32, usize)> = runs
            .iter()
            .map(|&(a, b)| (b - a, sum(&c[a..b]), c[a].0, a))
            .collect();
        nodes.sort_unstable_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        'outer: for (len, _, node, a) in nodes {
            for x in &c[a..a + len] {
                picked.push((node, x.2));
                if picked.len() == k_us {
                    break 'outer;
                }
            }
        }
    }
    picked.sort_unstable();
    Some(picked.into_iter().map(|(_, id)| id).collect())
}

/// Dispatches the global queue in arrival order across both classes until `place` fails for
/// one class (no replica takes a short request now, or no group a long one); then only the
/// other class's queue, from where the merged walk stopped (found by binary search), until it
/// fails too. A blocked class stops only itself, and its backlog is not walked again on every
/// call. FIFO's order, and every policy built on it.
pub fn in_arrival_order<P>(view: &View<'_>, out: &mut Vec<Decision>, mut place: P)
where
    P: FnMut(u32, Class) -> Option<Decision>,
{
    let mut last = None;
    let mut blocked = None;
    for req in view.global_queue() {
        let class = view.class(req);
        match place(req, class) {
            Some(d) => out.push(d),
            None => {
                blocked = Some(class);
                break;
            }
        }
        last = Some(req);
    }
    let Some(blocked) = blocked else { return };
    let other = match blocked {
        Class::Short => Class::Long,
        Class::Long => Class::Short,
    };
    for req in view.queue_after(other, last) {
        let Some(d) = place(req, other) else { return };
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule as first written (a map of per-node lists): the reference `choose_group` must
    /// agree with.
    fn reference_choose_group(candidates: &[ReplicaInfo], k: u32) -> Option<Vec<u32>> {
        if k == 0 || (candidates.len() as u32) < k {
            return None;
        }
        // Group candidates by node (BTreeMap: deterministic order).
        let mut by_node: std::collections::BTreeMap<u32, Vec<(u64, u32)>> = Default::default();
        for c in candidates {
            by_node
                .entry(c.node)
                .or_default()
                .push((c.queued_tokens, c.id));
        }
        for v in by_node.values_mut() {
            v.sort_unstable();
        }
        // One node suffices?
        let best_single = by_node
            .iter()
            .filter(|(_, v)| v.len() as u32 >= k)
            .map(|(node, v)| (v[..k as usize].iter().map(|x| x.0).sum::<u64>(), *node))
            .min();
        let mut picked: Vec<(u32, u32)> = Vec::with_capacity(k as usize);
        if let Some((_, node)) = best_single {
            picked.extend(
                by_node[&node][..k as usize]
                    .iter()
                    .map(|&(_, id)| (node, id)),
            );
        } else {
            let mut nodes: Vec<(usize, u64, u32)> = by_node
                .iter()
                .map(|(n, v)| (v.len(), v.iter().map(|x| x.0).sum::<u64>(), *n))
                .collect();
            nodes.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            'outer: for (_, _, node) in nodes {
                for &(_, id) in &by_node[&node] {
                    picked.push((node, id));
                    if picked.len() as u32 == k {
                        break 'outer;
                    }
                }
            }
        }
        picked.sort_unstable();
        Some(picked.into_iter().map(|(_, id)| id).collect())
    }

    /// `choose_group` picks what the reference picks on random candidate sets (duplicated
    /// loads, uneven nodes, every k).
    #[test]
    fn choose_group_matches_the_reference() {
        let mut x: u64 = 11;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for _ in 0..2_000 {
            let nodes = 1 + next(5) as u32;
            let mut c: Vec<ReplicaInfo> = Vec::new();
            for id in 0..nodes * 4 {
                if next(3) > 0 {
                    c.push(info(id, id / 4, [0, 0, 7, 100, 5_000][next(5) as usize]));
                }
            }
            for k in 0..=c.len() as u32 + 1 {
                assert_eq!(
                    choose_group(&c, k),
                    reference_choose_group(&c, k),
                    "{c:?} k={k}"
                );
            }
        }
    }

    fn info(id: u32, node: u32, queued_tokens: u64) -> ReplicaInfo {
        ReplicaInfo {
            queued_tokens,
            ..ReplicaInfo::new(id, node, 0)
        }
    }

    #[test]
    fn prefers_one_node_then_least_load() {
        let c: Vec<_> = [(0, 0, 5), (1, 0, 9), (2, 1, 1), (3, 1, 2), (4, 2, 0)]
            .map(|(i, n, q)| info(i, n, q))
            .to_vec();
        assert_eq!(choose_group(&c, 2), Some(vec![2, 3]));
        // Three replicas span nodes: take the node with most candidates first.
        assert_eq!(choose_group(&c, 3).map(|g| g.len()), Some(3));
        assert_eq!(choose_group(&c, 6), None);
        assert_eq!(shortest_queue(c.iter().copied()), Some(4));
    }

    #[test]
    fn across_nodes_the_fullest_node_goes_first_then_the_least_loaded() {
        // Nodes 0 and 1 have two candidates each, node 2 one; no node has four.
        let c: Vec<_> = [(0, 0, 7), (1, 0, 7), (2, 1, 1), (3, 1, 1), (4, 2, 0)]
            .map(|(i, n, q)| info(i, n, q))
            .to_vec();
        // Node 1 (2 candidates, load 2) before node 0 (2 candidates, load 14), then node 0's
        // least loaded; node 2's idle replica is not reached.
        assert_eq!(choose_group(&c, 3), Some(vec![0, 2, 3]));
        assert_eq!(choose_group(&c, 0), None);
    }
}
