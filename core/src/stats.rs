//! Order statistics shared by every crate: one nearest-rank percentile for latency
//! summaries, trace statistics, the long-input transform, decision times and fit errors.

/// The nearest-rank `p`-th percentile of an ascending slice: the smallest value with at least
/// `p` % of the values at or below it, i.e. the value at rank `⌈p·n/100⌉` (at least 1).
/// `None` for an empty slice.
///
/// The rank is computed in `f64` and rounded up with `libm::ceil`, which is exact: for an
/// integer `p` and any slice shorter than 2⁴⁰ it equals the integer `⌈p·n/100⌉`, so results
/// are the same on every target.
///
/// # Panics
/// If `p` is not within `0..=100` (a caller bug).
pub fn nearest_rank<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    nearest_rank_index(sorted.len() as u64, p).map(|i| sorted[i as usize])
}

/// The 0-based position of [`nearest_rank`]'s value among `n` ascending values, `None` when
/// `n` is 0: `⌈p·n/100⌉ − 1`, at least 0. The one rank formula of every percentile here.
///
/// # Panics
/// If `p` is not within `0..=100` (a caller bug).
pub fn nearest_rank_index(n: u64, p: f64) -> Option<u64> {
    assert!((0.0..=100.0).contains(&p), "percentile {p} outside 0..=100");
    if n == 0 {
        return None;
    }
    let rank = libm::ceil(p * n as f64 / 100.0) as u64;
    Some(rank.clamp(1, n) - 1)
}

/// [`nearest_rank`] of samples in any order, selected in place in O(n) (the slice is
/// reordered).
pub fn nearest_rank_unsorted<T: Copy + Ord>(samples: &mut [T], p: f64) -> Option<T> {
    let i = nearest_rank_index(samples.len() as u64, p)?;
    Some(*samples.select_nth_unstable(i as usize).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_textbook() {
        let v = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&v, 5.0), Some(15));
        assert_eq!(nearest_rank(&v, 30.0), Some(20));
        assert_eq!(nearest_rank(&v, 40.0), Some(20));
        assert_eq!(nearest_rank(&v, 50.0), Some(35));
        assert_eq!(nearest_rank(&v, 100.0), Some(50));
        assert_eq!(nearest_rank(&v, 0.0), Some(15));
        assert_eq!(nearest_rank::<u32>(&[], 50.0), None);
    }

    #[test]
    fn integer_percentiles_equal_the_integer_rank() {
        for n in 1..=1_000u64 {
            let v: Vec<u64> = (1..=n).collect();
            for q in 0..=100u64 {
                let exact = (q * n).div_ceil(100).max(1);
                assert_eq!(nearest_rank(&v, q as f64), Some(exact), "n {n} q {q}");
            }
        }
    }

    #[test]
    fn works_on_floats() {
        let v = [0.0, 0.1, 0.2, 0.3];
        assert_eq!(nearest_rank(&v, 95.0), Some(0.3));
        assert_eq!(nearest_rank(&v, 50.0), Some(0.1));
    }

    #[test]
    #[should_panic(expected = "outside 0..=100")]
    fn rejects_a_fraction_for_a_percentage() {
        nearest_rank(&[1], 101.0);
    }
}
