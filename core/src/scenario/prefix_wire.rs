//! The scenario's prefix caching (an optional field added to wire version 2,
//! docs/prefix-caching.md): the block size, the synthetic prefix models of the workload (a
//! shared system prompt, the session model) and whether replicas cache prefixes. `None` in
//! files and links written before it: no prefixes, no cache (every result as before).

use super::ScenarioError;
use super::validate::{field, num};
use crate::workload::{DEFAULT_BLOCK_TOKENS, PrefixModel, SessionSpec, SharedPrompt};
use serde::{Deserialize, Serialize};

/// Most tokens a shared prompt, a document or a conversation's context may hold.
pub const MAX_PREFIX_TOKENS: u32 = 1 << 20;
/// Most distinct prompts, documents or open conversations.
pub const MAX_PREFIX_COUNT: u32 = 1 << 20;
/// Most mean turns per conversation.
pub const MAX_TURNS_MEAN: f64 = 1e4;

fn yes() -> bool {
    true
}

fn block() -> u32 {
    DEFAULT_BLOCK_TOKENS
}

/// A shared system prompt as a scenario writes it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a shared prompt: an object with tokens and prompts"
)]
pub struct SharedPromptWire {
    /// Tokens of each system prompt.
    pub tokens: u32,
    /// Distinct system prompts.
    pub prompts: u32,
}

/// The session model as a scenario writes it (see [`SessionSpec`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a session model: an object with turns_mean, open_conversations, max_context_tokens, documents and document_tokens"
)]
pub struct SessionWire {
    /// Mean turns per conversation (≥ 1).
    pub turns_mean: f64,
    /// Conversations open at once.
    pub open_conversations: u32,
    /// A conversation closes before its prompt would exceed this.
    pub max_context_tokens: u32,
    /// Distinct documents (0 = none).
    #[serde(default)]
    pub documents: u32,
    /// Tokens of each document.
    #[serde(default)]
    pub document_tokens: u32,
}

/// Prefix caching in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "prefix caching: an object with cache, block_tokens, shared_prompt, sessions"
)]
pub struct PrefixWire {
    /// Whether replicas cache prefixes; `false` keeps the workload's prefixes but recomputes
    /// every prompt (the run to compare with).
    #[serde(default = "yes")]
    pub cache: bool,
    /// Tokens per KV block, the unit of reuse (default 512, the Mooncake trace's).
    #[serde(default = "block")]
    pub block_tokens: u32,
    /// A system prompt shared by the requests, if any.
    #[serde(default)]
    pub shared_prompt: Option<SharedPromptWire>,
    /// The session model, if any (the Azure traces have no prefixes without one).
    #[serde(default)]
    pub sessions: Option<SessionWire>,
    /// How every policy places short requests: as it always does, or cache-aware.
    #[serde(default)]
    pub dispatch: PrefixDispatch,
}

/// How short requests are placed with prefix caching (`policy::prefix_affinity`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a dispatch rule: \"policy\" or {\"cache_aware\": {\"weight\": w}}"
)]
pub enum PrefixDispatch {
    /// Each policy's own rule (shortest accepting queue among the replicas it allows).
    #[default]
    Policy,
    /// The policy's choice, then the same-status replica of least
    /// `queued + input − weight × cached` tokens.
    CacheAware {
        /// Weight of a cached token against a queued one (≥ 0; 1 = a cached token is work
        /// not done).
        weight: f64,
    },
}

/// Largest weight of the cache-aware dispatch.
pub const MAX_AFFINITY_WEIGHT: f64 = 1e3;

impl Default for PrefixWire {
    fn default() -> Self {
        PrefixWire {
            cache: true,
            block_tokens: DEFAULT_BLOCK_TOKENS,
            shared_prompt: None,
            sessions: None,
            dispatch: PrefixDispatch::Policy,
        }
    }
}

/// Prefix caching in a validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct PrefixSetup {
    /// Whether replicas cache prefixes.
    pub cache: bool,
    /// How short requests are placed.
    pub dispatch: PrefixDispatch,
    /// The workload's prefix model (its seed is the scenario's).
    pub model: PrefixModel,
}

fn count(name: &str, v: u32, min: u32, max: u32) -> Result<u32, ScenarioError> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(field(
            &format!("prefix.{name}"),
            v,
            &format!("an integer in [{min}, {max}]"),
        ))
    }
}

impl PrefixWire {
    /// Validates the numbers, naming the field; `seed` is the scenario's.
    pub fn validate(&self, seed: u64) -> Result<PrefixSetup, ScenarioError> {
        let block_tokens = count("block_tokens", self.block_tokens, 1, 1 << 16)?;
        let shared_prompt = match self.shared_prompt {
            Some(p) => Some(SharedPrompt {
                tokens: count("shared_prompt.tokens", p.tokens, 1, MAX_PREFIX_TOKENS)?,
                prompts: count("shared_prompt.prompts", p.prompts, 1, MAX_PREFIX_COUNT)?,
            }),
            None => None,
        };
        let sessions = match self.sessions {
            Some(s) => {
                if !(s.turns_mean.is_finite() && (1.0..=MAX_TURNS_MEAN).contains(&s.turns_mean)) {
                    return Err(field(
                        "prefix.sessions.turns_mean",
                        num(s.turns_mean),
                        &format!("a number in [1, {MAX_TURNS_MEAN}]"),
                    ));
                }
                let documents = count("sessions.documents", s.documents, 0, MAX_PREFIX_COUNT)?;
                Some(SessionSpec {
                    turns_mean: s.turns_mean,
                    open_conversations: count(
                        "sessions.open_conversations",
                        s.open_conversations,
                        1,
                        MAX_PREFIX_COUNT,
                    )?,
                    max_context_tokens: count(
                        "sessions.max_context_tokens",
                        s.max_context_tokens,
                        1,
                        MAX_PREFIX_TOKENS,
                    )?,
                    documents,
                    document_tokens: count(
                        "sessions.document_tokens",
                        s.document_tokens,
                        u32::from(documents > 0),
                        MAX_PREFIX_TOKENS,
                    )?,
                })
            }
            None => None,
        };
        if let PrefixDispatch::CacheAware { weight } = self.dispatch
            && !(weight.is_finite() && (0.0..=MAX_AFFINITY_WEIGHT).contains(&weight))
        {
            return Err(field(
                "prefix.dispatch.cache_aware.weight",
                num(weight),
                &format!("a number in [0, {MAX_AFFINITY_WEIGHT}]"),
            ));
        }
        Ok(PrefixSetup {
            cache: self.cache,
            dispatch: self.dispatch,
            model: PrefixModel {
                block_tokens,
                shared_prompt,
                sessions,
                seed,
                table: None,
            },
        })
    }
}

impl From<&PrefixSetup> for PrefixWire {
    fn from(p: &PrefixSetup) -> Self {
        let m = &p.model;
        PrefixWire {
            cache: p.cache,
            dispatch: p.dispatch,
            block_tokens: m.block_tokens,
            shared_prompt: m.shared_prompt.map(|s| SharedPromptWire {
                tokens: s.tokens,
                prompts: s.prompts,
            }),
            sessions: m.sessions.map(|s| SessionWire {
                turns_mean: s.turns_mean,
                open_conversations: s.open_conversations,
                max_context_tokens: s.max_context_tokens,
                documents: s.documents,
                document_tokens: s.document_tokens,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_numbers_name_their_field() {
        let w = PrefixWire {
            block_tokens: 0,
            ..PrefixWire::default()
        };
        let e = w.validate(1).unwrap_err().to_string();
        assert!(e.contains("prefix.block_tokens"), "{e}");
        let w = PrefixWire {
            sessions: Some(SessionWire {
                turns_mean: 0.5,
                open_conversations: 4,
                max_context_tokens: 8192,
                documents: 0,
                document_tokens: 0,
            }),
            ..PrefixWire::default()
        };
        let e = w.validate(1).unwrap_err().to_string();
        assert!(e.contains("prefix.sessions.turns_mean"), "{e}");
        let w = PrefixWire {
            sessions: Some(SessionWire {
                turns_mean: 3.0,
                open_conversations: 4,
                max_context_tokens: 8192,
                documents: 2,
                document_tokens: 0,
            }),
            ..PrefixWire::default()
        };
        let e = w.validate(1).unwrap_err().to_string();
        assert!(e.contains("prefix.sessions.document_tokens"), "{e}");
    }

    #[test]
    fn a_valid_setup_round_trips() {
        let w = PrefixWire {
            cache: false,
            block_tokens: 16,
            shared_prompt: Some(SharedPromptWire {
                tokens: 100,
                prompts: 3,
            }),
            sessions: Some(SessionWire {
                turns_mean: 4.0,
                open_conversations: 32,
                max_context_tokens: 16_384,
                documents: 5,
                document_tokens: 2048,
            }),
            dispatch: PrefixDispatch::CacheAware { weight: 2.0 },
        };
        let s = w.validate(9).unwrap();
        assert_eq!(s.model.seed, 9);
        assert_eq!(PrefixWire::from(&s), w);
    }
}
