//! The partial-attention merge: combines partial outputs by their log-sum-exp (the second
//! pass of split-K decode; also what ring attention / sequence-parallel decode do between
//! ranks). Kernel: `merge.wgsl`.

use pecsched_core::perf::kernel::Dtype;
use wgpu::{Buffer, ComputePipeline};

use crate::buffers::Dispatch;
use crate::template::{elem_vars, render};
use crate::{Gpu, GpuError};

const SRC: &str = include_str!("merge.wgsl");
const WG: u32 = 64;

/// The merge pipelines (f16 and f32 output).
pub struct MergeKernel {
    f16: ComputePipeline,
    f32: ComputePipeline,
}

/// Buffers of one merge call.
pub struct MergeBuffers<'a> {
    /// Partial outputs, f32 `[parts][D]`.
    pub part_o: &'a Buffer,
    /// Partial LSEs, f32 `[parts]` (≤ −1e30: no keys).
    pub part_lse: &'a Buffer,
    /// Per output row `(first, count)`, u32 pairs.
    pub rows: &'a Buffer,
    /// Merged outputs `[rows][D]`, stored as the call's dtype.
    pub out: &'a Buffer,
    /// Merged LSEs, f32 `[rows]`.
    pub out_lse: &'a Buffer,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    rows: u32,
    stride: u32,
    d4: u32,
    pad: u32,
}

impl MergeKernel {
    /// Builds the pipelines (`trusted`: without runtime bounds checks).
    pub fn new(gpu: &Gpu, trusted: bool) -> Result<MergeKernel, GpuError> {
        let build = |d: Dtype| gpu.pipeline("merge", &render(SRC, &elem_vars(d)), trusted);
        Ok(MergeKernel {
            f16: build(Dtype::F16)?,
            f32: build(Dtype::F32)?,
        })
    }

    /// One dispatch merging `rows` rows of `d` values; part `p` of a row sits `stride` parts
    /// after part `p − 1`. Returns the dispatch and its parameter buffer.
    pub fn dispatch(
        &self,
        gpu: &Gpu,
        rows: u32,
        d: u32,
        stride: u32,
        dtype: Dtype,
        b: &MergeBuffers<'_>,
    ) -> Result<(Dispatch, Buffer), GpuError> {
        if d == 0 || !d.is_multiple_of(4) {
            return Err(GpuError::shape(
                "merge",
                format!("head dim {d} must be a multiple of 4"),
            ));
        }
        let params = Params {
            rows,
            stride,
            d4: d / 4,
            pad: 0,
        };
        let uni = gpu.uniform(bytemuck::bytes_of(&params));
        let pipeline = match dtype {
            Dtype::F16 => self.f16.clone(),
            Dtype::F32 => self.f32.clone(),
        };
        let group = gpu.bind(
            &pipeline,
            &uni,
            &[b.part_o, b.part_lse, b.rows, b.out, b.out_lse],
        );
        let groups = (rows as u64 * (d / 4) as u64).div_ceil(WG as u64);
        let x = groups.min(65535) as u32;
        let y = groups.div_ceil(65535) as u32;
        Ok((
            Dispatch {
                pipeline,
                group,
                count: [x, y.max(1), 1],
            },
            uni,
        ))
    }
}
