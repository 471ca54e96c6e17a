// GEMM on FMA units: C[M][N] = A[M][K]·B[K][N], row-major, f32 arithmetic, storage f32 or
// f16. 256 threads compute a 64×64 tile, 4×4 outputs each, over k-blocks of 16 staged in
// workgroup memory. Any M, N, K (edges are zero-padded on load, masked on store).
{{ENABLE_F16}}

struct Params { m: u32, n: u32, k: u32, pad: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> ag: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> bg: array<{{ELEM}}>;
@group(0) @binding(3) var<storage, read_write> cg: array<{{ELEM}}>;

const T: u32 = 64u;
const KB: u32 = 16u;

var<workgroup> at: array<vec4<f32>, KB * T / 4u>;
var<workgroup> bt: array<vec4<f32>, KB * T / 4u>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let tx = t % 16u;
    let ty = t / 16u;
    let row0 = wg.y * T;
    let col0 = wg.x * T;
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    for (var k0 = 0u; k0 < prm.k; k0 += KB) {
        for (var it = 0u; it < 4u; it++) {
            let idx = t + it * 256u;
            // A tile: 64 rows × 16 k, stored transposed at[k][row].
            let ar = idx / KB;
            let ak = idx % KB;
            var a = 0.0;
            if (row0 + ar < prm.m && k0 + ak < prm.k) {
                a = f32(ag[(row0 + ar) * prm.k + k0 + ak]);
            }
            at[ak * (T / 4u) + ar / 4u][ar % 4u] = a;
            // B tile: 16 k × 64 columns, stored bt[k][col].
            let bk = idx / T;
            let bc = idx % T;
            var b = 0.0;
            if (k0 + bk < prm.k && col0 + bc < prm.n) {
                b = f32(bg[(k0 + bk) * prm.n + col0 + bc]);
            }
            bt[bk * (T / 4u) + bc / 4u][bc % 4u] = b;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < KB; kk++) {
            let av = at[kk * (T / 4u) + ty];
            let bv = bt[kk * (T / 4u) + tx];
            for (var i = 0u; i < 4u; i++) {
                acc[i] += av[i] * bv;
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + ty * 4u + i;
        if (r < prm.m) {
            for (var j = 0u; j < 4u; j++) {
                let c = col0 + tx * 4u + j;
                if (c < prm.n) {
                    cg[r * prm.n + c] = {{ELEM}}(acc[i][j]);
                }
            }
        }
    }
}
