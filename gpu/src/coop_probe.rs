//! `gpu-info --coop-selftest`: checks the adapter's cooperative-matrix operations one usage
//! pattern at a time (load roles and layouts from storage and workgroup memory, strides,
//! accumulator round trips, operands kept live across barriers, many live accumulators),
//! each against a CPU emulation of the same 16×16×16 tiles. When a kernel built on these
//! operations fails validation, the first failing pattern names the culprit.
//!
//! Every test runs in one workgroup of 4 subgroups (each works on its own tiles) over the
//! same bindings: `ah` (4,096 f16 inputs), `cf` (2,048 f32 inputs, the first 256 zero) and
//! `outv`, which receives the final contents of the workgroup array `wf` (8,192 f32,
//! initialised to −5 so unwritten elements show).

use pecsched_core::perf::kernel::Dtype;

use crate::buffers::{encode, read_as};
use crate::fill::values;
use crate::{Gpu, GpuError};

const HEAD: &str = "enable f16;
enable wgpu_cooperative_matrix;
struct Params { n: u32, p1: u32, p2: u32, p3: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> ah: array<f16>;
@group(0) @binding(2) var<storage, read> cf: array<f32>;
@group(0) @binding(3) var<storage, read_write> outv: array<f32>;
{{DECL}}
var<workgroup> wh: array<f16, 4096>;
var<workgroup> wf: array<f32, 8192>;
@compute @workgroup_size(128)
fn main(@builtin(local_invocation_index) t: u32) {
    let sg = t / 32u;
    let lane = t % 32u;
    for (var i = t; i < 4096u; i += 128u) { wh[i] = ah[i]; }
    for (var i = t; i < 8192u; i += 128u) { wf[i] = -5.0 + f32(prm.n); }
    workgroupBarrier();
    let z = coopLoadT<coop_mat16x16<f32, C>>(&cf[0], 16u);
";
const TAIL: &str = "
    workgroupBarrier();
    for (var i = t; i < 8192u; i += 128u) { outv[i] = wf[i]; }
}
";

type Tile = [[f32; 16]; 16];

/// Loads a 16×16 tile: element (r, c) at `off + r·stride + c` (row-major) or
/// `off + c·stride + r` (column-major).
fn load(src: &[f32], off: usize, stride: usize, row_major: bool) -> Tile {
    let mut m = [[0.0; 16]; 16];
    for (r, row) in m.iter_mut().enumerate() {
        for (c, x) in row.iter_mut().enumerate() {
            *x = src[if row_major {
                off + r * stride + c
            } else {
                off + c * stride + r
            }];
        }
    }
    m
}

fn mma(a: &Tile, b: &Tile, c: &Tile) -> Tile {
    let mut d = *c;
    for (r, row) in d.iter_mut().enumerate() {
        for (col, x) in row.iter_mut().enumerate() {
            *x += (0..16).map(|k| a[r][k] * b[k][col]).sum::<f32>();
        }
    }
    d
}

fn store(dst: &mut [f32], off: usize, stride: usize, m: &Tile) {
    for (r, row) in m.iter().enumerate() {
        for (c, &x) in row.iter().enumerate() {
            dst[off + r * stride + c] = x;
        }
    }
}

fn f16r(x: f32) -> f32 {
    half::f16::from_f32(x).to_f32()
}

const Z: Tile = [[0.0; 16]; 16];

/// The product most probes start from: subgroup `sg`'s A (`ah[256·sg..]`) times its B
/// (`ah[1024 + 256·sg..]`), both row-major with stride 16.
fn ab(ah: &[f32], sg: usize) -> Tile {
    mma(
        &load(ah, sg * 256, 16, true),
        &load(ah, 1024 + sg * 256, 16, true),
        &Z,
    )
}

/// The expectation of the workgroup-operand probes: A (stride 40) times B (stride 24), both
/// from the staged copy of `ah`, stored with stride 16.
fn workgroup_operands(ah: &[f32], wf: &mut [f32]) {
    for sg in 0..4 {
        let d = mma(
            &load(ah, sg * 640 + 16, 40, true),
            &load(ah, 2560 + sg * 384 + 8, 24, true),
            &Z,
        );
        store(wf, sg * 256, 16, &d);
    }
}

/// One pattern: its name, its WGSL body, and the CPU emulation of `wf` afterwards.
struct Probe {
    name: &'static str,
    /// Extra workgroup declarations placed before the two arrays.
    decl: &'static str,
    body: &'static str,
    want: fn(&[f32], &[f32], &mut [f32]),
}

fn probes() -> Vec<Probe> {
    vec![
        Probe {
            name: "A,B row-major from storage; C stored to workgroup, stride 20",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&ah[sg * 256u], 16u);
    let b = coopLoadT<coop_mat16x16<f16, B>>(&ah[1024u + sg * 256u], 16u);
    coopStoreT(coopMultiplyAdd(a, b, z), &wf[sg * 320u], 20u);",
            want: |ah, _, wf| {
                for sg in 0..4 {
                    let d = ab(ah, sg);
                    store(wf, sg * 320, 20, &d);
                }
            },
        },
        Probe {
            name: "C stored to workgroup with stride 36 at column 16",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&ah[sg * 256u], 16u);
    let b = coopLoadT<coop_mat16x16<f16, B>>(&ah[1024u + sg * 256u], 16u);
    coopStoreT(coopMultiplyAdd(a, b, z), &wf[sg * 576u + 16u], 36u);",
            want: |ah, _, wf| {
                for sg in 0..4 {
                    let d = ab(ah, sg);
                    store(wf, sg * 576 + 16, 36, &d);
                }
            },
        },
        Probe {
            name: "C (non-zero) loaded from storage",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&ah[sg * 256u], 16u);
    let b = coopLoadT<coop_mat16x16<f16, B>>(&ah[1024u + sg * 256u], 16u);
    let c = coopLoadT<coop_mat16x16<f32, C>>(&cf[256u + sg * 256u], 16u);
    coopStoreT(coopMultiplyAdd(a, b, c), &wf[sg * 256u], 16u);",
            want: |ah, cf, wf| {
                for sg in 0..4 {
                    let d = mma(
                        &load(ah, sg * 256, 16, true),
                        &load(ah, 1024 + sg * 256, 16, true),
                        &load(cf, 256 + sg * 256, 16, true),
                    );
                    store(wf, sg * 256, 16, &d);
                }
            },
        },
        Probe {
            name: "C (non-zero) loaded from workgroup, stride 24, stored back (round trip)",
            decl: "",
            body: "for (var i = t; i < 1792u; i += 128u) { wf[2048u + i] = cf[256u + i]; }
    workgroupBarrier();
    let c = coopLoadT<coop_mat16x16<f32, C>>(&wf[2048u + sg * 384u], 24u);
    coopStoreT(c, &wf[sg * 256u], 16u);",
            want: |_, cf, wf| {
                wf[2048..2048 + 1792].copy_from_slice(&cf[256..256 + 1792]);
                for sg in 0..4 {
                    let c = load(cf, 256 + sg * 384, 24, true);
                    store(wf, sg * 256, 16, &c);
                }
            },
        },
        Probe {
            name: "A stride 40 and B stride 24 from workgroup memory",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&wh[sg * 640u + 16u], 40u);
    let b = coopLoadT<coop_mat16x16<f16, B>>(&wh[2560u + sg * 384u + 8u], 24u);
    coopStoreT(coopMultiplyAdd(a, b, z), &wf[sg * 256u], 16u);",
            want: |ah, _, wf| {
                workgroup_operands(ah, wf);
            },
        },
        Probe {
            name: "B column-major (coopLoad) from storage, stride 24",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&ah[sg * 256u], 16u);
    let b = coopLoad<coop_mat16x16<f16, B>>(&ah[2048u + sg * 384u], 24u);
    coopStoreT(coopMultiplyAdd(a, b, z), &wf[sg * 256u], 16u);",
            want: |ah, _, wf| {
                for sg in 0..4 {
                    let d = mma(
                        &load(ah, sg * 256, 16, true),
                        &load(ah, 2048 + sg * 384, 24, false),
                        &Z,
                    );
                    store(wf, sg * 256, 16, &d);
                }
            },
        },
        Probe {
            name: "A kept live across a loop with barriers, accumulator as var",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&ah[sg * 256u], 16u);
    var acc = z;
    for (var j = 0u; j < 4u; j++) {
        let b = coopLoadT<coop_mat16x16<f16, B>>(&wh[1024u + j * 256u], 16u);
        acc = coopMultiplyAdd(a, b, acc);
        workgroupBarrier();
    }
    coopStoreT(acc, &wf[sg * 256u], 16u);",
            want: |ah, _, wf| {
                for sg in 0..4 {
                    let a = load(ah, sg * 256, 16, true);
                    let mut acc = Z;
                    for j in 0..4 {
                        acc = mma(&a, &load(ah, 1024 + j * 256, 16, true), &acc);
                    }
                    store(wf, sg * 256, 16, &acc);
                }
            },
        },
        Probe {
            name: "accumulator stored, rows scaled by scalar code, reloaded, accumulated again",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&ah[sg * 256u], 16u);
    let b = coopLoadT<coop_mat16x16<f16, B>>(&ah[1024u + sg * 256u], 16u);
    var acc = coopMultiplyAdd(a, b, z);
    coopStoreT(acc, &wf[4096u + sg * 256u], 16u);
    workgroupBarrier();
    for (var e = lane; e < 256u; e += 32u) {
        wf[4096u + sg * 256u + e] = wf[4096u + sg * 256u + e] * (1.0 + f32(e / 16u) * 0.5);
    }
    workgroupBarrier();
    acc = coopLoadT<coop_mat16x16<f32, C>>(&wf[4096u + sg * 256u], 16u);
    acc = coopMultiplyAdd(a, b, acc);
    coopStoreT(acc, &wf[sg * 256u], 16u);",
            want: |ah, _, wf| {
                for sg in 0..4 {
                    let a = load(ah, sg * 256, 16, true);
                    let b = load(ah, 1024 + sg * 256, 16, true);
                    let mut acc = mma(&a, &b, &Z);
                    for (r, row) in acc.iter_mut().enumerate() {
                        for x in row.iter_mut() {
                            *x *= 1.0 + r as f32 * 0.5;
                        }
                    }
                    store(wf, 4096 + sg * 256, 16, &acc);
                    let acc = mma(&a, &b, &acc);
                    store(wf, sg * 256, 16, &acc);
                }
            },
        },
        Probe {
            name: "scores stored (stride 36), turned into f16 probabilities (stride 40), multiplied again",
            decl: "",
            body: "let a = coopLoadT<coop_mat16x16<f16, A>>(&ah[sg * 256u], 16u);
    let b = coopLoadT<coop_mat16x16<f16, B>>(&ah[1024u + sg * 256u], 16u);
    coopStoreT(coopMultiplyAdd(a, b, z), &wf[sg * 576u], 36u);
    workgroupBarrier();
    for (var e = lane; e < 256u; e += 32u) {
        wh[sg * 640u + (e / 16u) * 40u + e % 16u] = f16(wf[sg * 576u + (e / 16u) * 36u + e % 16u] * 0.25);
    }
    workgroupBarrier();
    let p = coopLoadT<coop_mat16x16<f16, A>>(&wh[sg * 640u], 40u);
    let v = coopLoadT<coop_mat16x16<f16, B>>(&ah[2048u + sg * 256u], 16u);
    coopStoreT(coopMultiplyAdd(p, v, z), &wf[4096u + sg * 256u], 16u);",
            want: |ah, _, wf| {
                for sg in 0..4 {
                    let s = ab(ah, sg);
                    store(wf, sg * 576, 36, &s);
                    let mut p = s;
                    for row in p.iter_mut() {
                        for x in row.iter_mut() {
                            *x = f16r(*x * 0.25);
                        }
                    }
                    let o = mma(&p, &load(ah, 2048 + sg * 256, 16, true), &Z);
                    store(wf, 4096 + sg * 256, 16, &o);
                }
            },
        },
        Probe {
            name: "eight A operands and eight accumulators live at once",
            decl: "",
            body: "let b = coopLoadT<coop_mat16x16<f16, B>>(&wh[sg * 256u], 16u);
    let a0 = coopLoadT<coop_mat16x16<f16, A>>(&ah[0u], 16u);
    let a1 = coopLoadT<coop_mat16x16<f16, A>>(&ah[256u], 16u);
    let a2 = coopLoadT<coop_mat16x16<f16, A>>(&ah[512u], 16u);
    let a3 = coopLoadT<coop_mat16x16<f16, A>>(&ah[768u], 16u);
    let a4 = coopLoadT<coop_mat16x16<f16, A>>(&ah[1024u], 16u);
    let a5 = coopLoadT<coop_mat16x16<f16, A>>(&ah[1280u], 16u);
    let a6 = coopLoadT<coop_mat16x16<f16, A>>(&ah[1536u], 16u);
    let a7 = coopLoadT<coop_mat16x16<f16, A>>(&ah[1792u], 16u);
    var o0 = z; var o1 = z; var o2 = z; var o3 = z; var o4 = z; var o5 = z; var o6 = z; var o7 = z;
    for (var j = 0u; j < 2u; j++) {
        o0 = coopMultiplyAdd(a0, b, o0); o1 = coopMultiplyAdd(a1, b, o1);
        o2 = coopMultiplyAdd(a2, b, o2); o3 = coopMultiplyAdd(a3, b, o3);
        o4 = coopMultiplyAdd(a4, b, o4); o5 = coopMultiplyAdd(a5, b, o5);
        o6 = coopMultiplyAdd(a6, b, o6); o7 = coopMultiplyAdd(a7, b, o7);
        workgroupBarrier();
    }
    let base = sg * 2048u;
    coopStoreT(o0, &wf[base], 16u); coopStoreT(o1, &wf[base + 256u], 16u);
    coopStoreT(o2, &wf[base + 512u], 16u); coopStoreT(o3, &wf[base + 768u], 16u);
    coopStoreT(o4, &wf[base + 1024u], 16u); coopStoreT(o5, &wf[base + 1280u], 16u);
    coopStoreT(o6, &wf[base + 1536u], 16u); coopStoreT(o7, &wf[base + 1792u], 16u);",
            want: |ah, _, wf| {
                for sg in 0..4 {
                    let b = load(ah, sg * 256, 16, true);
                    for i in 0..8 {
                        let a = load(ah, i * 256, 16, true);
                        let o = mma(&a, &b, &mma(&a, &b, &Z));
                        store(wf, sg * 2048 + i * 256, 16, &o);
                    }
                }
            },
        },
        Probe {
            name: "as the workgroup-operand probe, after a 4-byte workgroup variable",
            decl: "var<workgroup> flag: u32;",
            body: "if (t == 0u) { flag = 1u; }
    workgroupBarrier();
    let a = coopLoadT<coop_mat16x16<f16, A>>(&wh[sg * 640u + 16u], 40u);
    let b = coopLoadT<coop_mat16x16<f16, B>>(&wh[2560u + sg * 384u + 8u], 24u);
    coopStoreT(coopMultiplyAdd(a, b, z), &wf[sg * 256u], 16u);
    if (t == 0u) { wf[8191] = f32(flag); }",
            want: |ah, _, wf| {
                workgroup_operands(ah, wf);
                wf[8191] = 1.0;
            },
        },
    ]
}

fn source(p: &Probe) -> String {
    format!("{}    {}{TAIL}", HEAD.replace("{{DECL}}", p.decl), p.body)
}

/// Runs every probe on `gpu` with checked and unchecked shaders; prints one line each and
/// returns how many failed (an error only when the probes could not run at all).
pub fn run(gpu: &Gpu) -> Result<usize, GpuError> {
    let ah: Vec<f32> = values(11, 4096, 1.0).into_iter().map(f16r).collect();
    let mut cf = values(12, 2048, 2.0);
    cf[..256].fill(0.0);
    let ah_buf = gpu.upload("probe-ah", &encode(&ah, Dtype::F16), 0)?;
    let cf_buf = gpu.upload("probe-cf", &encode(&cf, Dtype::F32), 0)?;
    let out = gpu.storage("probe-out", 8192 * 4)?;
    let uni = gpu.uniform(&[0u8; 16]);
    let mut failed = 0;
    for p in probes() {
        let mut want = vec![-5.0f32; 8192];
        (p.want)(&ah, &cf, &mut want);
        for trusted in [false, true] {
            let src = source(&p);
            let verdict = match gpu.pipeline("coop-probe", &src, trusted) {
                Err(e) => format!("does not compile: {e}"),
                Ok(pipe) => {
                    gpu.poison(&out, 8192 * 4);
                    let group = gpu.bind(&pipe, &uni, &[&ah_buf, &cf_buf, &out]);
                    let mut enc = gpu.device.create_command_encoder(&Default::default());
                    {
                        let mut pass = enc.begin_compute_pass(&Default::default());
                        pass.set_pipeline(&pipe);
                        pass.set_bind_group(0, &group, &[]);
                        pass.dispatch_workgroups(1, 1, 1);
                    }
                    gpu.queue.submit([enc.finish()]);
                    gpu.wait()?;
                    let got = read_as(gpu, &out, 8192, Dtype::F32)?;
                    verdict(&got, &want)
                }
            };
            let checks = if trusted { "unchecked" } else { "checked" };
            let ok = verdict.starts_with("ok");
            if !ok {
                failed += 1;
            }
            println!(
                "  [{}] {} ({checks}): {verdict}",
                if ok { "pass" } else { "FAIL" },
                p.name
            );
        }
    }
    Ok(failed)
}

/// "ok (max |error| …)" or where and how the first bad element differs.
fn verdict(got: &[f32], want: &[f32]) -> String {
    let scale = want.iter().fold(1.0f32, |m, x| m.max(x.abs()));
    let mut worst = 0.0f32;
    let mut bad = Vec::new();
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let e = (g - w).abs();
        // NaN counts as wrong.
        if e.is_nan() || e > 2e-3 * scale {
            bad.push(i);
        } else {
            worst = worst.max(e);
        }
    }
    if bad.is_empty() {
        return format!("ok (max |error| {worst:.1e})");
    }
    let show: Vec<String> = bad
        .iter()
        .take(6)
        .map(|&i| format!("[{i}] got {} want {}", got[i], want[i]))
        .collect();
    format!("{} wrong elements: {}", bad.len(), show.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every probe's WGSL parses, validates and compiles to SPIR-V.
    #[test]
    fn probes_compile() {
        for p in probes() {
            let src = source(&p);
            crate::naga_check::compile(&src).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
    }

    /// The emulation agrees with itself on a trivial identity: storing a loaded tile and
    /// loading it back is the identity, for both layouts.
    #[test]
    fn tile_helpers_round_trip() {
        let src: Vec<f32> = (0..600).map(|i| i as f32).collect();
        for rm in [true, false] {
            let m = load(&src, 7, 30, rm);
            let mut dst = vec![0.0; 600];
            store(&mut dst, 0, 16, &m);
            assert_eq!(load(&dst, 0, 16, true), m);
        }
        assert_eq!(load(&src, 7, 30, true)[2][3], src[7 + 60 + 3]);
        assert_eq!(load(&src, 7, 30, false)[2][3], src[7 + 90 + 2]);
    }
}
