//! Kernel-versus-reference checks over a table of shapes that reaches every code path: one
//! token and long chunks, cached prefixes, MHA/GQA/MQA, causal and full, ragged decode
//! batches, several KV buffers, multi-part merges with empty parts, GEMM edges that are not
//! multiples of the tiles. Inputs are seeded and non-zero; outputs are NaN-poisoned first.
//!
//! Used by `tests/kernels.rs` (on lavapipe in CI) and by `bench` before any timing.

use std::collections::BTreeSet;

use pecsched_core::perf::kernel::{DecodeAttention, Dtype, Gemm, PrefillAttention};

use crate::buffers::{encode, read_as};
use crate::decode::KvCache;
use crate::fill::values;
use crate::gemm::GemmVariant;
use crate::kernels::{Kernels, PrefillBuffers, PrefillVariant};
use crate::merge::MergeBuffers;
use crate::points::KernelFamily;
use crate::reference::{self, Deviation, compare};
use crate::{Gpu, GpuError};

/// Tolerance on the relative L2 error for outputs stored as `dtype` (f16 output rounding is
/// 2⁻¹¹ relative; the cooperative kernel also rounds P to f16).
pub fn tolerance(dtype: Dtype) -> f64 {
    match dtype {
        Dtype::F32 => 1e-5,
        Dtype::F16 => 3e-3,
    }
}

/// One check: what ran and how it compared.
#[derive(Debug)]
pub struct CheckResult {
    /// Kernel and variant.
    pub kernel: String,
    /// Shape, human-readable.
    pub shape: String,
    /// Deviation from the reference, or why it failed.
    pub outcome: Result<Deviation, String>,
}

/// An f32 prefill shape: batch, heads, KV heads, head dim, new tokens, cached prefix, causal.
pub fn pre(b: u32, h: u32, hkv: u32, d: u32, s: u32, p: u32, causal: bool) -> PrefillAttention {
    PrefillAttention {
        batch: b,
        heads: h,
        kv_heads: hkv,
        head_dim: d,
        chunk: s,
        prefix: p,
        causal,
        dtype: Dtype::F32,
    }
}

/// Prefill shapes (dtype set by the caller) and the amplitude of Q (16 forces the lazy
/// rescaling of the cooperative kernel). `long` adds a larger case for the GPU.
pub fn prefill_cases(long: bool) -> Vec<(PrefillAttention, f32)> {
    let mut v = vec![
        (pre(1, 2, 2, 64, 1, 0, true), 4.0),
        (pre(2, 4, 2, 64, 37, 0, true), 4.0),
        (pre(1, 4, 1, 128, 70, 45, true), 4.0),
        (pre(1, 2, 2, 128, 50, 13, false), 4.0),
        (pre(1, 2, 1, 64, 200, 300, true), 16.0),
        (pre(3, 2, 2, 32, 5, 0, true), 4.0),
    ];
    if long {
        v.push((pre(1, 4, 1, 128, 300, 2000, true), 8.0));
        v.push((pre(2, 8, 2, 128, 640, 0, true), 4.0));
    }
    v
}

/// A decode case: heads, KV heads, head dim, lengths, split override, binding cap override.
pub type DecodeCase = (u32, u32, u32, Vec<u32>, Option<u32>, Option<u64>);

/// Decode shapes. `long` adds a long ragged batch for the GPU.
pub fn decode_cases(long: bool) -> Vec<DecodeCase> {
    let mut v: Vec<DecodeCase> = vec![
        (2, 2, 64, vec![1], None, None),
        (8, 2, 128, vec![5, 300, 1031], Some(128), None),
        (
            4,
            4,
            64,
            vec![17, 1, 64, 700],
            Some(100),
            Some(800 * 4 * 64 * 2),
        ),
        (16, 2, 128, vec![2000], None, None),
        // 12 sequences in 12 KV buffers of 60 tokens: two dispatches of up to 8 buffers.
        (4, 2, 64, vec![50; 12], Some(16), Some(60 * 2 * 64 * 2)),
        (12, 4, 64, vec![33, 70], Some(16), None),
    ];
    if long {
        v.push((32, 8, 128, vec![20000, 3, 7001], None, None));
    }
    v
}

/// Merge shapes: (parts per row, head dim); parts are laid out ring-style `[R][rows]`.
pub fn merge_cases() -> Vec<(Vec<u32>, u32)> {
    vec![(vec![1, 2, 5, 3, 4, 5, 1], 64), (vec![2, 2, 2], 128)]
}

/// GEMM shapes (M, N, K); the cooperative kernel gets those with 8 | N, K.
pub fn gemm_cases() -> Vec<(u32, u32, u32)> {
    vec![
        (1, 16, 16),
        (37, 53, 71),
        (37, 56, 72),
        (64, 64, 64),
        (65, 136, 200),
        (130, 64, 40),
    ]
}

fn fail(e: GpuError) -> String {
    e.to_string()
}

/// Runs one prefill check.
pub fn check_prefill(
    gpu: &Gpu,
    k: &Kernels,
    variant: PrefillVariant,
    s: &PrefillAttention,
    amp: f32,
) -> Result<Deviation, String> {
    let (nq, nkv) = PrefillBuffers::elems(s);
    let q = values(11, nq as usize, amp);
    let kk = values(12, nkv as usize, 1.0);
    let vv = values(13, nkv as usize, 1.0);
    let bufs = PrefillBuffers::alloc(gpu, s).map_err(fail)?;
    gpu.queue.write_buffer(&bufs.q, 0, &encode(&q, s.dtype));
    gpu.queue.write_buffer(&bufs.k, 0, &encode(&kk, s.dtype));
    gpu.queue.write_buffer(&bufs.v, 0, &encode(&vv, s.dtype));
    gpu.poison(&bufs.o, nq * s.dtype.bytes() as u64);
    let launch = k
        .prefill_launch(gpu, variant, s, &bufs.view())
        .map_err(fail)?;
    launch.run(gpu).map_err(fail)?;
    let got = read_as(gpu, &bufs.o, nq as usize, s.dtype).map_err(fail)?;
    compare(
        &got,
        &reference::prefill(s, &q, &kk, &vv),
        tolerance(s.dtype),
    )
}

/// Runs one decode check (f16).
pub fn check_decode(gpu: &Gpu, k: &Kernels, c: &DecodeCase) -> Result<Deviation, String> {
    let (h, hkv, d, lengths, split, cap) = c;
    let b = lengths.len();
    let q = values(21, b * (*h * *d) as usize, 4.0);
    let cap = cap.unwrap_or(gpu.max_binding());
    let kv = KvCache::alloc(gpu, lengths, *hkv, *d, cap).map_err(fail)?;
    let row = (*hkv * *d) as usize;
    let mut ks = Vec::new();
    let mut vs = Vec::new();
    for (i, &len) in lengths.iter().enumerate() {
        let kx = values(100 + i as u32, len as usize * row, 1.0);
        let vx = values(200 + i as u32, len as usize * row, 1.0);
        let (buf, first) = kv.place[i];
        let off = first as u64 * row as u64 * 2;
        gpu.queue
            .write_buffer(&kv.k[buf], off, &encode(&kx, Dtype::F16));
        gpu.queue
            .write_buffer(&kv.v[buf], off, &encode(&vx, Dtype::F16));
        ks.push(kx);
        vs.push(vx);
    }
    let qb = gpu.upload("q", &encode(&q, Dtype::F16), 0).map_err(fail)?;
    let out = gpu.storage("out", q.len() as u64 * 2).map_err(fail)?;
    gpu.poison(&out, q.len() as u64 * 2);
    let shape = DecodeAttention {
        heads: *h,
        kv_heads: *hkv,
        head_dim: *d,
        lengths: lengths.clone(),
        parts: 0,
        dtype: Dtype::F16,
    };
    let (launch, _) = k
        .decode
        .launch(gpu, &shape, &qb, &kv, &out, *split)
        .map_err(fail)?;
    launch.run(gpu).map_err(fail)?;
    let got = gpu.read_f16(&out, q.len()).map_err(fail)?;
    let want = reference::decode(*h as usize, *hkv as usize, &q, &ks, &vs);
    compare(&got, &want, tolerance(Dtype::F16))
}

/// Runs one merge check (outputs as `dtype`, and the merged LSEs).
pub fn check_merge(
    gpu: &Gpu,
    k: &Kernels,
    counts: &[u32],
    d: u32,
    dtype: Dtype,
) -> Result<Deviation, String> {
    let rows = counts.len() as u32;
    let r_max = counts.iter().copied().max().unwrap_or(1);
    let n = (r_max * rows) as usize;
    let part_o = values(31, n * d as usize, 1.0);
    let mut lse = values(32, n, 4.0);
    lse[rows as usize] = -3.0e38; // part 1 of row 0 is empty (row 0 has one part: unused)
    lse[rows as usize + 1] = -3.0e38; // part 1 of row 1: an empty part that counts
    let row_parts: Vec<[u32; 2]> = (0..rows).map(|r| [r, counts[r as usize]]).collect();
    let pb = gpu
        .upload("part_o", bytemuck::cast_slice(&part_o), 0)
        .map_err(fail)?;
    let lb = gpu
        .upload("part_lse", bytemuck::cast_slice(&lse), 0)
        .map_err(fail)?;
    let rb = gpu
        .upload("rows", bytemuck::cast_slice(&row_parts), 0)
        .map_err(fail)?;
    let ob = gpu.storage("out", (rows * d * 4) as u64).map_err(fail)?;
    let olb = gpu.storage("out_lse", rows as u64 * 4).map_err(fail)?;
    gpu.poison(&ob, (rows * d * dtype.bytes()) as u64);
    gpu.poison(&olb, rows as u64 * 4);
    let bufs = MergeBuffers {
        part_o: &pb,
        part_lse: &lb,
        rows: &rb,
        out: &ob,
        out_lse: &olb,
    };
    let (disp, uni) = k
        .merge
        .dispatch(gpu, rows, d, rows, dtype, &bufs)
        .map_err(fail)?;
    let launch = crate::buffers::Launch {
        dispatches: vec![disp],
        owned: vec![uni],
    };
    launch.run(gpu).map_err(fail)?;
    let rp: Vec<(u32, u32)> = row_parts.iter().map(|r| (r[0], r[1])).collect();
    let (want, want_lse) = reference::merge(&part_o, &lse, &rp, rows, d as usize);
    let got = read_as(gpu, &ob, (rows * d) as usize, dtype).map_err(fail)?;
    let got_lse = gpu.read_f32(&olb, rows as usize).map_err(fail)?;
    compare(&got_lse, &want_lse, 1e-5).map_err(|e| format!("LSE: {e}"))?;
    compare(&got, &want, tolerance(dtype))
}

/// Runs one GEMM check.
pub fn check_gemm(gpu: &Gpu, k: &Kernels, v: GemmVariant, s: &Gemm) -> Result<Deviation, String> {
    let (m, n, kk) = (s.m as usize, s.n as usize, s.k as usize);
    let a = values(41, m * kk, 1.0);
    let b = values(42, kk * n, 1.0);
    let ab = gpu.upload("a", &encode(&a, s.dtype), 0).map_err(fail)?;
    let bb = gpu.upload("b", &encode(&b, s.dtype), 0).map_err(fail)?;
    let cb = gpu
        .storage("c", (m * n) as u64 * s.dtype.bytes() as u64)
        .map_err(fail)?;
    gpu.poison(&cb, (m * n) as u64 * s.dtype.bytes() as u64);
    let launch = k.gemm.launch(gpu, v, s, &ab, &bb, &cb).map_err(fail)?;
    launch.run(gpu).map_err(fail)?;
    let got = read_as(gpu, &cb, m * n, s.dtype).map_err(fail)?;
    compare(&got, &reference::gemm(m, n, kk, &a, &b), tolerance(s.dtype))
}

fn result(kernel: String, shape: String, outcome: Result<Deviation, String>) -> CheckResult {
    CheckResult {
        kernel,
        shape,
        outcome,
    }
}

/// Every check of one family on this device.
pub fn run_family(gpu: &Gpu, k: &Kernels, family: KernelFamily, long: bool) -> Vec<CheckResult> {
    let mut out = Vec::new();
    match family {
        KernelFamily::Prefill => {
            for dtype in [Dtype::F32, Dtype::F16] {
                for variant in k.prefill_variants(dtype) {
                    for (mut s, amp) in prefill_cases(long) {
                        s.dtype = dtype;
                        let name = format!("prefill-{}-{}", variant.as_str(), dtype.as_str());
                        let shape = format!(
                            "B={} H={} Hkv={} D={} S={} P={} causal={} amp={amp}",
                            s.batch, s.heads, s.kv_heads, s.head_dim, s.chunk, s.prefix, s.causal
                        );
                        out.push(result(name, shape, check_prefill(gpu, k, variant, &s, amp)));
                    }
                }
            }
        }
        KernelFamily::Decode => {
            for c in decode_cases(long) {
                let shape = format!(
                    "H={} Hkv={} D={} L={:?} split={:?} binding={:?}",
                    c.0, c.1, c.2, c.3, c.4, c.5
                );
                out.push(result("decode-f16".into(), shape, check_decode(gpu, k, &c)));
            }
        }
        KernelFamily::Merge => {
            for dtype in [Dtype::F32, Dtype::F16] {
                for (counts, d) in merge_cases() {
                    let shape = format!("parts={counts:?} D={d}");
                    let name = format!("merge-{}", dtype.as_str());
                    out.push(result(name, shape, check_merge(gpu, k, &counts, d, dtype)));
                }
            }
        }
        KernelFamily::Gemm => {
            for (dtype, v) in [
                (Dtype::F32, GemmVariant::Fma),
                (Dtype::F16, GemmVariant::Fma),
                (Dtype::F16, GemmVariant::Coop),
            ] {
                if v == GemmVariant::Coop && k.prefill_coop.is_none() {
                    continue;
                }
                for (m, n, kk) in gemm_cases() {
                    if v == GemmVariant::Coop && (n % 8 != 0 || kk % 8 != 0) {
                        continue;
                    }
                    let s = Gemm { m, n, k: kk, dtype };
                    let name = format!("gemm-{v:?}-{}", dtype.as_str()).to_lowercase();
                    out.push(result(
                        name,
                        format!("{m}x{n}x{kk}"),
                        check_gemm(gpu, k, v, &s),
                    ));
                }
            }
        }
    }
    out
}

/// Runs every family's checks and prints them; returns the labels of kernels that failed
/// any (`bench` times none of those).
pub fn validate(gpu: &Gpu, k: &Kernels, long: bool) -> BTreeSet<String> {
    let mut failed = BTreeSet::new();
    for family in KernelFamily::ALL {
        let results = run_family(gpu, k, family, long);
        report(&results);
        for r in results.iter().filter(|r| r.outcome.is_err()) {
            failed.insert(r.kernel.clone());
        }
    }
    failed
}

/// Prints one line per check; returns how many failed.
pub fn report(results: &[CheckResult]) -> usize {
    let mut failed = 0;
    for r in results {
        match &r.outcome {
            Ok(d) => println!(
                "  ok    {:<20} {:<55} rel L2 {:.1e}, rel max {:.1e}",
                r.kernel, r.shape, d.rel_l2, d.rel_max
            ),
            Err(e) => {
                failed += 1;
                println!("  FAIL  {:<20} {:<55} {e}", r.kernel, r.shape);
            }
        }
    }
    failed
}
