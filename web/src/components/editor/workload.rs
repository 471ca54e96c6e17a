//! Workload fields: source (embedded trace, uploaded file, synthetic), load scaling, time
//! window, request limit, long-input transform.

use super::field::{CheckField, NumberField, SelectField, num};
use super::upload::TraceUpload;
use crate::describe::grouped;
use crate::protocol::ToWorker;
use crate::runner::limits::{MAX_REQUESTS, MAX_WINDOW_S};
use crate::state::{Action, DEFAULT_LOGNORMAL, Edit, SourceChoice, Upload, UploadStatus};
use pecsched_core::scenario::EmbeddedTrace;
use pecsched_core::scenario::limits::{
    MAX_LOGNORMAL_MEDIAN_TOKENS, MAX_LOGNORMAL_SIGMA, MAX_LONG_INPUT_TOKENS, MAX_RATE_SCALE,
    MAX_SYNTHETIC_CV, MAX_SYNTHETIC_RATE_PER_S,
};
use pecsched_core::scenario::wire::{ScenarioWire, SourceWire, SyntheticWire};
use yew::prelude::*;

/// Props of [`WorkloadEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft scenario.
    pub draft: ScenarioWire,
    /// The trace the worker holds.
    pub upload: Option<Upload>,
    /// The last upload's status.
    pub upload_status: UploadStatus,
    /// Edits.
    pub edit: Callback<Edit>,
    /// Posts to the worker.
    pub send: Callback<ToWorker>,
    /// Dispatches to the state.
    pub dispatch: Callback<Action>,
}

/// The workload section of the editor.
#[component]
pub fn WorkloadEditor(p: &Props) -> Html {
    let wl = &p.draft.workload;
    let e = p.edit.clone();
    let mut options: Vec<(AttrValue, AttrValue)> = EmbeddedTrace::ALL
        .iter()
        .map(|t| (t.id().into(), format!("{} (embedded)", t.label()).into()))
        .collect();
    let file_name = match &wl.source {
        SourceWire::File { name, .. } => Some(name.clone()),
        _ => p.upload.as_ref().map(|u| u.name.clone()),
    };
    if let Some(name) = &file_name {
        options.push(("file".into(), format!("Uploaded: {name}").into()));
    }
    options.push(("synthetic".into(), "Synthetic generator".into()));
    let selected: AttrValue = match &wl.source {
        SourceWire::Embedded(id) => id.clone().into(),
        SourceWire::File { .. } => "file".into(),
        SourceWire::Synthetic(_) => "synthetic".into(),
    };
    let on_source = {
        let e = e.clone();
        let upload = p.upload.clone();
        Callback::from(move |v: String| match v.as_str() {
            "synthetic" => e.emit(Edit::Source(SourceChoice::Synthetic)),
            "file" => {
                if let Some(u) = &upload {
                    e.emit(Edit::Source(SourceChoice::File {
                        name: u.name.clone(),
                        format: u.format.clone(),
                    }))
                }
            }
            id => e.emit(Edit::Source(SourceChoice::Embedded(id.to_string()))),
        })
    };
    let synthetic = match &wl.source {
        SourceWire::Synthetic(s) => synthetic_fields(s, &e),
        _ => html! {},
    };
    let (w0, w1) = wl.window_s.unwrap_or((0.0, 1200.0));
    let li = wl.long_input;
    html! {
        <fieldset class="section">
            <legend>{ "Workload" }</legend>
            <SelectField id="f-source" label="Requests from" options={options} selected={selected}
                tip="Embedded: the Azure LLM inference traces of 2023 (conversation: 19,366 requests; code: 8,819; one hour each). Uploaded: your file. Synthetic: seeded arrivals and lengths."
                onchange={on_source} />
            <TraceUpload upload={p.upload.clone()} status={p.upload_status.clone()}
                send={p.send.clone()} dispatch={p.dispatch.clone()} />
            { synthetic }
            <p class="transforms" id="transforms">{ crate::describe::transforms_sentence(wl) }</p>
            <NumberField id="f-rate" label="Load scaling" unit="× rate" min={0.001} max={MAX_RATE_SCALE}
                tip="Multiplies the arrival rate (arrival times are divided by it): 0.5 = half the load, 2 = twice. The default 0.05 lets 32 A100 sustain the 100K–500K-token long requests."
                value={num(wl.rate_scale)} onchange={e.reform(Edit::RateScale)} />
            <CheckField id="f-window-on" label="Time window" checked={wl.window_s.is_some()}
                tip="Keep only arrivals in [start, end) seconds of the source (before load scaling)."
                onchange={e.reform(Edit::WindowOn)} />
            if wl.window_s.is_some() {
                <div class="pair">
                    <NumberField id="f-window-start" label="from" unit="s" min={0.0} max={MAX_WINDOW_S} value={num(w0)}
                        tip="Window start, seconds after the first request of the source."
                        onchange={e.reform(Edit::WindowStart)} />
                    <NumberField id="f-window-end" label="to" unit="s" min={0.0} max={MAX_WINDOW_S} value={num(w1)}
                        tip="Window end, seconds after the first request of the source (exclusive)."
                        onchange={e.reform(Edit::WindowEnd)} />
                </div>
            }
            <NumberField id="f-max-requests" label="Request limit (0 = none)" unit="requests" min={0.0} max={MAX_REQUESTS as f64} integer=true
                tip={format!("Keep at most this many requests, in arrival order (0: no limit). The explorer runs at most {}.", grouped(MAX_REQUESTS.into()))}
                value={num(wl.max_requests.unwrap_or(0) as f64)}
                onchange={e.reform(|v: f64| Edit::MaxRequests((v >= 1.0).then_some(v as u32)))} />
            <CheckField id="f-long-on" label="Long-input transform" checked={li.is_some()}
                tip="The paper's transform: requests above a percentile of input length get a new input length drawn uniformly between min and max tokens (seeded)."
                onchange={e.reform(Edit::LongInputOn)} />
            if let Some(l) = li {
                <NumberField id="f-long-pct" label="above percentile" unit="%" min={0.0} max={100.0}
                    tip="Requests above this percentile of input length become long (paper: 95)."
                    value={num(l.percentile)} onchange={e.reform(Edit::LongPercentile)} />
                <NumberField id="f-long-min" label="long input from" unit="tokens" min={1.0} max={MAX_LONG_INPUT_TOKENS as f64} integer=true
                        tip="Smallest long input (paper: 100,000 tokens)."
                        value={num(l.min_tokens as f64)} onchange={e.reform(|v: f64| Edit::LongMin(v as u32))} />
                    <NumberField id="f-long-max" label="long input to" unit="tokens" min={1.0} max={MAX_LONG_INPUT_TOKENS as f64} integer=true
                        tip={format!("Largest long input (paper: 500,000 tokens; at most {}).", grouped(MAX_LONG_INPUT_TOKENS.into()))}
                        value={num(l.max_tokens as f64)} onchange={e.reform(|v: f64| Edit::LongMax(v as u32))} />
            }
            <super::prefix::PrefixEditor prefix={p.draft.prefix} edit={p.edit.clone()} />
        </fieldset>
    }
}

fn synthetic_fields(s: &SyntheticWire, e: &Callback<Edit>) -> Html {
    let mut lengths: Vec<(AttrValue, AttrValue)> = EmbeddedTrace::ALL
        .iter()
        .map(|t| {
            (
                t.id().into(),
                format!("resampled from {}", t.label()).into(),
            )
        })
        .collect();
    lengths.push(("lognormal".into(), "log-normal".into()));
    let selected: AttrValue = s
        .lengths_from
        .clone()
        .map_or("lognormal".into(), AttrValue::from);
    let ln = s.lognormal.unwrap_or(DEFAULT_LOGNORMAL);
    html! {
        <div class="sub">
            <NumberField id="f-syn-requests" label="Requests" unit="requests" min={1.0} max={MAX_REQUESTS as f64} integer=true
                tip={format!("Number of synthetic requests (the explorer runs at most {}).", grouped(MAX_REQUESTS.into()))}
                value={num(s.requests as f64)} onchange={e.reform(|v: f64| Edit::SynthRequests(v as u32))} />
            <NumberField id="f-syn-rate" label="Arrival rate" unit="req/s" min={1e-6} max={MAX_SYNTHETIC_RATE_PER_S}
                tip="Mean arrival rate, requests per second (before load scaling)."
                value={num(s.rate_per_s)} onchange={e.reform(Edit::SynthRate)} />
            <NumberField id="f-syn-cv" label="Burstiness (CV)" unit="" min={0.01} max={MAX_SYNTHETIC_CV}
                tip="Coefficient of variation of inter-arrival times: 1 = Poisson, above 1 burstier (gamma arrivals)."
                value={num(s.cv)} onchange={e.reform(Edit::SynthCv)} />
            <SelectField id="f-syn-lengths" label="Lengths" options={lengths} selected={selected}
                tip="Input/output lengths: resampled jointly from an embedded trace, or independent log-normals."
                onchange={e.reform(|v: String| Edit::SynthLengthsFrom((v != "lognormal").then_some(v)))} />
            if s.lengths_from.is_none() {
                <div class="pair">
                    <NumberField id="f-ln-in" label="input median" unit="tokens" min={1.0} max={MAX_LOGNORMAL_MEDIAN_TOKENS}
                        tip="Median input length." value={num(ln.0)} onchange={e.reform(|v| Edit::SynthLogNormal(0, v))} />
                    <NumberField id="f-ln-in-s" label="σ" unit="" min={0.0} max={MAX_LOGNORMAL_SIGMA}
                        tip="σ of ln(input length)." value={num(ln.1)} onchange={e.reform(|v| Edit::SynthLogNormal(1, v))} />
                </div>
                <div class="pair">
                    <NumberField id="f-ln-out" label="output median" unit="tokens" min={1.0} max={MAX_LOGNORMAL_MEDIAN_TOKENS}
                        tip="Median output length." value={num(ln.2)} onchange={e.reform(|v| Edit::SynthLogNormal(2, v))} />
                    <NumberField id="f-ln-out-s" label="σ" unit="" min={0.0} max={MAX_LOGNORMAL_SIGMA}
                        tip="σ of ln(output length)." value={num(ln.3)} onchange={e.reform(|v| Edit::SynthLogNormal(3, v))} />
                </div>
            }
        </div>
    }
}
