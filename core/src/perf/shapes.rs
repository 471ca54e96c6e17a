//! [`LayerShapes`]: the per-GPU sizes of one transformer layer of a tensor-parallel replica —
//! what [`PerfModel`](crate::perf::PerfModel) prices and what the native worker's replay
//! launches, from one place.

use crate::model::{BYTES_PER_ELEMENT, ModelSpec};
use crate::perf::roofline::{AttentionShape, Linear};
use serde::Serialize;

/// Per-GPU sizes of one transformer layer on a replica of `tp` GPUs, under the Megatron split
/// the performance model assumes: column-parallel QKV and gate/up projections, row-parallel O
/// and down projections, attention heads divided between the GPUs.
///
/// The performance model builds its per-layer ops from these sizes ([`LayerShapes::gemms`]
/// and the head counts); the native worker's replay launches kernels of exactly these shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LayerShapes {
    /// Hidden size `d`: the features of the residual stream (the input of QKV and gate/up, the
    /// output of O and down; not split).
    pub hidden: u32,
    /// Query heads on one GPU, `N_h / tp`.
    pub heads: u32,
    /// KV heads on one GPU, `max(1, N_kv / tp)`: when `tp` exceeds the model's KV heads each
    /// GPU holds a replica of one (vLLM's rule), so this is what the KV cache and the
    /// attention kernels see.
    pub kv_heads: u32,
    /// Head dimension `d_h`.
    pub head_dim: u32,
    /// SwiGLU intermediate size on one GPU, `I / tp`.
    pub intermediate: u32,
    /// Output features of the fused QKV projection on one GPU, `(N_h + 2·N_kv)·d_h / tp`: the
    /// weight columns as Megatron splits them. Equal to `(heads + 2·kv_heads)·head_dim`
    /// unless `tp > N_kv`, where the model prices the K and V projections split (not
    /// replicated like the KV heads above).
    pub qkv_out: u32,
    /// Layers of the whole model.
    pub layers: u32,
}

impl LayerShapes {
    /// The sizes of `model` on one GPU of a replica of `tp` GPUs.
    ///
    /// `tp` must be at least 1 and divide the query heads, and `tp` and the KV heads must
    /// divide one another (what [`PerfModel::new`](crate::perf::PerfModel::new) checks); every
    /// division is then exact for the models of the catalog.
    pub fn new(model: &ModelSpec, tp: u32) -> LayerShapes {
        let q = model.heads * model.head_dim;
        let kv = model.kv_heads * model.head_dim;
        LayerShapes {
            hidden: model.hidden,
            heads: model.heads / tp,
            kv_heads: (model.kv_heads / tp).max(1),
            head_dim: model.head_dim,
            intermediate: model.intermediate / tp,
            qkv_out: (q + 2 * kv) / tp,
            layers: model.layers,
        }
    }

    /// Query features on one GPU, `heads·d_h` (the O projection's input).
    pub fn q_dim(&self) -> u32 {
        self.heads * self.head_dim
    }

    /// The four GEMMs of one layer for `m` tokens as `(M, N, K)`: QKV, O, gate+up, down.
    pub fn gemms(&self, m: u32) -> [(u32, u32, u32); 4] {
        let (d, i) = (self.hidden, self.intermediate);
        [
            (m, self.qkv_out, d),
            (m, d, self.q_dim()),
            (m, 2 * i, d),
            (m, d, i),
        ]
    }

    /// KV-cache bytes of one token in one layer on one GPU, K or V alone.
    pub fn kv_row_bytes(&self) -> u64 {
        u64::from(self.kv_heads) * u64::from(self.head_dim) * BYTES_PER_ELEMENT
    }

    /// The four GEMMs as the roofline prices them: each of `N·K` weights, reading `K` and
    /// writing `N` activation elements per token.
    pub(crate) fn linears(&self) -> [Linear; 4] {
        self.gemms(1).map(|(_, n, k)| {
            let (n, k) = (f64::from(n), f64::from(k));
            Linear::new(n * k, k, n)
        })
    }

    /// Attention on one GPU: its query and KV heads of `head_dim`.
    pub(crate) fn attention(&self) -> AttentionShape {
        AttentionShape::new(
            f64::from(self.heads),
            f64::from(self.kv_heads),
            f64::from(self.head_dim),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelKind;

    /// The per-GPU ops exactly as `PerfModel` computed them before they came from here.
    fn linears_by_formula(m: &ModelSpec, shard: u32) -> [Linear; 4] {
        let t = shard as f64;
        let d = m.hidden as f64;
        let q = (m.heads * m.head_dim) as f64;
        let kv = (m.kv_heads * m.head_dim) as f64;
        let i = m.intermediate as f64;
        [
            Linear::new(d * (q + 2.0 * kv) / t, d, (q + 2.0 * kv) / t),
            Linear::new(q * d / t, q / t, d),
            Linear::new(2.0 * d * i / t, d, 2.0 * i / t),
            Linear::new(d * i / t, i / t, d),
        ]
    }

    /// Every catalog model at every TP the performance model accepts (up to 16 GPUs a node).
    fn valid() -> impl Iterator<Item = (ModelSpec, u32)> {
        ModelKind::ALL.into_iter().flat_map(|k| {
            let m = k.spec();
            (1..=16u32)
                .filter(move |&tp| {
                    m.heads.is_multiple_of(tp)
                        && (m.kv_heads.is_multiple_of(tp) || tp.is_multiple_of(m.kv_heads))
                })
                .map(move |tp| (m, tp))
        })
    }

    #[test]
    fn ops_are_bit_identical_to_the_formulas_they_replace() {
        for (m, tp) in valid() {
            let s = LayerShapes::new(&m, tp);
            assert_eq!(
                s.linears(),
                linears_by_formula(&m, tp),
                "{} tp {tp}",
                m.name
            );
            let a = s.attention();
            let b = AttentionShape::new(
                (m.heads / tp) as f64,
                (m.kv_heads / tp).max(1) as f64,
                m.head_dim as f64,
            );
            assert_eq!(a, b, "{} tp {tp}", m.name);
        }
    }

    #[test]
    fn llama_8b_at_tp1() {
        let s = LayerShapes::new(&ModelKind::Llama31_8B.spec(), 1);
        assert_eq!((s.heads, s.kv_heads, s.head_dim), (32, 8, 128));
        assert_eq!(s.qkv_out, 6144);
        assert_eq!(
            s.gemms(7),
            [
                (7, 6144, 4096),
                (7, 4096, 4096),
                (7, 28672, 4096),
                (7, 4096, 14336)
            ]
        );
        assert_eq!(s.kv_row_bytes(), 2048);
    }

    #[test]
    fn kv_heads_are_replicated_beyond_tp_n_kv() {
        let s = LayerShapes::new(&ModelKind::Llama31_70B.spec(), 16);
        assert_eq!((s.heads, s.kv_heads), (4, 1));
        // The K and V projections are priced split: 4 + 2·0.5 heads of 128.
        assert_eq!(s.qkv_out, 640);
        for (m, tp) in valid().filter(|(m, tp)| *tp <= m.kv_heads) {
            let s = LayerShapes::new(&m, tp);
            assert_eq!(s.qkv_out, (s.heads + 2 * s.kv_heads) * s.head_dim);
        }
    }
}
