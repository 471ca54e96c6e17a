//! Cluster and model fields: GPU, calibration profile, nodes, GPUs per node, TP, network,
//! model.

use super::field::{NumberField, SelectField, num};
use crate::runner::limits::MAX_GPUS;
use crate::state::Edit;
use pecsched_core::hardware::GpuKind;
use pecsched_core::model::ModelKind;
use pecsched_core::perf::profiles::{BUILTIN_PROFILES, BuiltinProfile};
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::limits::{MAX_GPUS_PER_NODE, MAX_NETWORK_GBPS, MAX_NODES};
use pecsched_core::scenario::wire::{CalibrationWire, ScenarioWire};
use yew::prelude::*;

/// Props of [`ClusterEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft scenario.
    pub draft: ScenarioWire,
    /// Edits.
    pub edit: Callback<Edit>,
    /// The draft's calibration (`State::calibration`).
    pub calibration: CalibrationWire,
    /// Its label (`Scenario::calibration_label`), while the draft is valid.
    pub calibration_label: Option<String>,
    /// Why the profile may not suit the cluster's GPU (`State::calibration_warning`).
    pub calibration_warning: Option<String>,
}

/// The value of the picker's entry for a calibration with overrides (not a built-in id, so
/// choosing it again changes nothing).
const CUSTOM: &str = "custom";

fn profile_tip(gpu: &str) -> String {
    let default = gpu
        .parse::<GpuKind>()
        .ok()
        .and_then(|g| BuiltinProfile::find(Scenario::default_calibration_id(g)))
        .map(|p| format!(" A new scenario on this GPU uses “{}”.", p.label))
        .unwrap_or_default();
    format!(
        "The performance model's calibration: how close each kind of kernel (GEMMs, prefill and \
         decode attention, collectives) comes to the datasheet peaks, and its fixed costs. Part \
         of the scenario: links carry it. “vLLM … measured”: fitted to production kernels \
         (vLLM attention, cuBLAS GEMMs, NCCL) measured on that GPU; H200: derived from the H100 \
         fit and the H200 datasheet; “wgpu kernels”: this project's own kernels measured on an \
         H100 (much slower than production ones); datasheet: the model's defaults, for any \
         GPU. A profile read from a file by the command line shows as “profile + N fields”; \
         pick a built-in one to replace it.{default}"
    )
}

fn gpu_tip() -> String {
    let lines: Vec<String> = GpuKind::ALL
        .iter()
        .map(|g| {
            let s = g.spec();
            format!(
                "{}: {:.0} TFLOP/s bf16, {:.0} GB/s HBM, {} GiB",
                s.name,
                s.bf16_flops / 1e12,
                s.hbm_bytes_per_s / 1e9,
                s.memory_bytes >> 30
            )
        })
        .collect();
    format!(
        "GPU model of every slot (datasheet figures).\n{}",
        lines.join("\n")
    )
}

/// The cluster section of the editor.
#[component]
pub fn ClusterEditor(p: &Props) -> Html {
    let c = &p.draft.cluster;
    let e = p.edit.clone();
    let gpus: Vec<_> = GpuKind::ALL
        .iter()
        .map(|g| (g.id().into(), g.spec().name.into()))
        .collect();
    let models: Vec<_> = ModelKind::ALL
        .iter()
        .map(|m| (m.id().into(), m.spec().name.into()))
        .collect();
    let cal = &p.calibration;
    let mut profiles: Vec<(AttrValue, AttrValue)> = BUILTIN_PROFILES
        .iter()
        .map(|b| (b.id.into(), b.label.into()))
        .collect();
    let selected: AttrValue = if cal.overrides.is_empty() {
        cal.profile.clone().into()
    } else {
        // A calibration with overrides (e.g. a profile file the CLI read): its own entry,
        // first; picking a built-in replaces it.
        let label = p
            .calibration_label
            .clone()
            .unwrap_or_else(|| format!("{} + {} fields", cal.profile, cal.overrides.len()));
        profiles.insert(0, (CUSTOM.into(), label.into()));
        CUSTOM.into()
    };
    // The explorer's GPU limit, enforced at the fields (the core allows MAX_NODES ×
    // MAX_GPUS_PER_NODE).
    let max_nodes = (MAX_GPUS / c.gpus_per_node.max(1)).clamp(1, MAX_NODES);
    let max_per_node = (MAX_GPUS / c.nodes.max(1)).clamp(1, MAX_GPUS_PER_NODE);
    let total = c.nodes as u64 * c.gpus_per_node as u64;
    let replicas = if p.draft.tp > 0 {
        total / p.draft.tp as u64
    } else {
        0
    };
    html! {
        <fieldset class="section">
            <legend>{ "Cluster and model" }</legend>
            <SelectField id="f-gpu" label="GPU" tip={gpu_tip()} options={gpus}
                selected={c.gpu.clone()} onchange={e.reform(Edit::Gpu)} />
            <SelectField id="f-profile" label="Calibration profile"
                tip={profile_tip(&c.gpu)} options={profiles} {selected}
                onchange={e.reform(Edit::Calibration)} />
            if let Some(w) = &p.calibration_warning {
                <p class="warn field-note" id="f-profile-warning" role="note">{ format!("⚠ {w}") }</p>
            }
            <NumberField id="f-nodes" label="Nodes" unit="nodes" min={1.0} max={max_nodes as f64} integer=true
                max_reason={format!("the explorer simulates at most {MAX_GPUS} GPUs: {max_nodes} nodes of {} GPUs", c.gpus_per_node)}
                tip={format!("Machines in the cluster (1–{MAX_NODES}, and at most {MAX_GPUS} GPUs in all in the explorer; the command line goes further).")}
                value={num(c.nodes as f64)} onchange={e.reform(|v: f64| Edit::Nodes(v as u32))} />
            <NumberField id="f-gpus-per-node" label="GPUs per node" unit="GPUs" min={1.0} max={max_per_node as f64} integer=true
                max_reason={format!("the explorer simulates at most {MAX_GPUS} GPUs: {} nodes of {max_per_node} GPUs", c.nodes)}
                tip={format!("NVLink-connected GPUs in each node (1–{MAX_GPUS_PER_NODE}). TP must divide it.")}
                value={num(c.gpus_per_node as f64)} onchange={e.reform(|v: f64| Edit::GpusPerNode(v as u32))} />
            <NumberField id="f-tp" label="Tensor parallelism" unit="GPUs/replica" min={1.0} max={MAX_GPUS_PER_NODE as f64} integer=true
                tip="GPUs per model replica (tensor-parallel size); must divide GPUs per node."
                value={num(p.draft.tp as f64)} onchange={e.reform(|v: f64| Edit::Tp(v as u32))} />
            <NumberField id="f-network" label="Network" unit="Gbit/s" min={1.0} max={MAX_NETWORK_GBPS}
                tip="Bandwidth between nodes, per node and direction (paper: 400 Gbit/s)."
                value={num(c.network_gbps)} onchange={e.reform(Edit::NetworkGbps)} />
            <SelectField id="f-model" label="Model" options={models} selected={p.draft.model.clone()}
                tip="The LLM every replica serves (architecture from the model catalog; bf16 weights and KV)."
                onchange={e.reform(Edit::Model)} />
            <p class="derived">{ format!("{total} GPUs, {replicas} replicas") }</p>
        </fieldset>
    }
}
