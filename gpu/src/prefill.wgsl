// Flash-style prefill attention on FMA units (f32 arithmetic; storage f32 or f16): a chunk of
// S new tokens per sequence attends to its P cached tokens plus itself, causal or not, with
// grouped-query heads. One workgroup owns BR query rows of one (sequence, head) and streams
// the keys in blocks of BC with an online softmax; no S×S matrix exists anywhere.
//
// Layouts: Q, O [B][S][H][D]; K, V [B][P+S][H_kv][D]. 128 threads = 16 row groups × 8 column
// groups; a thread owns 4 rows × 4 keys of a score block and 4 rows × D/8 output dims.
{{ENABLE_F16}}

struct Params { s: u32, p: u32, heads: u32, kv_heads: u32, causal: u32, scale_log2: f32, nqb: u32, pad: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> qg: array<vec4<{{ELEM}}>>;
@group(0) @binding(2) var<storage, read> kg: array<vec4<{{ELEM}}>>;
@group(0) @binding(3) var<storage, read> vg: array<vec4<{{ELEM}}>>;
@group(0) @binding(4) var<storage, read_write> og: array<vec4<{{ELEM}}>>;

const D: u32 = {{D}}u;
const D4: u32 = D / 4u;
const DU: u32 = D / 32u;
const BR: u32 = 64u;
const BC: u32 = 32u;
const NONE: f32 = -3.0e38;

// K block transposed ([D][BC]) for the scores, then V block ([BC][D]) for the outputs.
var<workgroup> kv: array<vec4<f32>, BC * D4>;
// P block transposed: [BC][BR].
var<workgroup> pt: array<vec4<f32>, BC * BR / 4u>;
// Per-row partials of the 8 column groups (block max, then the final sums).
var<workgroup> red: array<f32, BR * 8u>;

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let qb = select(wg.x, prm.nqb - 1u - wg.x, prm.causal != 0u);
    let h = wg.y;
    let b = wg.z;
    let kvh = h / (prm.heads / prm.kv_heads);
    let tt = prm.s + prm.p;
    let ty = t / 8u;
    let tx = t % 8u;
    let q0 = qb * BR;

    var kend = tt;
    if (prm.causal != 0u) {
        kend = min(tt, prm.p + q0 + BR);
    }
    let nkb = (kend + BC - 1u) / BC;

    var acc: array<vec4<f32>, 4u * DU>;
    var m: array<f32, 4>;
    var lsum: array<f32, 4>;
    var qrow: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        m[i] = NONE;
        lsum[i] = 0.0;
        let r = min(q0 + ty * 4u + i, prm.s - 1u);
        qrow[i] = ((b * prm.s + r) * prm.heads + h) * D4;
        for (var u = 0u; u < DU; u++) {
            acc[i * DU + u] = vec4<f32>(0.0);
        }
    }

    for (var kb = 0u; kb < nkb; kb++) {
        let k0 = kb * BC;
        // K block, transposed into kv[d][key].
        for (var it = 0u; it < BC * D4 / 128u; it++) {
            let idx = t + it * 128u;
            let c = idx / D4;
            let d4 = idx % D4;
            var val = vec4<f32>(0.0);
            if (k0 + c < tt) {
                val = vec4<f32>(kg[((b * tt + k0 + c) * prm.kv_heads + kvh) * D4 + d4]);
            }
            for (var e = 0u; e < 4u; e++) {
                kv[(d4 * 4u + e) * (BC / 4u) + c / 4u][c % 4u] = val[e];
            }
        }
        workgroupBarrier();

        var s: array<vec4<f32>, 4>;
        for (var i = 0u; i < 4u; i++) {
            s[i] = vec4<f32>(0.0);
        }
        for (var d4 = 0u; d4 < D4; d4++) {
            var qa: array<vec4<f32>, 4>;
            for (var i = 0u; i < 4u; i++) {
                qa[i] = vec4<f32>(qg[qrow[i] + d4]) * prm.scale_log2;
            }
            for (var e = 0u; e < 4u; e++) {
                let kt = kv[(d4 * 4u + e) * (BC / 4u) + tx];
                for (var i = 0u; i < 4u; i++) {
                    s[i] += qa[i][e] * kt;
                }
            }
        }
        for (var i = 0u; i < 4u; i++) {
            let row = q0 + ty * 4u + i;
            var mx = NONE;
            for (var j = 0u; j < 4u; j++) {
                let key = k0 + tx * 4u + j;
                let ok = key < tt && (prm.causal == 0u || key <= prm.p + row);
                s[i][j] = select(NONE, s[i][j], ok);
                mx = max(mx, s[i][j]);
            }
            red[(ty * 4u + i) * 8u + tx] = mx;
        }
        workgroupBarrier();

        // V block into kv[key][d] (the K block is no longer read).
        for (var it = 0u; it < BC * D4 / 128u; it++) {
            let idx = t + it * 128u;
            let c = idx / D4;
            let d4 = idx % D4;
            var val = vec4<f32>(0.0);
            if (k0 + c < tt) {
                val = vec4<f32>(vg[((b * tt + k0 + c) * prm.kv_heads + kvh) * D4 + d4]);
            }
            kv[c * D4 + d4] = val;
        }
        for (var i = 0u; i < 4u; i++) {
            let r = ty * 4u + i;
            var mb = NONE;
            for (var x = 0u; x < 8u; x++) {
                mb = max(mb, red[r * 8u + x]);
            }
            let mn = max(m[i], mb);
            let a = exp2(m[i] - mn);
            m[i] = mn;
            let p = exp2(s[i] - vec4<f32>(mn));
            lsum[i] = lsum[i] * a + p.x + p.y + p.z + p.w;
            for (var u = 0u; u < DU; u++) {
                acc[i * DU + u] *= a;
            }
            for (var j = 0u; j < 4u; j++) {
                pt[(tx * 4u + j) * (BR / 4u) + ty][i] = p[j];
            }
        }
        workgroupBarrier();

        for (var c = 0u; c < BC; c++) {
            let pv = pt[c * (BR / 4u) + ty];
            for (var u = 0u; u < DU; u++) {
                let vv = kv[c * D4 + tx + 8u * u];
                for (var i = 0u; i < 4u; i++) {
                    acc[i * DU + u] += pv[i] * vv;
                }
            }
        }
        workgroupBarrier();
    }

    for (var i = 0u; i < 4u; i++) {
        red[(ty * 4u + i) * 8u + tx] = lsum[i];
    }
    workgroupBarrier();
    for (var i = 0u; i < 4u; i++) {
        let r = ty * 4u + i;
        var l = 0.0;
        for (var x = 0u; x < 8u; x++) {
            l += red[r * 8u + x];
        }
        if (q0 + r < prm.s) {
            for (var u = 0u; u < DU; u++) {
                og[qrow[i] + tx + 8u * u] = vec4<{{ELEM}}>(acc[i * DU + u] / l);
            }
        }
    }
}
