//! The paper's common placement rules (§3.4 of the digest), shared by every policy: a short
//! request goes to the replica with the shortest local queue in tokens; a long request gets
//! replicas on as few nodes as possible, choosing the set with the smallest summed queue.

use super::view::ReplicaInfo;

/// The candidate with the smallest load (`load[id]`), lowest id on ties.
pub fn shortest_queue(candidates: impl Iterator<Item = ReplicaInfo>, load: &[u64]) -> Option<u32> {
    candidates
        .min_by_key(|r| (load[r.id as usize], r.id))
        .map(|r| r.id)
}

/// Picks `k` replicas among `candidates` for a long request: same node first (the fewest nodes
/// possible), and among those the smallest summed load. Returns replica ids sorted by node then
/// id, or `None` if fewer than `k` candidates exist.
///
/// Exact minimisation over all node subsets is exponential; the rule used here is exact for a
/// single node (best k within the best node) and greedy across nodes: nodes are taken in order
/// of most candidates, then least load, each contributing its least-loaded replicas.
pub fn choose_group(candidates: &[ReplicaInfo], k: u32, load: &[u64]) -> Option<Vec<u32>> {
    if k == 0 || (candidates.len() as u32) < k {
        return None;
    }
    // Group candidates by node (BTreeMap: deterministic order).
    let mut by_node: std::collections::BTreeMap<u32, Vec<(u64, u32)>> = Default::default();
    for c in candidates {
        by_node
            .entry(c.node)
            .or_default()
            .push((load[c.id as usize], c.id));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::view::LongStatus;

    fn info(id: u32, node: u32) -> ReplicaInfo {
        ReplicaInfo {
            id,
            node,
            decode_only: false,
            queued_tokens: 0,
            kv_free: 0,
            kv_capacity: 0,
            running: 0,
            has_prefill_work: false,
            long: LongStatus::Free,
            job: None,
        }
    }

    #[test]
    fn prefers_one_node_then_least_load() {
        let c: Vec<_> = [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2)]
            .map(|(i, n)| info(i, n))
            .to_vec();
        let load = [5, 9, 1, 2, 0];
        assert_eq!(choose_group(&c, 2, &load), Some(vec![2, 3]));
        // Three replicas span nodes: take the node with most candidates first.
        assert_eq!(choose_group(&c, 3, &load).map(|g| g.len()), Some(3));
        assert_eq!(choose_group(&c, 6, &load), None);
        assert_eq!(shortest_queue(c.iter().copied(), &load), Some(4));
    }
}
