//! The parameters of the schedulers users compare with (docs/policies.md), one group per
//! policy, shown for the policies the scenario runs: learning-to-rank's estimate noise, the
//! chunk of chunked prefill and Medha, DistServe's decode share, Medha's step target and
//! smallest chunk, LoongServe's scale-out bound. They travel with the link.

use super::field::{NumberField, num};
use crate::state::Edit;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::param_edit::PolicyParam;
use pecsched_core::scenario::wire::ScenarioWire;
use yew::prelude::*;

/// Props of [`ParamsEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft scenario.
    pub draft: ScenarioWire,
    /// Edits.
    pub edit: Callback<Edit>,
}

/// One field: id, label, unit, tip, bounds, whole numbers only.
struct Spec {
    param: PolicyParam,
    id: &'static str,
    label: &'static str,
    unit: &'static str,
    tip: &'static str,
    min: f64,
    max: f64,
    integer: bool,
}

const RANK: Spec = Spec {
    param: PolicyParam::RankNoiseSigma,
    id: "f-param-rank-noise",
    label: "Estimate noise σ",
    unit: "",
    tip: "Learning-to-rank orders by an output-length estimate: the true length × exp(σ·Z). 0 is an oracle; default 1.",
    min: 0.0,
    max: 10.0,
    integer: false,
};
const CHUNK: Spec = Spec {
    param: PolicyParam::ChunkTokensPerMember,
    id: "f-param-chunk",
    label: "Chunk",
    unit: "tokens/member",
    tip: "Prompt tokens each replica of a long request's group processes per step (chunked prefill; Medha's largest chunk). Default 2048, Sarathi-Serve's budget for relaxed TBT SLOs.",
    min: 1.0,
    max: 1_048_576.0,
    integer: true,
};
const SHARE: Spec = Spec {
    param: PolicyParam::PdDecodeShare,
    id: "f-param-pd-share",
    label: "Decode share",
    unit: "of replicas",
    tip: "DistServe: the share of the replicas that only decode (the rest prefill). Default 0.3.",
    min: 0.001,
    max: 0.999,
    integer: false,
};
const TARGET: Spec = Spec {
    param: PolicyParam::MedhaStepTargetS,
    id: "f-param-medha-target",
    label: "Step target (0 = TBT SLO)",
    unit: "s",
    tip: "Medha: the longest a long-prefill step may take; its chunk is the largest that fits. 0: the short class's TBT SLO.",
    min: 0.0,
    max: 3600.0,
    integer: false,
};
const MIN_CHUNK: Spec = Spec {
    param: PolicyParam::MedhaMinChunkTokensPerMember,
    id: "f-param-medha-min-chunk",
    label: "Smallest chunk",
    unit: "tokens/member",
    tip: "Medha: the chunk a step takes even when no chunk fits the target. Default 1.",
    min: 1.0,
    max: 1_048_576.0,
    integer: true,
};
const DEGREE: Spec = Spec {
    param: PolicyParam::MaxPrefillDegree,
    id: "f-param-max-degree",
    label: "Max prefill degree",
    unit: "replicas",
    tip: "LoongServe: the largest group a long prefill scales out to over idle replicas. Default 8.",
    min: 1.0,
    max: 32_768.0,
    integer: true,
};

/// The parameter fields of the policies the draft runs (nothing when it runs none of them).
#[component]
pub fn ParamsEditor(p: &Props) -> Html {
    let runs = |k: PolicyKind| p.draft.policies.iter().any(|x| x == k.id());
    let field = |s: &Spec| {
        let param = s.param;
        html! {
            <NumberField id={s.id} label={s.label} unit={s.unit} tip={s.tip}
                min={s.min} max={s.max} integer={s.integer}
                value={num(p.draft.policy_param(param))}
                onchange={p.edit.reform(move |v: f64| Edit::Param(param, v))} />
        }
    };
    let groups: Vec<(&str, Vec<&Spec>)> = [
        (PolicyKind::LearnedRank, "Learning-to-rank", vec![&RANK]),
        (PolicyKind::ChunkedPrefill, "Chunked prefill", vec![&CHUNK]),
        (PolicyKind::Disaggregated, "DistServe", vec![&SHARE]),
        (
            PolicyKind::Medha,
            "Medha",
            vec![&TARGET, &MIN_CHUNK, &CHUNK],
        ),
        (PolicyKind::LoongServe, "LoongServe", vec![&DEGREE]),
    ]
    .into_iter()
    .filter(|(k, _, _)| runs(*k))
    .map(|(_, name, specs)| (name, specs))
    .collect();
    if groups.is_empty() {
        return html! {};
    }
    // The chunk is one parameter: shown once, under the first group that uses it.
    let mut shown_chunk = false;
    html! {
        <fieldset class="section" id="params">
            <legend>{ "Other policies' parameters" }</legend>
            { for groups.into_iter().map(|(name, specs)| {
                let fields: Vec<Html> = specs
                    .into_iter()
                    .filter(|s| {
                        let chunk = s.param == PolicyParam::ChunkTokensPerMember;
                        let show = !(chunk && shown_chunk);
                        shown_chunk |= chunk;
                        show
                    })
                    .map(field)
                    .collect();
                html! { <>
                    <h4 class="knob-group">{ name }</h4>
                    { for fields }
                </> }
            }) }
        </fieldset>
    }
}
