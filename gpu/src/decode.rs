//! Decode attention over a ragged batch: one query token per sequence, GQA, split-K over the
//! KV length (`decode.wgsl`), then the LSE merge (`merge.wgsl`).
//!
//! The KV cache may exceed one storage binding (2 GiB − 4 bytes on the H100): [`KvCache`]
//! packs whole sequences into as many K and V buffers as needed, and the split pass is
//! dispatched once per buffer, all writing into one partial-result array.

use pecsched_core::perf::kernel::{DecodeAttention, Dtype};
use wgpu::{Buffer, ComputePipeline};

use crate::buffers::{Dispatch, Launch};
use crate::decode_gen::source;
use crate::merge::{MergeBuffers, MergeKernel};
use crate::pipelines::PipelineCache;
use crate::{Gpu, GpuError};

/// Workgroups the automatic split aims for (several per multiprocessor on a large GPU).
const TARGET_WORKGROUPS: u64 = 1024;
/// Shortest automatic split, tokens (keeps partial traffic to a few % of the KV bytes).
pub const MIN_SPLIT: u32 = 256;

/// Per sequence (buffer index, first token), and the tokens of each buffer.
pub type KvLayout = (Vec<(usize, u32)>, Vec<u64>);

/// Where each sequence's K and V rows live.
pub struct KvCache {
    /// K buffers, `[tokens][H_kv][D]` f16 each.
    pub k: Vec<Buffer>,
    /// V buffers, same layout.
    pub v: Vec<Buffer>,
    /// Per sequence: (buffer index, first token in that buffer).
    pub place: Vec<(usize, u32)>,
    /// Tokens held by each buffer.
    pub tokens: Vec<u64>,
}

impl KvCache {
    /// Packs sequences of `lengths` into buffers of at most `max_binding` bytes each (f16,
    /// `kv_heads·head_dim` values per token). Fails when one sequence alone is too large.
    pub fn layout(
        lengths: &[u32],
        kv_heads: u32,
        head_dim: u32,
        max_binding: u64,
    ) -> Result<KvLayout, GpuError> {
        let row = kv_heads as u64 * head_dim as u64 * 2;
        let cap = (max_binding / row).min(u32::MAX as u64);
        let mut place = Vec::with_capacity(lengths.len());
        let mut tokens: Vec<u64> = vec![0];
        for (b, &len) in lengths.iter().enumerate() {
            if len as u64 > cap {
                return Err(GpuError::shape(
                    "decode",
                    format!("sequence {b} has {len} tokens: over one binding ({cap} tokens)"),
                ));
            }
            let last = tokens.len() - 1;
            if tokens[last] + len as u64 > cap {
                tokens.push(0);
            }
            let i = tokens.len() - 1;
            place.push((i, tokens[i] as u32));
            tokens[i] += len as u64;
        }
        Ok((place, tokens))
    }

    /// Allocates the buffers of [`KvCache::layout`] (zeroed).
    pub fn alloc(
        gpu: &Gpu,
        lengths: &[u32],
        kv_heads: u32,
        head_dim: u32,
        max_binding: u64,
    ) -> Result<KvCache, GpuError> {
        let (place, tokens) = Self::layout(lengths, kv_heads, head_dim, max_binding)?;
        let row = kv_heads as u64 * head_dim as u64 * 2;
        let mut k = Vec::new();
        let mut v = Vec::new();
        for (i, &n) in tokens.iter().enumerate() {
            k.push(gpu.storage(&format!("k{i}"), n.max(1) * row)?);
            v.push(gpu.storage(&format!("v{i}"), n.max(1) * row)?);
        }
        Ok(KvCache {
            k,
            v,
            place,
            tokens,
        })
    }
}

/// Most KV buffers one dispatch binds (4 + 2·8 = 20 storage bindings; Vulkan adapters offer
/// at least 32 here, the H100 524288). A KV cache in more buffers takes several dispatches
/// that wgpu serialises; on the H100, 5 buffers behind a limit of 4 cost B16 L64K MHA 16 %.
pub const MAX_BUFFERS: usize = 8;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    heads: u32,
    kv_heads: u32,
    scale_log2: f32,
    pad: u32,
}

/// The split pass pipelines (one per head dim / lane layout / head slice) and the merge.
pub struct DecodeKernel {
    pipes: PipelineCache<(u32, u32, u32, usize)>,
    merge: MergeKernel,
}

/// Largest divisor of `g` that is at most 4: query heads handled per workgroup.
fn heads_per_group(g: u32) -> u32 {
    (1..=tuning().2.min(g))
        .rev()
        .find(|d| g.is_multiple_of(*d))
        .unwrap_or(1)
}

/// Most partial results per output row the automatic split produces (the merge walks them
/// serially: ~0.14 µs each on the H100).
pub const MAX_PARTS_PER_ROW: u64 = 64;

/// Split length for a batch: enough work items to fill the GPU, never under [`MIN_SPLIT`]
/// tokens, never more than [`MAX_PARTS_PER_ROW`] pieces of the longest sequence, never more
/// than 65535 items. The parts cap matters for one long sequence with grouped-query heads:
/// on the H100, B = 1, H_kv = 8, L = 32K ran 111 µs with 128 parts per row and 85 µs with 64
/// (docs/benchmarks.md).
pub fn auto_split(lengths: &[u32], kv_heads: u32, slices: u32) -> u32 {
    let (target, min_split, _) = tuning();
    let total: u64 = lengths.iter().map(|&l| l as u64).sum();
    let longest = lengths.iter().copied().max().unwrap_or(0) as u64;
    let want = (total * kv_heads as u64 * slices as u64).div_ceil(target);
    let cap = total.div_ceil(60000);
    want.max(cap)
        .max(longest.div_ceil(MAX_PARTS_PER_ROW))
        .max(min_split as u64)
        .min(u32::MAX as u64) as u32
}

/// Environment variable overriding the split heuristic for experiments on a GPU:
/// `TARGET_WORKGROUPS,MIN_SPLIT,MAX_HEADS_PER_GROUP` (e.g. `2048,256,2`).
pub const TUNING_ENV: &str = "PECSCHED_DECODE_TUNING";

/// (target workgroups, shortest split, most query heads per workgroup): the constants, or
/// [`TUNING_ENV`] when it holds three positive integers.
fn tuning() -> (u64, u32, u32) {
    static T: std::sync::OnceLock<(u64, u32, u32)> = std::sync::OnceLock::new();
    *T.get_or_init(|| {
        let default = (TARGET_WORKGROUPS, MIN_SPLIT, 4);
        let Ok(v) = std::env::var(TUNING_ENV) else {
            return default;
        };
        let n: Vec<u64> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
        match n[..] {
            [t, m, g] if t > 0 && m > 0 && (1..=4).contains(&g) => (t, m as u32, g as u32),
            _ => default,
        }
    })
}

impl DecodeKernel {
    /// Creates the kernel (pipelines are compiled on first use of each configuration).
    pub fn new(gpu: &Gpu, trusted: bool) -> Result<DecodeKernel, GpuError> {
        if !gpu.features.contains(wgpu::Features::SUBGROUP) {
            return Err(GpuError::KernelUnsupported {
                kernel: "decode",
                feature: "SUBGROUP".into(),
            });
        }
        Ok(DecodeKernel {
            pipes: PipelineCache::new(trusted),
            merge: MergeKernel::new(gpu, trusted)?,
        })
    }

    fn pipeline(
        &self,
        gpu: &Gpu,
        d: u32,
        lpt: u32,
        gt: u32,
        nb: usize,
    ) -> Result<ComputePipeline, GpuError> {
        self.pipes.get(gpu, (d, lpt, gt, nb), "decode", || {
            Ok(source(d, lpt, gt, nb))
        })
    }

    /// The dispatches of one decode call. `q` is `[B][H][D]` f16, `out` receives `[B][H][D]`
    /// in `s.dtype` (f16 only for now). `split` overrides the automatic split length.
    /// Returns the launch and the number of partial results (for [`DecodeAttention::parts`]).
    pub fn launch(
        &self,
        gpu: &Gpu,
        s: &DecodeAttention,
        q: &Buffer,
        kv: &KvCache,
        out: &Buffer,
        split: Option<u32>,
    ) -> Result<(Launch, u32), GpuError> {
        let (h, hkv, d) = (s.heads, s.kv_heads, s.head_dim);
        if s.dtype != Dtype::F16 {
            return Err(GpuError::shape("decode", "only f16 KV is implemented"));
        }
        if hkv == 0 || !h.is_multiple_of(hkv) {
            return Err(GpuError::shape(
                "decode",
                format!("H_kv = {hkv} must divide H = {h}"),
            ));
        }
        if d == 0 || !d.is_multiple_of(8) || d > 256 {
            return Err(GpuError::shape(
                "decode",
                format!("head dim {d}: need 8 | D ≤ 256"),
            ));
        }
        if s.lengths.is_empty() || s.lengths.contains(&0) {
            return Err(GpuError::shape(
                "decode",
                "every sequence needs ≥ 1 KV token",
            ));
        }
        let sg = gpu.info.subgroup_min_size.max(1);
        let lpt = (d / 8).min(sg).min(32);
        if (d / 8) % lpt != 0 || 128 % lpt != 0 {
            return Err(GpuError::shape(
                "decode",
                format!("head dim {d} vs subgroup size {sg}"),
            ));
        }
        let gt = heads_per_group(h / hkv);
        let slices = h / hkv / gt;
        let split = split
            .unwrap_or_else(|| auto_split(&s.lengths, hkv, slices))
            .max(1);

        // Work items, grouped by dispatch (up to MAX_BUFFERS KV buffers each); parts
        // numbered sequence by sequence.
        let chunks = kv.k.len().div_ceil(MAX_BUFFERS);
        let mut per_chunk: Vec<Vec<[u32; 4]>> = vec![Vec::new(); chunks];
        let mut rows: Vec<[u32; 2]> = Vec::with_capacity(s.lengths.len() * h as usize);
        let mut parts = 0u32;
        for (b, &len) in s.lengths.iter().enumerate() {
            let (buf, first) = kv.place[b];
            let tag = ((buf % MAX_BUFFERS) as u32) << 24 | b as u32;
            let n = len.div_ceil(split);
            for i in 0..n {
                let start = i * split;
                let count = split.min(len - start);
                per_chunk[buf / MAX_BUFFERS].push([tag, first + start, count, parts + i]);
            }
            for hi in 0..h {
                rows.push([parts * h + hi, n]);
            }
            parts += n;
        }
        if s.lengths.len() >= 1 << 24 {
            return Err(GpuError::shape("decode", "at most 2^24 sequences"));
        }
        let mut launch = Launch::default();
        let part_o = gpu.storage("part_o", parts as u64 * h as u64 * d as u64 * 4)?;
        let part_lse = gpu.storage("part_lse", parts as u64 * h as u64 * 4)?;
        let params = Params {
            heads: h,
            kv_heads: hkv,
            scale_log2: std::f32::consts::LOG2_E / (d as f32).sqrt(),
            pad: 0,
        };
        let uni = gpu.uniform(bytemuck::bytes_of(&params));
        for (c, items) in per_chunk.iter().enumerate() {
            if items.is_empty() {
                continue;
            }
            if items.len() > 65535 {
                return Err(GpuError::shape(
                    "decode",
                    "more than 65535 work items in one dispatch",
                ));
            }
            let first = c * MAX_BUFFERS;
            let last = kv.k.len().min(first + MAX_BUFFERS);
            let pipeline = self.pipeline(gpu, d, lpt, gt, last - first)?;
            let ib = gpu.upload("items", bytemuck::cast_slice(items), 0)?;
            let mut bufs: Vec<&Buffer> = vec![q, &ib, &part_o, &part_lse];
            for i in first..last {
                bufs.push(&kv.k[i]);
                bufs.push(&kv.v[i]);
            }
            let group = gpu.bind(&pipeline, &uni, &bufs);
            launch.dispatches.push(Dispatch {
                pipeline,
                group,
                count: [items.len() as u32, hkv, slices],
            });
            launch.owned.push(ib);
        }
        let rows_buf = gpu.upload("rows", bytemuck::cast_slice(&rows), 0)?;
        let out_lse = gpu.storage("out_lse", rows.len() as u64 * 4)?;
        let (merge, muni) = self.merge.dispatch(
            gpu,
            rows.len() as u32,
            d,
            h,
            s.dtype,
            &MergeBuffers {
                part_o: &part_o,
                part_lse: &part_lse,
                rows: &rows_buf,
                out,
                out_lse: &out_lse,
            },
        )?;
        launch.dispatches.push(merge);
        launch
            .owned
            .extend([uni, muni, part_o, part_lse, rows_buf, out_lse]);
        Ok((launch, parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_packs_whole_sequences() {
        // 4 KV heads × 8 dims × 2 bytes = 64 bytes a token; 640-byte buffers hold 10 tokens.
        let (place, tokens) = KvCache::layout(&[4, 5, 3, 10, 1], 4, 8, 640).unwrap();
        assert_eq!(place, vec![(0, 0), (0, 4), (1, 0), (2, 0), (3, 0)]);
        assert_eq!(tokens, vec![9, 3, 10, 1]);
        assert!(KvCache::layout(&[11], 4, 8, 640).is_err());
    }

    #[test]
    fn generated_source_compiles_to_spirv() {
        for (d, lpt, gt, nb) in [(128, 16, 4, 1), (128, 8, 1, 4), (64, 8, 3, 2)] {
            crate::naga_check::compile(&crate::decode_gen::source(d, lpt, gt, nb))
                .unwrap_or_else(|e| panic!("{d} {lpt} {gt} {nb}: {e}"));
        }
    }

    #[test]
    fn splits_fill_the_gpu_within_bounds() {
        assert_eq!(heads_per_group(8), 4);
        assert_eq!(heads_per_group(6), 3);
        assert_eq!(heads_per_group(1), 1);
        assert_eq!(auto_split(&[1024], 32, 1), MIN_SPLIT);
        assert_eq!(auto_split(&[131072], 8, 2), 2048);
        // One long GQA sequence: at most 64 parts (the GPU-filling rule alone gives 128).
        assert_eq!(auto_split(&[32768], 8, 1), 512);
        assert_eq!(auto_split(&[32768; 4], 8, 1), 1024);
        assert!(131072u32.div_ceil(auto_split(&[131072; 64], 8, 1)) * 64 <= 65535);
    }
}
