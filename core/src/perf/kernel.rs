//! Predicted time of ONE GPU kernel from its shape, with the same roofline formulas that price
//! the ops of an iteration ([`AttentionShape`], [`Linear`], [`Roof`]).
//!
//! The native worker measures these kernels on a real GPU and fits the [`Calibration`] fields
//! they use; it never re-derives a formula. Each shape says which fields price it:
//!
//! | kernel | compute term | memory term | fixed term |
//! |---|---|---|---|
//! | [`PrefillAttention`] | `prefill_attn_max_efficiency`, `prefill_attn_half_tokens`, `prefill_attn_pair_flops` | `hbm_efficiency` | `attention_overhead_s`, `prefill_attn_seq_head_s` |
//! | [`DecodeAttention`] | `decode_attn_flop_efficiency` | `decode_attn_bw_efficiency`, `decode_attn_unit_bw_share` | `decode_attn_overhead_s`, `decode_attn_seq_head_s` |
//! | [`AttentionMerge`] | — | `hbm_efficiency` | `kernel_overhead_s` |
//! | [`Gemm`] | `gemm_efficiency`, `gemm_tile_m`, `gemm_tile_n`, `gemm_half_tiles` | `gemm_stream_efficiency` | `kernel_overhead_s` |
//!
//! Collectives are priced by [`crate::perf::comm::Link`] (`nvlink_efficiency`, `allreduce_*`,
//! `custom_allreduce_*`).
//!
//! A GEMM adds the `gemm_serial_fraction` of its shorter term to the longer one ([`Linear::eval`]).
//!
//! A split-K decode is a decode pass that writes `parts` partial results plus one merge pass
//! ([`KernelModel::decode_attention`] prices both). Element sizes follow [`Dtype`]; the
//! model's own ops are bf16, priced exactly as [`Dtype::F16`].

use crate::hardware::GpuSpec;
use crate::model::BYTES_PER_ELEMENT;
use crate::perf::Calibration;
use crate::perf::roofline::{AttentionShape, Linear, OpCost, Roof};
use serde::{Deserialize, Serialize};

/// Element type of a kernel's inputs and outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 16-bit floats (f16 or bf16): 2 bytes.
    F16,
    /// 32-bit floats: 4 bytes.
    F32,
}

impl Dtype {
    /// Bytes of one element.
    pub fn bytes(self) -> u32 {
        match self {
            Dtype::F16 => 2,
            Dtype::F32 => 4,
        }
    }

    /// Lower-case label (`f16`, `f32`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dtype::F16 => "f16",
            Dtype::F32 => "f32",
        }
    }

    /// Bytes relative to the model's bf16 element.
    fn scale(self) -> f64 {
        self.bytes() as f64 / BYTES_PER_ELEMENT as f64
    }
}

/// Prefill attention of a batch of equal chunks: `batch` sequences each add `chunk` new query
/// tokens after `prefix` cached tokens and attend to the prefix plus themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefillAttention {
    /// Sequences in the batch (B).
    pub batch: u32,
    /// Query heads (H).
    pub heads: u32,
    /// Key/value heads (H_kv, dividing H).
    pub kv_heads: u32,
    /// Head dimension (D).
    pub head_dim: u32,
    /// New tokens per sequence (S).
    pub chunk: u32,
    /// Cached tokens before the chunk (P).
    pub prefix: u32,
    /// Causal mask inside the chunk (query `i` sees keys up to `P + i`).
    pub causal: bool,
    /// Element type of Q, K, V and O.
    pub dtype: Dtype,
}

impl PrefillAttention {
    /// (query, key) pairs of one sequence and one head.
    pub fn pairs_per_head(&self) -> f64 {
        let s = self.chunk as f64;
        let p = self.prefix as f64;
        if self.causal {
            s * p + s * (s + 1.0) / 2.0
        } else {
            s * (p + s)
        }
    }

    /// Floating-point operations: `4·D` per pair and query head (QKᵀ and PV), whole batch.
    pub fn flops(&self) -> f64 {
        4.0 * self.heads as f64 * self.head_dim as f64 * self.pairs_per_head() * self.batch as f64
    }

    /// Fewest bytes: Q and O once, K and V of prefix plus chunk once.
    pub fn bytes(&self) -> f64 {
        let e = self.dtype.bytes() as f64;
        let b = self.batch as f64;
        let d = self.head_dim as f64;
        let qo = 2.0 * b * self.chunk as f64 * self.heads as f64 * d;
        let kv = 2.0 * b * (self.chunk + self.prefix) as f64 * self.kv_heads as f64 * d;
        (qo + kv) * e
    }
}

/// Decode attention: one query token per sequence over its own KV length (a ragged batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeAttention {
    /// Query heads (H).
    pub heads: u32,
    /// Key/value heads (H_kv, dividing H).
    pub kv_heads: u32,
    /// Head dimension (D).
    pub head_dim: u32,
    /// KV length of each sequence (one entry per sequence).
    pub lengths: Vec<u32>,
    /// Partial results over all sequences (split-K pieces), merged by one LSE pass.
    pub parts: u32,
    /// Element type of q, K, V and the output (partials are f32).
    pub dtype: Dtype,
}

impl DecodeAttention {
    /// Σ KV lengths.
    pub fn kv_tokens(&self) -> f64 {
        self.lengths.iter().map(|&l| l as f64).sum()
    }

    /// Floating-point operations: `4·H·D` per KV token.
    pub fn flops(&self) -> f64 {
        4.0 * self.heads as f64 * self.head_dim as f64 * self.kv_tokens()
    }

    /// Bytes of K and V read once (the quantity SDPA's GB/s figures count).
    pub fn kv_bytes(&self) -> f64 {
        2.0 * self.kv_heads as f64
            * self.head_dim as f64
            * self.kv_tokens()
            * self.dtype.bytes() as f64
    }

    /// The merge pass of this decode: one row per (sequence, query head).
    pub fn merge(&self) -> AttentionMerge {
        AttentionMerge {
            rows: self.lengths.len() as u32 * self.heads,
            parts: self.parts as u64 * self.heads as u64,
            head_dim: self.head_dim,
            dtype: self.dtype,
        }
    }
}

/// Decode attention of `seqs` sequences that all attend to `context` KV tokens: the decode pass
/// of a [`DecodeAttention`] with equal lengths, without the length list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniformDecode {
    /// Query heads (H).
    pub heads: u32,
    /// Key/value heads (H_kv, dividing H).
    pub kv_heads: u32,
    /// Head dimension (D).
    pub head_dim: u32,
    /// Sequences.
    pub seqs: u32,
    /// KV tokens each sequence attends to.
    pub context: u32,
    /// Element type.
    pub dtype: Dtype,
}

/// Log-sum-exp merge of partial attention outputs (split-K decode, ring attention).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionMerge {
    /// Output rows (sequence × head).
    pub rows: u32,
    /// Partial rows read in total (each `head_dim` f32 plus one f32 LSE).
    pub parts: u64,
    /// Head dimension (D).
    pub head_dim: u32,
    /// Element type of the merged output.
    pub dtype: Dtype,
}

impl AttentionMerge {
    /// Bytes: every partial (f32 row + LSE) read once, every output row written once.
    pub fn bytes(&self) -> f64 {
        let d = self.head_dim as f64;
        self.parts as f64 * (d + 1.0) * 4.0 + self.rows as f64 * d * self.dtype.bytes() as f64
    }
}

/// A matrix product `C[M×N] = A[M×K]·B[K×N]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gemm {
    /// Rows of A and C (tokens).
    pub m: u32,
    /// Columns of B and C (output features).
    pub n: u32,
    /// Columns of A, rows of B (input features).
    pub k: u32,
    /// Element type of A, B and C.
    pub dtype: Dtype,
}

impl Gemm {
    /// `2·M·N·K`.
    pub fn flops(&self) -> f64 {
        2.0 * self.m as f64 * self.n as f64 * self.k as f64
    }

    /// Fewest bytes: A, B read once, C written once.
    pub fn bytes(&self) -> f64 {
        let (m, n, k) = (self.m as f64, self.n as f64, self.k as f64);
        (m * k + k * n + m * n) * self.dtype.bytes() as f64
    }
}

/// Prices single kernels on one GPU under one calibration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelModel {
    /// The effective ceilings used.
    pub roof: Roof,
}

impl KernelModel {
    /// The kernel model of `gpu` under `calib`.
    pub fn new(gpu: &GpuSpec, calib: &Calibration) -> KernelModel {
        KernelModel {
            roof: Roof::new(gpu, calib),
        }
    }

    /// One prefill-attention kernel: [`AttentionShape::prefill`] over the batch (a
    /// non-causal chunk simply has more pairs; the per-query ramp is the same).
    pub fn prefill_attention(&self, s: &PrefillAttention) -> OpCost {
        let a = attention_shape(s.heads, s.kv_heads, s.head_dim, s.dtype);
        let b = s.batch as f64;
        let pairs = s.pairs_per_head() * b;
        let new_tokens = s.chunk as f64 * b;
        let span = (s.chunk + s.prefix) as f64 * b;
        a.prefill(b, pairs, new_tokens, span, &self.roof)
    }

    /// The decode pass alone (no merge): [`AttentionShape::decode`].
    pub fn decode_pass(&self, s: &DecodeAttention) -> OpCost {
        let a = attention_shape(s.heads, s.kv_heads, s.head_dim, s.dtype);
        a.decode(s.lengths.len() as f64, s.kv_tokens(), &self.roof)
    }

    /// The decode pass of equal-length sequences ([`KernelModel::decode_pass`] of `seqs`
    /// copies of `context`).
    pub fn decode_uniform(&self, s: &UniformDecode) -> OpCost {
        let a = attention_shape(s.heads, s.kv_heads, s.head_dim, s.dtype);
        let seqs = f64::from(s.seqs);
        a.decode(seqs, seqs * f64::from(s.context), &self.roof)
    }

    /// A split-K decode: the decode pass plus its merge pass.
    pub fn decode_attention(&self, s: &DecodeAttention) -> OpCost {
        let pass = self.decode_pass(s);
        let merge = self.attention_merge(&s.merge());
        OpCost {
            flops: pass.flops,
            bytes: pass.bytes + merge.bytes,
            compute_s: pass.compute_s,
            memory_s: pass.memory_s + merge.memory_s,
            overhead_s: pass.overhead_s + merge.overhead_s,
            is_comm: false,
        }
    }

    /// One merge kernel: memory-bound at `hbm_efficiency`, or bound by the serial merge of
    /// `parts/rows` partials per row at `merge_part_s` each, plus one kernel launch.
    pub fn attention_merge(&self, s: &AttentionMerge) -> OpCost {
        let bytes = s.bytes();
        OpCost {
            flops: 0.0,
            bytes,
            compute_s: s.parts as f64 / s.rows.max(1) as f64 * self.roof.merge_part_s,
            memory_s: bytes / self.roof.hbm_bytes_per_s,
            overhead_s: self.roof.kernel_overhead_s,
            is_comm: false,
        }
    }

    /// One GEMM: [`Linear::eval`] with `N·K` weights over `M` tokens (memory term at
    /// `gemm_stream_efficiency`, as the linear layers of an iteration).
    pub fn gemm(&self, s: &Gemm) -> OpCost {
        let (n, k) = (s.n as f64, s.k as f64);
        let mut lin = Linear::new(n * k, k, n);
        lin.weight_bytes *= s.dtype.scale();
        lin.act_bytes_per_token *= s.dtype.scale();
        lin.eval(s.m as f64, &self.roof)
    }
}

fn attention_shape(heads: u32, kv_heads: u32, head_dim: u32, dtype: Dtype) -> AttentionShape {
    let mut a = AttentionShape::new(heads as f64, kv_heads as f64, head_dim as f64);
    a.kv_bytes_per_token *= dtype.scale();
    a.qo_bytes_per_token *= dtype.scale();
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::GpuKind;
    use crate::perf::Bound;

    fn model() -> KernelModel {
        KernelModel::new(
            &GpuKind::H100Sxm80.spec(),
            &Calibration::datasheet_default(),
        )
    }

    #[test]
    fn prefill_matches_the_iteration_model() {
        // One causal 4K chunk, 32 heads of 128: the same figure the SDPA anchors test uses.
        let s = PrefillAttention {
            batch: 1,
            heads: 32,
            kv_heads: 32,
            head_dim: 128,
            chunk: 4096,
            prefix: 0,
            causal: true,
            dtype: Dtype::F16,
        };
        let c = model().prefill_attention(&s);
        let roof = model().roof;
        let a = AttentionShape::new(32.0, 32.0, 128.0);
        let n = 4096.0;
        assert_eq!(c, a.prefill(1.0, n * (n + 1.0) / 2.0, n, n, &roof));
        assert_eq!(c.flops, s.flops());
        assert_eq!(c.bound(), Bound::Compute);
        // 521 TFLOP/s measured (gpu.md): within 2 %.
        let measured = 2.0 * 32.0 * n * n * 128.0 / 521e12;
        assert!((c.time_s() / measured - 1.0).abs() < 0.02);
    }

    #[test]
    fn prefix_and_batch_scale_the_pairs() {
        let mut s = PrefillAttention {
            batch: 2,
            heads: 4,
            kv_heads: 2,
            head_dim: 64,
            chunk: 3,
            prefix: 10,
            causal: true,
            dtype: Dtype::F32,
        };
        assert_eq!(s.pairs_per_head(), 36.0);
        assert_eq!(s.flops(), 4.0 * 4.0 * 64.0 * 36.0 * 2.0);
        // Q+O: 2·2·3·4·64, K+V: 2·2·13·2·64, ×4 bytes.
        assert_eq!(
            s.bytes(),
            (2.0 * 2.0 * 3.0 * 4.0 * 64.0 + 2.0 * 2.0 * 13.0 * 2.0 * 64.0) * 4.0
        );
        s.causal = false;
        assert_eq!(s.pairs_per_head(), 39.0);
    }

    #[test]
    fn decode_is_bandwidth_bound_and_f32_costs_twice_the_bytes() {
        let mut s = DecodeAttention {
            heads: 32,
            kv_heads: 8,
            head_dim: 128,
            lengths: vec![131072; 4],
            parts: 4 * 64,
            dtype: Dtype::F16,
        };
        let m = model();
        let c = m.decode_attention(&s);
        assert_eq!(c.bound(), Bound::Memory);
        assert_eq!(s.kv_bytes(), 2.0 * 8.0 * 128.0 * 4.0 * 131072.0 * 2.0);
        let pass = m.decode_pass(&s);
        assert!(c.time_s() > pass.time_s());
        s.dtype = Dtype::F32;
        let c32 = m.decode_pass(&s);
        assert!((c32.memory_s / pass.memory_s - 2.0).abs() < 1e-3);
    }

    #[test]
    fn gemm_is_the_linear_roofline() {
        let g = Gemm {
            m: 8192,
            n: 4096,
            k: 4096,
            dtype: Dtype::F16,
        };
        let m = model();
        let c = m.gemm(&g);
        assert_eq!(c.flops, g.flops());
        assert_eq!(c.bytes, g.bytes());
        assert_eq!(c.bound(), Bound::Compute);
        let one = m.gemm(&Gemm { m: 1, ..g });
        assert_eq!(one.bound(), Bound::Memory);
        let f32 = m.gemm(&Gemm {
            m: 1,
            dtype: Dtype::F32,
            ..g
        });
        assert!((f32.bytes / one.bytes - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_merge_of_many_partials_per_row_is_bound_by_the_serial_steps() {
        let gpu = GpuKind::H100Sxm80.spec();
        let mut c = Calibration::datasheet_default();
        let m = |parts: u64, c: &Calibration| {
            KernelModel::new(&gpu, c).attention_merge(&AttentionMerge {
                rows: 32,
                parts,
                head_dim: 128,
                dtype: Dtype::F16,
            })
        };
        // Off by default: pure bandwidth.
        assert_eq!(m(1024, &c).compute_s, 0.0);
        c.set(crate::perf::CalibrationField::MergePartS, 1e-7)
            .unwrap();
        // 32 partials per row at 0.1 µs: 3.2 µs, above the 0.2 µs of traffic.
        let x = m(1024, &c);
        assert!((x.compute_s - 3.2e-6).abs() < 1e-15);
        assert!(x.time_s() > x.memory_s + x.overhead_s);
    }

    #[test]
    fn merge_counts_partials_and_outputs() {
        let s = AttentionMerge {
            rows: 2,
            parts: 6,
            head_dim: 4,
            dtype: Dtype::F16,
        };
        assert_eq!(s.bytes(), 6.0 * 5.0 * 4.0 + 2.0 * 4.0 * 2.0);
        let c = model().attention_merge(&s);
        assert_eq!(c.bound(), Bound::Latency);
    }
}
