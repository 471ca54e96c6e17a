//! Prefix caching in the engine: turning it on, and what it records
//! (docs/prefix-caching.md).
//!
//! Where cached blocks live: in the KV memory of the replica that computed them, for the short
//! requests it admits. Decode-only replicas (disaggregation) keep no cache: a handed-over
//! sequence's whole KV arrives with it, and its prompt blocks stay cached on the prefill
//! replica. Long requests neither read nor fill the cache: their KV is split over their SP
//! group by sequence position, and a later request would reuse it only on the same group
//! with the same split, which no policy arranges.

use super::engine::{Simulation, State};
use super::prefix_cache::PrefixCache;
use super::replica::Batch;
use crate::workload::PrefixModel;

/// Prefix-cache counters of a run, per replica.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheCounters {
    /// Blocks evicted on each replica (index = replica).
    pub evictions: Vec<u64>,
    /// Cached blocks (in use or evictable) on each replica now.
    pub cached_blocks: Vec<u64>,
}

impl Simulation {
    /// Turns on prefix caching with `model`'s block size and block ids: every replica that
    /// admits short requests (not the decode-only ones) gets a cache in its KV memory. Call
    /// before the first step.
    pub fn with_prefix_cache(mut self, model: PrefixModel) -> Simulation {
        for r in &mut self.st.replicas {
            if !r.decode_only {
                r.cache = Some(PrefixCache::new(model.clone()));
            }
        }
        self.st.prefix_caching = true;
        self
    }

    /// Whether this run caches prefixes.
    pub fn prefix_caching(&self) -> bool {
        self.st.prefix_caching
    }

    /// The prefix caches' counters so far (empty vectors without caching).
    pub fn cache_counters(&self) -> CacheCounters {
        let mut c = CacheCounters::default();
        if !self.st.prefix_caching {
            return c;
        }
        for r in &self.st.replicas {
            let (ev, n) = r.cache.as_ref().map_or((0, 0), |c| {
                (
                    c.evictions,
                    (c.in_use_tokens() + c.evictable_tokens()) / c.block_tokens(),
                )
            });
            c.evictions.push(ev);
            c.cached_blocks.push(n);
        }
        c
    }
}

impl State {
    /// Records the cached prompt tokens of the requests a batch of replica `r` admitted (and,
    /// with prefix caching and a detailed timeline, each lookup for the hit-rate chart).
    pub(crate) fn note_cached(&mut self, r: u32, b: &Batch) {
        for &(id, tokens) in &b.cached {
            self.records.set_cached(id, tokens);
            if self.prefix_caching {
                self.timeline.hit(super::timeline::HitSample {
                    replica: r,
                    at: self.now,
                    prompt_tokens: self.reqs[id as usize].input_tokens,
                    cached_tokens: tokens,
                });
            }
        }
    }
}

/// Checks a replica's prefix cache against the sequences holding its blocks: each block's
/// reference count is the number of sequences holding it (so a block in use was never
/// evicted), and the cache's own books add up.
pub(crate) fn check_cache(r: &super::replica::Replica) -> Result<(), String> {
    let Some(c) = &r.cache else { return Ok(()) };
    c.consistent()?;
    let mut held: std::collections::BTreeMap<u64, u32> = std::collections::BTreeMap::new();
    for s in r.seqs.iter().chain(&r.incoming) {
        c.model().for_each_block(s.prefix, s.held_blocks, |id| {
            *held.entry(id).or_default() += 1;
            true
        });
    }
    for (id, refs) in c.refs() {
        let want = held.remove(&id).unwrap_or(0);
        if refs != want {
            return Err(format!("block {id:#x}: {refs} refs, {want} holders"));
        }
    }
    match held.keys().next() {
        Some(id) => Err(format!("block {id:#x} is held but not cached")),
        None => Ok(()),
    }
}

impl State {
    /// The prefix caches' evicted blocks (all replicas) and block size, when replicas cache
    /// prefixes: what a run's [`crate::metrics::PrefixSummary`] adds to its records.
    pub(crate) fn prefix_counters(&self) -> Option<(u64, u32)> {
        if !self.prefix_caching {
            return None;
        }
        let caches = self.replicas.iter().filter_map(|r| r.cache.as_ref());
        let evictions = caches.clone().map(|c| c.evictions).sum();
        let block_tokens = caches.map(|c| c.block_tokens() as u32).next().unwrap_or(0);
        Some((evictions, block_tokens))
    }
}
