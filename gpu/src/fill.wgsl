// Seeded pseudo-random fill: element i = (k - 1024) / 1024 * amp with k the top 11 bits of a
// hash of (i, seed). Values are exact in f16 when amp is a power of two, so the CPU can
// reproduce any element (fill.rs: `value`).
{{ENABLE_F16}}

struct Params { n: u32, seed: u32, amp: f32, row: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<{{ELEM}}>;

fn mix(x0: u32) -> u32 {
    var x = x0;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * prm.row;
    if (i >= prm.n) {
        return;
    }
    let h = mix(i ^ mix(prm.seed));
    let k = i32(h >> 21u) - 1024;
    dst[i] = {{ELEM}}(f32(k) / 1024.0 * prm.amp);
}
