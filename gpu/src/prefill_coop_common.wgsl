// Shared by prefill_coop.wgsl and prefill_coop_staged.wgsl (inserted by prefill_coop.rs): the
// score and probability tiles, the online-softmax state, the accumulator rescale scratch, and
// the output write. Needs D, BC, `prm` and `og` from the including template.
const SS: u32 = BC + 4u;    // score row stride (floats)
const PS: u32 = BC + 8u;    // probability row stride (halves)
const NONE: f32 = -3.0e38;
const LAZY: f32 = 8.0;

var<workgroup> ss: array<f32, 4u * 16u * SS>;
var<workgroup> pp: array<f16, 4u * 16u * PS>;
var<workgroup> alpha_sh: array<f32, 64>;
var<workgroup> l_sh: array<f32, 64>;
var<workgroup> zero: array<f32, 256>;
// Contiguous 16×16 f32 scratch per subgroup for rescaling the accumulators (stride 16).
var<workgroup> rs: array<f32, 1024>;
// The rescale flag in .x. A vec4 (16 bytes) rather than a u32: workgroup arrays that
// cooperative-matrix loads read must start 16-byte aligned, and a 4-byte variable placed
// before them by the driver breaks that (measured on the H100: every f16 tile read shifted).
var<workgroup> flag: vec4<u32>;

// Multiplies row r of the subgroup's contiguous 16×16 scratch by alpha_sh[r].
fn scale_tile(sg: u32, lane: u32) {
    for (var e = lane; e < 256u; e += 32u) {
        rs[sg * 256u + e] = rs[sg * 256u + e] * alpha_sh[sg * 16u + e / 16u];
    }
}

fn write_out(sbase: u32, sg: u32, lane: u32, r0: u32, b: u32, h: u32, c0: u32) {
    for (var e = lane; e < 256u; e += 32u) {
        let r = e / 16u;
        let row = r0 + r;
        if (row < prm.s) {
            let x = ss[sbase + r * SS + e % 16u] / l_sh[sg * 16u + r];
            og[((b * prm.s + row) * prm.heads + h) * D + c0 + e % 16u] = f16(x);
        }
    }
}
