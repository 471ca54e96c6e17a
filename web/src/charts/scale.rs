//! Mapping data to pixels: linear and log scales, readable tick positions and labels.
//! Pure functions, tested natively.

/// A scale from a data interval to a pixel interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Data interval (for log scales, the clamped positive interval).
    pub d0: f64,
    /// Data interval end.
    pub d1: f64,
    /// Pixel interval start.
    pub r0: f64,
    /// Pixel interval end.
    pub r1: f64,
    /// Logarithmic (base 10).
    pub log: bool,
}

impl Scale {
    /// A linear scale.
    pub fn linear(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let (d0, d1) = if d1 > d0 { (d0, d1) } else { (d0, d0 + 1.0) };
        Scale {
            d0,
            d1,
            r0,
            r1,
            log: false,
        }
    }

    /// A base-10 log scale; values at or below `d0` map to `r0`.
    pub fn log(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let d0 = d0.max(1e-12);
        let d1 = if d1 > d0 { d1 } else { d0 * 10.0 };
        Scale {
            d0,
            d1,
            r0,
            r1,
            log: true,
        }
    }

    /// The pixel position of `v` (clamped to the range for log scales below the domain).
    pub fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            let v = v.max(self.d0);
            (v.log10() - self.d0.log10()) / (self.d1.log10() - self.d0.log10())
        } else {
            (v - self.d0) / (self.d1 - self.d0)
        };
        self.r0 + t * (self.r1 - self.r0)
    }

    /// The data value at pixel `px` (inverse of [`Scale::map`]).
    pub fn invert(&self, px: f64) -> f64 {
        let t = (px - self.r0) / (self.r1 - self.r0);
        if self.log {
            10f64.powf(self.d0.log10() + t * (self.d1.log10() - self.d0.log10()))
        } else {
            self.d0 + t * (self.d1 - self.d0)
        }
    }

    /// Tick values: about `n` round numbers (linear) or the powers of ten (log).
    pub fn ticks(&self, n: usize) -> Vec<f64> {
        if self.log {
            let (a, b) = (
                self.d0.log10().ceil() as i32,
                self.d1.log10().floor() as i32,
            );
            let every = ((b - a) as usize / n.max(1) + 1) as i32;
            (a..=b)
                .filter(|e| (e - a) % every == 0)
                .map(|e| 10f64.powi(e))
                .collect()
        } else {
            nice_ticks(self.d0, self.d1, n)
        }
    }
}

/// About `n` evenly spaced round values (1, 2 or 5 × 10^k apart) within `[lo, hi]`.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let usable = lo.is_finite() && hi.is_finite() && hi > lo;
    if !usable {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    // Rounded so 3 × 0.2 is 0.6, not 0.6000000000000001.
    (first..=last)
        .map(|i| (i as f64 * step * 1e12).round() / 1e12)
        .collect()
}

/// The upper end of a linear axis that starts at 0 and shows `max` with headroom.
pub fn nice_max(max: f64) -> f64 {
    let usable = max.is_finite() && max > 0.0;
    if !usable {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|v| *v >= max * 1.05)
        .unwrap_or(10.0 * mag)
}

/// A tick label: short, no trailing zeros, SI suffixes from 1,000 up (`1.2k`, `1.5M`), and
/// plain decimals below 1 (`0.001`).
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    let (x, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if x.abs() >= 100.0 || x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        let digits = (-x.abs().log10().floor()) as usize + 1;
        format!("{x:.digits$}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{suffix}")
}

/// A duration in seconds, as a table shows it: `0.8 ms`, `12.3 ms`, `4.56 s`, `342 s`.
pub fn seconds(v: f64) -> String {
    if v == 0.0 {
        "0 s".into()
    } else if v < 1.0 {
        format!("{:.1} ms", v * 1e3)
    } else if v < 100.0 {
        format!("{v:.2} s")
    } else {
        format!("{v:.0} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_and_log_scales_map_and_invert() {
        let s = Scale::linear(0.0, 10.0, 100.0, 200.0);
        assert_eq!(s.map(5.0), 150.0);
        assert_eq!(s.invert(150.0), 5.0);
        let l = Scale::log(0.001, 1000.0, 0.0, 600.0);
        assert!((l.map(1.0) - 300.0).abs() < 1e-9);
        assert_eq!(l.map(0.0), 0.0, "zero clamps to the left edge");
        assert!((l.invert(300.0) - 1.0).abs() < 1e-9);
        assert_eq!(
            l.ticks(10),
            vec![0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
        );
        assert_eq!(l.ticks(3), vec![0.001, 1.0, 1000.0]);
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            nice_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(nice_ticks(0.5, 3.2, 3), vec![1.0, 2.0, 3.0]);
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_max(342.0), 400.0);
        assert_eq!(nice_max(0.237), 0.25);
        assert_eq!(nice_max(0.0), 1.0);
    }

    #[test]
    fn labels_are_short() {
        let cases = [
            (0.0, "0"),
            (0.001, "0.001"),
            (0.25, "0.25"),
            (1.5, "1.5"),
            (1.25, "1.25"),
            (12.5, "12.5"),
            (10.0, "10"),
            (1200.0, "1.2k"),
            (5000.0, "5k"),
            (24000.0, "24k"),
            (1.5e6, "1.5M"),
        ];
        for (v, want) in cases {
            assert_eq!(tick_label(v), want, "{v}");
        }
        assert_eq!(seconds(0.0148), "14.8 ms");
        assert_eq!(seconds(4.567), "4.57 s");
        assert_eq!(seconds(342.0), "342 s");
    }
}
