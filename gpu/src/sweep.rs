//! The shapes `bench` measures. `full` is the full H100 sweep (prefill S 512–32K,
//! decode L 1K–128K with batch 1–64, head dims 64/128, GQA ratios 1 and 4, ragged batches,
//! merges, GEMMs of Llama-sized projections); `quick` is a seconds-long smoke sweep for a
//! software adapter.

use pecsched_core::perf::kernel::{AttentionMerge, DecodeAttention, Dtype, Gemm, PrefillAttention};

use crate::check::pre;
use crate::gemm::GemmVariant;
use crate::kernels::PrefillVariant;
use crate::points::Shape;
use crate::prefill_coop::CoopVariant;

/// Which kernel a job runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelId {
    /// Prefill attention.
    Prefill(PrefillVariant),
    /// Split-K decode attention.
    Decode,
    /// LSE merge.
    Merge,
    /// GEMM.
    Gemm(GemmVariant),
}

/// One measurement to make.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// The kernel.
    pub kernel: KernelId,
    /// Its shape.
    pub shape: Shape,
}

impl Job {
    /// Kernel label: `prefill-coop-f16`, `decode-f16`, `merge-f16`, `gemm-fma-f32`, …
    pub fn name(&self) -> String {
        let dt = self.shape.dtype().as_str();
        match self.kernel {
            KernelId::Prefill(v) => format!("prefill-{}-{dt}", v.as_str()),
            KernelId::Decode => format!("decode-{dt}"),
            KernelId::Merge => format!("merge-{dt}"),
            KernelId::Gemm(GemmVariant::Fma) => format!("gemm-fma-{dt}"),
            KernelId::Gemm(GemmVariant::Coop) => format!("gemm-coop-{dt}"),
        }
    }
}

/// A prefill job: `dims` = (B, H, H_kv, D), `s` new tokens after `p` cached ones.
fn prefill(v: PrefillVariant, dtype: Dtype, dims: [u32; 4], s: u32, p: u32, causal: bool) -> Job {
    let [b, h, hkv, d] = dims;
    Job {
        kernel: KernelId::Prefill(v),
        shape: Shape::Prefill(PrefillAttention {
            dtype,
            ..pre(b, h, hkv, d, s, p, causal)
        }),
    }
}

fn decode(h: u32, hkv: u32, d: u32, lengths: Vec<u32>) -> Job {
    Job {
        kernel: KernelId::Decode,
        shape: Shape::Decode(DecodeAttention {
            heads: h,
            kv_heads: hkv,
            head_dim: d,
            lengths,
            parts: 0,
            dtype: Dtype::F16,
        }),
    }
}

fn merge(rows: u32, per_row: u32, d: u32) -> Job {
    Job {
        kernel: KernelId::Merge,
        shape: Shape::Merge(AttentionMerge {
            rows,
            parts: rows as u64 * per_row as u64,
            head_dim: d,
            dtype: Dtype::F16,
        }),
    }
}

fn gemm(v: GemmVariant, dtype: Dtype, m: u32, n: u32, k: u32) -> Job {
    Job {
        kernel: KernelId::Gemm(v),
        shape: Shape::Gemm(Gemm { m, n, k, dtype }),
    }
}

/// Deterministic ragged lengths around `mean` (±75 %).
pub fn ragged(b: u32, mean: u32) -> Vec<u32> {
    (0..b)
        .map(|i| {
            let f = 0.25 + 1.5 * ((i * 37 + 11) % b.max(1)) as f64 / b.max(1) as f64;
            ((mean as f64 * f) as u32).max(1)
        })
        .collect()
}

/// The H100 sweep. `coop_gemm`: the adapter has cooperative matrices (f16 GEMMs on them).
/// `coop`: the cooperative-matrix prefill variants to time, fastest first (those that
/// validated): the first gets the whole f16 prefill list, the others two comparison shapes;
/// without any, the f16 FMA prefill gets the list. Decode batches whose KV exceeds `kv_cap`
/// bytes are left out.
pub fn full(coop_gemm: bool, coop: &[CoopVariant], kv_cap: f64) -> Vec<Job> {
    use PrefillVariant::Fma;
    let mut v = Vec::new();
    let f = coop.first().map_or(Fma, |&c| PrefillVariant::Coop(c));
    for s in [512, 1024, 2048, 4096, 8192, 16384, 32768] {
        v.push(prefill(f, Dtype::F16, [1, 32, 32, 128], s, 0, true));
    }
    for s in [1024, 4096, 16384] {
        v.push(prefill(f, Dtype::F16, [1, 32, 8, 128], s, 0, true));
        v.push(prefill(f, Dtype::F16, [1, 32, 32, 64], s, 0, true));
    }
    v.push(prefill(f, Dtype::F16, [4, 32, 8, 128], 2048, 0, true));
    v.push(prefill(f, Dtype::F16, [1, 32, 8, 128], 2048, 14336, true));
    v.push(prefill(f, Dtype::F16, [1, 32, 8, 128], 512, 4096, true));
    v.push(prefill(f, Dtype::F16, [1, 32, 32, 128], 4096, 0, false));
    for &c in coop.iter().skip(1) {
        for s in [4096, 16384] {
            v.push(prefill(
                PrefillVariant::Coop(c),
                Dtype::F16,
                [1, 32, 32, 128],
                s,
                0,
                true,
            ));
        }
    }
    if !coop.is_empty() {
        for s in [1024, 4096, 16384] {
            v.push(prefill(Fma, Dtype::F16, [1, 32, 32, 128], s, 0, true));
        }
    }
    // f32: the first FMA kernel and its wide-tile successor on the same shapes.
    for f in [Fma, PrefillVariant::FmaWide] {
        for s in [512, 1024, 2048, 4096, 8192, 16384] {
            v.push(prefill(f, Dtype::F32, [1, 32, 32, 128], s, 0, true));
        }
        v.push(prefill(f, Dtype::F32, [1, 32, 8, 128], 4096, 0, true));
        v.push(prefill(f, Dtype::F32, [1, 32, 32, 64], 4096, 0, true));
        v.push(prefill(f, Dtype::F32, [4, 32, 8, 128], 2048, 0, true));
        v.push(prefill(f, Dtype::F32, [1, 32, 8, 128], 2048, 14336, true));
    }

    for hkv in [32, 8] {
        for l in [1024, 4096, 16384, 32768, 65536, 131072] {
            for b in [1u32, 4, 16, 64] {
                let kv = 2.0 * 2.0 * b as f64 * l as f64 * hkv as f64 * 128.0;
                if kv <= kv_cap {
                    v.push(decode(32, hkv, 128, vec![l; b as usize]));
                }
            }
        }
    }
    for l in [4096, 32768] {
        v.push(decode(32, 32, 64, vec![l]));
    }
    v.push(decode(32, 8, 128, ragged(16, 8192)));
    v.push(decode(32, 8, 128, ragged(64, 2048)));
    // Serving-like decode batches (many sequences of a few thousand tokens): the replay's regime.
    for (b, mean) in [(8, 1024), (32, 1024), (128, 1536), (256, 1024)] {
        v.push(decode(32, 8, 128, ragged(b, mean)));
    }

    for b in [1, 16, 64] {
        for parts in [2, 8, 32] {
            v.push(merge(b * 32, parts, 128));
        }
    }

    let g16 = if coop_gemm {
        GemmVariant::Coop
    } else {
        GemmVariant::Fma
    };
    for (m, n, k) in [
        (1, 4096, 4096),
        (16, 4096, 4096),
        (128, 4096, 4096),
        (512, 4096, 4096),
        (2048, 4096, 4096),
        (4096, 4096, 4096),
        (4096, 14336, 4096),
        (4096, 4096, 14336),
        (8192, 8192, 8192),
    ] {
        v.push(gemm(g16, Dtype::F16, m, n, k));
    }
    // Llama-3.1-8B's projections at serving batch sizes (QKV, O, gate+up, down): the shapes
    // the replay launches.
    for m in [8, 64, 256, 1024] {
        for (n, k) in [(6144, 4096), (4096, 4096), (28672, 4096), (4096, 14336)] {
            v.push(gemm(g16, Dtype::F16, m, n, k));
        }
    }
    for (m, n, k) in [(1, 4096, 4096), (512, 4096, 4096), (4096, 4096, 4096)] {
        v.push(gemm(GemmVariant::Fma, Dtype::F32, m, n, k));
    }
    if coop_gemm {
        v.push(gemm(GemmVariant::Fma, Dtype::F16, 4096, 4096, 4096));
    }
    v
}

/// A smoke sweep for software adapters (seconds).
pub fn quick(coop: bool) -> Vec<Job> {
    let f16v = if coop {
        PrefillVariant::Coop(CoopVariant::ALL[0])
    } else {
        PrefillVariant::Fma
    };
    let g16 = if coop {
        GemmVariant::Coop
    } else {
        GemmVariant::Fma
    };
    vec![
        prefill(f16v, Dtype::F16, [1, 4, 4, 64], 128, 0, true),
        prefill(f16v, Dtype::F16, [1, 4, 4, 64], 256, 0, true),
        prefill(
            PrefillVariant::Fma,
            Dtype::F32,
            [1, 4, 2, 64],
            256,
            64,
            true,
        ),
        prefill(
            PrefillVariant::FmaWide,
            Dtype::F32,
            [1, 4, 2, 64],
            256,
            64,
            true,
        ),
        decode(8, 2, 128, vec![1024]),
        decode(8, 2, 128, vec![4096, 1024]),
        decode(8, 8, 64, ragged(4, 2000)),
        merge(64, 4, 128),
        gemm(g16, Dtype::F16, 64, 128, 128),
        gemm(GemmVariant::Fma, Dtype::F32, 128, 128, 64),
        gemm(GemmVariant::Fma, Dtype::F32, 1, 256, 256),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_sweep_covers_the_issue() {
        let jobs = full(true, &CoopVariant::ALL, 24e9);
        let prefill_s: Vec<u32> = jobs
            .iter()
            .filter_map(|j| match &j.shape {
                Shape::Prefill(s)
                    if j.kernel == KernelId::Prefill(PrefillVariant::Coop(CoopVariant::ALL[0])) =>
                {
                    Some(s.chunk)
                }
                _ => None,
            })
            .collect();
        assert!(prefill_s.contains(&512) && prefill_s.contains(&32768));
        let decode: Vec<&DecodeAttention> = jobs
            .iter()
            .filter_map(|j| match &j.shape {
                Shape::Decode(s) => Some(s),
                _ => None,
            })
            .collect();
        assert!(decode.iter().any(|s| s.lengths == vec![131072]));
        assert!(decode.iter().any(|s| s.lengths.len() == 64));
        assert!(decode.iter().all(|s| s.kv_bytes() <= 24e9));
        // A KV cache over one 2 GiB binding is in the sweep.
        assert!(
            decode
                .iter()
                .any(|s| s.kv_bytes() / 2.0 > 2.0 * 1024.0 * 1024.0 * 1024.0)
        );
        assert!(jobs.iter().any(|j| j.name() == "gemm-fma-f32"));
        // Both f32 prefill kernels run the same shapes, up to S = 16384.
        let f32_prefill = |name: &str| -> Vec<Shape> {
            jobs.iter()
                .filter(|j| j.name() == name)
                .map(|j| j.shape.clone())
                .collect()
        };
        let wide = f32_prefill("prefill-fmawide-f32");
        assert_eq!(wide, f32_prefill("prefill-fma-f32"));
        assert!(
            wide.iter()
                .any(|s| matches!(s, Shape::Prefill(p) if p.chunk == 16384 && p.causal))
        );
    }

    #[test]
    fn ragged_lengths_vary() {
        let r = ragged(16, 8192);
        assert_eq!(r.len(), 16);
        assert!(r.iter().min() < r.iter().max());
        assert!(r.iter().all(|&l| (2048..=14336).contains(&l)));
    }
}
