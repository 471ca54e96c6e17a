//! GEMM `C[M][N] = A[M][K]·B[K][N]` (row-major): on FMA units with f32 or f16 storage
//! (`gemm.wgsl`), and on cooperative matrices with f16 (`gemm_coop.wgsl`).

use pecsched_core::perf::kernel::{Dtype, Gemm};
use wgpu::{Buffer, ComputePipeline};

use crate::buffers::{Dispatch, Launch};
use crate::pipelines::PipelineCache;
use crate::prefill_coop::check_coop;
use crate::template::{elem_vars, render};
use crate::{Gpu, GpuError};

const SRC: &str = include_str!("gemm.wgsl");
const SRC_COOP: &str = include_str!("gemm_coop.wgsl");
const TILE: u32 = 64;

/// Which GEMM kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GemmVariant {
    /// FMA units, storage as the shape's dtype.
    Fma,
    /// Cooperative matrices (f16 only).
    Coop,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    m: u32,
    n: u32,
    k: u32,
    pad: u32,
}

/// The GEMM pipelines, compiled on first use.
pub struct GemmKernel {
    pipes: PipelineCache<(GemmVariant, Dtype)>,
}

impl GemmKernel {
    /// Creates the kernel.
    pub fn new(trusted: bool) -> GemmKernel {
        GemmKernel {
            pipes: PipelineCache::new(trusted),
        }
    }

    fn pipeline(
        &self,
        gpu: &Gpu,
        v: GemmVariant,
        dtype: Dtype,
    ) -> Result<ComputePipeline, GpuError> {
        match v {
            GemmVariant::Fma => self.pipes.get(gpu, (v, dtype), "gemm", || {
                Ok(render(SRC, &elem_vars(dtype)))
            }),
            GemmVariant::Coop => self.pipes.get(gpu, (v, dtype), "gemm-coop", || {
                check_coop(gpu, "gemm-coop")?;
                Ok(SRC_COOP.to_string())
            }),
        }
    }

    /// The single dispatch of one GEMM.
    pub fn launch(
        &self,
        gpu: &Gpu,
        v: GemmVariant,
        s: &Gemm,
        a: &Buffer,
        b: &Buffer,
        c: &Buffer,
    ) -> Result<Launch, GpuError> {
        if s.m == 0 || s.n == 0 || s.k == 0 {
            return Err(GpuError::shape("gemm", "M, N and K must be ≥ 1"));
        }
        if v == GemmVariant::Coop
            && (s.dtype != Dtype::F16 || !s.n.is_multiple_of(8) || !s.k.is_multiple_of(8))
        {
            return Err(GpuError::shape(
                "gemm-coop",
                "needs f16 and N, K multiples of 8",
            ));
        }
        let (x, y) = (s.n.div_ceil(TILE), s.m.div_ceil(TILE));
        if x > 65535 || y > 65535 {
            return Err(GpuError::shape("gemm", "M or N above 65535·64"));
        }
        let pipeline = self.pipeline(gpu, v, s.dtype)?;
        let params = Params {
            m: s.m,
            n: s.n,
            k: s.k,
            pad: 0,
        };
        let uni = gpu.uniform(bytemuck::bytes_of(&params));
        let group = gpu.bind(&pipeline, &uni, &[a, b, c]);
        Ok(Launch {
            dispatches: vec![Dispatch {
                pipeline,
                group,
                count: [x, y, 1],
            }],
            owned: vec![uni],
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn coop_source_compiles_to_spirv() {
        crate::naga_check::compile(super::SRC_COOP).unwrap();
    }
}
