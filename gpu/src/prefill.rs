//! Prefill attention on FMA units (`prefill.wgsl`): causal or full, GQA, a chunk after a
//! cached prefix, flash-style. f32 storage is the f32 kernel; f16 storage (f32 arithmetic) is
//! the fallback when the adapter has no cooperative matrices.

use pecsched_core::perf::kernel::{Dtype, PrefillAttention};
use wgpu::{Buffer, ComputePipeline};

use crate::buffers::{Dispatch, Launch};
use crate::pipelines::PipelineCache;
use crate::template::{elem_vars, render};
use crate::{Gpu, GpuError};

const SRC: &str = include_str!("prefill.wgsl");
/// Query rows per workgroup.
pub const BLOCK_ROWS: u32 = 64;

/// The four buffers of one prefill call (layouts in `reference.rs`).
pub struct AttnBuffers<'a> {
    /// Queries `[B][S][H][D]`.
    pub q: &'a Buffer,
    /// Keys `[B][P+S][H_kv][D]`.
    pub k: &'a Buffer,
    /// Values `[B][P+S][H_kv][D]`.
    pub v: &'a Buffer,
    /// Output `[B][S][H][D]`.
    pub o: &'a Buffer,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    pub s: u32,
    pub p: u32,
    pub heads: u32,
    pub kv_heads: u32,
    pub causal: u32,
    pub scale_log2: f32,
    pub nqb: u32,
    pub pad: u32,
}

/// Checks a prefill shape common to both kernels.
pub(super) fn check_shape(kernel: &'static str, s: &PrefillAttention) -> Result<(), GpuError> {
    if s.batch == 0 || s.chunk == 0 || s.heads == 0 {
        return Err(GpuError::shape(kernel, "B, S and H must be ≥ 1"));
    }
    if s.kv_heads == 0 || !s.heads.is_multiple_of(s.kv_heads) {
        return Err(GpuError::shape(
            kernel,
            format!("H_kv = {} must divide H = {}", s.kv_heads, s.heads),
        ));
    }
    if s.batch > 65535 || s.heads > 65535 {
        return Err(GpuError::shape(kernel, "B and H must be ≤ 65535"));
    }
    Ok(())
}

/// Parameters of a call with `rows` query rows per workgroup.
/// The one dispatch of a prefill kernel: a workgroup per `rows` query rows of each (head,
/// sequence), the parameters in a uniform, Q, K, V, O bound at 1–4 (every prefill kernel).
pub(super) fn one_dispatch(
    gpu: &Gpu,
    pipeline: ComputePipeline,
    s: &PrefillAttention,
    rows: u32,
    bufs: &AttnBuffers<'_>,
) -> Launch {
    let prm = params(s, rows);
    let uni = gpu.uniform(bytemuck::bytes_of(&prm));
    let group = gpu.bind(&pipeline, &uni, &[bufs.q, bufs.k, bufs.v, bufs.o]);
    Launch {
        dispatches: vec![Dispatch {
            pipeline,
            group,
            count: [prm.nqb, s.heads, s.batch],
        }],
        owned: vec![uni],
    }
}

pub(super) fn params(s: &PrefillAttention, rows: u32) -> Params {
    Params {
        s: s.chunk,
        p: s.prefix,
        heads: s.heads,
        kv_heads: s.kv_heads,
        causal: s.causal as u32,
        scale_log2: std::f32::consts::LOG2_E / (s.head_dim as f32).sqrt(),
        nqb: s.chunk.div_ceil(rows),
        pad: 0,
    }
}

/// Flash-style FMA prefill attention, f32 or f16 storage.
pub struct PrefillKernel {
    pipes: PipelineCache<(Dtype, u32)>,
}

impl PrefillKernel {
    /// Creates the kernel (pipelines compile on first use of each dtype and head dim).
    pub fn new(trusted: bool) -> PrefillKernel {
        PrefillKernel {
            pipes: PipelineCache::new(trusted),
        }
    }

    fn pipeline(&self, gpu: &Gpu, dtype: Dtype, d: u32) -> Result<ComputePipeline, GpuError> {
        self.pipes.get(gpu, (dtype, d), "prefill", || {
            let [a, b] = elem_vars(dtype);
            Ok(render(SRC, &[a, b, ("D", d.to_string())]))
        })
    }

    /// The single dispatch of one prefill call.
    pub fn launch(
        &self,
        gpu: &Gpu,
        s: &PrefillAttention,
        bufs: &AttnBuffers<'_>,
    ) -> Result<Launch, GpuError> {
        check_shape("prefill", s)?;
        let d = s.head_dim;
        if d == 0 || !d.is_multiple_of(32) || d > 128 {
            return Err(GpuError::shape(
                "prefill",
                format!("head dim {d}: need 32 | D ≤ 128"),
            ));
        }
        let pipeline = self.pipeline(gpu, s.dtype, d)?;
        Ok(one_dispatch(gpu, pipeline, s, BLOCK_ROWS, bufs))
    }
}
