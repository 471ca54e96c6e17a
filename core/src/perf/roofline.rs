//! Roofline cost of one op on one GPU: `time = max(FLOPs/eff_flops, bytes/eff_bw) + overhead`.
//!
//! Units: FLOPs, bytes, seconds. A multiply-add counts as 2 FLOPs. Elements are bf16
//! ([`crate::model::BYTES_PER_ELEMENT`] = 2 bytes).

use crate::hardware::GpuSpec;
use crate::model::BYTES_PER_ELEMENT;
use crate::perf::{Bound, Calibration};

const EB: f64 = BYTES_PER_ELEMENT as f64;

/// Effective ceilings of one GPU: datasheet peaks × calibration efficiencies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roof {
    /// Dense bf16 peak × `gemm_efficiency`, FLOP/s (linear layers, decode attention).
    pub gemm_flops_per_s: f64,
    /// HBM bandwidth × `hbm_efficiency`, bytes/s (attention's Q/O and prefill KV, merges).
    pub hbm_bytes_per_s: f64,
    /// HBM bandwidth × `gemm_stream_efficiency`, bytes/s (linear layers' weights and
    /// activations).
    pub gemm_stream_bytes_per_s: f64,
    /// `gemm_serial_fraction`: share of a GEMM's shorter term not hidden under its longer one.
    pub gemm_serial_fraction: f64,
    /// `gemm_half_tiles`: output tiles at which a GEMM reaches half its ceilings (0: off).
    pub gemm_half_tiles: f64,
    /// HBM bandwidth × `decode_attn_bw_efficiency`, bytes/s (decode attention's KV reads).
    pub kv_read_bytes_per_s: f64,
    /// Dense bf16 peak × `decode_attn_flop_efficiency`, FLOP/s (decode attention's math).
    pub decode_flops_per_s: f64,
    /// Dense bf16 peak × `prefill_attn_max_efficiency`, FLOP/s (prefill attention asymptote).
    pub attn_flops_per_s: f64,
    /// `prefill_attn_half_tokens`: attention length reaching half the asymptote.
    pub attn_half_tokens: f64,
    /// `prefill_attn_pair_flops`: extra FLOP equivalents per pair and query head.
    pub attn_pair_flops: f64,
    /// `merge_part_s`: serial seconds per partial merged into one row.
    pub merge_part_s: f64,
    /// `kernel_overhead_s`: fixed cost of one GEMM kernel.
    pub kernel_overhead_s: f64,
    /// `attention_overhead_s`: fixed cost of one prefill-attention kernel call.
    pub attention_overhead_s: f64,
    /// `decode_attn_overhead_s`: fixed cost of one decode-attention kernel call.
    pub decode_attn_overhead_s: f64,
    /// `decode_attn_seq_head_s`: decode seconds per (sequence × KV head).
    pub decode_seq_head_s: f64,
    /// HBM bandwidth × `decode_attn_unit_bw_share`: what one (sequence, KV head) of decode
    /// attention can read, bytes/s (0: no limit).
    pub decode_unit_bytes_per_s: f64,
    /// `prefill_attn_seq_head_s`: prefill seconds per (sequence × KV head).
    pub prefill_seq_head_s: f64,
    /// `gemm_tile_m`, `gemm_tile_n`: one GEMM output tile for wave quantisation (0: off).
    pub gemm_tile: (f64, f64),
    /// The GPU's streaming multiprocessors: tiles per wave.
    pub sm_count: f64,
}

impl Roof {
    /// The ceilings of `gpu` under `calib`.
    pub fn new(gpu: &GpuSpec, calib: &Calibration) -> Roof {
        Roof {
            gemm_flops_per_s: gpu.bf16_flops * calib.gemm_efficiency,
            hbm_bytes_per_s: gpu.hbm_bytes_per_s * calib.hbm_efficiency,
            gemm_stream_bytes_per_s: gpu.hbm_bytes_per_s * calib.gemm_stream_efficiency,
            gemm_serial_fraction: calib.gemm_serial_fraction,
            gemm_half_tiles: calib.gemm_half_tiles,
            kv_read_bytes_per_s: gpu.hbm_bytes_per_s * calib.decode_attn_bw_efficiency,
            decode_flops_per_s: gpu.bf16_flops * calib.decode_attn_flop_efficiency,
            attn_flops_per_s: gpu.bf16_flops * calib.prefill_attn_max_efficiency,
            attn_half_tokens: calib.prefill_attn_half_tokens,
            attn_pair_flops: calib.prefill_attn_pair_flops,
            merge_part_s: calib.merge_part_s,
            kernel_overhead_s: calib.kernel_overhead_s,
            attention_overhead_s: calib.attention_overhead_s,
            decode_attn_overhead_s: calib.decode_attn_overhead_s,
            decode_seq_head_s: calib.decode_attn_seq_head_s,
            decode_unit_bytes_per_s: gpu.hbm_bytes_per_s * calib.decode_attn_unit_bw_share,
            prefill_seq_head_s: calib.prefill_attn_seq_head_s,
            gemm_tile: (calib.gemm_tile_m, calib.gemm_tile_n),
            sm_count: f64::from(gpu.sm_count.max(1)),
        }
    }

    /// Seconds of attention compute for `flops` in blocks of `span` tokens, at the saturating
    /// efficiency `e_max·S/(S + S_half)` of the cuDNN SDPA anchors (gpu.md), slowed by the
    /// factor `slowdown ≥ 1` (ring attention's penalty; 1 otherwise).
    pub fn attention_compute_s(&self, flops: f64, span: f64, slowdown: f64) -> f64 {
        if flops <= 0.0 {
            return 0.0;
        }
        let span = span.max(1.0);
        flops * (span + self.attn_half_tokens) / (self.attn_flops_per_s * span) * slowdown
    }

    /// Fraction of bf16 peak prefill attention reaches at block length `span`.
    pub fn attention_efficiency(&self, span: f64, peak_flops: f64) -> f64 {
        let span = span.max(1.0);
        self.attn_flops_per_s / peak_flops * span / (span + self.attn_half_tokens)
    }
}

/// Cost of one occurrence of an op on one GPU.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OpCost {
    /// Floating-point operations.
    pub flops: f64,
    /// HBM bytes (kernels) or bytes sent (collectives).
    pub bytes: f64,
    /// FLOPs at the effective FLOP/s, seconds.
    pub compute_s: f64,
    /// Bytes at the effective bandwidth, seconds.
    pub memory_s: f64,
    /// Fixed overhead, seconds.
    pub overhead_s: f64,
    /// True for a collective or transfer between GPUs.
    pub is_comm: bool,
}

impl OpCost {
    /// `max(compute_s, memory_s) + overhead_s`.
    pub fn time_s(&self) -> f64 {
        self.compute_s.max(self.memory_s) + self.overhead_s
    }

    /// What limits this op.
    pub fn bound(&self) -> Bound {
        if self.is_comm {
            Bound::Comm
        } else if self.overhead_s > self.compute_s.max(self.memory_s) {
            Bound::Latency
        } else if self.compute_s >= self.memory_s {
            Bound::Compute
        } else {
            Bound::Memory
        }
    }

    /// A pure fixed cost (scheduler, launch).
    pub fn fixed(seconds: f64) -> OpCost {
        OpCost {
            overhead_s: seconds,
            ..OpCost::default()
        }
    }

    /// A collective moving `bytes`, `wire_s` on the link plus `latency_s`.
    pub fn comm(bytes: f64, wire_s: f64, latency_s: f64) -> OpCost {
        OpCost {
            bytes,
            memory_s: wire_s,
            overhead_s: latency_s,
            is_comm: true,
            ..OpCost::default()
        }
    }
}

/// A linear (GEMM) op on one GPU, as per-token coefficients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear {
    /// `2 · parameters on this GPU`.
    pub flops_per_token: f64,
    /// Bytes of the weights on this GPU (read once per iteration).
    pub weight_bytes: f64,
    /// Bytes of input and output activations per token on this GPU.
    pub act_bytes_per_token: f64,
    /// Output columns (`N`), for the tile count of `gemm_half_tiles`.
    pub out_cols: f64,
}

/// `x.ceil()`, bit for bit, without a libm call for the values the roofline sees (finite and
/// non-negative below 2⁵²: truncate, then add one if anything was cut); any other value goes to
/// `f64::ceil`. On x86-64 without SSE4.1, `f64::ceil` is a call into libm, and a GEMM's cost
/// takes five of them: a tenth of a week-long run's time went there.
#[inline]
fn ceil(x: f64) -> f64 {
    if (0.0..4_503_599_627_370_496.0).contains(&x) {
        let t = x as i64 as f64;
        if t < x { t + 1.0 } else { x }
    } else {
        x.ceil()
    }
}

impl Linear {
    /// A GEMM with `params` weights on this GPU, reading `in_elems` and writing `out_elems`
    /// activation elements per token.
    pub fn new(params: f64, in_elems: f64, out_elems: f64) -> Linear {
        Linear {
            flops_per_token: 2.0 * params,
            weight_bytes: params * EB,
            act_bytes_per_token: (in_elems + out_elems) * EB,
            out_cols: out_elems,
        }
    }

    /// Cost for `tokens` rows: FLOPs at `gemm_efficiency` (in whole waves of output tiles when
    /// `gemm_tile_m`/`gemm_tile_n` are set), bytes at `gemm_stream_efficiency`; the
    /// `gemm_serial_fraction` of the shorter term that is not overlapped is added to the
    /// longer one (so the bound is unchanged; with the defaults both terms are the plain
    /// roofline's, bit for bit).
    #[inline]
    pub fn eval(&self, tokens: f64, roof: &Roof) -> OpCost {
        let flops = self.flops_per_token * tokens;
        let bytes = self.weight_bytes + self.act_bytes_per_token * tokens;
        let mut compute_s = flops / roof.gemm_flops_per_s;
        let (tile_m, tile_n) = roof.gemm_tile;
        if tile_m > 0.0 && tile_n > 0.0 && self.out_cols > 0.0 {
            // Every SM runs whole tiles; the last wave is paid in full.
            let tiles = ceil(tokens / tile_m).max(1.0) * ceil(self.out_cols / tile_n);
            let waves = ceil(tiles / roof.sm_count);
            let per_tile = self.flops_per_token / self.out_cols * tile_m * tile_n;
            compute_s = compute_s.max(waves * roof.sm_count * per_tile / roof.gemm_flops_per_s);
        }
        let mut memory_s = bytes / roof.gemm_stream_bytes_per_s;
        if roof.gemm_half_tiles > 0.0 {
            let tiles = ceil(tokens / 64.0).max(1.0) * ceil(self.out_cols / 64.0).max(1.0);
            let slow = (tiles + roof.gemm_half_tiles) / tiles;
            compute_s *= slow;
            memory_s *= slow;
        }
        let serial = roof.gemm_serial_fraction * compute_s.min(memory_s);
        if compute_s >= memory_s {
            compute_s += serial;
        } else {
            memory_s += serial;
        }
        OpCost {
            flops,
            bytes,
            compute_s,
            memory_s,
            overhead_s: roof.kernel_overhead_s,
            is_comm: false,
        }
    }
}

/// Per-GPU attention shape: what one GPU of a replica holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionShape {
    /// `4 · query heads on this GPU · head_dim`: FLOPs per (query, key) pair (QKᵀ and PV).
    pub flops_per_pair: f64,
    /// Query heads on this GPU.
    pub heads: f64,
    /// KV heads on this GPU.
    pub kv_heads: f64,
    /// KV-cache bytes per token per layer on this GPU.
    pub kv_bytes_per_token: f64,
    /// Q read plus O write, bytes per query token on this GPU.
    pub qo_bytes_per_token: f64,
}

impl AttentionShape {
    /// `heads` query heads and `kv_heads` KV heads of `head_dim` on this GPU.
    pub fn new(heads: f64, kv_heads: f64, head_dim: f64) -> AttentionShape {
        AttentionShape {
            flops_per_pair: 4.0 * heads * head_dim,
            heads,
            kv_heads,
            kv_bytes_per_token: 2.0 * kv_heads * head_dim * EB,
            qo_bytes_per_token: 2.0 * heads * head_dim * EB,
        }
    }

    /// Prefill attention of `seqs` chunks over `pairs` causal (query, key) pairs for
    /// `new_tokens` queries reading `span_tokens` = Σ (new + prefix) keys.
    ///
    /// The SDPA curve `eff(S) = e_max·S/(S + S_half)` for one uncached causal sequence of `S`
    /// tokens is, exactly, a fixed cost of `S_half/2` pairs per query token on top of the
    /// pairs at `e_max`: `time = 4·H·d_h·(pairs + S_half·new_tokens/2) / (peak·e_max)`. We
    /// apply it in that form to a whole batch — the sum of the per-chunk curves, linear in
    /// the batch aggregates, so adding work never lowers the time (using the batch's mean
    /// chunk length as `S` would not be monotone). A chunk after a cached prefix is priced at
    /// the same per-query cost (our choice). The fixed cost is `attention_overhead_s` plus
    /// `prefill_attn_seq_head_s` per chunk and KV head.
    #[inline]
    pub fn prefill(
        &self,
        seqs: f64,
        pairs: f64,
        new_tokens: f64,
        span_tokens: f64,
        roof: &Roof,
    ) -> OpCost {
        let flops = self.flops_per_pair * pairs;
        let bytes = self.kv_bytes_per_token * span_tokens + self.qo_bytes_per_token * new_tokens;
        let ramp = self.flops_per_pair * roof.attn_half_tokens * new_tokens / 2.0;
        // `prefill_attn_pair_flops` per pair and head, with the same ramp (exactly 0 by default).
        let extra =
            self.heads * roof.attn_pair_flops * (pairs + roof.attn_half_tokens * new_tokens / 2.0);
        OpCost {
            flops,
            bytes,
            compute_s: (flops + ramp + extra) / roof.attn_flops_per_s,
            memory_s: bytes / roof.hbm_bytes_per_s,
            overhead_s: roof.attention_overhead_s + roof.prefill_seq_head_s * seqs * self.kv_heads,
            is_comm: false,
        }
    }

    /// Decode attention of `seqs` single-token queries over `kv_tokens` keys in total: reads
    /// the KV at `decode_attn_bw_efficiency` (and each of the `u` = sequences × KV heads at
    /// most at `decode_attn_unit_bw_share` of HBM bandwidth, when that is set), computes at
    /// `decode_attn_flop_efficiency`; fixed cost `decode_attn_overhead_s` plus
    /// `decode_attn_seq_head_s` per sequence and KV head.
    #[inline]
    pub fn decode(&self, seqs: f64, kv_tokens: f64, roof: &Roof) -> OpCost {
        let flops = self.flops_per_pair * kv_tokens;
        let bytes = self.kv_bytes_per_token * kv_tokens + self.qo_bytes_per_token * seqs;
        let units = seqs * self.kv_heads;
        let mut memory_s = bytes / roof.kv_read_bytes_per_s;
        if roof.decode_unit_bytes_per_s > 0.0 && units > 0.0 {
            memory_s = memory_s.max(bytes / units / roof.decode_unit_bytes_per_s);
        }
        OpCost {
            flops,
            bytes,
            compute_s: flops / roof.decode_flops_per_s,
            memory_s,
            overhead_s: roof.decode_attn_overhead_s + roof.decode_seq_head_s * units,
            is_comm: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::GpuKind;

    fn h100() -> (GpuSpec, Roof) {
        let g = GpuKind::H100Sxm80.spec();
        (g, Roof::new(&g, &Calibration::datasheet_default()))
    }

    proptest::proptest! {
        /// The fast ceiling is `f64::ceil` bit for bit, fractions, integers, huge values,
        /// negatives and non-finite values included.
        #[test]
        fn fast_ceil_is_ceil(x in proptest::num::f64::ANY, k in 0u64..1 << 53, f in 0.0f64..1.0) {
            for v in [x, k as f64, k as f64 + f, (k as f64) / 7.0, -(k as f64) - f] {
                proptest::prop_assert_eq!(ceil(v).to_bits(), v.ceil().to_bits(), "{}", v);
            }
        }
    }

    #[test]
    fn prefill_attention_reproduces_the_sdpa_anchors() {
        // gpu.md: B=1, 32 heads, d=128, causal, FLOP = 2·H·S²·D; TFLOP/s measured on the H100.
        let (_, roof) = h100();
        let shape = AttentionShape::new(32.0, 32.0, 128.0);
        for (s, tflops) in [
            (1024.0, 244.0),
            (4096.0, 521.0),
            (16384.0, 595.0),
            (32768.0, 627.0),
        ] {
            // 4·pairs·H·D with pairs = S²/2 equals the anchors' 2·H·S²·D.
            let c = shape.prefill(1.0, s * s / 2.0, s, s, &roof);
            let measured = 2.0 * 32.0 * s * s * 128.0 / (tflops * 1e12);
            let err = c.time_s() / measured - 1.0;
            assert!(
                err.abs() < 0.02,
                "S = {s}: {} vs {measured} ({err:+.3})",
                c.time_s()
            );
            assert_eq!(c.bound(), Bound::Compute);
        }
    }

    #[test]
    fn decode_attention_is_bandwidth_bound_at_long_kv() {
        // gpu.md: L = 131072, B = 16, H_kv = 32: 3104 GB/s ⇒ model within 10 %.
        let (_, roof) = h100();
        let shape = AttentionShape::new(32.0, 32.0, 128.0);
        let kv = 16.0 * 131072.0;
        let c = shape.decode(16.0, kv, &roof);
        let bytes = 2.0 * 16.0 * 32.0 * 131072.0 * 128.0 * 2.0;
        assert!((c.bytes - bytes).abs() / bytes < 1e-3);
        assert_eq!(c.bound(), Bound::Memory);
        let measured = bytes / 3104e9;
        assert!(
            (c.time_s() / measured - 1.0).abs() < 0.1,
            "{} vs {measured}",
            c.time_s()
        );
        // A tiny case is latency-bound.
        assert_eq!(shape.decode(1.0, 16.0, &roof).bound(), Bound::Latency);
    }

    #[test]
    fn linear_roofline_switches_bound_with_tokens() {
        let (_, roof) = h100();
        let lin = Linear::new(4096.0 * 4096.0, 4096.0, 4096.0);
        let one = lin.eval(1.0, &roof);
        assert_eq!(one.flops, 2.0 * 4096.0 * 4096.0);
        // 33.6 MB of weights at 0.9·3350 GB/s = 11.1 µs > 4.7 µs of overhead ⇒ memory.
        assert_eq!(one.bound(), Bound::Memory);
        let expected = (4096.0 * 4096.0 * 2.0 + 2.0 * 4096.0 * 2.0) / (3350e9 * 0.9) + 4.7e-6;
        assert!((one.time_s() - expected).abs() < 1e-15);
        assert_eq!(lin.eval(8192.0, &roof).bound(), Bound::Compute);
        assert_eq!(
            Linear::new(64.0 * 64.0, 64.0, 64.0)
                .eval(1.0, &roof)
                .bound(),
            Bound::Latency
        );
    }

    #[test]
    fn gemm_streaming_and_overlap_are_priced_apart_from_attention() {
        let g = GpuKind::H100Sxm80.spec();
        let base = Calibration::datasheet_default();
        let mut c = base.clone();
        c.set(crate::perf::CalibrationField::GemmStreamEfficiency, 0.15)
            .unwrap();
        let (r0, r1) = (Roof::new(&g, &base), Roof::new(&g, &c));
        let lin = Linear::new(4096.0 * 4096.0, 4096.0, 4096.0);
        // Memory-bound linear: slower by exactly 0.9/0.15.
        let ratio = lin.eval(1.0, &r1).memory_s / lin.eval(1.0, &r0).memory_s;
        assert!((ratio - 6.0).abs() < 1e-12, "{ratio}");
        // Attention's memory terms keep `hbm_efficiency` / `decode_attn_bw_efficiency`.
        let a = AttentionShape::new(32.0, 8.0, 128.0);
        assert_eq!(
            a.prefill(1.0, 10.0, 4.0, 4.0, &r1),
            a.prefill(1.0, 10.0, 4.0, 4.0, &r0)
        );
        assert_eq!(a.decode(4.0, 4096.0, &r1), a.decode(4.0, 4096.0, &r0));
        // The unhidden fraction adds f·min to the longer term; the bound stays.
        c.set(crate::perf::CalibrationField::GemmSerialFraction, 1.0)
            .unwrap();
        let r2 = Roof::new(&g, &c);
        for tokens in [1.0, 512.0, 8192.0] {
            let (plain, serial) = (lin.eval(tokens, &r1), lin.eval(tokens, &r2));
            let sum = plain.compute_s + plain.memory_s + plain.overhead_s;
            assert!((serial.time_s() - sum).abs() <= 1e-15 * sum, "{tokens}");
            assert_eq!(serial.bound(), plain.bound());
        }
    }

    #[test]
    fn gemm_with_few_output_tiles_runs_slower_per_byte() {
        let g = GpuKind::H100Sxm80.spec();
        let base = Calibration::datasheet_default();
        let mut c = base.clone();
        c.set(crate::perf::CalibrationField::GemmHalfTiles, 100.0)
            .unwrap();
        let (r0, r1) = (Roof::new(&g, &base), Roof::new(&g, &c));
        let narrow = Linear::new(4096.0 * 4096.0, 4096.0, 4096.0); // 64 tiles at M ≤ 64
        let wide = Linear::new(4096.0 * 28672.0, 4096.0, 28672.0); // 448 tiles
        // Off by default: nothing changes.
        let off = Linear::new(4096.0 * 4096.0, 4096.0, 4096.0).eval(8.0, &r0);
        assert_eq!(narrow.eval(8.0, &r0), off);
        // 64 tiles: (64 + 100)/64 slower on both terms.
        let (a, b) = (narrow.eval(8.0, &r0), narrow.eval(8.0, &r1));
        assert!((b.memory_s / a.memory_s - 164.0 / 64.0).abs() < 1e-12);
        assert!((b.compute_s / a.compute_s - 164.0 / 64.0).abs() < 1e-12);
        // Per weight byte the wide GEMM streams faster than the narrow one.
        let per_byte = |l: &Linear| l.eval(8.0, &r1).memory_s / l.weight_bytes;
        assert!(per_byte(&wide) < 0.5 * per_byte(&narrow));
        // More rows add tiles: M = 4096 is within 3 % of the unslowed roofline.
        let big = narrow.eval(4096.0, &r1).time_s() / narrow.eval(4096.0, &r0).time_s();
        assert!(big > 1.0 && big < 1.03, "{big}");
    }

    #[test]
    fn per_pair_attention_cost_does_not_shrink_with_the_head_dim() {
        let g = GpuKind::H100Sxm80.spec();
        let base = Calibration::datasheet_default();
        let mut c = base.clone();
        c.set(crate::perf::CalibrationField::PrefillAttnPairFlops, 512.0)
            .unwrap();
        let (r0, r1) = (Roof::new(&g, &base), Roof::new(&g, &c));
        let (d64, d128) = (
            AttentionShape::new(32.0, 32.0, 64.0),
            AttentionShape::new(32.0, 32.0, 128.0),
        );
        let t = |a: &AttentionShape, r: &Roof| a.prefill(1.0, 1e7, 4096.0, 4096.0, r).compute_s;
        // Off by default: D = 64 costs exactly half of D = 128.
        assert!((t(&d64, &r0) / t(&d128, &r0) - 0.5).abs() < 1e-12);
        // 512 extra per pair and head: (256 + 512)/(512 + 512) = 0.75.
        assert!((t(&d64, &r1) / t(&d128, &r1) - 0.75).abs() < 1e-12);
        // FLOPs reported stay the true count.
        assert_eq!(
            d64.prefill(1.0, 1e7, 4096.0, 4096.0, &r1).flops,
            d64.prefill(1.0, 1e7, 4096.0, 4096.0, &r0).flops
        );
    }

    #[test]
    fn efficiency_curve_saturates() {
        let (g, roof) = h100();
        let e = |s: f64| roof.attention_efficiency(s, g.bf16_flops);
        assert!(e(1024.0) < e(4096.0) && e(4096.0) < e(1e6));
        assert!((e(1e9) - 0.634).abs() < 1e-3);
        assert_eq!(roof.attention_compute_s(0.0, 100.0, 1.0), 0.0);
    }
}
