//! A replica's prefix cache: KV blocks of prompt prefixes kept in the replica's KV memory
//! after the requests that computed them, for later requests with the same prefix
//! (docs/prefix-caching.md).
//!
//! Each block is reference-counted by the sequences using it. A block in use counts in the
//! replica's `kv_used`; a block no sequence uses is *evictable*: it still occupies KV, and is
//! evicted in least-recently-released order when an admission needs room. The replica keeps
//! `kv_used + evictable ≤ capacity`, and never evicts a block in use.

use crate::workload::{PrefixGroup, PrefixModel};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Block ids are already uniform 64-bit hashes (`workload::prefix`): the map uses them as
/// they are. Lookups only: nothing iterates the map in an order that reaches results (the LRU
/// order is the `BTreeMap` of release ticks).
#[derive(Clone, Copy, Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type BlockMap = HashMap<u64, Block, BuildHasherDefault<IdHasher>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Block {
    /// Sequences holding the block.
    refs: u32,
    /// When the block last became evictable (its key in the LRU order), if it is.
    idle_since: u64,
}

/// The prefix cache of one replica.
#[derive(Clone, Debug)]
pub(crate) struct PrefixCache {
    model: PrefixModel,
    blocks: BlockMap,
    /// Evictable blocks, least recently released first: release tick → block id.
    lru: BTreeMap<u64, u64>,
    tick: u64,
    in_use_blocks: u64,
    /// Blocks evicted so far.
    pub evictions: u64,
}

/// What a lookup found for a prompt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Leading blocks of the prompt present in the cache.
    pub blocks: u32,
    /// Of those, blocks no sequence uses now (evictable: using them moves them into `kv_used`).
    pub idle: u32,
}

impl PrefixCache {
    pub fn new(model: PrefixModel) -> PrefixCache {
        PrefixCache {
            model,
            blocks: BlockMap::default(),
            lru: BTreeMap::new(),
            tick: 0,
            in_use_blocks: 0,
            evictions: 0,
        }
    }

    /// Tokens per block.
    pub fn block_tokens(&self) -> u64 {
        self.model.block_tokens.max(1) as u64
    }

    /// Reusable blocks of an `input`-token prompt.
    pub fn reusable_blocks(&self, input: u32) -> u32 {
        self.model.reusable_blocks(input)
    }

    /// KV tokens of blocks some sequence uses (counted in the replica's `kv_used`).
    pub fn in_use_tokens(&self) -> u64 {
        self.in_use_blocks * self.block_tokens()
    }

    /// KV tokens of blocks no sequence uses (evictable, not in `kv_used`).
    pub fn evictable_tokens(&self) -> u64 {
        self.lru.len() as u64 * self.block_tokens()
    }

    /// The longest cached prefix of a prompt of `group` and `input` tokens.
    pub fn lookup(&self, group: PrefixGroup, input: u32) -> Hit {
        let mut hit = Hit::default();
        self.model
            .for_each_block(group, self.reusable_blocks(input), |id| {
                match self.blocks.get(&id) {
                    Some(b) => {
                        hit.blocks += 1;
                        hit.idle += u32::from(b.refs == 0);
                        true
                    }
                    None => false,
                }
            });
        hit
    }

    /// Takes a reference on blocks `0..n` of the prompt (present, or added as new blocks):
    /// returns how many were evictable before (now in use: the caller adds them to `kv_used`)
    /// and how many were added (the caller moves them from the sequence's own reservation).
    pub fn hold(&mut self, group: PrefixGroup, from: u32, n: u32) -> (u32, u32) {
        let (mut woke, mut added) = (0, 0);
        let mut i = 0;
        let (blocks, lru, in_use) = (&mut self.blocks, &mut self.lru, &mut self.in_use_blocks);
        self.model.for_each_block(group, n, |id| {
            if i >= from {
                let b = blocks.entry(id).or_insert_with(|| {
                    added += 1;
                    *in_use += 1;
                    Block {
                        refs: 0,
                        idle_since: u64::MAX,
                    }
                });
                if b.refs == 0 && b.idle_since != u64::MAX {
                    lru.remove(&b.idle_since);
                    b.idle_since = u64::MAX;
                    *in_use += 1;
                    woke += 1;
                }
                b.refs += 1;
            }
            i += 1;
            true
        });
        (woke, added)
    }

    /// Drops a reference on blocks `0..n` of the prompt; a block no one holds any more
    /// becomes evictable (the caller removes it from `kv_used`). Returns how many did.
    pub fn release(&mut self, group: PrefixGroup, n: u32) -> u32 {
        let mut idle = 0;
        let (blocks, lru, tick, in_use) = (
            &mut self.blocks,
            &mut self.lru,
            &mut self.tick,
            &mut self.in_use_blocks,
        );
        // Last block first, as vLLM frees them: a prompt's tail is evicted before its head
        // (evicting a head block would strand the blocks after it).
        let mut ids = Vec::with_capacity(n as usize);
        self.model.for_each_block(group, n, |id| {
            ids.push(id);
            true
        });
        for id in ids.into_iter().rev() {
            let b = blocks
                .get_mut(&id)
                .expect("a held block stays cached until released");
            b.refs -= 1;
            if b.refs == 0 {
                b.idle_since = *tick;
                lru.insert(*tick, id);
                *tick += 1;
                *in_use -= 1;
                idle += 1;
            }
        }
        idle
    }

    /// Evicts least recently released blocks until at least `tokens` of evictable KV are gone
    /// or none is left; never a block in use. Returns the tokens freed.
    pub fn evict(&mut self, tokens: u64) -> u64 {
        let bs = self.block_tokens();
        let mut freed = 0;
        while freed < tokens {
            let Some((_, id)) = self.lru.pop_first() else {
                break;
            };
            let b = self.blocks.remove(&id);
            debug_assert!(b.is_some_and(|b| b.refs == 0));
            freed += bs;
            self.evictions += 1;
        }
        freed
    }

    /// Checks the cache's own books: every block is in use or in the LRU order, never both.
    pub fn consistent(&self) -> Result<(), String> {
        let in_use = self.blocks.values().filter(|b| b.refs > 0).count() as u64;
        if in_use != self.in_use_blocks {
            return Err(format!(
                "{in_use} blocks held, {} counted",
                self.in_use_blocks
            ));
        }
        if self.blocks.len() as u64 != in_use + self.lru.len() as u64 {
            return Err(format!(
                "{} blocks, {in_use} held and {} evictable",
                self.blocks.len(),
                self.lru.len()
            ));
        }
        for (&t, id) in &self.lru {
            match self.blocks.get(id) {
                Some(b) if b.refs == 0 && b.idle_since == t => {}
                _ => return Err(format!("evictable block {id:#x} is held or missing")),
            }
        }
        Ok(())
    }

    /// References each cached block holds (block id → refs), for the invariant that they
    /// match the sequences holding them.
    pub fn refs(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.blocks.iter().map(|(&k, b)| (k, b.refs))
    }

    /// The prefix model (for recomputing the blocks a sequence holds).
    pub fn model(&self) -> &PrefixModel {
        &self.model
    }
}
