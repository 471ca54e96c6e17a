//! Cluster and model fields: GPU, calibration profile, nodes, GPUs per node, TP, network,
//! model.

use super::field::{NumberField, SelectField, num};
use crate::runner::limits::MAX_GPUS;
use crate::state::{Action, Edit};
use pecsched_core::hardware::GpuKind;
use pecsched_core::model::ModelKind;
use pecsched_core::perf::profiles::builtin_list;
use pecsched_core::scenario::limits::{MAX_GPUS_PER_NODE, MAX_NETWORK_GBPS, MAX_NODES};
use pecsched_core::scenario::wire::ScenarioWire;
use yew::prelude::*;

/// Props of [`ClusterEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft scenario.
    pub draft: ScenarioWire,
    /// Edits.
    pub edit: Callback<Edit>,
    /// The calibration profile id.
    pub calibration: AttrValue,
    /// Dispatches to the state.
    pub dispatch: Callback<Action>,
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
    let profiles: Vec<(AttrValue, AttrValue)> = builtin_list()
        .into_iter()
        .map(|(id, label)| (id.into(), label.into()))
        .collect();
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
                tip="How much of the datasheet peaks kernels reach (the performance model's efficiencies). Datasheet: the built-in defaults. Measured profiles were fitted by `pecsched-worker calibrate` on a real GPU (the H100 one is meant for GPU = H100)."
                options={profiles} selected={p.calibration.clone()}
                onchange={p.dispatch.reform(Action::Calibration)} />
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
