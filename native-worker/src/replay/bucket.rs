//! Cache keys of measured kernel times. Each iteration is split into components whose GPU
//! time depends on few numbers: the layer's four GEMMs on the token count `M` (exactly on
//! `⌈M/64⌉`, the GEMM kernels' row tiles), each prefill chunk on (new tokens, prefix), the
//! decode attention on (sequences, Σ context). Numbers are kept to 6 significant bits
//! (relative step ≤ 3.2 %, rounded to nearest), so a cached time stands for shapes within
//! ±1.6 % of the one measured.

/// GEMM row tile of the worker's GEMM kernels.
pub const GEMM_TILE: u32 = 64;

/// `v` kept to 6 significant bits, rounded to nearest (exact below 64).
pub fn q6(v: u64) -> u64 {
    if v < 64 {
        return v;
    }
    let shift = 63 - v.leading_zeros() - 5;
    ((v + (1 << (shift - 1))) >> shift) << shift
}

/// One timed component of an iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// QKV, O, gate+up and down GEMMs of one layer, by row tiles `⌈M/64⌉`.
    Gemms {
        /// Row tiles.
        tiles: u32,
    },
    /// One prefill chunk's attention, by bucketed (new tokens, prefix tokens).
    Prefill {
        /// New tokens, 6 significant bits.
        new: u64,
        /// Prefix tokens, 6 significant bits.
        prefix: u64,
    },
    /// Decode attention of the batch, by bucketed (sequences, Σ context).
    Decode {
        /// Sequences, 6 significant bits.
        seqs: u64,
        /// Σ context tokens, 6 significant bits.
        kv: u64,
    },
}

impl Component {
    /// The GEMM component of `m` tokens.
    pub fn gemms(m: u32) -> Component {
        Component::Gemms {
            tiles: m.div_ceil(GEMM_TILE),
        }
    }

    /// The component of a prefill chunk.
    pub fn prefill(new: u32, prefix: u32) -> Component {
        Component::Prefill {
            new: q6(new as u64),
            prefix: q6(prefix as u64),
        }
    }

    /// The decode component of a batch with context `lengths`.
    pub fn decode(lengths: &[u32]) -> Component {
        Component::Decode {
            seqs: q6(lengths.len() as u64),
            kv: q6(lengths.iter().map(|&l| l as u64).sum()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q6_keeps_six_significant_bits() {
        assert_eq!(q6(0), 0);
        assert_eq!(q6(63), 63);
        assert_eq!(q6(64), 64);
        assert_eq!(q6(65), 66);
        assert_eq!(q6(1000), 1008);
        for v in [100u64, 777, 4095, 12345, 1 << 20, 999_999] {
            let e = (q6(v) as f64 - v as f64).abs() / v as f64;
            assert!(e <= 1.0 / 64.0, "{v} -> {} ({e})", q6(v));
        }
    }

    #[test]
    fn gemm_keys_follow_row_tiles() {
        assert_eq!(Component::gemms(1), Component::gemms(64));
        assert_ne!(Component::gemms(64), Component::gemms(65));
    }
}
