//! Plain-Rust references of every kernel, in f64, on the same layouts as the GPU buffers.
//!
//! Layouts (row-major, innermost last): prefill Q and O `[B][S][H][D]`, prefill K and V
//! `[B][P+S][H_kv][D]`; decode q and output `[B][H][D]`, decode K and V of sequence `b`
//! `[L_b][H_kv][D]`; GEMM `A[M][K]`, `B[K][N]`, `C[M][N]`. Query head `h` reads KV head
//! `h / (H/H_kv)`. Scores are scaled by `1/√D`.

use pecsched_core::perf::kernel::PrefillAttention;

/// Attention of one query row over keys `keys` of one KV head, returning (output, LSE).
///
/// `key_row(j)` and `val_row(j)` give key/value `j`'s D values.
pub fn attend<'a>(
    q: &[f32],
    keys: impl Iterator<Item = usize> + Clone,
    key_row: impl Fn(usize) -> &'a [f32],
    val_row: impl Fn(usize) -> &'a [f32],
) -> (Vec<f64>, f64) {
    let d = q.len();
    let scale = 1.0 / (d as f64).sqrt();
    let scores: Vec<(usize, f64)> = keys
        .map(|j| {
            let k = key_row(j);
            let s: f64 = q.iter().zip(k).map(|(&a, &b)| a as f64 * b as f64).sum();
            (j, s * scale)
        })
        .collect();
    if scores.is_empty() {
        return (vec![0.0; d], f64::NEG_INFINITY);
    }
    let m = scores.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let mut out = vec![0.0; d];
    let mut l = 0.0;
    for &(j, s) in &scores {
        let p = (s - m).exp();
        l += p;
        for (o, &v) in out.iter_mut().zip(val_row(j)) {
            *o += p * v as f64;
        }
    }
    for o in &mut out {
        *o /= l;
    }
    (out, m + l.ln())
}

/// Prefill attention (layouts in the module doc). Returns O `[B][S][H][D]`.
pub fn prefill(s: &PrefillAttention, q: &[f32], k: &[f32], v: &[f32]) -> Vec<f32> {
    let (b, h, hkv, d) = (
        s.batch as usize,
        s.heads as usize,
        s.kv_heads as usize,
        s.head_dim as usize,
    );
    let (n, p) = (s.chunk as usize, s.prefix as usize);
    let t = n + p;
    let group = h / hkv;
    let mut out = vec![0.0f32; b * n * h * d];
    for bi in 0..b {
        for i in 0..n {
            for hi in 0..h {
                let g = hi / group;
                let qo = ((bi * n + i) * h + hi) * d;
                let row = |j: usize| ((bi * t + j) * hkv + g) * d;
                let last = if s.causal { p + i + 1 } else { t };
                let (o, _) = attend(
                    &q[qo..qo + d],
                    0..last,
                    |j| &k[row(j)..row(j) + d],
                    |j| &v[row(j)..row(j) + d],
                );
                for (dst, x) in out[qo..qo + d].iter_mut().zip(o) {
                    *dst = x as f32;
                }
            }
        }
    }
    out
}

/// Decode attention over a ragged batch. `k[b]`, `v[b]` are sequence `b`'s `[L_b][H_kv][D]`.
/// Returns `[B][H][D]`.
pub fn decode(
    heads: usize,
    kv_heads: usize,
    q: &[f32],
    k: &[Vec<f32>],
    v: &[Vec<f32>],
) -> Vec<f32> {
    let b = k.len();
    let d = q.len() / (b * heads);
    let group = heads / kv_heads;
    let mut out = vec![0.0f32; b * heads * d];
    for bi in 0..b {
        let len = k[bi].len() / (kv_heads * d);
        for hi in 0..heads {
            let g = hi / group;
            let qo = (bi * heads + hi) * d;
            let row = |j: usize| (j * kv_heads + g) * d;
            let (o, _) = attend(
                &q[qo..qo + d],
                0..len,
                |j| &k[bi][row(j)..row(j) + d],
                |j| &v[bi][row(j)..row(j) + d],
            );
            for (dst, x) in out[qo..qo + d].iter_mut().zip(o) {
                *dst = x as f32;
            }
        }
    }
    out
}

/// Merges partial attention results: row `r` combines parts `first[r] + p·stride` for
/// `p < count[r]`, each a normalised output row of `d` values and its natural-log LSE.
/// Returns (outputs `[rows][d]`, merged LSEs).
pub fn merge(
    part_o: &[f32],
    part_lse: &[f32],
    rows: &[(u32, u32)],
    stride: u32,
    d: usize,
) -> (Vec<f32>, Vec<f32>) {
    let mut out = vec![0.0f32; rows.len() * d];
    let mut lse = vec![f32::NEG_INFINITY; rows.len()];
    for (r, &(first, count)) in rows.iter().enumerate() {
        let idx = |p: u32| (first + p * stride) as usize;
        let m = (0..count)
            .map(|p| part_lse[idx(p)] as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        if m == f64::NEG_INFINITY {
            continue;
        }
        let mut acc = vec![0.0f64; d];
        let mut s = 0.0;
        for p in 0..count {
            let w = (part_lse[idx(p)] as f64 - m).exp();
            s += w;
            let o = &part_o[idx(p) * d..idx(p) * d + d];
            for (a, &x) in acc.iter_mut().zip(o) {
                *a += w * x as f64;
            }
        }
        for (dst, a) in out[r * d..r * d + d].iter_mut().zip(acc) {
            *dst = (a / s) as f32;
        }
        lse[r] = (m + s.ln()) as f32;
    }
    (out, lse)
}

/// `C[M][N] = A[M][K]·B[K][N]`.
pub fn gemm(m: usize, n: usize, k: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        let mut acc = vec![0.0f64; n];
        for kk in 0..k {
            let x = a[i * k + kk] as f64;
            for (dst, &y) in acc.iter_mut().zip(&b[kk * n..kk * n + n]) {
                *dst += x * y as f64;
            }
        }
        for (dst, x) in c[i * n..i * n + n].iter_mut().zip(acc) {
            *dst = x as f32;
        }
    }
    c
}

/// How far a kernel's output is from its reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deviation {
    /// ‖got − want‖₂ / ‖want‖₂.
    pub rel_l2: f64,
    /// max |got − want| / max |want|.
    pub rel_max: f64,
}

/// Compares `got` with `want`: an error names the first non-finite element (an unwritten,
/// NaN-poisoned output) or reports the deviation when it exceeds `tol` (on `rel_l2`, and
/// `8·tol` on `rel_max`).
pub fn compare(got: &[f32], want: &[f32], tol: f64) -> Result<Deviation, String> {
    if got.len() != want.len() {
        return Err(format!("{} values, expected {}", got.len(), want.len()));
    }
    if let Some(i) = got.iter().position(|x| !x.is_finite()) {
        return Err(format!(
            "element {i} is {} (unwritten or overflowed)",
            got[i]
        ));
    }
    let (mut num, mut den, mut dmax, mut wmax) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (&g, &w) in got.iter().zip(want) {
        let e = g as f64 - w as f64;
        num += e * e;
        den += w as f64 * w as f64;
        dmax = dmax.max(e.abs());
        wmax = wmax.max((w as f64).abs());
    }
    let dev = Deviation {
        rel_l2: (num / den.max(1e-300)).sqrt(),
        rel_max: dmax / wmax.max(1e-300),
    };
    if dev.rel_l2 > tol || dev.rel_max > 8.0 * tol {
        return Err(format!(
            "relative L2 error {:.2e}, relative max error {:.2e} (tolerance {tol:.1e})",
            dev.rel_l2, dev.rel_max
        ));
    }
    Ok(dev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::perf::kernel::Dtype;

    #[test]
    fn single_key_attention_copies_the_value() {
        let s = PrefillAttention {
            batch: 1,
            heads: 1,
            kv_heads: 1,
            head_dim: 2,
            chunk: 1,
            prefix: 0,
            causal: true,
            dtype: Dtype::F32,
        };
        let o = prefill(&s, &[1.0, 2.0], &[3.0, 4.0], &[5.0, -6.0]);
        assert_eq!(o, vec![5.0, -6.0]);
    }

    #[test]
    fn merging_two_halves_equals_attending_to_all() {
        let q = [0.5f32, -1.0];
        let keys: Vec<f32> = vec![1.0, 0.0, 0.0, 1.0, 2.0, 2.0, -1.0, 0.5];
        let vals: Vec<f32> = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let kr = |j: usize| &keys[2 * j..2 * j + 2];
        let vr = |j: usize| &vals[2 * j..2 * j + 2];
        let (all, lse_all) = attend(&q, 0..4, kr, vr);
        let (a, la) = attend(&q, 0..1, kr, vr);
        let (b, lb) = attend(&q, 1..4, kr, vr);
        let parts: Vec<f32> = a.iter().chain(&b).map(|&x| x as f32).collect();
        let (o, lse) = merge(&parts, &[la as f32, lb as f32], &[(0, 2)], 1, 2);
        for (x, y) in o.iter().zip(&all) {
            assert!((*x as f64 - y).abs() < 1e-6);
        }
        assert!((lse[0] as f64 - lse_all).abs() < 1e-6);
    }

    #[test]
    fn gemm_by_hand_and_compare() {
        let c = gemm(2, 2, 2, &[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0]);
        assert_eq!(c, vec![19.0, 22.0, 43.0, 50.0]);
        assert!(compare(&c, &c, 0.0).is_ok());
        assert!(
            compare(&[f32::NAN, 1.0, 1.0, 1.0], &c, 1.0)
                .unwrap_err()
                .contains("element 0")
        );
        assert!(compare(&[19.0, 22.0, 43.0, 51.0], &c, 1e-3).is_err());
    }
}
