//! Prefix-caching fields of the workload editor (docs/prefix-caching.md): the session model,
//! a shared system prompt, the block size, the cache and cache-aware dispatch.

use super::field::{CheckField, NumberField, num};
use crate::state::{Edit, PrefixEdit};
use pecsched_core::scenario::prefix_wire::{
    MAX_AFFINITY_WEIGHT, MAX_PREFIX_COUNT, MAX_PREFIX_TOKENS, MAX_TURNS_MEAN, PrefixDispatch,
    PrefixWire,
};
use yew::prelude::*;

/// Props of [`PrefixEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft's prefix caching.
    pub prefix: Option<PrefixWire>,
    /// Edits.
    pub edit: Callback<Edit>,
}

/// The prefix-caching fields.
#[component]
pub fn PrefixEditor(p: &Props) -> Html {
    let e = p.edit.clone();
    let pe = move |f: fn(f64) -> PrefixEdit| e.reform(move |v: f64| Edit::Prefix(f(v)));
    let e = p.edit.clone();
    let check = move |f: fn(bool) -> PrefixEdit| e.reform(move |v: bool| Edit::Prefix(f(v)));
    let Some(w) = p.prefix else {
        return html! {
            <CheckField id="f-prefix-on" label="Prefix caching" checked=false
                tip="Shared prompt prefixes (a session model of multi-turn conversations, a shared system prompt) and a KV prefix cache on every replica (docs/prefix-caching.md)."
                onchange={check(PrefixEdit::On)} />
        };
    };
    let s = w.sessions;
    let sp = w.shared_prompt;
    let weight = match w.dispatch {
        PrefixDispatch::CacheAware { weight } => Some(weight),
        PrefixDispatch::Policy => None,
    };
    html! {
        <div class="sub">
            <CheckField id="f-prefix-on" label="Prefix caching" checked=true
                tip="Shared prompt prefixes and a KV prefix cache on every replica (docs/prefix-caching.md)."
                onchange={check(PrefixEdit::On)} />
            <CheckField id="f-prefix-cache" label="Cache prefixes" checked={w.cache}
                tip="Off: the same prompts, every one recomputed (the run to compare with)."
                onchange={check(PrefixEdit::Cache)} />
            <NumberField id="f-prefix-block" label="Block" unit="tokens" min={1.0} max={65536.0} integer=true
                tip="Tokens per KV block, the unit of reuse (512: the Mooncake trace's block)."
                value={num(w.block_tokens as f64)} onchange={pe(|v| PrefixEdit::BlockTokens(v as u32))} />
            <CheckField id="f-sessions-on" label="Sessions" checked={s.is_some()}
                tip="Each request becomes a turn of a conversation whose prompt resends the previous turns (seeded)."
                onchange={check(PrefixEdit::SessionsOn)} />
            if let Some(s) = s {
                <NumberField id="f-sessions-turns" label="mean turns" unit="turns" min={1.0} max={MAX_TURNS_MEAN}
                    tip="Mean turns per conversation: a request starts a new conversation with probability 1 / this."
                    value={num(s.turns_mean)} onchange={pe(PrefixEdit::TurnsMean)} />
                <NumberField id="f-sessions-open" label="open conversations" unit="" min={1.0} max={MAX_PREFIX_COUNT as f64} integer=true
                    tip="Conversations open at once; a follow-up turn picks one uniformly."
                    value={num(s.open_conversations as f64)} onchange={pe(|v| PrefixEdit::OpenConversations(v as u32))} />
                <NumberField id="f-sessions-context" label="context cap" unit="tokens" min={1.0} max={MAX_PREFIX_TOKENS as f64} integer=true
                    tip="A conversation closes before its prompt would exceed this."
                    value={num(s.max_context_tokens as f64)} onchange={pe(|v| PrefixEdit::MaxContext(v as u32))} />
                <div class="pair">
                    <NumberField id="f-sessions-docs" label="documents" unit="" min={0.0} max={MAX_PREFIX_COUNT as f64} integer=true
                        tip="Distinct documents shared by conversations (0: none); each conversation starts with one."
                        value={num(s.documents as f64)} onchange={pe(|v| PrefixEdit::Documents(v as u32))} />
                    <NumberField id="f-sessions-doc-tokens" label="of" unit="tokens" min={0.0} max={MAX_PREFIX_TOKENS as f64} integer=true
                        tip="Tokens per document."
                        value={num(s.document_tokens as f64)} onchange={pe(|v| PrefixEdit::DocumentTokens(v as u32))} />
                </div>
            }
            <CheckField id="f-prompt-on" label="Shared system prompt" checked={sp.is_some()}
                tip="A system prompt before every prompt, one of a few distinct ones (inference-perf's shared_prefix)."
                onchange={check(PrefixEdit::SharedPromptOn)} />
            if let Some(sp) = sp {
                <div class="pair">
                    <NumberField id="f-prompt-tokens" label="prompt" unit="tokens" min={1.0} max={MAX_PREFIX_TOKENS as f64} integer=true
                        tip="Tokens of each system prompt."
                        value={num(sp.tokens as f64)} onchange={pe(|v| PrefixEdit::PromptTokens(v as u32))} />
                    <NumberField id="f-prompt-count" label="distinct" unit="prompts" min={1.0} max={MAX_PREFIX_COUNT as f64} integer=true
                        tip="Distinct system prompts."
                        value={num(sp.prompts as f64)} onchange={pe(|v| PrefixEdit::Prompts(v as u32))} />
                </div>
            }
            <CheckField id="f-cache-aware" label="Cache-aware dispatch" checked={weight.is_some()}
                tip="Every policy's short placement moves a request to the replica of least queued + input − weight × cached tokens among those the policy treats alike."
                onchange={check(|on| PrefixEdit::CacheAware(on.then_some(1.0)))} />
            if let Some(wt) = weight {
                <NumberField id="f-cache-aware-weight" label="weight" unit="" min={0.0} max={MAX_AFFINITY_WEIGHT}
                    tip="Weight of a cached token against a queued one (1: a cached token is work not done)."
                    value={num(wt)} onchange={pe(|v| PrefixEdit::CacheAware(Some(v)))} />
            }
        </div>
    }
}
