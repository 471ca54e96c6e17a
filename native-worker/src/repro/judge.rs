//! How one claim is judged: the paper's value or range, our number, whether the effect points
//! the paper's way (`direction_reproduced`) and whether our number lies inside the paper's
//! range widened by ±25 % (`within_25pct`).
//!
//! Widening is on the scale the paper states the number in (× for ratios, % for changes, a
//! share, a count): each bound moves out by a quarter of its own magnitude, so `2.5×` accepts
//! 1.875–3.125×, `−58 % … −87 %` accepts −43.5 % … −108.75 %, `< 5 %` accepts up to 6.25 %.

use serde::Serialize;

/// How far out each bound of the paper's range is widened, as a share of its magnitude.
pub const TOLERANCE: f64 = 0.25;

/// What the paper states: one number, or a range whose open side is `None` (`< 5 %` is
/// `Range(None, Some(5.0))`). JSON: a number, or `[lo, hi]` with `null` for an open side.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Paper {
    /// One number.
    Value(f64),
    /// From `lo` to `hi` (either may be open).
    Range(Option<f64>, Option<f64>),
}

impl Paper {
    /// `(lo, hi)`, lowest first.
    pub fn bounds(self) -> (Option<f64>, Option<f64>) {
        match self {
            Paper::Value(v) => (Some(v), Some(v)),
            Paper::Range(Some(a), Some(b)) => (Some(a.min(b)), Some(a.max(b))),
            Paper::Range(a, b) => (a, b),
        }
    }

    /// The bounds widened by `share` of each bound's magnitude.
    pub fn widened(self, share: f64) -> (Option<f64>, Option<f64>) {
        let (lo, hi) = self.bounds();
        (
            lo.map(|l| l - share * l.abs()),
            hi.map(|h| h + share * h.abs()),
        )
    }

    /// Whether `ours` lies inside the range widened by ±[`TOLERANCE`].
    pub fn within(self, ours: f64) -> bool {
        let (lo, hi) = self.widened(TOLERANCE);
        ours.is_finite() && lo.is_none_or(|l| ours >= l) && hi.is_none_or(|h| ours <= h)
    }
}

/// Which way the paper's effect points, as a test on our number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Direction {
    /// Ours is above this (a ratio above 1×, a change above 0 %, more than a baseline we
    /// measured).
    Above(f64),
    /// Ours is below this.
    Below(f64),
    /// Ours lies strictly between the two (a place in an ordering).
    Between(f64, f64),
    /// "About equal": ours within ±[`TOLERANCE`] of this (a ratio of 1×).
    About(f64),
}

impl Direction {
    /// The direction of a paper value or range relative to its neutral point (1× for a ratio,
    /// 0 % for a change): above it, below it, or about it when the paper's value is the
    /// neutral point itself (or its range straddles it).
    pub fn from_paper(paper: Paper, neutral: f64) -> Direction {
        match paper.bounds() {
            (Some(lo), _) if lo > neutral => Direction::Above(neutral),
            (None, Some(hi)) if hi > neutral => Direction::Below(hi),
            (_, Some(hi)) if hi < neutral => Direction::Below(neutral),
            _ => Direction::About(neutral),
        }
    }

    /// Whether `ours` points this way.
    pub fn holds(self, ours: f64) -> bool {
        ours.is_finite()
            && match self {
                Direction::Above(x) => ours > x,
                Direction::Below(x) => ours < x,
                Direction::Between(a, b) => ours > a.min(b) && ours < a.max(b),
                Direction::About(x) => (ours - x).abs() <= TOLERANCE * x.abs(),
            }
    }

    /// In words, for notes: `> 1`, `< 0`, `between 3 and 9`, `within ±25 % of 1`.
    pub fn words(self) -> String {
        match self {
            Direction::Above(x) => format!("> {}", short(x)),
            Direction::Below(x) => format!("< {}", short(x)),
            Direction::Between(a, b) => {
                format!("between {} and {}", short(a.min(b)), short(a.max(b)))
            }
            Direction::About(x) => format!("within ±25 % of {}", short(x)),
        }
    }
}

/// A number in at most 4 significant digits, without trailing zeros.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 8) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Both verdicts for our number, `None` when we have none (neither holds).
pub fn judge(paper: Paper, direction: Direction, ours: Option<f64>) -> (bool, bool) {
    match ours {
        Some(x) if x.is_finite() => (direction.holds(x), paper.within(x)),
        _ => (false, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_widened_by_a_quarter_of_itself() {
        let p = Paper::Value(2.5);
        assert_eq!(p.widened(TOLERANCE), (Some(1.875), Some(3.125)));
        assert!(p.within(1.875) && p.within(3.125) && p.within(2.0));
        assert!(!p.within(1.87) && !p.within(3.2) && !p.within(f64::NAN));
        // A level near zero stays near zero.
        assert!(Paper::Value(0.0004).within(0.0005) && !Paper::Value(0.0004).within(0.001));
    }

    #[test]
    fn a_range_of_changes_widens_outward_on_each_side() {
        // −58 % … −87 %, as the paper writes it (high end first).
        let p = Paper::Range(Some(-58.0), Some(-87.0));
        assert_eq!(p.bounds(), (Some(-87.0), Some(-58.0)));
        assert_eq!(p.widened(TOLERANCE), (Some(-108.75), Some(-43.5)));
        assert!(p.within(-44.0) && p.within(-100.0) && !p.within(-40.0));
        // +4 % … +7 %: 3 % … 8.75 %.
        let j = Paper::Range(Some(4.0), Some(7.0));
        assert!(j.within(3.0) && j.within(8.75) && !j.within(2.9) && !j.within(-3.0));
        // < 5 %: anything up to 6.25 %.
        let b = Paper::Range(None, Some(5.0));
        assert!(b.within(-1.0) && b.within(6.25) && !b.within(6.3));
    }

    #[test]
    fn the_direction_comes_from_the_paper_side_of_the_neutral_point() {
        let up = Direction::from_paper(Paper::Value(2.5), 1.0);
        assert_eq!(up, Direction::Above(1.0));
        assert!(up.holds(1.01) && !up.holds(1.0) && !up.holds(0.5));
        let down = Direction::from_paper(Paper::Range(Some(-21.0), Some(-48.0)), 0.0);
        assert_eq!(down, Direction::Below(0.0));
        assert!(down.holds(-1.0) && !down.holds(0.0) && !down.holds(3.0));
        let fewer = Direction::from_paper(Paper::Value(0.64), 1.0);
        assert!(fewer.holds(0.9) && !fewer.holds(1.1));
        // "≈ equal" as a ratio of 1×: within ±25 %.
        let eq = Direction::from_paper(Paper::Value(1.0), 1.0);
        assert_eq!(eq, Direction::About(1.0));
        assert!(eq.holds(0.8) && eq.holds(1.25) && !eq.holds(1.3) && !eq.holds(0.7));
        // An upper bound ("< 5 %"): below it.
        let bound = Direction::from_paper(Paper::Range(None, Some(5.0)), 0.0);
        assert_eq!(bound, Direction::Below(5.0));
        assert!(bound.holds(4.99) && !bound.holds(5.0));
        let order = Direction::Between(10.0, 3.0);
        assert!(order.holds(5.0) && !order.holds(10.0) && !order.holds(2.0));
    }

    #[test]
    fn no_number_reproduces_nothing() {
        let p = Paper::Value(2.0);
        let d = Direction::Above(1.0);
        assert_eq!(judge(p, d, Some(2.1)), (true, true));
        assert_eq!(judge(p, d, Some(9.0)), (true, false));
        assert_eq!(judge(p, d, Some(0.5)), (false, false));
        assert_eq!(judge(p, d, None), (false, false));
        assert_eq!(judge(p, d, Some(f64::INFINITY)), (false, false));
    }

    #[test]
    fn paper_values_serialize_as_a_number_or_a_pair() {
        let j = |p: Paper| serde_json::to_string(&p).unwrap();
        assert_eq!(j(Paper::Value(2.5)), "2.5");
        assert_eq!(j(Paper::Range(Some(-87.0), Some(-58.0))), "[-87.0,-58.0]");
        assert_eq!(j(Paper::Range(None, Some(5.0))), "[null,5.0]");
        assert_eq!(short(0.000_08), "0.00008");
        assert_eq!(short(2.5), "2.5");
        assert_eq!(short(379_305.0), "379305");
        assert_eq!(short(-0.125), "-0.125");
    }
}
