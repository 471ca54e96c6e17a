// Prefill attention on cooperative matrices, staged variant: Q, K and V reach the tensor
// cores only through workgroup memory (16-byte global loads, then coopLoadT, the path
// gemm_coop.wgsl uses). {{K_DOC}} Same semantics, layouts and online softmax as
// prefill_coop.wgsl; no tile padding is needed.
//
// {{SOFTMAX_DOC}}
enable f16;
enable wgpu_cooperative_matrix;

struct Params { s: u32, p: u32, heads: u32, kv_heads: u32, causal: u32, scale_log2: f32, nqb: u32, pad: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> qg: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> kg: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> vg: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> og: array<f16>;

const D: u32 = {{D}}u;
const D8: u32 = D / 8u;
const BC: u32 = {{BC}}u;
const KTS: u32 = BC + 8u;   // K^T tile row stride (halves)
const VS: u32 = D + 8u;     // V and Q tile row stride (halves)
const V_OFF: u32 = {{V_OFF}};
const KV_LEN: u32 = max(V_OFF + BC * VS, 64u * VS);
// Declared before the shared tiles, as it always was (workgroup variable placement matters
// to cooperative-matrix loads: see `flag`).
var<workgroup> kv: array<f16, KV_LEN>;

{{COMMON}}

// Writes element lane + 32·k of the subgroup's 16×16 output tile at columns c0.. (flush
// variants): `x` is the row's unnormalised output.
fn flush_out(sg: u32, lane: u32, r0: u32, b: u32, h: u32, c0: u32, k: u32, x: f32) {
    let r = lane / 16u + 2u * k;
    let row = r0 + r;
    if (row < prm.s) {
        og[((b * prm.s + row) * prm.heads + h) * D + c0 + lane % 16u] = f16(x / l_sh[sg * 16u + r]);
    }
}

// Row-major store of 8 halves at kv[dst .. dst+8].
fn put_row(dst: u32, w: vec4<u32>) {
    for (var i = 0u; i < 4u; i++) {
        let x = unpack2x16float(w[i]);
        kv[dst + 2u * i] = f16(x.x);
        kv[dst + 2u * i + 1u] = f16(x.y);
    }
}

// Transposed store: halves d0..d0+8 of key column c into K^T rows.
fn put_col(d0: u32, c: u32, w: vec4<u32>) {
    for (var i = 0u; i < 4u; i++) {
        let x = unpack2x16float(w[i]);
        kv[(d0 + 2u * i) * KTS + c] = f16(x.x);
        kv[(d0 + 2u * i + 1u) * KTS + c] = f16(x.y);
    }
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let qb = select(wg.x, prm.nqb - 1u - wg.x, prm.causal != 0u);
    let h = wg.y;
    let b = wg.z;
    let kvh = h / (prm.heads / prm.kv_heads);
    let tt = prm.s + prm.p;
    let sg = t / 32u;
    let lane = t % 32u;
    let q0 = qb * 64u;
    let r0 = q0 + sg * 16u;
    let sbase = sg * 16u * SS;
    let pbase = sg * 16u * PS;

    zero[t] = 0.0;
    zero[t + 128u] = 0.0;
    // Q tile (64 rows) into kv, rows past S as zeros.
    for (var idx = t; idx < 64u * D8; idx += 128u) {
        let r = idx / D8;
        let j = idx % D8;
        var w = vec4<u32>(0u);
        if (q0 + r < prm.s) {
            w = qg[((b * prm.s + q0 + r) * prm.heads + h) * D8 + j];
        }
        put_row(r * VS + j * 8u, w);
    }
    workgroupBarrier();
{{DECL}}
    workgroupBarrier();
    var m = NONE;
    var lpart = 0.0;

    var kend = tt;
    if (prm.causal != 0u) {
        kend = min(tt, prm.p + q0 + 64u);
    }
    let nkb = (kend + BC - 1u) / BC;
    for (var kb = 0u; kb < nkb; kb++) {
        let k0 = kb * BC;
        if (t == 0u) {
            flag.x = 0u;
        }
        for (var idx = t; idx < BC * D8; idx += 128u) {
            let c = idx / D8;
            let j = idx % D8;
            var wk = vec4<u32>(0u);
            var wv = vec4<u32>(0u);
            if (k0 + c < tt) {
                let g = ((b * tt + k0 + c) * prm.kv_heads + kvh) * D8 + j;
                wk = kg[g];
                wv = vg[g];
            }
{{PUT_KV}}
        }
        workgroupBarrier();
{{QK}}
        workgroupBarrier();
{{SOFTMAX}}
        workgroupBarrier();
{{PV}}
        workgroupBarrier();
    }

{{FINAL_L}}
    workgroupBarrier();
{{STORE}}
}
