//! The GPU side of the replay: weights, activations and one reused KV pool sized to fit the
//! GPU, and the timed launch of one iteration component (see [`super::bucket`]) repeated over
//! the measured layers.

use pecsched_core::perf::kernel::{DecodeAttention, Dtype, Gemm, PrefillAttention};
use wgpu::Buffer;

use pecsched_core::perf::LayerShapes;
use pecsched_gpu::buffers::{Dispatch, Launch};
use pecsched_gpu::decode::KvCache;
use pecsched_gpu::gemm::GemmVariant;
use pecsched_gpu::kernels::{Kernels, PrefillVariant};
use pecsched_gpu::prefill::AttnBuffers;
use pecsched_gpu::prefill_coop::padding;
use pecsched_gpu::timing::{Plan, median, time};
use pecsched_gpu::{Gpu, GpuError};

use super::bucket::GEMM_TILE;

/// The core's layer shapes with every width divided by `shrink` (1: unchanged; larger only
/// for smoke tests on a software adapter, where the timings mean nothing). Query and KV heads
/// stay at least one and grouped-query attention valid (the KV heads divide the query heads),
/// widths at least 16, and the QKV projection is as wide as the heads it then feeds.
pub fn shrink(shapes: LayerShapes, shrink: u32) -> LayerShapes {
    if shrink <= 1 {
        return shapes;
    }
    let heads = (shapes.heads / shrink).max(1);
    let kv_heads = (shapes.kv_heads / shrink).max(1);
    let kv_heads = if heads.is_multiple_of(kv_heads) {
        kv_heads
    } else {
        1
    };
    LayerShapes {
        hidden: (shapes.hidden / shrink).max(16),
        heads,
        kv_heads,
        intermediate: (shapes.intermediate / shrink).max(16),
        qkv_out: (heads + 2 * kv_heads) * shapes.head_dim,
        ..shapes
    }
}

/// Sizes of the rig.
#[derive(Clone, Copy, Debug)]
pub struct RigSize {
    /// Layer shapes (the core's, possibly shrunk).
    pub dims: LayerShapes,
    /// Layers launched per timed run (each with its own weights).
    pub layers: u32,
    /// Most tokens one iteration carries (prefill tokens + decoding sequences).
    pub max_tokens: u32,
    /// Tokens the KV pool holds (one layer's K and V; every layer and sequence reuses it).
    pub kv_tokens: u64,
}

/// Buffers and kernels for timing iteration components.
pub struct Rig {
    gpu: Gpu,
    kernels: Kernels,
    size: RigSize,
    gemm: GemmVariant,
    prefill: PrefillVariant,
    /// Per measured layer: QKV, O, gate+up, down weights.
    weights: Vec<[Buffer; 4]>,
    x: Buffer,
    qkv: Buffer,
    x2: Buffer,
    h: Buffer,
    attn: Buffer,
    q: Buffer,
    kv_k: Vec<Buffer>,
    kv_v: Vec<Buffer>,
    kv_buffer_tokens: u64,
    plan: Plan,
}

fn repeat(launch: Launch, times: u32) -> Launch {
    let mut out = Launch {
        dispatches: Vec::new(),
        owned: launch.owned,
    };
    for _ in 0..times {
        for d in &launch.dispatches {
            out.dispatches.push(Dispatch {
                pipeline: d.pipeline.clone(),
                group: d.group.clone(),
                count: d.count,
            });
        }
    }
    out
}

impl Rig {
    /// Allocates everything on `gpu` (fails cleanly when it does not fit). `coop_prefill`
    /// picks the cooperative-matrix prefill kernel instead of the FMA one.
    pub fn new(
        gpu: Gpu,
        size: RigSize,
        coop_prefill: Option<pecsched_gpu::prefill_coop::CoopVariant>,
        plan: Plan,
    ) -> Result<Rig, GpuError> {
        let kernels = Kernels::new(&gpu, true)?;
        // Weights and activations are bound whole by the kernels: refuse, naming the buffer
        // and the limit, what wgpu would only report as a raw validation error later.
        let whole = |label: &str, bytes: u64| -> Result<Buffer, GpuError> {
            if bytes > gpu.max_binding() {
                return Err(GpuError::BindingTooLarge {
                    buffer: label.to_string(),
                    bytes,
                    limit: gpu.max_binding(),
                    adapter: gpu.info.name.clone(),
                });
            }
            gpu.storage(label, bytes)
        };
        let d = size.dims;
        let m = size.max_tokens.div_ceil(GEMM_TILE) as u64 * GEMM_TILE as u64;
        let e = 2u64;
        let mut weights = Vec::new();
        for l in 0..size.layers {
            let mk = |i: usize| -> Result<Buffer, GpuError> {
                let (_, n, k) = d.gemms(1)[i];
                let b = whole(&format!("w{l}.{i}"), n as u64 * k as u64 * e)?;
                kernels.fill.fill(
                    &gpu,
                    &b,
                    n as u64 * k as u64,
                    Dtype::F16,
                    100 + l * 4 + i as u32,
                    0.05,
                )?;
                Ok(b)
            };
            weights.push([mk(0)?, mk(1)?, mk(2)?, mk(3)?]);
        }
        let act = |name: &str, cols: u32, extra: u64| whole(name, (m * cols as u64 + extra) * e);
        let (qpad, kvpad) = padding(&PrefillAttention {
            batch: 1,
            heads: d.heads,
            kv_heads: d.kv_heads,
            head_dim: d.head_dim,
            chunk: 1,
            prefix: 0,
            causal: true,
            dtype: Dtype::F16,
        });
        let x = act("x", d.hidden, 0)?;
        kernels
            .fill
            .fill(&gpu, &x, m * d.hidden as u64, Dtype::F16, 1, 1.0)?;
        let qkv = act("qkv", d.qkv_out, 0)?;
        let x2 = act("x2", d.hidden, 0)?;
        let h = act("h", 2 * d.intermediate, 0)?;
        let attn = act("attn", d.q_dim(), 0)?;
        let q = act("q", d.q_dim(), qpad)?;
        kernels
            .fill
            .fill(&gpu, &q, m * d.q_dim() as u64, Dtype::F16, 2, 4.0)?;
        // The KV pool: one layer's K and V, in buffers of at most one storage binding.
        let row = d.kv_row_bytes();
        let max_per_buf = ((gpu.max_binding() - kvpad * 2) / row).max(1);
        let nbuf = size.kv_tokens.max(1).div_ceil(max_per_buf);
        let per_buf = size.kv_tokens.max(1).div_ceil(nbuf);
        let mut kv_k = Vec::new();
        let mut kv_v = Vec::new();
        for i in 0..nbuf as u32 {
            let bytes = per_buf * row + kvpad * 2;
            let k = gpu.storage(&format!("kv_k{i}"), bytes)?;
            let v = gpu.storage(&format!("kv_v{i}"), bytes)?;
            kernels
                .fill
                .fill(&gpu, &k, bytes / 2, Dtype::F16, 10 + i, 1.0)?;
            kernels
                .fill
                .fill(&gpu, &v, bytes / 2, Dtype::F16, 20 + i, 1.0)?;
            kv_k.push(k);
            kv_v.push(v);
        }
        gpu.wait()?;
        let gemm = if gpu.coop_f16 {
            GemmVariant::Coop
        } else {
            GemmVariant::Fma
        };
        let prefill = match (coop_prefill, gpu.coop_f16) {
            (Some(v), true) => PrefillVariant::Coop(v),
            (Some(_), false) => {
                return Err(GpuError::KernelUnsupported {
                    kernel: "prefill-coop",
                    feature: "16x16x16 f16->f32 cooperative matrices".into(),
                });
            }
            (None, _) => PrefillVariant::Fma,
        };
        Ok(Rig {
            gpu,
            kernels,
            size,
            gemm,
            prefill,
            weights,
            x,
            qkv,
            x2,
            h,
            attn,
            q,
            kv_k,
            kv_v,
            kv_buffer_tokens: per_buf,
            plan,
        })
    }

    /// Labels of the kernels launched (GEMM, prefill).
    pub fn kernel_labels(&self) -> (String, String) {
        let g = match self.gemm {
            GemmVariant::Coop => "gemm-coop-f16",
            GemmVariant::Fma => "gemm-fma-f16",
        };
        (
            g.to_string(),
            format!("prefill-{}-f16", self.prefill.as_str()),
        )
    }

    /// Tokens one KV buffer holds, and how many buffers the pool has.
    pub fn kv_layout(&self) -> (u64, usize) {
        (self.kv_buffer_tokens, self.kv_k.len())
    }

    /// Median GPU seconds of `launch` (which covers every measured layer) per layer.
    fn per_layer(&self, launch: &Launch) -> Result<f64, GpuError> {
        let s = time(&self.gpu, launch, self.plan)?;
        Ok(median(&s) / self.size.layers as f64)
    }

    /// Per-layer seconds of the four GEMMs for `m` tokens: QKV → O → gate+up → down, each
    /// reading what the previous one wrote (so the GPU runs them in order), every layer with
    /// its own weights.
    pub fn gemms(&self, m: u32) -> Result<f64, GpuError> {
        let d = self.size.dims;
        let mut launch = Launch::default();
        for w in &self.weights {
            let io = [
                (&self.x, &self.qkv),
                (&self.qkv, &self.x2),
                (&self.x2, &self.h),
                (&self.h, &self.x),
            ];
            for (i, (m_n_k, (a, c))) in d.gemms(m).into_iter().zip(io).enumerate() {
                let (m, n, k) = m_n_k;
                let s = Gemm {
                    m,
                    n,
                    k,
                    dtype: Dtype::F16,
                };
                let l = self
                    .kernels
                    .gemm
                    .launch(&self.gpu, self.gemm, &s, a, &w[i], c)?;
                launch.dispatches.extend(l.dispatches);
                launch.owned.extend(l.owned);
            }
        }
        self.per_layer(&launch)
    }

    /// Per-layer seconds of one prefill chunk of `new` tokens after `prefix` cached ones
    /// (causal, GQA), K and V read from the pool.
    pub fn prefill(&self, new: u32, prefix: u32) -> Result<f64, GpuError> {
        let d = self.size.dims;
        let s = PrefillAttention {
            batch: 1,
            heads: d.heads,
            kv_heads: d.kv_heads,
            head_dim: d.head_dim,
            chunk: new,
            prefix,
            causal: true,
            dtype: Dtype::F16,
        };
        if (new + prefix) as u64 > self.kv_buffer_tokens {
            return Err(GpuError::shape(
                "replay-prefill",
                format!("chunk {new} after {prefix} exceeds one KV pool buffer"),
            ));
        }
        let bufs = AttnBuffers {
            q: &self.q,
            k: &self.kv_k[0],
            v: &self.kv_v[0],
            o: &self.attn,
        };
        let l = self
            .kernels
            .prefill_launch(&self.gpu, self.prefill, &s, &bufs)?;
        self.per_layer(&repeat(l, self.size.layers))
    }

    /// Per-layer seconds of decode attention over `lengths` (ragged, GQA, split-K + merge),
    /// the sequences packed into the pool.
    pub fn decode(&self, lengths: &[u32]) -> Result<f64, GpuError> {
        let d = self.size.dims;
        let (place, tokens) = KvCache::layout(
            lengths,
            d.kv_heads,
            d.head_dim,
            self.kv_buffer_tokens * d.kv_row_bytes(),
        )?;
        if tokens.len() > self.kv_k.len() {
            return Err(GpuError::shape(
                "replay-decode",
                format!(
                    "{} KV buffers needed, the pool has {}",
                    tokens.len(),
                    self.kv_k.len()
                ),
            ));
        }
        let n = tokens.len();
        let kv = KvCache {
            k: self.kv_k[..n].to_vec(),
            v: self.kv_v[..n].to_vec(),
            place,
            tokens,
        };
        let s = DecodeAttention {
            heads: d.heads,
            kv_heads: d.kv_heads,
            head_dim: d.head_dim,
            lengths: lengths.to_vec(),
            parts: 0,
            dtype: Dtype::F16,
        };
        let (l, _) = self
            .kernels
            .decode
            .launch(&self.gpu, &s, &self.q, &kv, &self.attn, None)?;
        self.per_layer(&repeat(l, self.size.layers))
    }

    /// Keeps the GPU busy for about `seconds` so its clocks leave the idle state.
    pub fn warm_clocks(&self, seconds: f64) -> Result<(), GpuError> {
        let m = self.size.max_tokens.min(1024);
        let t0 = std::time::Instant::now();
        while t0.elapsed().as_secs_f64() < seconds {
            self.gemms(m)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::hardware::ClusterSpec;
    use pecsched_core::model::ModelKind;
    use pecsched_core::perf::{Calibration, PerfModel};

    #[test]
    fn unshrunk_the_rig_launches_the_shapes_the_core_prices() {
        let model = ModelKind::Llama31_8B.spec();
        let calib = Calibration::datasheet_default();
        let perf = PerfModel::new(&ClusterSpec::paper_testbed(), &model, 2, &calib).unwrap();
        let core = *perf.layer_shapes();
        assert_eq!(core, LayerShapes::new(&model, 2));
        for s in [0, 1] {
            assert_eq!(shrink(core, s), core);
        }
    }

    #[test]
    fn shrinking_keeps_gqa_valid() {
        let d = shrink(LayerShapes::new(&ModelKind::Llama31_8B.spec(), 1), 8);
        assert_eq!(
            (d.heads, d.kv_heads, d.hidden, d.intermediate),
            (4, 1, 512, 1792)
        );
        assert!(d.heads.is_multiple_of(d.kv_heads));
        assert_eq!(d.qkv_out, 6 * 128);
        assert_eq!(d.gemms(3)[0], (3, 768, 512));
    }
}
