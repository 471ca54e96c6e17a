//! Policies to compare, PecSched's knobs and the seed.

use super::field::{CheckField, NumberField, num};
use crate::runner::limits::MAX_GPUS;
use crate::state::{Action, Edit};
use pecsched_core::policy::{ColocationCap, PolicyKind};
use pecsched_core::scenario::limits::MAX_COLOCATION_CAP_TOKENS_PER_GPU;
use pecsched_core::scenario::wire::ScenarioWire;
use yew::prelude::*;

/// Props of [`PolicyEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft scenario.
    pub draft: ScenarioWire,
    /// Run the load sweep.
    pub sweep_on: bool,
    /// Edits.
    pub edit: Callback<Edit>,
    /// Dispatches to the state.
    pub dispatch: Callback<Action>,
}

fn tip(p: PolicyKind) -> &'static str {
    match p {
        PolicyKind::Fifo => {
            "First come, first served over one shared pool (vLLM-like): long requests hold their replicas until done."
        }
        PolicyKind::Reservation => {
            "A reserved pool of replicas for long requests (Llumnix-like): short requests never wait behind long ones, but the pool idles."
        }
        PolicyKind::Priority => {
            "Short requests first; long requests only on spare capacity (Past-Future-like): long requests may starve."
        }
        PolicyKind::PecSched => {
            "PecSched: preemption of long prefills, short prefill/decode disaggregation, colocation, fast sequence parallelism."
        }
        PolicyKind::PecSchedNoPreemption => "PecSched without preemption (ablation /PE).",
        PolicyKind::PecSchedNoDisaggregation => {
            "PecSched without short prefill/decode disaggregation (ablation /Dis)."
        }
        PolicyKind::PecSchedNoColocation => {
            "PecSched without colocation of short prefills with long decodes (ablation /CoL)."
        }
        PolicyKind::PecSchedNoFastSp => {
            "PecSched without fast sequence parallelism (ablation /FSP)."
        }
    }
}

/// The policy section of the editor.
#[component]
pub fn PolicyEditor(p: &Props) -> Html {
    let e = p.edit.clone();
    let knobs = p.draft.knobs.clone().unwrap_or_default();
    let fixed_cap = match knobs.colocation_cap {
        ColocationCap::Fixed { tokens_per_gpu } => tokens_per_gpu,
        ColocationCap::Derived { .. } => 0,
    };
    let seed = e.clone();
    html! {
        <>
        <fieldset class="section">
            <legend>{ "Policies" }</legend>
            <div class="policies">
            { for PolicyKind::ALL.iter().map(|&k| {
                let on = p.draft.policies.iter().any(|x| x == k.id());
                let id = format!("f-policy-{}", k.id().replace('/', "-"));
                html! {
                    <CheckField id={id} label={k.label()} tip={tip(k)} checked={on}
                        onchange={e.reform(move |v| Edit::Policy(k, v))} />
                }
            }) }
            </div>
        </fieldset>
        <fieldset class="section">
            <legend>{ "PecSched knobs and seed" }</legend>
            <NumberField id="f-decode-replicas" label="Decode-only replicas (0 = paper)" unit="replicas" min={0.0} max={MAX_GPUS as f64} integer=true
                tip="Replicas reserved for short-request decodes under disaggregation. 0: the paper's rule, one eighth of the replicas (at least 1)."
                value={num(knobs.decode_replicas.unwrap_or(0) as f64)}
                onchange={e.reform(|v: f64| Edit::DecodeReplicas((v >= 1.0).then_some(v as u32)))} />
            <NumberField id="f-colocation" label="Colocation cap (0 = derived)" unit="tokens/GPU" min={0.0} max={MAX_COLOCATION_CAP_TOKENS_PER_GPU as f64} integer=true
                tip="Short-prefill tokens per GPU batched into one long-decode step. 0 (the default): derived per long request from the cost model, the largest count that slows its decode step by at most 5 %."
                value={num(fixed_cap as f64)}
                onchange={e.reform(|v: f64| Edit::ColocationCap((v >= 1.0).then_some(v as u32)))} />
            <NumberField id="f-seed" label="Seed" unit="" min={0.0} integer=true
                tip="Seed of every random draw (long-input transform, synthetic arrivals and lengths). Same seed, same numbers."
                value={AttrValue::from(p.draft.seed.to_string())}
                ontext={Some(Callback::from(move |t: String| match t.parse::<u64>() {
                    Ok(v) => {
                        seed.emit(Edit::Seed(v));
                        None
                    }
                    Err(_) => Some(format!("“{t}” is not a seed: enter a whole number from 0 to {}", u64::MAX)),
                }))} />
            <CheckField id="f-sweep" label="Load sweep (0.25×–1.5×)" checked={p.sweep_on}
                tip="After the comparison, run the same scenario at 0.25× to 1.5× of its load for every policy (several seeds where the scenario is random)."
                onchange={p.dispatch.reform(Action::SweepOn)} />
        </fieldset>
        </>
    }
}
