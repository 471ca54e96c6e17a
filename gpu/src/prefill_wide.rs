//! f32 prefill attention on FMA units with wide register tiles (`prefill_wide.wgsl`, variant
//! `fmawide`): the same computation as [`crate::prefill`] (causal or full, GQA, a chunk after a
//! cached prefix, flash-style), with 8 × 4 score and 8 × D/16 output tiles per thread, Q and K
//! staged transposed, P and V staged in shared memory. The tiling and why it is laid out so
//! are in the header of the WGSL. f32 storage only: f16 keeps the other kernels.

use pecsched_core::perf::kernel::{Dtype, PrefillAttention};
use wgpu::ComputePipeline;

use crate::buffers::Launch;
use crate::pipelines::PipelineCache;
use crate::prefill::{AttnBuffers, check_shape, one_dispatch};
use crate::template::render;
use crate::{Gpu, GpuError};

const SRC: &str = include_str!("prefill_wide.wgsl");
/// Query rows per workgroup.
pub const BLOCK_ROWS: u32 = 64;
/// Keys per block of the online softmax.
pub const BLOCK_KEYS: u32 = 64;
/// Workgroup memory the kernel may use (the limit on the H100 and H200, and WebGPU's).
const SHARED_LIMIT: u32 = 48 * 1024;
/// vec4 per row of the transposed tiles (64 floats and 4 of padding), as in the WGSL.
const LD: u32 = 17;
/// Bytes of the per-row partials table (`red`: 64 rows × 5 vec4).
const RED_BYTES: u32 = BLOCK_ROWS * 5 * 16;

/// The shape-dependent constants of the WGSL for head dim `d` (32 | d ≤ 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tiles {
    /// Head dims per Q/K stage.
    dc: u32,
    /// Keys per V stage.
    vc: u32,
    /// Output vectors per thread.
    nv: u32,
    /// Output vectors per row.
    dv: u32,
    /// vec4 outputs (64 | d) or vec2.
    vec4: bool,
    /// vec4 of the shared region (max of the Q/K stage and of P plus the V stage).
    sh: u32,
}

impl Tiles {
    fn new(d: u32) -> Tiles {
        let vec4 = d.is_multiple_of(64);
        let (nv, dv) = if vec4 {
            (d / 64, d / 4)
        } else {
            (d / 32, d / 2)
        };
        let dc = if vec4 { 64 } else { 32 };
        let qk = 2 * dc * LD;
        let pv = |vc: u32| BLOCK_KEYS * LD + vc * d / 4;
        // Keys per V stage: all 64 when they fit beside P, else 32.
        let vc = if qk.max(pv(64)) * 16 + RED_BYTES <= SHARED_LIMIT {
            64
        } else {
            32
        };
        Tiles {
            dc,
            vc,
            nv,
            dv,
            vec4,
            sh: qk.max(pv(vc)),
        }
    }

    /// Workgroup memory in bytes.
    #[cfg(test)]
    fn shared_bytes(self) -> u32 {
        self.sh * 16 + RED_BYTES
    }
}

/// The WGSL for head dim `d` (32 | d ≤ 128).
pub fn source(d: u32) -> String {
    let t = Tiles::new(d);
    let (vt, vload) = if t.vec4 {
        (
            "vec4<f32>",
            "return sh[VOFF + c * D4 + tx + 16u * u];".to_string(),
        )
    } else {
        (
            "vec2<f32>",
            "let w = sh[VOFF + c * D4 + (tx + 16u * u) / 2u];\n    \
             return select(w.xy, w.zw, (tx & 1u) == 1u);"
                .to_string(),
        )
    };
    render(
        SRC,
        &[
            ("D", d.to_string()),
            ("DC", t.dc.to_string()),
            ("VC", t.vc.to_string()),
            ("NV", t.nv.to_string()),
            ("DV", t.dv.to_string()),
            ("SH", t.sh.to_string()),
            ("VLOAD", vload),
            ("VT", vt.to_string()),
        ],
    )
}

/// Wide-tile FMA prefill attention, f32 storage.
pub struct PrefillWideKernel {
    pipes: PipelineCache<u32>,
}

impl PrefillWideKernel {
    /// Creates the kernel (pipelines compile on first use of each head dim).
    pub fn new(trusted: bool) -> PrefillWideKernel {
        PrefillWideKernel {
            pipes: PipelineCache::new(trusted),
        }
    }

    fn pipeline(&self, gpu: &Gpu, d: u32) -> Result<ComputePipeline, GpuError> {
        self.pipes.get(gpu, d, "prefill-fmawide", || Ok(source(d)))
    }

    /// The single dispatch of one prefill call: f32 storage, 32 | D ≤ 128.
    pub fn launch(
        &self,
        gpu: &Gpu,
        s: &PrefillAttention,
        bufs: &AttnBuffers<'_>,
    ) -> Result<Launch, GpuError> {
        check_shape("prefill-fmawide", s)?;
        let d = s.head_dim;
        if s.dtype != Dtype::F32 || d == 0 || !d.is_multiple_of(32) || d > 128 {
            return Err(GpuError::shape(
                "prefill-fmawide",
                format!(
                    "{} storage, head dim {d}: need f32 and 32 | D ≤ 128",
                    s.dtype.as_str()
                ),
            ));
        }
        let pipeline = self.pipeline(gpu, d)?;
        Ok(one_dispatch(gpu, pipeline, s, BLOCK_ROWS, bufs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIMS: [u32; 4] = [32, 64, 96, 128];

    #[test]
    fn tiles_fit_the_workgroup_memory_and_the_loops() {
        for d in DIMS {
            let t = Tiles::new(d);
            assert!(t.shared_bytes() <= SHARED_LIMIT, "D={d}: {t:?}");
            // Whole loop counts: Q/K stages, V stages, vec4 per thread per V stage, the
            // 16 dim groups.
            assert_eq!(d % t.dc, 0);
            assert_eq!(t.dc % 32, 0);
            assert_eq!(BLOCK_KEYS % t.vc, 0);
            assert_eq!((t.vc * d / 4) % 128, 0, "D={d}");
            let width = if t.vec4 { 4 } else { 2 };
            assert_eq!(16 * t.nv * width, d);
            assert_eq!(t.dv * width, d);
        }
        // The benchmarked head dim keeps two Q/K stages and two V stages.
        assert_eq!(Tiles::new(128).dc, 64);
        assert_eq!(Tiles::new(128).vc, 32);
    }

    #[test]
    fn the_f32_profile_fits_the_wide_kernel_alone() {
        use crate::calibrate::profile_points;
        use crate::points::{KernelFamily, Point};
        use crate::sweep::full;
        let point = |j: &crate::sweep::Job| Point {
            kernel: j.name(),
            shape: j.shape.clone(),
            median_s: 1e-3,
            min_s: 1e-3,
            runs: 20,
        };
        let all: Vec<Point> = full(true, &crate::prefill_coop::CoopVariant::ALL, 24e9)
            .iter()
            .map(point)
            .collect();
        let prefill = |pts: &[&Point]| -> Vec<String> {
            let mut k: Vec<String> = pts
                .iter()
                .filter(|p| p.shape.family() == KernelFamily::Prefill)
                .map(|p| p.kernel.clone())
                .collect();
            k.dedup();
            k
        };
        let f32 = profile_points(&all, Dtype::F32);
        assert_eq!(prefill(&f32), ["prefill-fmawide-f32"]);
        assert!(f32.iter().any(|p| p.shape.family() == KernelFamily::Gemm));
        // Without wide-kernel points the first FMA kernel is fitted, as before.
        let old: Vec<Point> = all
            .iter()
            .filter(|p| !p.kernel.contains("fmawide"))
            .cloned()
            .collect();
        assert_eq!(
            prefill(&profile_points(&old, Dtype::F32)),
            ["prefill-fma-f32"]
        );
        // The f16 profile is untouched by the f32 kernels.
        assert!(
            profile_points(&all, Dtype::F16)
                .iter()
                .all(|p| !p.kernel.contains("fma-f32") && !p.kernel.contains("fmawide"))
        );
    }

    #[test]
    fn source_compiles_to_spirv() {
        for d in DIMS {
            crate::naga_check::compile(&source(d)).unwrap_or_else(|e| panic!("D={d}: {e}"));
        }
    }
}
