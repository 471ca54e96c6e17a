//! Every kernel of the crate, built once for one device, and the allocation of their inputs.

use pecsched_core::perf::kernel::{Dtype, PrefillAttention};
use wgpu::Buffer;

use crate::decode::DecodeKernel;
use crate::fill::Filler;
use crate::gemm::GemmKernel;
use crate::merge::MergeKernel;
use crate::prefill::{AttnBuffers, PrefillKernel};
use crate::prefill_coop::{CoopVariant, PrefillCoopKernel, padding};
use crate::prefill_wide::PrefillWideKernel;
use crate::{Gpu, GpuError};

/// Which prefill kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrefillVariant {
    /// FMA units (f32 or f16 storage).
    Fma,
    /// FMA units with wide register tiles (f32 storage only).
    FmaWide,
    /// Cooperative matrices (f16), one of the [`CoopVariant`]s.
    Coop(CoopVariant),
}

impl PrefillVariant {
    /// Short label for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            PrefillVariant::Fma => "fma",
            PrefillVariant::FmaWide => "fmawide",
            PrefillVariant::Coop(CoopVariant::Global) => "coop",
            PrefillVariant::Coop(CoopVariant::Staged) => "coopstaged",
            PrefillVariant::Coop(CoopVariant::Safe) => "coopsafe",
            PrefillVariant::Coop(CoopVariant::Flush) => "coopflush",
            PrefillVariant::Coop(CoopVariant::Fresh) => "coopfresh",
            PrefillVariant::Coop(CoopVariant::Rows) => "cooprows",
        }
    }
}

/// The kernels of one device. Pipelines compile on first use of each configuration, outside
/// any timed region.
pub struct Kernels {
    /// FMA prefill.
    pub prefill: PrefillKernel,
    /// Wide-tile FMA prefill (f32).
    pub prefill_wide: PrefillWideKernel,
    /// Cooperative-matrix prefill, when the adapter has cooperative matrices.
    pub prefill_coop: Option<PrefillCoopKernel>,
    /// Split-K decode (with its merge).
    pub decode: DecodeKernel,
    /// Stand-alone merge.
    pub merge: MergeKernel,
    /// GEMMs.
    pub gemm: GemmKernel,
    /// Seeded input generator.
    pub fill: Filler,
}

impl Kernels {
    /// Builds every kernel (`trusted`: without runtime bounds checks, for timing).
    pub fn new(gpu: &Gpu, trusted: bool) -> Result<Kernels, GpuError> {
        let prefill_coop = match PrefillCoopKernel::new(gpu, trusted) {
            Ok(k) => Some(k),
            Err(GpuError::KernelUnsupported { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(Kernels {
            prefill: PrefillKernel::new(trusted),
            prefill_wide: PrefillWideKernel::new(trusted),
            prefill_coop,
            decode: DecodeKernel::new(gpu, trusted)?,
            merge: MergeKernel::new(gpu, trusted)?,
            gemm: GemmKernel::new(trusted),
            fill: Filler::new(gpu)?,
        })
    }

    /// The prefill variants this device runs for `dtype`.
    pub fn prefill_variants(&self, dtype: Dtype) -> Vec<PrefillVariant> {
        let mut v = vec![PrefillVariant::Fma];
        if dtype == Dtype::F32 {
            v.push(PrefillVariant::FmaWide);
        }
        if dtype == Dtype::F16 && self.prefill_coop.is_some() {
            v.extend(CoopVariant::ALL.map(PrefillVariant::Coop));
        }
        v
    }

    /// One prefill call of `variant`.
    pub fn prefill_launch(
        &self,
        gpu: &Gpu,
        variant: PrefillVariant,
        s: &PrefillAttention,
        bufs: &AttnBuffers<'_>,
    ) -> Result<crate::buffers::Launch, GpuError> {
        match (variant, &self.prefill_coop) {
            (PrefillVariant::Fma, _) => self.prefill.launch(gpu, s, bufs),
            (PrefillVariant::FmaWide, _) => self.prefill_wide.launch(gpu, s, bufs),
            (PrefillVariant::Coop(v), Some(k)) => k.launch(gpu, v, s, bufs),
            (PrefillVariant::Coop(_), None) => Err(GpuError::KernelUnsupported {
                kernel: "prefill-coop",
                feature: "cooperative matrices".into(),
            }),
        }
    }
}

/// Prefill buffers (Q, K, V with tile padding; O) owned together.
pub struct PrefillBuffers {
    /// Queries.
    pub q: Buffer,
    /// Keys.
    pub k: Buffer,
    /// Values.
    pub v: Buffer,
    /// Output.
    pub o: Buffer,
}

impl PrefillBuffers {
    /// Elements of Q (= O) and of K (= V), without padding.
    pub fn elems(s: &PrefillAttention) -> (u64, u64) {
        let (b, d) = (s.batch as u64, s.head_dim as u64);
        (
            b * s.chunk as u64 * s.heads as u64 * d,
            b * (s.chunk + s.prefix) as u64 * s.kv_heads as u64 * d,
        )
    }

    /// Allocates zeroed buffers with the padding every prefill kernel accepts.
    pub fn alloc(gpu: &Gpu, s: &PrefillAttention) -> Result<PrefillBuffers, GpuError> {
        let (nq, nkv) = Self::elems(s);
        let (pq, pkv) = padding(s);
        let e = s.dtype.bytes() as u64;
        Ok(PrefillBuffers {
            q: gpu.storage("q", (nq + pq) * e)?,
            k: gpu.storage("k", (nkv + pkv) * e)?,
            v: gpu.storage("v", (nkv + pkv) * e)?,
            o: gpu.storage("o", nq * e)?,
        })
    }

    /// The view the kernels take.
    pub fn view(&self) -> AttnBuffers<'_> {
        AttnBuffers {
            q: &self.q,
            k: &self.k,
            v: &self.v,
            o: &self.o,
        }
    }
}
