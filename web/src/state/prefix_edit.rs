//! Edits of the scenario's prefix caching (docs/prefix-caching.md): the session model, the
//! shared system prompt, the block size, the cache and the cache-aware dispatch.

use pecsched_core::scenario::prefix_wire::{
    PrefixDispatch, PrefixWire, SessionWire, SharedPromptWire,
};
use pecsched_core::scenario::wire::ScenarioWire;

/// The session model the "Sessions" switch starts from.
pub const DEFAULT_SESSIONS: SessionWire = SessionWire {
    turns_mean: 4.0,
    open_conversations: 64,
    max_context_tokens: 16_384,
    documents: 0,
    document_tokens: 0,
};

/// The shared prompt the "Shared system prompt" switch starts from.
pub const DEFAULT_SHARED_PROMPT: SharedPromptWire = SharedPromptWire {
    tokens: 1024,
    prompts: 4,
};

/// One edit of the prefix-caching fields.
#[derive(Clone, Debug, PartialEq)]
pub enum PrefixEdit {
    /// Turn prefix caching on (with the default session model) or off (field removed).
    On(bool),
    /// Whether replicas cache (off: the same prompts, recomputed).
    Cache(bool),
    /// Tokens per block.
    BlockTokens(u32),
    /// Use the session model.
    SessionsOn(bool),
    /// Mean turns per conversation.
    TurnsMean(f64),
    /// Conversations open at once.
    OpenConversations(u32),
    /// Longest prompt of a conversation, tokens.
    MaxContext(u32),
    /// Shared documents (0 = none).
    Documents(u32),
    /// Tokens per document.
    DocumentTokens(u32),
    /// Use a shared system prompt.
    SharedPromptOn(bool),
    /// System prompt tokens.
    PromptTokens(u32),
    /// Distinct system prompts.
    Prompts(u32),
    /// Cache-aware dispatch with this weight, or each policy's own rule (`None`).
    CacheAware(Option<f64>),
}

impl PrefixEdit {
    /// Applies the edit to `w`.
    pub fn apply(self, w: &mut ScenarioWire) {
        if let PrefixEdit::On(on) = self {
            w.prefix = on.then(|| PrefixWire {
                sessions: Some(DEFAULT_SESSIONS),
                ..PrefixWire::default()
            });
            return;
        }
        let p = w.prefix.get_or_insert_with(PrefixWire::default);
        let sessions = |p: &mut PrefixWire, f: &dyn Fn(&mut SessionWire)| {
            let mut s = p.sessions.unwrap_or(DEFAULT_SESSIONS);
            f(&mut s);
            p.sessions = Some(s);
        };
        let prompt = |p: &mut PrefixWire, f: &dyn Fn(&mut SharedPromptWire)| {
            let mut s = p.shared_prompt.unwrap_or(DEFAULT_SHARED_PROMPT);
            f(&mut s);
            p.shared_prompt = Some(s);
        };
        match self {
            PrefixEdit::On(_) => {}
            PrefixEdit::Cache(on) => p.cache = on,
            PrefixEdit::BlockTokens(n) => p.block_tokens = n,
            PrefixEdit::SessionsOn(on) => {
                p.sessions = on.then(|| p.sessions.unwrap_or(DEFAULT_SESSIONS))
            }
            PrefixEdit::TurnsMean(t) => sessions(p, &|s| s.turns_mean = t),
            PrefixEdit::OpenConversations(n) => sessions(p, &|s| s.open_conversations = n),
            PrefixEdit::MaxContext(n) => sessions(p, &|s| s.max_context_tokens = n),
            PrefixEdit::Documents(n) => sessions(p, &|s| {
                s.documents = n;
                if n > 0 && s.document_tokens == 0 {
                    s.document_tokens = 4096;
                }
            }),
            PrefixEdit::DocumentTokens(n) => sessions(p, &|s| s.document_tokens = n),
            PrefixEdit::SharedPromptOn(on) => {
                p.shared_prompt = on.then(|| p.shared_prompt.unwrap_or(DEFAULT_SHARED_PROMPT))
            }
            PrefixEdit::PromptTokens(n) => prompt(p, &|s| s.tokens = n),
            PrefixEdit::Prompts(n) => prompt(p, &|s| s.prompts = n),
            PrefixEdit::CacheAware(w) => {
                p.dispatch = match w {
                    Some(weight) => PrefixDispatch::CacheAware { weight },
                    None => PrefixDispatch::Policy,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::scenario::{Scenario, link};

    #[test]
    fn edits_reach_the_scenario_and_its_link() {
        let mut w = Scenario::default_scenario().to_wire();
        PrefixEdit::On(true).apply(&mut w);
        PrefixEdit::TurnsMean(8.0).apply(&mut w);
        PrefixEdit::Documents(3).apply(&mut w);
        PrefixEdit::CacheAware(Some(2.0)).apply(&mut w);
        let p = w.prefix.unwrap();
        let s = p.sessions.unwrap();
        assert_eq!(
            (s.turns_mean, s.documents, s.document_tokens),
            (8.0, 3, 4096)
        );
        assert_eq!(p.dispatch, PrefixDispatch::CacheAware { weight: 2.0 });
        // The link carries the session model.
        let sc = Scenario::from_wire(&w).unwrap();
        let back = link::decode_scenario(&link::encode_scenario(&sc)).unwrap();
        assert_eq!(back.to_wire().prefix, Some(p));
        PrefixEdit::On(false).apply(&mut w);
        assert_eq!(w.prefix, None);
    }
}
