// Log-sum-exp merge of partial attention results (split-K decode, ring attention).
// Row r combines parts first + p*stride (p < count) of `row_parts[r] = (first, count)`; each
// part is a normalised output row of D f32 and its natural-log LSE (<= -1e30: no keys).
// One invocation per (row, 4 dims).
{{ENABLE_F16}}

struct Params { rows: u32, stride: u32, d4: u32, pad: u32 }
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> part_o: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> part_lse: array<f32>;
@group(0) @binding(3) var<storage, read> row_parts: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<{{ELEM}}>>;
@group(0) @binding(5) var<storage, read_write> out_lse: array<f32>;

const NONE: f32 = -3.0e38;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * 65535u * 64u;
    let row = i / prm.d4;
    let c = i % prm.d4;
    if (row >= prm.rows) {
        return;
    }
    let rp = row_parts[row];
    var m = NONE;
    for (var p = 0u; p < rp.y; p++) {
        m = max(m, part_lse[rp.x + p * prm.stride]);
    }
    var acc = vec4<f32>(0.0);
    var s = 0.0;
    if (m > -1.0e30) {
        for (var p = 0u; p < rp.y; p++) {
            let idx = rp.x + p * prm.stride;
            let w = exp(part_lse[idx] - m);
            s += w;
            acc += w * part_o[idx * prm.d4 + c];
        }
        acc = acc / s;
    }
    out[row * prm.d4 + c] = vec4<{{ELEM}}>(acc);
    if (c == 0u) {
        out_lse[row] = select(NONE, m + log(s), m > -1.0e30);
    }
}
