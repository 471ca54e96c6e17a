//! Policies to compare, their knobs (PecSched's decode pool and colocation cap, Reservation's
//! pool, Priority's placement rule) and the seed. Numbers the engine derives from a knob are
//! shown beside it (`State::derived`, computed by the core).

use super::field::{CheckField, NumberField, SelectField, num};
use crate::describe::grouped;
use crate::runner::limits::MAX_GPUS;
use crate::state::{Action, Derived, Edit};
use pecsched_core::perf::SpGroup;
use pecsched_core::policy::{ColocationCap, PolicyKind, PriorityPlacement, ReservationPool};
use pecsched_core::scenario::DerivedCap;
use pecsched_core::scenario::limits::{
    MAX_COLOCATION_CAP_TOKENS_PER_GPU, MAX_COLOCATION_SLOWDOWN_PERMILLE, MAX_LONG_INPUT_TOKENS,
    MAX_OUTPUT_TOKENS,
};
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_core::scenario::wire_v1::V1_DEFAULT_COLOCATION_CAP_TOKENS_PER_GPU;
use pecsched_core::sched::colocation::DEFAULT_MAX_SLOWDOWN_PERMILLE;
use yew::prelude::*;

/// Props of [`PolicyEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft scenario.
    pub draft: ScenarioWire,
    /// Run the load sweep.
    pub sweep_on: bool,
    /// What the core derives from the draft (`None` while it is invalid).
    pub derived: Option<Derived>,
    /// Reservation's pool as a number of replicas of today's size (for switching its mode).
    pub reservation_replicas: ReservationPool,
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
        PolicyKind::Sjf => {
            "Shortest job first by input length: the global queue is served shortest prompt first; large requests wait under load."
        }
        PolicyKind::LearnedRank => {
            "Learning-to-rank (NeurIPS'24): shortest estimated output first; the estimate's error is policy_params.rank_noise_sigma."
        }
        PolicyKind::ChunkedPrefill => {
            "Stall-free chunked prefill (vLLM v1, Sarathi-Serve): a long prompt advances in chunks batched with the running decodes; it never runs alone."
        }
        PolicyKind::Disaggregated => {
            "Prefill/decode disaggregation (DistServe, Splitwise): every request decodes on a separate pool (policy_params.pd_decode_share of the replicas) after a priced KV transfer; a long request moves to the fewest pool replicas that hold its KV."
        }
        PolicyKind::LoongServe => {
            "Elastic sequence parallelism (LoongServe, SOSP'24): a long prefill scales out over idle replicas (up to elastic_sp.max_prefill_degree, default 8), its decode scales in to the fewest that hold its KV and frees the rest for short work."
        }
        PolicyKind::Medha => {
            "Medha: least-slack-first queue (TTFT deadline less estimated prefill); long prompts in adaptive chunks that keep each step within the short TBT SLO, shrinking as the context grows; KV-parallel long decode."
        }
    }
}

/// Tokens as people read them: `500K` for whole thousands, else grouped digits.
fn tokens(n: u32) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}K", n / 1000)
    } else {
        grouped(n.into())
    }
}

/// A group as people read it: `4 replicas (2 + 2 on 2 nodes)`, `2 replicas on one node`.
fn group_words(g: &SpGroup) -> String {
    let parts: Vec<String> = g
        .replicas_per_node
        .iter()
        .filter(|&&n| n > 0)
        .map(|n| n.to_string())
        .collect();
    match parts.len() {
        0 | 1 => format!("{} replicas on one node", g.replicas()),
        n => format!(
            "{} replicas ({} on {n} nodes)",
            g.replicas(),
            parts.join(" + ")
        ),
    }
}

/// The derived cap in words: `5 tokens/GPU for a 500K-token request on 4 replicas (2 + 2 on
/// 2 nodes); 12 for 100K on 2 replicas on one node`.
fn derived_words(caps: &[DerivedCap]) -> String {
    let mut caps: Vec<&DerivedCap> = caps.iter().collect();
    caps.sort_by_key(|c| std::cmp::Reverse(c.input_tokens));
    caps.iter()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                format!(
                    "{} tokens/GPU for a {}-token request on {}",
                    c.tokens_per_gpu,
                    tokens(c.input_tokens),
                    group_words(&c.group)
                )
            } else {
                format!(
                    "{} for {} on {}",
                    c.tokens_per_gpu,
                    tokens(c.input_tokens),
                    group_words(&c.group)
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

const COLOCATION_TIP: &str = "docs/paper.md §2.6: during a long request's decode, PecSched batches short prefills into its steps on the same GPUs, with short-prefill tokens per GPU capped “so that the long decode is not slowed”; the paper gives no value. Derived (the default): per long request, the largest count that slows one of its decode steps by at most the slowdown bound, from the performance model (the line below shows what the engine derives for this scenario). Fixed: the same count for every request (the only form of links of format version 1). Used by PecSched, /PE, /Dis and /FSP; /CoL never colocates.";

const RESERVATION_TIP: &str = "docs/paper.md §1.3: Reservation (Llumnix-like) serves long requests on a reserved pool, “sized for one 500K-token input”, and short requests on every other replica. For a request (the default: 500,000 input and 2,048 output tokens): as many replicas as the engine gives such a request. Fixed replicas: a number of replicas. The pool takes replicas from node 0 on; at least one replica stays for short requests; a long request bigger than the pool is rejected.";

const PRIORITY_TIP: &str = "docs/paper.md §1.3: Priority (Past-Future-like) gives long inputs low priority: a long request is placed only while no short request waits in the global queue. Which replicas it may take the paper does not say. No short queued (the default): long-free replicas whose local queue holds no short request; short work already running continues. Completely idle: nothing queued or running there (spare capacity only, a stricter reading and the earlier default).";

fn placement_label(p: PriorityPlacement) -> &'static str {
    match p {
        PriorityPlacement::NoQueuedShortWork => "no short queued",
        PriorityPlacement::CompletelyIdle => "completely idle",
    }
}

/// The policy section of the editor.
#[component]
pub fn PolicyEditor(p: &Props) -> Html {
    let e = p.edit.clone();
    let knobs = p.draft.knobs.clone().unwrap_or_default();
    let seed = e.clone();
    let derived_caps = p
        .derived
        .as_ref()
        .filter(|d| !d.colocation.is_empty())
        .map(|d| derived_words(&d.colocation));
    let (cap_mode, cap_fields, cap_line) = match knobs.colocation_cap {
        ColocationCap::Derived {
            max_slowdown_permille,
        } => (
            "derived",
            html! {
                <NumberField id="f-colocation-slowdown" label="Slowdown bound" unit="%" min={0.0}
                    max={MAX_COLOCATION_SLOWDOWN_PERMILLE as f64 / 10.0}
                    tip={format!("How much longer a long-decode step may take with short prefills batched in than alone, in % (0–{} %, to 0.1 %). The default, {} %, reads the paper's “not slowed” with some tolerance: in the model every extra token costs something.", MAX_COLOCATION_SLOWDOWN_PERMILLE / 10, DEFAULT_MAX_SLOWDOWN_PERMILLE as f64 / 10.0)}
                    value={num(max_slowdown_permille as f64 / 10.0)}
                    onchange={e.reform(|v: f64| Edit::ColocationCap(ColocationCap::Derived {
                        max_slowdown_permille: (v * 10.0).round() as u32,
                    }))} />
            },
            derived_caps.map(|w| format!("The engine derives {w}.")),
        ),
        ColocationCap::Fixed { tokens_per_gpu } => (
            "fixed",
            html! {
                <NumberField id="f-colocation-tokens" label="Fixed cap" unit="tokens/GPU" min={0.0}
                    max={MAX_COLOCATION_CAP_TOKENS_PER_GPU as f64} integer=true
                    tip={format!("Short-prefill tokens per GPU batched into every long-decode step, whatever the request (0–{MAX_COLOCATION_CAP_TOKENS_PER_GPU}; 0: no colocation).")}
                    value={num(tokens_per_gpu as f64)}
                    onchange={e.reform(|v: f64| Edit::ColocationCap(ColocationCap::Fixed {
                        tokens_per_gpu: v as u32,
                    }))} />
            },
            derived_caps.map(|w| format!("Derived at the default bound it would be {w}.")),
        ),
    };
    let cap_modes: Vec<(AttrValue, AttrValue)> = vec![
        ("derived".into(), "derived".into()),
        ("fixed".into(), "fixed".into()),
    ];
    let on_cap_mode = e.reform(|m: String| {
        Edit::ColocationCap(if m == "fixed" {
            ColocationCap::Fixed {
                tokens_per_gpu: V1_DEFAULT_COLOCATION_CAP_TOKENS_PER_GPU,
            }
        } else {
            ColocationCap::default()
        })
    });
    let (pool_mode, pool_fields, pool_line) = match knobs.reservation_pool {
        ReservationPool::ForRequest {
            input_tokens,
            output_tokens,
        } => (
            "request",
            html! { <>
                <NumberField id="f-reservation-input" label="Pool's request: input" unit="tokens" min={1.0}
                    max={MAX_LONG_INPUT_TOKENS as f64} integer=true
                    tip={format!("Input length of the request the pool is sized for (1–{}; the paper: 500,000).", grouped(MAX_LONG_INPUT_TOKENS.into()))}
                    value={num(input_tokens as f64)}
                    onchange={e.reform(move |v: f64| Edit::ReservationPool(ReservationPool::ForRequest {
                        input_tokens: v as u32, output_tokens,
                    }))} />
                <NumberField id="f-reservation-output" label="Pool's request: output" unit="tokens" min={0.0}
                    max={MAX_OUTPUT_TOKENS as f64} integer=true
                    tip={format!("Output length of the request the pool is sized for (0–{}; the default 2,048 is above every embedded trace's longest output): its KV counts in the group size.", grouped(MAX_OUTPUT_TOKENS.into()))}
                    value={num(output_tokens as f64)}
                    onchange={e.reform(move |v: f64| Edit::ReservationPool(ReservationPool::ForRequest {
                        input_tokens, output_tokens: v as u32,
                    }))} />
            </> },
            p.derived.as_ref().and_then(|d| {
                d.reservation_group.map(|k| {
                    format!(
                        "Such a request gets {k} of the {} replicas here: the pool's size.",
                        d.replicas
                    )
                })
            }),
        ),
        ReservationPool::Replicas(n) => (
            "replicas",
            html! {
                <NumberField id="f-reservation-replicas" label="Pool size" unit="replicas" min={1.0}
                    max={MAX_GPUS as f64} integer=true
                    tip="Replicas reserved for long requests, from node 0 on (at least one replica stays for short requests)."
                    value={num(n as f64)}
                    onchange={e.reform(|v: f64| Edit::ReservationPool(ReservationPool::Replicas(v as u32)))} />
            },
            None,
        ),
    };
    let pool_modes: Vec<(AttrValue, AttrValue)> = vec![
        ("request".into(), "for a request".into()),
        ("replicas".into(), "fixed replicas".into()),
    ];
    let on_pool_mode = {
        let replicas = p.reservation_replicas;
        e.reform(move |m: String| {
            Edit::ReservationPool(if m == "replicas" {
                replicas
            } else {
                ReservationPool::default()
            })
        })
    };
    let placements: Vec<(AttrValue, AttrValue)> = PriorityPlacement::ALL
        .iter()
        .map(|&k| (k.id().into(), placement_label(k).into()))
        .collect();
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
        <fieldset class="section" id="knobs">
            <legend>{ "Policy knobs and seed" }</legend>
            <h4 class="knob-group">{ "PecSched" }</h4>
            <NumberField id="f-decode-replicas" label="Decode-only replicas (0 = paper)" unit="replicas" min={0.0} max={MAX_GPUS as f64} integer=true
                tip="docs/paper.md §2.2, §2.5: replicas reserved for short-request decodes under disaggregation. 0: the paper's share, one eighth of the replicas (at least 1)."
                value={num(knobs.decode_replicas.unwrap_or(0) as f64)}
                onchange={e.reform(|v: f64| Edit::DecodeReplicas((v >= 1.0).then_some(v as u32)))} />
            <SelectField id="f-colocation-mode" label="Colocation cap" tip={COLOCATION_TIP}
                options={cap_modes} selected={cap_mode} onchange={on_cap_mode} />
            { cap_fields }
            if let Some(l) = cap_line {
                <p class="derived" id="colocation-derived">{ l }</p>
            }
            <h4 class="knob-group">{ "Reservation" }</h4>
            <SelectField id="f-reservation-mode" label="Long-request pool" tip={RESERVATION_TIP}
                options={pool_modes} selected={pool_mode} onchange={on_pool_mode} />
            { pool_fields }
            if let Some(l) = pool_line {
                <p class="derived" id="reservation-derived">{ l }</p>
            }
            <h4 class="knob-group">{ "Priority" }</h4>
            <SelectField id="f-priority-placement" label="Long requests on" tip={PRIORITY_TIP}
                options={placements} selected={knobs.priority_placement.clone()}
                onchange={e.reform(Edit::PriorityPlacement)} />
            <h4 class="knob-group">{ "Every run" }</h4>
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
        <super::params::ParamsEditor draft={p.draft.clone()} edit={p.edit.clone()} />
        <super::slo::SloEditor slo={p.draft.slo} edit={p.edit.clone()} />
        </>
    }
}
