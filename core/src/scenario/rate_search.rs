//! The search of `pecsched-worker capacity` (issue 18): the largest arrival-rate scale at which
//! a run still meets a stated SLO attainment, found by doubling, halving and then bisection
//! over rate scales. The search is a pure state machine — it proposes a rate factor, the caller
//! runs the scenario at it ([`super::Scenario::at_load`]) and records whether it attained — so
//! the shell may run many searches on threads while the core decides nothing but numbers.
//!
//! It assumes attainment falls as the load grows (one boundary). Where a workload breaks that
//! (a run that drains better at a higher rate), the result is *a* boundary: a factor that
//! attained next to one that did not, both reported.

/// A search for the largest rate factor that attains, between [`RateSearch::MIN_FACTOR`] and
/// a maximum.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSearch {
    /// The largest factor recorded as attaining.
    attained: Option<f64>,
    /// The smallest factor recorded as not attaining.
    failed: Option<f64>,
    /// Bisection steps left once the boundary is bracketed.
    steps_left: u32,
    /// The largest factor the search tries.
    max_factor: f64,
}

/// Where a search ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateBound {
    /// The largest factor that attained (`None`: not even [`RateSearch::MIN_FACTOR`]).
    pub attained: Option<f64>,
    /// The smallest factor that did not (`None`: every factor up to the maximum attained).
    pub failed: Option<f64>,
}

impl RateSearch {
    /// The smallest factor tried: 1/1024 of the scenario's rate.
    pub const MIN_FACTOR: f64 = 1.0 / 1024.0;

    /// A search that starts at factor 1 (the scenario's own rate), doubles or halves until the
    /// boundary is bracketed (never past `max_factor`), then bisects it `steps` times
    /// (geometric midpoints: after `s` steps the bracket's ratio is at most `2^(1/2^s)`).
    pub fn new(steps: u32, max_factor: f64) -> RateSearch {
        RateSearch {
            attained: None,
            failed: None,
            steps_left: steps,
            max_factor: max_factor.max(Self::MIN_FACTOR),
        }
    }

    /// The next factor to run, or `None` when the search is over.
    pub fn next(&self) -> Option<f64> {
        match (self.attained, self.failed) {
            (None, None) => Some(1.0_f64.min(self.max_factor)),
            (Some(a), None) => (a < self.max_factor).then(|| (a * 2.0).min(self.max_factor)),
            (None, Some(f)) => (f > Self::MIN_FACTOR).then(|| (f / 2.0).max(Self::MIN_FACTOR)),
            (Some(a), Some(f)) => (self.steps_left > 0).then(|| libm::sqrt(a * f)),
        }
    }

    /// Records whether a run at `factor` attained.
    pub fn record(&mut self, factor: f64, attained: bool) {
        let bracketed = self.attained.is_some() && self.failed.is_some();
        if attained {
            self.attained = Some(self.attained.map_or(factor, |a| a.max(factor)));
        } else {
            self.failed = Some(self.failed.map_or(factor, |f| f.min(factor)));
        }
        if bracketed {
            self.steps_left = self.steps_left.saturating_sub(1);
        }
    }

    /// The bracket found so far.
    pub fn bound(&self) -> RateBound {
        RateBound {
            attained: self.attained,
            failed: self.failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a threshold: factors up to `t` attain.
    fn search(t: f64, steps: u32, max: f64) -> (RateBound, u32) {
        let mut s = RateSearch::new(steps, max);
        let mut runs = 0;
        while let Some(f) = s.next() {
            s.record(f, f <= t);
            runs += 1;
            assert!(runs < 100);
        }
        (s.bound(), runs)
    }

    #[test]
    fn it_brackets_the_threshold_to_the_stated_ratio() {
        for t in [0.003, 0.3, 1.0, 3.7, 40.0] {
            let (b, _) = search(t, 6, 64.0);
            let (a, f) = (b.attained.unwrap(), b.failed.unwrap());
            assert!(a <= t && f > t, "{t}: [{a}, {f}]");
            assert!(
                f / a <= libm::pow(2.0, 1.0 / 64.0) + 1e-12,
                "{t}: [{a}, {f}]"
            );
        }
    }

    #[test]
    fn it_stops_at_its_limits_and_says_so() {
        let (b, runs) = search(1e9, 6, 16.0);
        assert_eq!((b.attained, b.failed), (Some(16.0), None));
        assert_eq!(runs, 5, "1, 2, 4, 8, 16");
        let (b, _) = search(0.0, 6, 16.0);
        assert_eq!((b.attained, b.failed), (None, Some(RateSearch::MIN_FACTOR)));
    }
}
