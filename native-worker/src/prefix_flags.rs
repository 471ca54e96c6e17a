//! `simulate`'s prefix-caching flags and output (docs/prefix-caching.md): the flags set the
//! scenario's `prefix` field; the table shows hit rates, prefill tokens saved and evictions.

use clap::Args;
use pecsched_core::metrics::{PrefixStats, Summary};
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::prefix_wire::{
    PrefixDispatch, PrefixWire, SessionWire, SharedPromptWire,
};
use pecsched_core::scenario::wire::ScenarioWire;
use std::fmt::Write;

/// Prefix-caching flags of `simulate`. Any of them sets up prefix caching (on, unless
/// `--no-prefix-cache`).
#[derive(Args, Debug, Clone, Default)]
pub struct PrefixArgs {
    /// The session model: conversations of TURNS mean turns, each turn resending the previous
    /// ones (open conversations 64, context cap 16384 tokens unless set below).
    #[arg(long, value_name = "TURNS")]
    pub sessions: Option<f64>,
    /// Conversations open at once in the session model.
    #[arg(long, value_name = "N", requires = "sessions")]
    pub open_conversations: Option<u32>,
    /// A conversation closes before its prompt would exceed this many tokens.
    #[arg(long, value_name = "TOKENS", requires = "sessions")]
    pub max_context: Option<u32>,
    /// Documents shared by the session model's conversations: N:TOKENS.
    #[arg(long, value_name = "N:TOKENS", requires = "sessions", value_parser = pair)]
    pub documents: Option<(u32, u32)>,
    /// A shared system prompt before every prompt: TOKENS:PROMPTS (distinct prompts).
    #[arg(long, value_name = "TOKENS:PROMPTS", value_parser = pair)]
    pub shared_prompt: Option<(u32, u32)>,
    /// Tokens per KV block, the unit of reuse (default 512).
    #[arg(long, value_name = "TOKENS")]
    pub block_tokens: Option<u32>,
    /// Keep the workload's prefixes but recompute every prompt (the run to compare with).
    #[arg(long)]
    pub no_prefix_cache: bool,
    /// Cache-aware short placement for every policy: a short request moves to the replica
    /// of least queued + input − WEIGHT × cached tokens among those the policy treats alike.
    #[arg(long, value_name = "WEIGHT")]
    pub cache_aware: Option<f64>,
}

fn pair(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?}: expected two integers A:B"))?;
    let n = |x: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|_| format!("{x:?} in {s:?} is not a non-negative integer"))
    };
    Ok((n(a)?, n(b)?))
}

impl PrefixArgs {
    fn any(&self) -> bool {
        self.sessions.is_some()
            || self.shared_prompt.is_some()
            || self.block_tokens.is_some()
            || self.no_prefix_cache
            || self.cache_aware.is_some()
    }

    /// Applies the flags to the scenario's `prefix` field.
    pub fn apply(&self, w: &mut ScenarioWire) {
        if !self.any() {
            return;
        }
        let p = w.prefix.get_or_insert_with(PrefixWire::default);
        if let Some(turns_mean) = self.sessions {
            let (documents, document_tokens) = self.documents.unwrap_or((0, 0));
            p.sessions = Some(SessionWire {
                turns_mean,
                open_conversations: self.open_conversations.unwrap_or(64),
                max_context_tokens: self.max_context.unwrap_or(16_384),
                documents,
                document_tokens,
            });
        }
        if let Some((tokens, prompts)) = self.shared_prompt {
            p.shared_prompt = Some(SharedPromptWire { tokens, prompts });
        }
        if let Some(b) = self.block_tokens {
            p.block_tokens = b;
        }
        if self.no_prefix_cache {
            p.cache = false;
        }
        if let Some(weight) = self.cache_aware {
            p.dispatch = PrefixDispatch::CacheAware { weight };
        }
    }
}

/// The scenario's prefix setup as the header names it, if it has one.
pub fn header(s: &Scenario) -> Option<String> {
    let p = s.prefix()?;
    let m = &p.model;
    let mut parts = vec![format!("{}-token blocks", m.block_tokens)];
    if let Some(sp) = m.shared_prompt {
        parts.push(format!(
            "shared prompt {} tokens × {} prompts",
            sp.tokens, sp.prompts
        ));
    }
    if let Some(ss) = m.sessions {
        let mut t = format!(
            "sessions of {} mean turns ({} open, context ≤ {} tokens)",
            ss.turns_mean, ss.open_conversations, ss.max_context_tokens
        );
        if ss.documents > 0 {
            let _ = write!(
                t,
                ", {} documents of {} tokens",
                ss.documents, ss.document_tokens
            );
        }
        parts.push(t);
    }
    let cache = if p.cache {
        "cache on"
    } else {
        "cache off (prefixes recomputed)"
    };
    if let PrefixDispatch::CacheAware { weight } = p.dispatch {
        parts.push(format!(
            "cache-aware dispatch (queued + input − {weight} × cached)"
        ));
    }
    Some(format!("prefix caching: {cache}; {}", parts.join(", ")))
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn cells(s: &PrefixStats) -> String {
    if s.requests == 0 {
        return format!("{:>10} {:>10} {:>14} {:>8}", "—", "—", "—", 0);
    }
    format!(
        "{:>10} {:>10} {:>14} {:>8}",
        pct(s.token_hit_rate),
        pct(s.request_hit_rate),
        s.cached_tokens,
        s.requests
    )
}

/// The prefix-cache table (one row per policy), or `None` when no run cached prefixes.
pub fn table<'a>(rows: impl Iterator<Item = &'a Summary>) -> Option<String> {
    let mut out = String::new();
    for s in rows {
        let Some(p) = &s.prefix else { continue };
        if out.is_empty() {
            out.push_str(
                "prefix cache (short requests whose prefill started; long requests never use it)\n",
            );
            let _ = writeln!(
                out,
                "{:<16} {:>10} {:>10} {:>14} {:>8} {:>10}",
                "policy", "hit tokens", "hit reqs", "tokens saved", "n", "evictions"
            );
        }
        let _ = writeln!(
            out,
            "{:<16} {} {:>10}",
            s.policy.id(),
            cells(&p.short),
            p.evictions
        );
    }
    (!out.is_empty()).then_some(out)
}
