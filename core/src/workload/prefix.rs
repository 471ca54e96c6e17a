//! Shared prompt prefixes: which blocks of a request's prompt are identical to blocks of
//! other requests, so that a serving engine can reuse their KV (docs/prefix-caching.md).
//!
//! A prompt is cut into blocks of [`PrefixModel::block_tokens`] tokens. Block `i`'s id is a
//! chain hash of the content ids of blocks `0..=i` (as vLLM's and Mooncake's block hashes
//! are): two requests share block `i` exactly when they share every block up to it. Content
//! comes from the request's [`PrefixGroup`] (a conversation, or the request itself) and the
//! model's parameters, so a request carries four bytes, not a list of ids:
//!
//! - the first [`SharedPrompt::tokens`] tokens are one of [`SharedPrompt::prompts`] system
//!   prompts (chosen per group by a seeded hash), as inference-perf's `shared_prefix`
//!   workloads define them;
//! - then, with documents ([`SessionSpec::documents`] > 0), one of the documents
//!   ([`SessionSpec::document_tokens`] tokens, chosen per conversation by a seeded hash):
//!   several conversations ask questions about the same document;
//! - the rest is the conversation's own history and new message: every turn of a conversation
//!   resends the previous turns ([`apply_prefix_model`]).
//!
//! A block that straddles two parts holds the later part's content. Only whole blocks ending
//! before the prompt's last token can be reused ([`PrefixModel::reusable_blocks`]): the last
//! token is always computed, as in vLLM.

use super::Request;
use crate::rng::SimRng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;

/// A trace's own block ids (the Mooncake trace's `hash_ids`), one list per request that has
/// any, in one flat vector: a request's [`PrefixGroup`] is its index here. Requests without
/// ids cost nothing (no entry).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockTable {
    /// Start of each list in `ids`; list `g` is `ids[starts[g]..starts[g + 1]]` (the last
    /// runs to the end).
    starts: Vec<u32>,
    ids: Vec<u64>,
}

impl BlockTable {
    /// Adds a request's block ids; returns its group.
    pub fn push(&mut self, ids: &[u64]) -> PrefixGroup {
        let g = PrefixGroup(self.starts.len() as u32);
        self.starts.push(self.ids.len() as u32);
        self.ids.extend_from_slice(ids);
        g
    }

    /// Requests with ids.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether no request has ids.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The block ids of `group` (empty for a group not in the table).
    pub fn blocks(&self, group: PrefixGroup) -> &[u64] {
        let g = group.0 as usize;
        let Some(&start) = self.starts.get(g) else {
            return &[];
        };
        let end = self
            .starts
            .get(g + 1)
            .map_or(self.ids.len(), |&e| e as usize);
        &self.ids[start as usize..end]
    }
}

/// Block size of the Mooncake trace's `hash_ids` (one id per 512 prompt tokens), the default.
pub const DEFAULT_BLOCK_TOKENS: u32 = 512;

/// The prefix group of a request: the conversation its prompt belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PrefixGroup(pub u32);

impl PrefixGroup {
    /// No shared prefix: the request's blocks are never looked up or cached.
    pub const NONE: PrefixGroup = PrefixGroup(u32::MAX);

    /// Whether this is [`PrefixGroup::NONE`].
    pub fn is_none(&self) -> bool {
        *self == PrefixGroup::NONE
    }
}

impl Default for PrefixGroup {
    fn default() -> Self {
        PrefixGroup::NONE
    }
}

/// A system prompt shared by many requests.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedPrompt {
    /// Length of each system prompt, tokens (prepended to every prompt).
    pub tokens: u32,
    /// Number of distinct system prompts (at least 1).
    pub prompts: u32,
}

/// The synthetic session model: conversations whose turns resend the previous turns, and
/// documents shared by several conversations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionSpec {
    /// Mean turns per conversation (≥ 1): each request starts a new conversation with
    /// probability `1 / turns_mean`, else it is the next turn of an open one.
    pub turns_mean: f64,
    /// Conversations open at once (≥ 1); a follow-up turn picks one uniformly, and the oldest
    /// closes when a new one opens beyond this.
    pub open_conversations: u32,
    /// A conversation closes when its next turn's prompt would exceed this many tokens; that
    /// request starts a new conversation instead.
    pub max_context_tokens: u32,
    /// Distinct documents (0 = none): with documents, every conversation starts with one.
    pub documents: u32,
    /// Length of each document, tokens.
    pub document_tokens: u32,
}

/// How the prompts of a workload share prefixes: the block size and the synthetic models, or
/// a trace's own block ids.
#[derive(Clone, Debug, PartialEq)]
pub struct PrefixModel {
    /// Tokens per KV block (the unit of reuse); at least 1.
    pub block_tokens: u32,
    /// A system prompt before every prompt, if any.
    pub shared_prompt: Option<SharedPrompt>,
    /// The session model, if any (without it every request is its own group).
    pub sessions: Option<SessionSpec>,
    /// Seed of the hashes choosing prompts and documents (the scenario's seed).
    pub seed: u64,
    /// A trace's own block ids (Mooncake `hash_ids`); when set, a request's group indexes it
    /// and the synthetic models are not used.
    pub table: Option<Arc<BlockTable>>,
}

/// Content kinds of a block, part of its content id.
const PROMPT: u64 = 1;
const DOCUMENT: u64 = 2;
const OWN: u64 = 3;

/// A 64-bit mix of two words (splitmix64's finaliser over their combination): the chain hash
/// of block ids. Collisions between distinct chains are negligible at 2⁻⁶⁴.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl PrefixModel {
    /// Whole blocks of an `input_tokens` prompt that can be reused: those ending before its
    /// last token.
    pub fn reusable_blocks(&self, input_tokens: u32) -> u32 {
        input_tokens.saturating_sub(1) / self.block_tokens.max(1)
    }

    fn prompt_tokens(&self) -> u64 {
        self.shared_prompt.map_or(0, |p| p.tokens as u64)
    }

    fn document_tokens(&self) -> u64 {
        self.sessions
            .filter(|s| s.documents > 0)
            .map_or(0, |s| s.document_tokens as u64)
    }

    /// The ids of the first `n` blocks of a prompt of `group`, in order, each passed to `f`
    /// until it returns `false`. Nothing for [`PrefixGroup::NONE`].
    pub fn for_each_block(&self, group: PrefixGroup, n: u32, mut f: impl FnMut(u64) -> bool) {
        if group.is_none() {
            return;
        }
        if let Some(t) = &self.table {
            let mut id = self.seed;
            for &b in t.blocks(group).iter().take(n as usize) {
                id = mix(id, b);
                if !f(id) {
                    return;
                }
            }
            return;
        }
        let bs = self.block_tokens.max(1) as u64;
        let prompt_end = self.prompt_tokens();
        let doc_end = prompt_end + self.document_tokens();
        let prompt = self.shared_prompt.map_or(0, |p| {
            mix(self.seed ^ PROMPT, group.0 as u64) % p.prompts.max(1) as u64
        });
        let doc = self.sessions.filter(|s| s.documents > 0).map_or(0, |s| {
            mix(self.seed ^ DOCUMENT, group.0 as u64) % s.documents as u64
        });
        let mut id = self.seed;
        for i in 0..n as u64 {
            let end = (i + 1) * bs;
            let content = if end <= prompt_end {
                mix(PROMPT, prompt)
            } else if end <= doc_end {
                mix(DOCUMENT, doc)
            } else {
                mix(OWN, group.0 as u64)
            };
            id = mix(mix(id, content), i);
            if !f(id) {
                return;
            }
        }
    }
}

/// Applies the prefix model to a workload: prepends the shared prompt (and, in sessions, the
/// conversation's document and history) to each request's input and sets its group. Without
/// sessions each request is its own group. With sessions a request's own input becomes its
/// turn's new message: the prompt is the conversation's context (previous prompts and
/// outputs) plus that message. Arrivals, outputs and ids are kept; `rng` is the scenario's
/// `prefix/sessions` stream. Requests whose own input is above `long_threshold_tokens` (the
/// long requests, whose prefixes the engine does not cache) are left as they are.
pub fn apply_prefix_model(
    reqs: &[Request],
    model: &PrefixModel,
    long_threshold_tokens: u32,
    rng: &mut SimRng,
) -> Vec<Request> {
    let prompt = model.prompt_tokens();
    let mut out = Vec::with_capacity(reqs.len());
    let Some(s) = model.sessions else {
        for r in reqs {
            let mut r = *r;
            if r.input_tokens <= long_threshold_tokens {
                r.input_tokens = clamp_u32(prompt + r.input_tokens as u64);
                r.prefix = PrefixGroup(r.id);
            }
            out.push(r);
        }
        return out;
    };
    let start = prompt + model.document_tokens();
    // Open conversations: (group, context tokens), oldest first.
    let mut open: VecDeque<(u32, u64)> = VecDeque::new();
    let mut next_group: u32 = 0;
    let p_new = 1.0 / s.turns_mean.max(1.0);
    for r in reqs {
        let mut r = *r;
        if r.input_tokens > long_threshold_tokens {
            out.push(r);
            continue;
        }
        let new_msg = r.input_tokens as u64;
        let follow = !open.is_empty() && rng.uniform_f64() >= p_new;
        let mut pick = None;
        if follow {
            let i = rng.uniform_u32_inclusive(0, open.len() as u32 - 1) as usize;
            if open[i].1 + new_msg <= s.max_context_tokens as u64 {
                pick = Some(i);
            } else {
                open.remove(i);
            }
        }
        let i = match pick {
            Some(i) => i,
            None => {
                if open.len() >= s.open_conversations.max(1) as usize {
                    open.pop_front();
                }
                open.push_back((next_group, start));
                next_group = next_group.wrapping_add(1) % PrefixGroup::NONE.0;
                open.len() - 1
            }
        };
        let (group, context) = open[i];
        let input = context + new_msg;
        r.input_tokens = clamp_u32(input);
        r.prefix = PrefixGroup(group);
        open[i].1 = input + r.output_tokens as u64;
        out.push(r);
    }
    out
}

fn clamp_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;

    fn req(id: u32, input: u32) -> Request {
        Request {
            id,
            arrival: SimTime(id as u64),
            input_tokens: input,
            output_tokens: 10,
            prefix: PrefixGroup::NONE,
        }
    }

    fn ids(m: &PrefixModel, g: u32, n: u32) -> Vec<u64> {
        let mut v = Vec::new();
        m.for_each_block(PrefixGroup(g), n, |k| {
            v.push(k);
            true
        });
        v
    }

    #[test]
    fn a_request_stays_24_bytes() {
        assert_eq!(std::mem::size_of::<Request>(), 24);
    }

    #[test]
    fn reusable_blocks_end_before_the_last_token() {
        let m = PrefixModel {
            block_tokens: 512,
            shared_prompt: None,
            sessions: None,
            seed: 0,
            table: None,
        };
        assert_eq!(m.reusable_blocks(1), 0);
        assert_eq!(m.reusable_blocks(512), 0);
        assert_eq!(m.reusable_blocks(513), 1);
        assert_eq!(m.reusable_blocks(1024), 1);
        assert_eq!(m.reusable_blocks(1025), 2);
    }

    #[test]
    fn groups_sharing_a_system_prompt_share_its_whole_blocks_only() {
        let m = PrefixModel {
            block_tokens: 16,
            shared_prompt: Some(SharedPrompt {
                tokens: 40,
                prompts: 1,
            }),
            sessions: None,
            seed: 7,
            table: None,
        };
        let (a, b) = (ids(&m, 1, 4), ids(&m, 2, 4));
        // 40 tokens = 2 whole blocks of 16; block 2 straddles the prompt and the request.
        assert_eq!(a[..2], b[..2]);
        assert_ne!(a[2], b[2]);
        assert_ne!(a[3], b[3]);
        assert!(ids(&m, PrefixGroup::NONE.0, 4).is_empty());
    }

    #[test]
    fn session_turns_resend_the_conversation_and_keep_arrivals() {
        let m = PrefixModel {
            block_tokens: 16,
            shared_prompt: None,
            sessions: Some(SessionSpec {
                turns_mean: 1e9,
                open_conversations: 1,
                max_context_tokens: 10_000,
                documents: 0,
                document_tokens: 0,
            }),
            seed: 1,
            table: None,
        };
        let reqs: Vec<Request> = (0..3).map(|i| req(i, 100)).collect();
        let mut rng = SimRng::new(1, "prefix/sessions");
        let out = apply_prefix_model(&reqs, &m, 32_768, &mut rng);
        // One conversation: 100, then 100 + 10 + 100, then 210 + 10 + 100.
        let inputs: Vec<u32> = out.iter().map(|r| r.input_tokens).collect();
        assert_eq!(inputs, vec![100, 210, 320]);
        assert!(out.iter().all(|r| r.prefix == PrefixGroup(0)));
        assert_eq!(out[2].arrival, reqs[2].arrival);
        // Turn 2's reusable blocks start with turn 1's.
        let (t1, t2) = (
            ids(&m, 0, m.reusable_blocks(100)),
            ids(&m, 0, m.reusable_blocks(210)),
        );
        assert_eq!(t1[..], t2[..t1.len()]);
        // A long request is left alone; a conversation past its context cap closes.
        let long = [req(0, 50_000)];
        let out = apply_prefix_model(&long, &m, 32_768, &mut rng);
        assert_eq!(out[0], long[0]);
        let capped = SessionSpec {
            max_context_tokens: 150,
            ..m.sessions.unwrap()
        };
        let m2 = PrefixModel {
            sessions: Some(capped),
            ..m
        };
        let out = apply_prefix_model(&reqs, &m2, 32_768, &mut rng);
        let groups: Vec<u32> = out.iter().map(|r| r.prefix.0).collect();
        assert_eq!(groups, vec![0, 1, 2]);
        assert!(out.iter().all(|r| r.input_tokens == 100));
    }

    #[test]
    fn documents_are_shared_across_conversations() {
        let m = PrefixModel {
            block_tokens: 16,
            shared_prompt: None,
            sessions: Some(SessionSpec {
                turns_mean: 1.0,
                open_conversations: 4,
                max_context_tokens: 10_000,
                documents: 1,
                document_tokens: 64,
            }),
            seed: 3,
            table: None,
        };
        let (a, b) = (ids(&m, 5, 6), ids(&m, 9, 6));
        assert_eq!(a[..4], b[..4]);
        assert_ne!(a[4], b[4]);
    }
}
