// Flash-style f32 prefill attention on FMA units, wide register tiles ("fmawide"): the same
// computation as prefill.wgsl (causal or not, GQA, a chunk of S new tokens after P cached
// ones, online softmax; Q, O [B][S][H][D], K, V [B][P+S][H_kv][D]), tiled so that the FMA
// units, not shared memory, are the bottleneck on an H100.
//
// Tiling. One workgroup of 128 threads owns BR = 64 query rows of one (sequence, head) and
// streams the keys in blocks of BC = 64. Thread t is lane t % 32 of warp t / 32; it owns the
// row group ty (rows 8·ty .. 8·ty+7) and the column group tx (0..15):
//   ty = 4·(warp / 2) + lane / 8,   tx = 8·(warp % 2) + lane % 8,
// so each warp covers 4 row groups × 8 column groups (32 rows × 32 keys): every shared-memory
// read of the inner loops is then 4 (rows) or 8 (keys, dims) distinct vec4s, one wavefront.
//   S = Q·Kᵀ: the thread computes 8 rows × 4 keys (keys k0 + tx + 16·j, j = 0..3), an outer
//     product per head dim: 2 vec4 of Q (its 8 rows) and 1 vec4 of K (its 4 keys) per 32
//     FMAs. Q (pre-scaled by log2(e)/√D) and K are staged per chunk of DC head dims, both
//     transposed ([d][row], [d][key]) in rows of 64 + 4 floats: the pad makes the transposing
//     stores conflict-free. K's columns are permuted (vec4 g holds keys g, g+16, g+32, g+48)
//     so that the thread's 4 strided keys are one vec4 and the stores of P below spread over
//     all banks.
//   Softmax: masks (only in blocks that cross the causal edge or the end of the keys), one
//     shared max per row over the 16 column groups (a small table `red`), rescaling of the
//     running sums and of the output accumulators; P goes to shared memory transposed
//     ([key][row], rows of 64 + 4 floats), the thread's 8 rows as 2 vec4 per key.
//   O += P·V: the thread owns the same 8 rows × D/16 dims (dims 4·(tx + 16·u) + 0..3 as vec4
//     for 64 | D, dims 2·(tx + 16·u) + 0..1 as vec2 otherwise); per key 2 vec4 of P and D/64
//     vec4 of V feed 8·D/16 FMAs. V is staged per chunk of VC keys, row-major.
// Shared memory: one region that holds the Q and K chunk, then P and a V chunk (≤ 41 KiB),
// plus `red` (5 KiB). Per key block: 2·(D/DC) + 2·(BC/VC) barriers (8 for D = 128). About 150
// registers per thread: 64 accumulators, 32 scores, 16 row statistics, operands.
//
// Costs per warp and key block (D = 128), in shared-memory wavefronts (an SM serves one per
// clock while its 4 schedulers issue 4 warp-FMAs): QK 128 × 3, PV 64 × 4, staging Q, K, V and
// P ~350, `red` ~50: ~1,100 for 8,192 warp-FMAs, so about half the shared-memory bandwidth
// at the FMA peak, and FMAs are ~88 % of the instructions issued. The first kernel
// (prefill.wgsl) read Q from global memory inside its inner loop (4 cache lines per warp
// load), had 4 × 4 tiles and stored K transposed with scalar stores that all hit one bank:
// ~1,900 wavefronts for 4,096 warp-FMAs, bound by shared memory / L1 at about half the peak.
//
// Rows past S read row S−1 and are not written; keys past P+S read zeros and are masked.
// Every row sees key 0, so its running maximum is finite from the first block on.

struct Params { s: u32, p: u32, heads: u32, kv_heads: u32, causal: u32, scale_log2: f32, nqb: u32, pad: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> qg: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> kg: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> vg: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> og: array<{{VT}}>;

const D: u32 = {{D}}u;
const D4: u32 = D / 4u;
const BR: u32 = 64u;
const BC: u32 = 64u;
// Head dims per Q/K stage, and stages per key block.
const DC: u32 = {{DC}}u;
const DC4: u32 = DC / 4u;
const NDC: u32 = D / DC;
// Keys per V stage, stages per key block, vec4 loads per thread per stage.
const VC: u32 = {{VC}}u;
const NVC: u32 = BC / VC;
const VIT: u32 = VC * D4 / 128u;
// Output vectors ({{VT}}) per thread and per output row.
const NV: u32 = {{NV}}u;
const DV: u32 = {{DV}}u;
// vec4 per row of the transposed tiles (64 floats + 4 of padding).
const LD: u32 = 17u;
// Offsets in `sh`: Kᵀ after Qᵀ; the V chunk after Pᵀ.
const KOFF: u32 = DC * LD;
const VOFF: u32 = BC * LD;
// vec4 per row slot of `red` (16 partials + padding).
const RS: u32 = 5u;
const NONE: f32 = -3.0e38;

// Qᵀ chunk [DC][LD] and Kᵀ chunk [DC][LD]; then Pᵀ [BC][LD] and the V chunk [VC][D4].
var<workgroup> sh: array<vec4<f32>, {{SH}}>;
// Per-row partials of the 16 column groups: slot (i·8 + ty) holds row 8·ty + i.
var<workgroup> red: array<vec4<f32>, BR * RS>;

// One vec4 of Q (scaled; rows past S read row S−1) and of K or V (zeros past P+S).
fn q_at(b: u32, h: u32, r: u32, col: u32) -> vec4<f32> {
    let rr = min(r, prm.s - 1u);
    return qg[((b * prm.s + rr) * prm.heads + h) * D4 + col] * prm.scale_log2;
}

fn k_at(b: u32, kvh: u32, key: u32, col: u32, tt: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (key < tt) {
        v = kg[((b * tt + key) * prm.kv_heads + kvh) * D4 + col];
    }
    return v;
}

fn v_at(b: u32, kvh: u32, key: u32, col: u32, tt: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (key < tt) {
        v = vg[((b * tt + key) * prm.kv_heads + kvh) * D4 + col];
    }
    return v;
}

// Element `u` of the thread's V vectors for key `c` of the staged chunk.
fn vload(c: u32, tx: u32, u: u32) -> {{VT}} {
    {{VLOAD}}
}

// The maximum of the 16 partials of row slot `slot`.
fn red_max(slot: u32) -> f32 {
    let r = slot * RS;
    let v = max(max(red[r], red[r + 1u]), max(red[r + 2u], red[r + 3u]));
    return max(max(v.x, v.y), max(v.z, v.w));
}

// Their sum.
fn red_sum(slot: u32) -> f32 {
    let r = slot * RS;
    let v = (red[r] + red[r + 1u]) + (red[r + 2u] + red[r + 3u]);
    return (v.x + v.y) + (v.z + v.w);
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    // Causal: the longest row blocks first.
    let qb = select(wg.x, prm.nqb - 1u - wg.x, prm.causal != 0u);
    let h = wg.y;
    let b = wg.z;
    let kvh = h / (prm.heads / prm.kv_heads);
    let tt = prm.s + prm.p;
    let lane = t % 32u;
    let warp = t / 32u;
    let ty = (warp / 2u) * 4u + lane / 8u;
    let tx = (warp % 2u) * 8u + lane % 8u;
    let q0 = qb * BR;

    var kend = tt;
    if (prm.causal != 0u) {
        kend = min(tt, prm.p + q0 + BR);
    }
    let nkb = (kend + BC - 1u) / BC;

    var acc: array<{{VT}}, 8u * NV>;
    var m: array<f32, 8>;
    var l: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        m[i] = NONE;
        l[i] = 0.0;
    }
    for (var k = 0u; k < 8u * NV; k++) {
        acc[k] = {{VT}}(0.0);
    }

    for (var kb = 0u; kb < nkb; kb++) {
        let k0 = kb * BC;

        // ---- S = Q·Kᵀ, in NDC stages of DC head dims ----
        var s: array<vec4<f32>, 8>;
        for (var i = 0u; i < 8u; i++) {
            s[i] = vec4<f32>(0.0);
        }
        for (var dc = 0u; dc < NDC; dc++) {
            if (dc > 0u) {
                workgroupBarrier();
            }
            // Each step moves 4 rows (or 4 keys) × one vec4 of dims, transposed in registers:
            // column vec4 g of Qᵀ holds rows 4g..4g+3, of Kᵀ keys g, g+16, g+32, g+48. In a
            // warp, 8 consecutive g × 4 consecutive d4: conflict-free stores, 64-byte reads.
            for (var it = 0u; it < DC / 32u; it++) {
                let pr = t + it * 128u;
                let d4 = pr % 4u + 4u * (pr / 64u);
                let g = (pr / 4u) % 16u;
                let col = dc * DC4 + d4;
                let qr = q0 + 4u * g;
                let x0 = q_at(b, h, qr, col);
                let x1 = q_at(b, h, qr + 1u, col);
                let x2 = q_at(b, h, qr + 2u, col);
                let x3 = q_at(b, h, qr + 3u, col);
                let kr = k0 + g;
                let y0 = k_at(b, kvh, kr, col, tt);
                let y1 = k_at(b, kvh, kr + 16u, col, tt);
                let y2 = k_at(b, kvh, kr + 32u, col, tt);
                let y3 = k_at(b, kvh, kr + 48u, col, tt);
                let at = 4u * d4 * LD + g;
                sh[at] = vec4<f32>(x0.x, x1.x, x2.x, x3.x);
                sh[at + LD] = vec4<f32>(x0.y, x1.y, x2.y, x3.y);
                sh[at + 2u * LD] = vec4<f32>(x0.z, x1.z, x2.z, x3.z);
                sh[at + 3u * LD] = vec4<f32>(x0.w, x1.w, x2.w, x3.w);
                sh[KOFF + at] = vec4<f32>(y0.x, y1.x, y2.x, y3.x);
                sh[KOFF + at + LD] = vec4<f32>(y0.y, y1.y, y2.y, y3.y);
                sh[KOFF + at + 2u * LD] = vec4<f32>(y0.z, y1.z, y2.z, y3.z);
                sh[KOFF + at + 3u * LD] = vec4<f32>(y0.w, y1.w, y2.w, y3.w);
            }
            workgroupBarrier();
            for (var dd = 0u; dd < DC; dd++) {
                let qa = sh[dd * LD + 2u * ty];
                let qc = sh[dd * LD + 2u * ty + 1u];
                let kt = sh[KOFF + dd * LD + tx];
                s[0] += qa.x * kt;
                s[1] += qa.y * kt;
                s[2] += qa.z * kt;
                s[3] += qa.w * kt;
                s[4] += qc.x * kt;
                s[5] += qc.y * kt;
                s[6] += qc.z * kt;
                s[7] += qc.w * kt;
            }
        }

        // ---- masks and the block maximum of each row ----
        let whole = k0 + BC <= tt && (prm.causal == 0u || k0 + BC <= prm.p + q0 + 1u);
        if (!whole) {
            let keys = vec4<u32>(k0 + tx) + vec4<u32>(0u, 16u, 32u, 48u);
            let inside = keys < vec4<u32>(tt);
            let full = vec4<bool>(prm.causal == 0u);
            for (var i = 0u; i < 8u; i++) {
                let seen = keys <= vec4<u32>(prm.p + q0 + 8u * ty + i);
                s[i] = select(vec4<f32>(NONE), s[i], inside & (seen | full));
            }
        }
        for (var i = 0u; i < 8u; i++) {
            red[(i * 8u + ty) * RS + tx / 4u][tx % 4u] = max(max(s[i].x, s[i].y), max(s[i].z, s[i].w));
        }
        // Also: every thread is done reading the Q/K stage, which P and V now overwrite.
        workgroupBarrier();

        // V chunk 0 is loaded now so that its latency overlaps the softmax.
        var vr: array<vec4<f32>, VIT>;
        for (var it = 0u; it < VIT; it++) {
            let idx = t + it * 128u;
            vr[it] = v_at(b, kvh, k0 + idx / D4, idx % D4, tt);
        }

        // ---- online softmax ----
        for (var i = 0u; i < 8u; i++) {
            let mn = max(m[i], red_max(i * 8u + ty));
            let a = exp2(m[i] - mn);
            m[i] = mn;
            let pe = exp2(s[i] - vec4<f32>(mn));
            s[i] = pe;
            l[i] = l[i] * a + ((pe.x + pe.y) + (pe.z + pe.w));
            for (var u = 0u; u < NV; u++) {
                acc[i * NV + u] *= a;
            }
        }
        // Pᵀ[key][row]: the thread's 8 rows are 2 vec4 in the row of each of its keys.
        let pt = tx * LD + 2u * ty;
        sh[pt] = vec4<f32>(s[0].x, s[1].x, s[2].x, s[3].x);
        sh[pt + 1u] = vec4<f32>(s[4].x, s[5].x, s[6].x, s[7].x);
        sh[pt + 16u * LD] = vec4<f32>(s[0].y, s[1].y, s[2].y, s[3].y);
        sh[pt + 16u * LD + 1u] = vec4<f32>(s[4].y, s[5].y, s[6].y, s[7].y);
        sh[pt + 32u * LD] = vec4<f32>(s[0].z, s[1].z, s[2].z, s[3].z);
        sh[pt + 32u * LD + 1u] = vec4<f32>(s[4].z, s[5].z, s[6].z, s[7].z);
        sh[pt + 48u * LD] = vec4<f32>(s[0].w, s[1].w, s[2].w, s[3].w);
        sh[pt + 48u * LD + 1u] = vec4<f32>(s[4].w, s[5].w, s[6].w, s[7].w);

        // ---- O += P·V, in NVC stages of VC keys ----
        for (var vc = 0u; vc < NVC; vc++) {
            if (vc > 0u) {
                workgroupBarrier();
                for (var it = 0u; it < VIT; it++) {
                    let idx = t + it * 128u;
                    vr[it] = v_at(b, kvh, k0 + vc * VC + idx / D4, idx % D4, tt);
                }
            }
            for (var it = 0u; it < VIT; it++) {
                sh[VOFF + t + it * 128u] = vr[it];
            }
            workgroupBarrier();
            for (var cc = 0u; cc < VC; cc++) {
                let c = vc * VC + cc;
                let pa = sh[c * LD + 2u * ty];
                let pc = sh[c * LD + 2u * ty + 1u];
                for (var u = 0u; u < NV; u++) {
                    let vv = vload(cc, tx, u);
                    acc[u] += pa.x * vv;
                    acc[NV + u] += pa.y * vv;
                    acc[2u * NV + u] += pa.z * vv;
                    acc[3u * NV + u] += pa.w * vv;
                    acc[4u * NV + u] += pc.x * vv;
                    acc[5u * NV + u] += pc.y * vv;
                    acc[6u * NV + u] += pc.z * vv;
                    acc[7u * NV + u] += pc.w * vv;
                }
            }
        }
        // The next block's Q/K stage overwrites P and V.
        workgroupBarrier();
    }

    for (var i = 0u; i < 8u; i++) {
        red[(i * 8u + ty) * RS + tx / 4u][tx % 4u] = l[i];
    }
    workgroupBarrier();
    for (var i = 0u; i < 8u; i++) {
        let row = q0 + 8u * ty + i;
        let lt = red_sum(i * 8u + ty);
        if (row < prm.s) {
            let ob = ((b * prm.s + row) * prm.heads + h) * DV;
            for (var u = 0u; u < NV; u++) {
                og[ob + tx + 16u * u] = acc[i * NV + u] / lt;
            }
        }
    }
}
