//! The per-GPU kernel shapes of one model replica: what the replay launches for each layer.

use pecsched_core::model::ModelSpec;

/// Per-GPU sizes of one transformer layer under tensor parallelism (Megatron split, as the
/// core's `PerfModel` assumes: column-parallel QKV and gate/up, row-parallel O and down).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LayerDims {
    /// Hidden size `d` (GEMM input/output features of the residual stream).
    pub hidden: u32,
    /// Query heads on this GPU.
    pub heads: u32,
    /// KV heads on this GPU (replicated when TP exceeds the model's KV heads).
    pub kv_heads: u32,
    /// Head dimension.
    pub head_dim: u32,
    /// SwiGLU intermediate size on this GPU.
    pub intermediate: u32,
    /// Layers of the full model (the measured layers are scaled to this).
    pub layers: u32,
}

impl LayerDims {
    /// The dims of `model` on one GPU of a TP-`tp` replica, every width divided by `shrink`
    /// (1 for the real model; larger only for smoke tests on a software adapter, where the
    /// timings mean nothing).
    pub fn new(model: &ModelSpec, tp: u32, shrink: u32) -> LayerDims {
        let s = shrink.max(1);
        let heads = (model.heads / tp / s).max(1);
        let kv_heads = ((model.kv_heads / tp).max(1) / s).max(1);
        LayerDims {
            hidden: (model.hidden / s).max(16),
            heads,
            kv_heads: if heads.is_multiple_of(kv_heads) {
                kv_heads
            } else {
                1
            },
            head_dim: model.head_dim,
            intermediate: (model.intermediate / tp / s).max(16),
            layers: model.layers,
        }
    }

    /// Output features of the fused QKV projection: `(H + 2·H_kv)·d_h`.
    pub fn qkv_out(&self) -> u32 {
        (self.heads + 2 * self.kv_heads) * self.head_dim
    }

    /// Query features `H·d_h` (the O projection's input).
    pub fn q_dim(&self) -> u32 {
        self.heads * self.head_dim
    }

    /// The four GEMMs of one layer for `m` tokens as (M, N, K): QKV, O, gate+up, down.
    pub fn gemms(&self, m: u32) -> [(u32, u32, u32); 4] {
        let (d, i) = (self.hidden, self.intermediate);
        [
            (m, self.qkv_out(), d),
            (m, d, self.q_dim()),
            (m, 2 * i, d),
            (m, d, i),
        ]
    }

    /// KV bytes of one token in one layer, K or V alone (f16).
    pub fn kv_row_bytes(&self) -> u64 {
        self.kv_heads as u64 * self.head_dim as u64 * 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::model::ModelKind;

    #[test]
    fn llama_8b_at_tp1_matches_the_core_linears() {
        let d = LayerDims::new(&ModelKind::Llama31_8B.spec(), 1, 1);
        assert_eq!((d.heads, d.kv_heads, d.head_dim), (32, 8, 128));
        assert_eq!(d.qkv_out(), 6144);
        assert_eq!(
            d.gemms(7),
            [
                (7, 6144, 4096),
                (7, 4096, 4096),
                (7, 28672, 4096),
                (7, 4096, 14336)
            ]
        );
        assert_eq!(d.kv_row_bytes(), 2048);
    }

    #[test]
    fn shrinking_keeps_gqa_valid() {
        let d = LayerDims::new(&ModelKind::Llama31_8B.spec(), 1, 8);
        assert_eq!(
            (d.heads, d.kv_heads, d.hidden, d.intermediate),
            (4, 1, 512, 1792)
        );
        assert!(d.heads.is_multiple_of(d.kv_heads));
    }
}
