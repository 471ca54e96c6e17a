//! A seeded synthetic workload: Poisson or gamma arrivals, empirical or log-normal lengths.
//!
//! Arrivals and lengths draw from separate named streams (`synthetic/arrivals`,
//! `synthetic/lengths`) of the spec's seed, so changing the length model leaves the arrival
//! times unchanged and vice versa.

use super::Request;
use super::error::ParamError;
use crate::limits::{MAX_ARRIVAL, MAX_ARRIVAL_S};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// How requests arrive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrival {
    /// A Poisson process: exponential inter-arrival times (coefficient of variation 1).
    Poisson,
    /// A gamma renewal process with the given inter-arrival coefficient of variation
    /// (`cv` > 1 is burstier than Poisson): shape `1/cv²`, scale `cv²/rate`.
    Gamma {
        /// Standard deviation over mean of the inter-arrival time; > 0.
        cv: f64,
    },
}

/// How request lengths are drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Lengths {
    /// Resample `(input, output)` pairs jointly and uniformly, e.g. from a real trace, which
    /// keeps their correlation. Zeros are raised to 1.
    Empirical(Vec<(u32, u32)>),
    /// Independent log-normal input and output lengths, given by median and log-space σ,
    /// rounded to the nearest token and clamped to `1..=u32::MAX`.
    LogNormal {
        /// Median input length in tokens; > 0.
        input_median: f64,
        /// σ of ln(input length); ≥ 0.
        input_sigma: f64,
        /// Median output length in tokens; > 0.
        output_median: f64,
        /// σ of ln(output length); ≥ 0.
        output_sigma: f64,
    },
}

impl Lengths {
    /// The `(input, output)` pairs of a workload, for [`Lengths::Empirical`].
    pub fn empirical_from(requests: &[Request]) -> Lengths {
        Lengths::Empirical(
            requests
                .iter()
                .map(|r| (r.input_tokens, r.output_tokens))
                .collect(),
        )
    }
}

/// Everything that defines a synthetic workload.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticSpec {
    /// Number of requests; ≥ 1.
    pub requests: u32,
    /// Mean arrival rate in requests per second; finite and > 0.
    pub rate_per_s: f64,
    /// The arrival process.
    pub arrival: Arrival,
    /// The length model.
    pub lengths: Lengths,
    /// The seed of the run.
    pub seed: u64,
}

fn positive(name: &'static str, x: f64) -> Result<(), ParamError> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(name, x, "a finite number > 0"))
    }
}

fn non_negative(name: &'static str, x: f64) -> Result<(), ParamError> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(name, x, "a finite number >= 0"))
    }
}

impl SyntheticSpec {
    /// Checks every parameter, naming the first one out of range.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.requests == 0 {
            return Err(ParamError::new("synthetic requests", 0, "at least 1"));
        }
        positive("synthetic rate_per_s", self.rate_per_s)?;
        if let Arrival::Gamma { cv } = self.arrival {
            positive("synthetic gamma cv", cv)?;
            // The gamma draw needs a finite, positive shape and scale: a cv whose square
            // overflows (≳ 1e154) or underflows (≲ 1e-162) would reach it as 0 or infinity.
            let cv2 = cv * cv;
            let (shape, scale) = (1.0 / cv2, cv2 / self.rate_per_s);
            if !(shape.is_finite() && shape > 0.0 && scale.is_finite() && scale > 0.0) {
                return Err(ParamError::new(
                    "synthetic gamma cv",
                    cv,
                    "a number whose gamma shape 1/cv² and scale cv²/rate_per_s are finite and > 0",
                ));
            }
        }
        // The mean span of the arrivals must fit what a run can simulate.
        if f64::from(self.requests - 1) / self.rate_per_s > MAX_ARRIVAL_S as f64 {
            return Err(ParamError::new(
                "synthetic rate_per_s",
                self.rate_per_s,
                "high enough that the requests arrive, on average, within limits::MAX_ARRIVAL_S (1000000000 s)",
            ));
        }
        match &self.lengths {
            Lengths::Empirical(pairs) => {
                if pairs.is_empty() {
                    return Err(ParamError::new(
                        "synthetic empirical lengths",
                        "[]",
                        "a non-empty list of (input, output) pairs",
                    ));
                }
                if u32::try_from(pairs.len()).is_err() {
                    return Err(ParamError::new(
                        "synthetic empirical lengths",
                        pairs.len(),
                        "at most 2^32 - 1 pairs long",
                    ));
                }
            }
            Lengths::LogNormal {
                input_median,
                input_sigma,
                output_median,
                output_sigma,
            } => {
                positive("synthetic input_median", *input_median)?;
                non_negative("synthetic input_sigma", *input_sigma)?;
                positive("synthetic output_median", *output_median)?;
                non_negative("synthetic output_sigma", *output_sigma)?;
            }
        }
        Ok(())
    }

    /// Generates the workload: ids `0..n`, the first request at time 0, then inter-arrival
    /// gaps from the arrival process (rounded to the nanosecond). The same requests as
    /// [`SyntheticSpec::iter`], collected.
    pub fn generate(&self) -> Result<Vec<Request>, ParamError> {
        let mut out = Vec::with_capacity(self.requests as usize);
        for r in self.iter()? {
            out.push(r?);
        }
        Ok(out)
    }

    /// The workload one request at a time (no copy of the whole workload is ever held):
    /// validates first, then yields the requests of [`SyntheticSpec::generate`] in order, or
    /// an error where an arrival would pass the limit (after which it yields nothing).
    pub fn iter(&self) -> Result<SyntheticIter<'_>, ParamError> {
        SyntheticSpec::iter_from(std::borrow::Cow::Borrowed(self))
    }

    /// [`SyntheticSpec::iter`] owning its spec (for a streamed run's source, which must not
    /// borrow).
    pub fn into_iter_owned(self) -> Result<SyntheticIter<'static>, ParamError> {
        SyntheticSpec::iter_from(std::borrow::Cow::Owned(self))
    }

    fn iter_from(
        spec: std::borrow::Cow<'_, SyntheticSpec>,
    ) -> Result<SyntheticIter<'_>, ParamError> {
        spec.validate()?;
        let seed = spec.seed;
        Ok(SyntheticIter {
            spec,
            arrivals: SimRng::new(seed, crate::rng::streams::SYNTHETIC_ARRIVALS),
            lengths: SimRng::new(seed, crate::rng::streams::SYNTHETIC_LENGTHS),
            t: SimTime::ZERO,
            next: 0,
            failed: false,
        })
    }

    /// The next arrival after `t` for request `id` (> 0).
    fn next_arrival(&self, rng: &mut SimRng, t: SimTime, id: u32) -> Result<SimTime, ParamError> {
        let gap_s = match self.arrival {
            Arrival::Poisson => rng.exponential(self.rate_per_s),
            Arrival::Gamma { cv } => {
                let cv2 = cv * cv;
                rng.gamma(1.0 / cv2, cv2 / self.rate_per_s)
            }
        };
        // A gap or a sum past the limit is an error, never a saturated clock.
        SimDuration::try_from_secs_f64(gap_s)
            .and_then(|gap| t.checked_add(gap))
            .filter(|t| *t <= MAX_ARRIVAL)
            .ok_or_else(|| ParamError {
                name: "synthetic arrivals",
                value: format!("request {id} after {:.0} s", t.as_secs_f64() + gap_s),
                expected: "within limits::MAX_ARRIVAL_S (1000000000 s) of the first request: fewer requests or a higher rate_per_s",
            })
    }

    fn draw_lengths(&self, rng: &mut SimRng) -> (u32, u32) {
        match &self.lengths {
            Lengths::Empirical(pairs) => {
                // `validate` checked that the length fits in u32.
                let last = (pairs.len() - 1) as u32;
                let (i, o) = pairs[rng.uniform_u32_inclusive(0, last) as usize];
                (i.max(1), o.max(1))
            }
            Lengths::LogNormal {
                input_median,
                input_sigma,
                output_median,
                output_sigma,
            } => {
                let input = rng.lognormal(libm::log(*input_median), *input_sigma);
                let output = rng.lognormal(libm::log(*output_median), *output_sigma);
                (to_tokens(input), to_tokens(output))
            }
        }
    }
}

/// The requests of a [`SyntheticSpec`], generated one at a time ([`SyntheticSpec::iter`]).
#[derive(Clone, Debug)]
pub struct SyntheticIter<'a> {
    spec: std::borrow::Cow<'a, SyntheticSpec>,
    arrivals: SimRng,
    lengths: SimRng,
    t: SimTime,
    next: u32,
    failed: bool,
}

impl Iterator for SyntheticIter<'_> {
    type Item = Result<Request, ParamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next >= self.spec.requests {
            return None;
        }
        let id = self.next;
        if id > 0 {
            match self.spec.next_arrival(&mut self.arrivals, self.t, id) {
                Ok(t) => self.t = t,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        let (input_tokens, output_tokens) = self.spec.draw_lengths(&mut self.lengths);
        self.next += 1;
        Some(Ok(Request {
            id,
            arrival: self.t,
            input_tokens,
            output_tokens,
            prefix: crate::workload::PrefixGroup::NONE,
        }))
    }
}

/// A real length rounded to the nearest token, clamped to `1..=u32::MAX`.
pub(super) fn to_tokens(x: f64) -> u32 {
    let r = libm::round(x);
    if r >= f64::from(u32::MAX) {
        u32::MAX
    } else if r >= 1.0 {
        r as u32
    } else {
        1
    }
}

#[cfg(test)]
#[path = "synthetic_tests.rs"]
mod tests;
