//! Sequence parallelism for long prefills: the types, the paper's §5.3 cost table and the cost
//! model that chooses fast SP's combination from it, and the group shape. The time model lives
//! in `sp_model.rs` ([`PerfModel::sp_prefill`](crate::perf::PerfModel::sp_prefill)).
//!
//! ## The two modes
//!
//! - [`SpMode::RingOnly`] (baselines and the /FSP ablation): ring attention across the `k`
//!   replicas of the group, TP inside each replica.
//! - [`SpMode::Fast`] (PecSched, docs/paper.md §2.7): one of the four {Megatron-SP,
//!   Ulysses-SP} attention × {Megatron-SP, Ulysses-SP} MLP combinations, **chosen per request
//!   by the paper's cost model** ([`SpCostModel`]: the §5.3 cost table's communication volume
//!   and computation turned into seconds and summed, not overlapped, as the paper sums them),
//!   then **priced by the roofline** like every other plan. The cost model decides; the
//!   roofline does not: Fast can therefore be slower than RingOnly where the two disagree.
//!   Labels follow §5.3 and the cost table (conventional naming), not §4.2's swapped prose.
//!   - Megatron attention: tokens all-gathered in each TP region (replica) before QKV and
//!     reduce-scattered after O; KV passes in a ring **between TP regions** (③ in the paper),
//!     so the ring has `k` participants. Megatron attention + Megatron MLP is therefore exactly
//!     ring-only SP.
//!   - Ulysses attention: each GPU gathers its TP region's attention weights, two all-to-alls
//!     switch the node's GPUs from sequence shards to head shards, and ring attention runs
//!     **between nodes only** (`replicas_per_node.len()` steps).
//!   - Megatron MLP: all-gather tokens before, reduce-scatter after. Ulysses MLP: each GPU
//!     gathers the full MLP weights of the layer and runs its own tokens, no activation comm.
//!   - With `tp = 1`, Megatron has no intra-node communication (pure ring between GPUs).
//!
//! ## Ring attention (our modelling choices)
//!
//! The sequence of `L` tokens is split into `n` equal segments (`n = k` replicas or `m`
//! nodes). Zig-zag placement balances the causal mask: in each of the `n` ring steps every
//! participant computes ≈ `(L/n)²/2` (query, key) pairs, for `L²/2` pairs over the ring. A
//! step costs `max(attention compute of the step, KV-block send over the slowest link of the
//! ring) + attention_overhead_s + ring_step_overhead_s`. The step's attention runs at the
//! SDPA efficiency of an `L/n`-token block **divided by `1 + ring_attn_step_penalty·(n−1)`**:
//! the paper states (citing USP) that ring attention's compute efficiency is low and falls as
//! the ring grows. The penalty's default (0.031) is measured, not chosen: zig-zag ring
//! flash-attention forward on 8×A100 (NVLink) runs at 81.7 % of the plain kernel at the same
//! 8K tokens per GPU (zhuzilin/ring-flash-attention README, Llama-3-8B heads, causal), so
//! `1 + 7p = 1/0.817` less the ≈ 0.7 % this model already charges per step as
//! `ring_step_overhead_s` + `attention_overhead_s` (docs/fidelity.md, "Ring attention").

use crate::model::ModelSpec;
use crate::perf::PerfError;
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

/// The replicas a long request is spread over, by node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpGroup {
    /// How many replicas (each `tp` GPUs) of the group sit in each node it spans; all on one
    /// node ⇒ `vec![k]`. Zero entries are ignored; an empty group counts as one replica.
    pub replicas_per_node: Vec<u32>,
}

impl SpGroup {
    /// `k` replicas on one node.
    pub fn single_node(k: u32) -> SpGroup {
        SpGroup {
            replicas_per_node: vec![k],
        }
    }

    /// `k` replicas packed same node first on nodes of `per_node` replicas: full nodes, then
    /// the remainder (the paper's placement when the cluster is free, §3.4).
    pub fn packed(k: u32, per_node: u32) -> SpGroup {
        let per_node = per_node.max(1);
        let mut replicas_per_node = vec![per_node; (k / per_node) as usize];
        if !k.is_multiple_of(per_node) {
            replicas_per_node.push(k % per_node);
        }
        SpGroup { replicas_per_node }
    }

    /// Total replicas (at least 1).
    pub fn replicas(&self) -> u32 {
        self.replicas_per_node.iter().sum::<u32>().max(1)
    }

    /// Nodes spanned (at least 1).
    pub fn nodes(&self) -> u32 {
        (self.replicas_per_node.iter().filter(|&&r| r > 0).count() as u32).max(1)
    }

    /// Most replicas in one node (at least 1).
    pub fn max_per_node(&self) -> u32 {
        self.replicas_per_node
            .iter()
            .copied()
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// Checks the group is non-empty and every node entry fits in a node of `gpus_per_node`
    /// GPUs with replicas of `tp` GPUs.
    pub fn validate(&self, tp: u32, gpus_per_node: u32) -> Result<(), PerfError> {
        let fits = |r: u32| r >= 1 && r.saturating_mul(tp) <= gpus_per_node;
        if self.replicas_per_node.is_empty() || !self.replicas_per_node.iter().all(|&r| fits(r)) {
            return Err(PerfError::InvalidSpGroup {
                replicas_per_node: self.replicas_per_node.clone(),
                tp,
                gpus_per_node,
            });
        }
        Ok(())
    }
}

/// Which SP implementation a long prefill uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpMode {
    /// Ring attention across replicas, TP inside each (baselines, /FSP ablation).
    RingOnly,
    /// PecSched's fast SP: cheapest Megatron/Ulysses hybrid inside nodes, ring between nodes.
    Fast,
}

/// One stage's intra-node SP scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpChoice {
    /// Megatron-SP: all-gather tokens before, reduce-scatter after, weights stay TP-sharded.
    Megatron,
    /// Ulysses-SP: full weights per GPU (gathered under TP), all-to-all head sharding.
    Ulysses,
}

/// The plan a long prefill runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpPlan {
    /// Ring attention across replicas with TP inside ([`SpMode::RingOnly`]).
    Ring,
    /// Fast SP's chosen combination.
    Hybrid {
        /// Scheme of the attention stage.
        attention: SpChoice,
        /// Scheme of the MLP stage.
        mlp: SpChoice,
    },
}

/// Predicted cost of one long prefill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SpEstimate {
    /// Whole prefill: `compute_time + comm_time + iteration_overhead_s`.
    pub time: SimDuration,
    /// The plan it runs with.
    pub plan: SpPlan,
    /// One layer (compute + communication).
    pub per_layer: SimDuration,
    /// Communication over all layers: collectives, ring transfers not hidden behind the
    /// step's compute, ring synchronisation.
    pub comm_time: SimDuration,
    /// Computation over all layers plus the LM head.
    pub compute_time: SimDuration,
}

/// One of the four fast-SP combinations with its estimate (`None` if infeasible: Ulysses
/// attention needs the node's GPUs to divide the heads).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SpCandidate {
    /// Attention scheme.
    pub attention: SpChoice,
    /// MLP scheme.
    pub mlp: SpChoice,
    /// Its estimate, if feasible.
    pub estimate: Option<SpEstimate>,
}

/// The four combinations in evaluation order (ties go to the earlier one).
pub const SP_COMBINATIONS: [(SpChoice, SpChoice); 4] = [
    (SpChoice::Megatron, SpChoice::Megatron),
    (SpChoice::Megatron, SpChoice::Ulysses),
    (SpChoice::Ulysses, SpChoice::Megatron),
    (SpChoice::Ulysses, SpChoice::Ulysses),
];

/// One row of the §5.3 cost table, per layer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SpCostRow {
    /// Attention scheme.
    pub attention: SpChoice,
    /// MLP scheme.
    pub mlp: SpChoice,
    /// Intra-node communication of the node per layer, bytes (elements × 2).
    pub comm_bytes_per_node: f64,
    /// Computation per GPU per layer, FLOPs (projections, attention scores, MLP).
    pub flops_per_gpu: f64,
    /// The attention-score part of `flops_per_gpu`: `4·(s·T)²·d/T` (Megatron) or
    /// `4·(s·G)²·d/G` (Ulysses), one local block.
    pub attention_flops_per_gpu: f64,
}

/// The paper's §5.3 cost table for a segment of `s` tokens per GPU, TP size `tp` (T) and
/// `gpus_per_node` GPUs (G), per layer, for the four combinations.
///
/// Deviations from the paper's cost table (docs/paper.md §2.7), all toward the real models: QKV uses GQA's exact
/// `N_h + 2·N_h^KV` heads (the table has `N_h + N_h^KV`), O uses `N_h·d_h·d` (= `d²` when
/// `N_h·d_h = d`), the parameter gathers use the exact attention/MLP parameter counts, and the
/// MLP is SwiGLU: `6·s·d·I` FLOPs and `3·d·I` parameters (the table's GeLU `16·s·d²`, `8·d²`).
/// The QKV FLOPs of Megatron are per GPU for its `s·T` gathered tokens and `1/T` of the
/// weights, `2·s·d·(N_h + 2N_kv)·d_h` (the table's extra `/T` looks like a typo). The
/// attention term is the table's: non-causal, over the local block only (`(s·T)²` of the TP
/// region or `(s·G)²` of the node) — the time model instead counts causal pairs over the
/// whole ring. Bytes are elements × [`SP_COST_BYTES_PER_ELEMENT`].
pub fn sp_cost_table(model: &ModelSpec, s: f64, tp: u32, gpus_per_node: u32) -> [SpCostRow; 4] {
    let (t, g) = (tp as f64, gpus_per_node as f64);
    let d = model.hidden as f64;
    let (nh, nkv, dh) = (
        model.heads as f64,
        model.kv_heads as f64,
        model.head_dim as f64,
    );
    let i = model.intermediate as f64;
    let proj = 2.0 * s * d * (nh + 2.0 * nkv) * dh + 2.0 * s * nh * dh * d;
    let megatron_comm = 2.0 * s * d * (t - 1.0) * g;
    let scores = |x: f64| 4.0 * (s * x) * (s * x) * d / x;
    let attn = |c: SpChoice| match c {
        SpChoice::Megatron => (megatron_comm, scores(t)),
        SpChoice::Ulysses => (
            2.0 * s * (nh + nkv) * dh * (g - 1.0)
                + model.attn_params_per_layer() as f64 * g * (t - 1.0) / t,
            scores(g),
        ),
    };
    let mlp = |c: SpChoice| match c {
        SpChoice::Megatron => (megatron_comm, 6.0 * s * d * i),
        SpChoice::Ulysses => (3.0 * d * i * (t - 1.0) * g / t, 6.0 * s * d * i),
    };
    SP_COMBINATIONS.map(|(a, m)| {
        let ((ca, fa), (cm, fm)) = (attn(a), mlp(m));
        SpCostRow {
            attention: a,
            mlp: m,
            comm_bytes_per_node: (ca + cm) * SP_COST_BYTES_PER_ELEMENT,
            flops_per_gpu: proj + fa + fm,
            attention_flops_per_gpu: fa,
        }
    })
}

/// Bytes per element of the cost table's communication volumes: bf16 activations and weights.
/// The paper gives volumes in elements and no unit (docs/paper.md §4, item 10).
pub const SP_COST_BYTES_PER_ELEMENT: f64 = 2.0;

/// How the cost table's attention computation is counted (the paper does not say; its table
/// has one local block per scheme, docs/paper.md §2.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpCostCounting {
    /// The table as written: one local block per layer, `4·(s·T)²·d/T` for Megatron and
    /// `4·(s·G)²·d/G` for Ulysses. Ulysses' block is `G/T` times bigger, and nothing in the
    /// table counts the ring steps that make up for it, so for long segments the table
    /// prefers Megatron attention (the ring between TP regions). The default
    /// ([`DEFAULT_SP_COST_COUNTING`]).
    AsWritten,
    /// Each scheme's block times the ring steps it runs (Megatron: `k` TP regions; Ulysses:
    /// `m` nodes): both then count the same attention FLOPs over the whole sequence, and the
    /// choice is decided by communication. Our reading, offered for comparison.
    WholeRing,
}

/// The counting fast SP uses: the cost table as the paper writes it.
pub const DEFAULT_SP_COST_COUNTING: SpCostCounting = SpCostCounting::AsWritten;

/// The paper's §5.3 cost model (docs/paper.md §2.7): for each combination, the cost table's
/// intra-node communication and per-GPU computation turned into seconds and summed (the
/// paper sums them; no overlap), per layer, times the layers. Fast SP runs the cheapest
/// feasible combination ([`PerfModel::sp_choice`](crate::perf::PerfModel::sp_choice)).
///
/// The paper leaves units and constants open (docs/paper.md §4, item 10); ours, each named:
/// - communication: the node's volume (elements × [`SP_COST_BYTES_PER_ELEMENT`]) is sent by
///   its `G` GPUs in parallel, each over its own NVLink port at `nvlink_bytes_per_s`
///   (datasheet × calibration `nvlink_efficiency`): `bytes / (G · nvlink_bytes_per_s)`; no
///   latency terms (the table has none);
/// - computation: `FLOPs / flops_per_s`, dense bf16 peak × calibration `gemm_efficiency`
///   for every term (the table does not distinguish attention from GEMMs);
/// - the attention term counted per [`SpCostCounting`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SpCostModel {
    /// Effective NVLink bandwidth of one GPU, one direction, bytes/s.
    pub nvlink_bytes_per_s: f64,
    /// Effective compute rate of one GPU, FLOP/s.
    pub flops_per_s: f64,
    /// How the attention computation is counted.
    pub counting: SpCostCounting,
}

/// One combination priced by the cost model, for the whole prefill (all layers).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SpCost {
    /// Attention scheme.
    pub attention: SpChoice,
    /// MLP scheme.
    pub mlp: SpChoice,
    /// Communication, seconds.
    pub comm_s: f64,
    /// Computation, seconds.
    pub compute_s: f64,
    /// Whether the combination can run (Ulysses attention needs a node's GPUs to divide the
    /// heads).
    pub feasible: bool,
}

impl SpCost {
    /// `comm_s + compute_s`: what the choice minimises.
    pub fn total_s(&self) -> f64 {
        self.comm_s + self.compute_s
    }
}

impl SpCostModel {
    /// The four combinations for `input_tokens` over `group` (replicas of `tp` GPUs),
    /// `layers` layers, in [`SP_COMBINATIONS`] order. The segment per GPU is
    /// `s = input / (k·T)`; each node of the group is priced with its own `G = r·T` GPUs and
    /// the slowest node counts. `feasible` is filled in by the caller's rule; here all are.
    pub fn costs(
        &self,
        model: &ModelSpec,
        input_tokens: u64,
        group: &SpGroup,
        tp: u32,
    ) -> [SpCost; 4] {
        let (k, m) = (group.replicas() as f64, group.nodes() as f64);
        let tp = tp.max(1);
        let s = input_tokens as f64 / (k * tp as f64);
        let layers = model.layers as f64;
        let mut out = SP_COMBINATIONS.map(|(attention, mlp)| SpCost {
            attention,
            mlp,
            comm_s: 0.0,
            compute_s: 0.0,
            feasible: true,
        });
        let nodes: Vec<u32> = match group.replicas_per_node.iter().any(|&r| r > 0) {
            true => group.replicas_per_node.clone(),
            false => vec![1],
        };
        for r in nodes.into_iter().filter(|&r| r > 0) {
            let g = r * tp;
            for (c, row) in out.iter_mut().zip(sp_cost_table(model, s, tp, g)) {
                let steps = match (self.counting, row.attention) {
                    (SpCostCounting::AsWritten, _) => 1.0,
                    (SpCostCounting::WholeRing, SpChoice::Megatron) => k,
                    (SpCostCounting::WholeRing, SpChoice::Ulysses) => m,
                };
                let flops = row.flops_per_gpu + (steps - 1.0) * row.attention_flops_per_gpu;
                let comm = row.comm_bytes_per_node / (g as f64 * self.nvlink_bytes_per_s);
                let compute = flops / self.flops_per_s;
                // The slowest node sets the pace.
                if comm + compute > c.comm_s + c.compute_s {
                    c.comm_s = comm;
                    c.compute_s = compute;
                }
            }
        }
        for c in &mut out {
            c.comm_s *= layers;
            c.compute_s *= layers;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelKind;

    #[test]
    fn cost_table_by_hand_for_llama70b() {
        let m = ModelKind::Llama31_70B.spec();
        let (s, t, g) = (1000.0, 4.0, 8.0);
        let rows = sp_cost_table(&m, s, 4, 8);
        let d = 8192.0;
        let meg = 2.0 * s * d * (t - 1.0) * g; // all-gather + reduce-scatter, elements
        // A2A: 2·s·(64 + 8)·128·(G−1); attention weights 8192·(8192 + 2·1024) + 8192² gathered.
        let uly_attn = 2.0 * s * 72.0 * 128.0 * (g - 1.0) + (8192.0 * 10240.0 + d * d) * g * 0.75;
        let uly_mlp = 3.0 * d * 28672.0 * (t - 1.0) * g / t;
        let expect = [meg + meg, meg + uly_mlp, uly_attn + meg, uly_attn + uly_mlp];
        for (row, e) in rows.iter().zip(expect) {
            assert!((row.comm_bytes_per_node - 2.0 * e).abs() < 1.0, "{row:?}");
        }
        let proj = 2.0 * s * d * (64.0 + 16.0) * 128.0 + 2.0 * s * d * d;
        let mlp = 6.0 * s * d * 28672.0;
        assert_eq!(
            rows[0].flops_per_gpu,
            proj + 4.0 * (s * t) * (s * t) * d / t + mlp
        );
        assert_eq!(
            rows[3].flops_per_gpu,
            proj + 4.0 * (s * g) * (s * g) * d / g + mlp
        );
        assert_eq!(rows.map(|r| (r.attention, r.mlp)), SP_COMBINATIONS);
    }

    #[test]
    fn megatron_has_no_intra_node_comm_at_tp1() {
        let m = ModelKind::Mistral7B.spec();
        let rows = sp_cost_table(&m, 4096.0, 1, 8);
        assert_eq!(rows[0].comm_bytes_per_node, 0.0);
        // Ulysses MLP gathers nothing at tp = 1 either; Ulysses attention still has its A2As.
        assert_eq!(rows[1].comm_bytes_per_node, 0.0);
        assert!(rows[2].comm_bytes_per_node > 0.0);
    }

    #[test]
    fn group_shape_and_validation() {
        let g = SpGroup {
            replicas_per_node: vec![2, 0, 1],
        };
        assert_eq!((g.replicas(), g.nodes(), g.max_per_node()), (3, 2, 2));
        assert!(g.validate(4, 8).is_err()); // the zero entry
        assert!(SpGroup::single_node(2).validate(4, 8).is_ok());
        let e = SpGroup::single_node(3).validate(4, 8).unwrap_err();
        assert!(e.to_string().contains("[3]"), "{e}");
        assert!(SpGroup::default().validate(1, 8).is_err());
        assert_eq!(SpGroup::default().replicas(), 1);
    }
}
