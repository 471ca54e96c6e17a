// GEMM on cooperative matrices (tensor cores): C[M][N] = A[M][K]·B[K][N], row-major f16
// in and out, f32 accumulation in 16×16×16 tiles. 4 subgroups of 32 compute a 64×64 tile,
// 32×32 (2×2 tiles) each, over k-blocks of 32 staged in workgroup memory (zero-padded at the
// edges, so any M; N and K must be multiples of 8 for the 16-byte loads).
enable f16;
enable wgpu_cooperative_matrix;

struct Params { m: u32, n: u32, k: u32, pad: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> ag: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> bg: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> cg: array<f16>;

const T: u32 = 64u;
const KB: u32 = 32u;
const AS: u32 = 40u;   // A tile row stride (halves): 80 bytes
const BS: u32 = 72u;   // B tile row stride (halves): 144 bytes
const CS: u32 = 20u;   // C staging row stride (floats)

var<workgroup> at: array<f16, T * AS>;
var<workgroup> bt: array<f16, KB * BS>;
var<workgroup> ct: array<f32, 4u * 16u * CS>;
var<workgroup> zero: array<f32, 256>;

fn put8(dst: u32, w: vec4<u32>, which: u32) {
    for (var i = 0u; i < 4u; i++) {
        let h = vec2<f16>(unpack2x16float(w[i]));
        if (which == 0u) {
            at[dst + 2u * i] = h.x;
            at[dst + 2u * i + 1u] = h.y;
        } else {
            bt[dst + 2u * i] = h.x;
            bt[dst + 2u * i + 1u] = h.y;
        }
    }
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let sg = t / 32u;
    let lane = t % 32u;
    let row0 = wg.y * T;
    let col0 = wg.x * T;
    let wm = (sg / 2u) * 32u;
    let wn = (sg % 2u) * 32u;
    zero[t] = 0.0;
    zero[t + 128u] = 0.0;
    workgroupBarrier();
    var c00 = coopLoadT<coop_mat16x16<f32, C>>(&zero[0], 16u);
    var c01 = c00;
    var c10 = c00;
    var c11 = c00;
    let k8 = prm.k / 8u;
    let n8 = prm.n / 8u;
    for (var k0 = 0u; k0 < prm.k; k0 += KB) {
        for (var it = 0u; it < 2u; it++) {
            let idx = t + it * 128u;
            // A: 64 rows × 4 chunks of 8.
            let ar = idx / 4u;
            let ac = idx % 4u;
            var a = vec4<u32>(0u);
            if (row0 + ar < prm.m && k0 + ac * 8u < prm.k) {
                a = ag[(row0 + ar) * k8 + k0 / 8u + ac];
            }
            put8(ar * AS + ac * 8u, a, 0u);
            // B: 32 k × 8 chunks of 8.
            let bk = idx / 8u;
            let bc = idx % 8u;
            var b = vec4<u32>(0u);
            if (k0 + bk < prm.k && col0 + bc * 8u < prm.n) {
                b = bg[(k0 + bk) * n8 + col0 / 8u + bc];
            }
            put8(bk * BS + bc * 8u, b, 1u);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < KB; kk += 16u) {
            let a0 = coopLoadT<coop_mat16x16<f16, A>>(&at[wm * AS + kk], AS);
            let a1 = coopLoadT<coop_mat16x16<f16, A>>(&at[(wm + 16u) * AS + kk], AS);
            let b0 = coopLoadT<coop_mat16x16<f16, B>>(&bt[kk * BS + wn], BS);
            let b1 = coopLoadT<coop_mat16x16<f16, B>>(&bt[kk * BS + wn + 16u], BS);
            c00 = coopMultiplyAdd(a0, b0, c00);
            c01 = coopMultiplyAdd(a0, b1, c01);
            c10 = coopMultiplyAdd(a1, b0, c10);
            c11 = coopMultiplyAdd(a1, b1, c11);
        }
        workgroupBarrier();
    }
    // Each subgroup stages its four tiles through its own 16×16 region.
    let base = sg * 16u * CS;
    for (var q = 0u; q < 4u; q++) {
        switch q {
            case 0u: { coopStoreT(c00, &ct[base], CS); }
            case 1u: { coopStoreT(c01, &ct[base], CS); }
            case 2u: { coopStoreT(c10, &ct[base], CS); }
            default: { coopStoreT(c11, &ct[base], CS); }
        }
        workgroupBarrier();
        let r0 = row0 + wm + (q / 2u) * 16u;
        let cc0 = col0 + wn + (q % 2u) * 16u;
        for (var e = lane; e < 256u; e += 32u) {
            let r = r0 + e / 16u;
            let c = cc0 + e % 16u;
            if (r < prm.m && c < prm.n) {
                cg[r * prm.n + c] = f16(ct[base + (e / 16u) * CS + e % 16u]);
            }
        }
        workgroupBarrier();
    }
}
