//! Prefill attention on cooperative matrices (`prefill_coop.wgsl`): f16, tensor cores through
//! wgpu's experimental `wgpu_cooperative_matrix` WGSL extension (16×16×16 tiles, f32
//! accumulators). Needs subgroups of exactly 32 lanes (NVIDIA). The unrolled per-tile
//! statements are generated here.

use std::fmt::Write;

use pecsched_core::perf::kernel::{Dtype, PrefillAttention};
use wgpu::ComputePipeline;

use crate::buffers::Launch;
use crate::pipelines::PipelineCache;
use crate::prefill::{AttnBuffers, check_shape, one_dispatch};
use crate::template::render;
use crate::{Gpu, GpuError};

const SRC: &str = include_str!("prefill_coop.wgsl");
const SRC_STAGED: &str = include_str!("prefill_coop_staged.wgsl");
const SRC_COMMON: &str = include_str!("prefill_coop_common.wgsl");
/// The lazy softmax's final row sums (two lanes per row).
const FINAL_L_LAZY: &str =
    "    let lrow = lpart + subgroupShuffleXor(lpart, 1u);\n    l_sh[sg * 16u + lane / 2u] = lrow;";
/// Query rows per workgroup.
pub const BLOCK_ROWS: u32 = 64;
/// Keys per block of the global-load variant (its K/V padding).
pub const BLOCK_KEYS: u32 = 64;

/// Which cooperative-matrix prefill kernel (a command-line value with the `clap` feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum CoopVariant {
    /// Q/K/V tiles loaded straight from the storage buffers (`prefill_coop.wgsl`).
    Global,
    /// Tiles staged in workgroup memory, lazy rescaling (`prefill_coop_staged.wgsl`).
    Staged,
    /// Staged, one lane per row, rescaling every block: the most conservative form.
    Safe,
    /// Staged with lazy rescaling, but an accumulator tile is never loaded back: on a
    /// rescale the tiles are flushed into per-lane f32 registers and restarted from zero.
    Flush,
    /// As [`CoopVariant::Flush`], flushing after every key block (one lane per row).
    Fresh,
    /// As [`CoopVariant::Staged`], but K is staged row-major (no transposing scatter with
    /// its 16-way bank conflicts) and read as a column-major B operand.
    Rows,
}

impl CoopVariant {
    /// Every variant, fastest first (H100, B1 H32 D128 causal S = 16K: rows 36.5 TFLOP/s,
    /// staged 31.4, flush 30.1, global 28.2, fresh 22.8, safe 18.8; docs/benchmarks.md).
    pub const ALL: [CoopVariant; 6] = [
        CoopVariant::Rows,
        CoopVariant::Staged,
        CoopVariant::Flush,
        CoopVariant::Global,
        CoopVariant::Fresh,
        CoopVariant::Safe,
    ];

    /// Whether rescaling flushes the accumulators into registers instead of reloading them.
    fn flushes(self) -> bool {
        matches!(self, CoopVariant::Flush | CoopVariant::Fresh)
    }

    /// Key block length.
    pub fn block_keys(self) -> u32 {
        match self {
            CoopVariant::Global => 64,
            _ => 32,
        }
    }
}

const ZERO: &str = "coopLoadT<coop_mat16x16<f32, C>>(&zero[0], 16u)";

/// Per-tile statements shared by the variants: (decl, qk, rescale, pv, store).
fn tiles(v: CoopVariant, d: u32, bc: u32) -> [String; 5] {
    let (df, kf) = (d / 16, bc / 16);
    let [mut decl, mut qk, mut resc, mut pv, mut store] = [(); 5].map(|_| String::new());
    if v.flushes() {
        let _ = writeln!(decl, "    var acc: array<f32, {}>;", df * 8);
    }
    for i in 0..df {
        let q = match v {
            CoopVariant::Global => format!("&qg[qbase + {}u], qstride", i * 16),
            _ => format!("&kv[(sg * 16u) * VS + {}u], VS", i * 16),
        };
        let _ = writeln!(
            decl,
            "    let qf{i} = coopLoadT<coop_mat16x16<f16, A>>({q});\n    var o{i} = {ZERO};"
        );
        if v.flushes() {
            // acc = (acc + o) · alpha per row, then o restarts from zero.
            let _ = writeln!(
                resc,
                "            coopStoreT(o{i}, &rs[sg * 256u], 16u);\n            workgroupBarrier();"
            );
            for k in 0..8 {
                let _ = writeln!(
                    resc,
                    "            acc[{a}u] = (acc[{a}u] + rs[sg * 256u + lane + {e}u]) * alpha_sh[sg * 16u + lane / 16u + {r}u];",
                    a = i * 8 + k,
                    e = 32 * k,
                    r = 2 * k
                );
            }
            let _ = writeln!(
                resc,
                "            workgroupBarrier();\n            o{i} = {ZERO};"
            );
            let _ = writeln!(
                store,
                "    coopStoreT(o{i}, &rs[sg * 256u], 16u);\n    workgroupBarrier();"
            );
            for k in 0..8 {
                let _ = writeln!(
                    store,
                    "    flush_out(sg, lane, r0, b, h, {c0}u, {k}u, acc[{a}u] + rs[sg * 256u + lane + {e}u]);",
                    c0 = i * 16,
                    a = i * 8 + k,
                    e = 32 * k
                );
            }
            let _ = writeln!(store, "    workgroupBarrier();");
        } else {
            let _ = writeln!(
                resc,
                "            coopStoreT(o{i}, &rs[sg * 256u], 16u);\n            workgroupBarrier();\n            \
                 scale_tile(sg, lane);\n            workgroupBarrier();\n            \
                 o{i} = coopLoadT<coop_mat16x16<f32, C>>(&rs[sg * 256u], 16u);\n            workgroupBarrier();"
            );
            let _ = writeln!(
                store,
                "    coopStoreT(o{i}, &ss[sbase], SS);\n    workgroupBarrier();\n    \
                 write_out(sbase, sg, lane, r0, b, h, {}u);\n    workgroupBarrier();",
                i * 16
            );
        }
    }
    for j in 0..kf {
        let _ = writeln!(qk, "        {{\n            var s = {ZERO};");
        for i in 0..df {
            let k = match v {
                CoopVariant::Global => format!(
                    "coopLoad<coop_mat16x16<f16, B>>(&kg[kbase + {}u * kstride + {}u], kstride)",
                    j * 16,
                    i * 16
                ),
                CoopVariant::Rows => format!(
                    "coopLoad<coop_mat16x16<f16, B>>(&kv[{}u * VS + {}u], VS)",
                    j * 16,
                    i * 16
                ),
                _ => format!(
                    "coopLoadT<coop_mat16x16<f16, B>>(&kv[{}u * KTS + {}u], KTS)",
                    i * 16,
                    j * 16
                ),
            };
            let _ = writeln!(qk, "            s = coopMultiplyAdd(qf{i}, {k}, s);");
        }
        let _ = writeln!(
            qk,
            "            coopStoreT(s, &ss[sbase + {}u], SS);\n        }}",
            j * 16
        );
        let _ = writeln!(
            pv,
            "        {{\n            let pa = coopLoadT<coop_mat16x16<f16, A>>(&pp[pbase + {}u], PS);",
            j * 16
        );
        for i in 0..df {
            let vt = match v {
                CoopVariant::Global => {
                    format!("&vg[kbase + {}u * kstride + {}u], kstride", j * 16, i * 16)
                }
                _ => format!("&kv[V_OFF + {}u * VS + {}u], VS", j * 16, i * 16),
            };
            let _ = writeln!(
                pv,
                "            o{i} = coopMultiplyAdd(pa, coopLoadT<coop_mat16x16<f16, B>>({vt}), o{i});"
            );
        }
        let _ = writeln!(pv, "        }}");
    }
    [decl, qk, resc, pv, store]
}

const SOFTMAX_LAZY: &str = "
        let my_row = lane / 2u;
        let half = lane % 2u;
        let qrow = r0 + my_row;
        var mx = NONE;
        for (var c = 0u; c < BC / 2u; c++) {
            let col = half * (BC / 2u) + c;
            let key = k0 + col;
            let ok = key < tt && (prm.causal == 0u || key <= prm.p + qrow);
            let i = sbase + my_row * SS + col;
            let x = select(NONE, ss[i] * prm.scale_log2, ok);
            ss[i] = x;
            mx = max(mx, x);
        }
        mx = max(mx, subgroupShuffleXor(mx, 1u));
        if (mx > m + LAZY) {
            flag.x = 1u;
        }
        let resc = workgroupUniformLoad(&flag).x;
        if (resc != 0u) {
            let mn = max(m, mx);
            let a = exp2(m - mn);
            m = mn;
            lpart = lpart * a;
            alpha_sh[sg * 16u + my_row] = a;
        }
        var ps = 0.0;
        for (var c = 0u; c < BC / 2u; c++) {
            let col = half * (BC / 2u) + c;
            let pv = exp2(ss[sbase + my_row * SS + col] - m);
            ps += pv;
            pp[pbase + my_row * PS + col] = f16(pv);
        }
        lpart += ps;
        workgroupBarrier();
        if (resc != 0u) {
{{RESCALE}}
        }";

const SOFTMAX_SAFE: &str = "
        if (lane < 16u) {
            let qrow = r0 + lane;
            var mx = NONE;
            for (var c = 0u; c < BC; c++) {
                let key = k0 + c;
                let ok = key < tt && (prm.causal == 0u || key <= prm.p + qrow);
                let i = sbase + lane * SS + c;
                let x = select(NONE, ss[i] * prm.scale_log2, ok);
                ss[i] = x;
                mx = max(mx, x);
            }
            let mn = max(m, mx);
            let a = exp2(m - mn);
            m = mn;
            lpart = lpart * a;
            alpha_sh[sg * 16u + lane] = a;
            var ps = 0.0;
            for (var c = 0u; c < BC; c++) {
                let pv = exp2(ss[sbase + lane * SS + c] - m);
                ps += pv;
                pp[pbase + lane * PS + c] = f16(pv);
            }
            lpart += ps;
        }
        workgroupBarrier();
        {
{{RESCALE}}
        }";

/// The WGSL source of variant `v` for head dim `d`.
pub fn source(v: CoopVariant, d: u32) -> String {
    let bc = v.block_keys();
    let [decl, qk, resc, pv, store] = tiles(v, d, bc);
    let common = [
        ("D", d.to_string()),
        ("BC", bc.to_string()),
        ("DECL", decl),
        ("QK", qk),
        ("PV", pv),
        ("STORE", store),
        ("COMMON", SRC_COMMON.to_string()),
    ];
    match v {
        CoopVariant::Global => {
            let mut vars = common.to_vec();
            vars.push(("RESCALE", resc));
            render(SRC, &vars)
        }
        _ => {
            let (soft, fin, doc) = if matches!(
                v,
                CoopVariant::Staged | CoopVariant::Flush | CoopVariant::Rows
            ) {
                (
                    SOFTMAX_LAZY,
                    FINAL_L_LAZY,
                    if v.flushes() {
                        "Softmax: two lanes per row, lazy rescaling by flushing the accumulators into per-lane registers."
                    } else {
                        "Softmax: two lanes per row, lazy rescaling (as prefill_coop.wgsl)."
                    },
                )
            } else {
                (
                    SOFTMAX_SAFE,
                    "    if (lane < 16u) {\n        l_sh[sg * 16u + lane] = lpart;\n    }",
                    if v.flushes() {
                        "Softmax: one lane per row; accumulators flushed into per-lane registers every block."
                    } else {
                        "Softmax: one lane per row, accumulators rescaled every block (no subgroup operations, no uniform loads)."
                    },
                )
            };
            let soft = soft.replace("{{RESCALE}}", &resc);
            let (v_off, put_kv, k_doc) = if v == CoopVariant::Rows {
                (
                    "BC * VS",
                    "            put_row(c * VS + j * 8u, wk);\n            put_row(V_OFF + c * VS + j * 8u, wv);",
                    "K is stored row-major like V and read as a column-major B operand (coopLoad).",
                )
            } else {
                (
                    "D * KTS",
                    "            put_col(j * 8u, c, wk);\n            put_row(V_OFF + c * VS + j * 8u, wv);",
                    "K is stored transposed so every load is row-major.",
                )
            };
            let mut vars = common.to_vec();
            vars.extend([
                ("V_OFF", v_off.to_string()),
                ("PUT_KV", put_kv.to_string()),
                ("K_DOC", k_doc.to_string()),
            ]);
            vars.extend([
                ("SOFTMAX", soft),
                ("FINAL_L", fin.to_string()),
                ("SOFTMAX_DOC", doc.to_string()),
            ]);
            render(SRC_STAGED, &vars)
        }
    }
}

/// Elements of padding after Q and after K/V so whole tiles can always be loaded.
pub fn padding(s: &PrefillAttention) -> (u64, u64) {
    let d = s.head_dim as u64;
    (
        BLOCK_ROWS as u64 * s.heads as u64 * d,
        BLOCK_KEYS as u64 * s.kv_heads as u64 * d,
    )
}

/// f16 prefill attention on cooperative matrices.
pub struct PrefillCoopKernel {
    pipes: PipelineCache<(CoopVariant, u32)>,
}

impl PrefillCoopKernel {
    /// Fails with [`GpuError::KernelUnsupported`] without 16×16×16 f16 cooperative matrices or
    /// without subgroups of exactly 32 lanes.
    pub fn new(gpu: &Gpu, trusted: bool) -> Result<PrefillCoopKernel, GpuError> {
        check_coop(gpu, "prefill-coop")?;
        Ok(PrefillCoopKernel {
            pipes: PipelineCache::new(trusted),
        })
    }

    fn pipeline(&self, gpu: &Gpu, v: CoopVariant, d: u32) -> Result<ComputePipeline, GpuError> {
        self.pipes
            .get(gpu, (v, d), "prefill-coop", || Ok(source(v, d)))
    }

    /// The single dispatch of one call of variant `v`. For [`CoopVariant::Global`], Q, K and
    /// V must carry [`padding`] extra elements.
    pub fn launch(
        &self,
        gpu: &Gpu,
        v: CoopVariant,
        s: &PrefillAttention,
        bufs: &AttnBuffers<'_>,
    ) -> Result<Launch, GpuError> {
        check_shape("prefill-coop", s)?;
        let d = s.head_dim;
        if s.dtype != Dtype::F16 || d == 0 || !d.is_multiple_of(16) || d > 128 {
            return Err(GpuError::shape(
                "prefill-coop",
                "needs f16 and 16 | D ≤ 128",
            ));
        }
        let (qpad, kvpad) = padding(s);
        let b = s.batch as u64;
        let need_q = (b * s.chunk as u64 * s.heads as u64 * d as u64 + qpad) * 2;
        let need_kv = (b * (s.chunk + s.prefix) as u64 * s.kv_heads as u64 * d as u64 + kvpad) * 2;
        let short = bufs.q.size() < need_q || bufs.k.size() < need_kv || bufs.v.size() < need_kv;
        if v == CoopVariant::Global && short {
            return Err(GpuError::shape(
                "prefill-coop",
                "Q/K/V buffers lack the tile padding",
            ));
        }
        let pipeline = self.pipeline(gpu, v, d)?;
        Ok(one_dispatch(gpu, pipeline, s, BLOCK_ROWS, bufs))
    }
}

/// Checks that `gpu` runs the cooperative-matrix kernels.
pub fn check_coop(gpu: &Gpu, kernel: &'static str) -> Result<(), GpuError> {
    if !gpu.coop_f16 {
        return Err(GpuError::KernelUnsupported {
            kernel,
            feature: "16x16x16 f16->f32 cooperative matrices".into(),
        });
    }
    let (lo, hi) = (gpu.info.subgroup_min_size, gpu.info.subgroup_max_size);
    if lo != 32 || hi != 32 {
        return Err(GpuError::KernelUnsupported {
            kernel,
            feature: format!("subgroups of exactly 32 lanes (adapter: {lo}..{hi})"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated WGSL parses, validates and compiles to SPIR-V with naga (no adapter with
    /// cooperative matrices is needed for this part).
    #[test]
    fn generated_source_compiles_to_spirv() {
        for v in CoopVariant::ALL {
            for d in [32, 64, 128] {
                crate::naga_check::compile(&source(v, d))
                    .unwrap_or_else(|e| panic!("{v:?} D = {d}: {e}"));
            }
        }
    }
}
