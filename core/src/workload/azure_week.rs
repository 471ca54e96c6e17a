//! A synthetic "Azure 2024 conversation week": as many requests as the conversation week of
//! the Azure LLM inference trace 2024, at its mean rate, with a daily rate profile and
//! log-normal lengths, generated one request at a time ([`ConvWeekIter`]) so that tens of
//! millions of requests never need a whole-trace copy.
//!
//! # Where the numbers come from
//!
//! Published figures (the trace's notebook, `analysis/AzureLLMInferenceDataset2024.ipynb` of
//! github.com/Azure/AzurePublicDataset, and `AzureLLMInferenceDataset2024.md` there; the
//! paper is Stojkovic et al., *DynamoLLM*, arXiv 2408.00741):
//!
//! - the conversation week `AzureLLMInferenceTrace_conv_1week.csv` has **27,303,999 rows**
//!   from **2024-05-12 00:00:00.001 to 2024-05-18 23:59:59.995 UTC** (the notebook's
//!   dataframe output): 7 days, a mean of **45.15 requests/s** ([`WEEK_REQUESTS`],
//!   [`WEEK_S`]);
//! - inputs: about **80 % under 2K tokens, the longest about 9K** (the PecSched paper on this
//!   trace, docs/paper.md §1.1). A log-normal with its 80th percentile at 2,000 tokens and its
//!   1-in-27.3-M quantile (z = 5.41) at 9,000 tokens has σ = ln(9000/2000)/(5.41 − 0.8416) =
//!   0.329 and median 2000/e^(0.8416·σ) = 1,516 tokens ([`INPUT_MEDIAN`], [`INPUT_SIGMA`]);
//! - outputs: the 2024 notebook publishes its lengths as plots only; we take the conversation
//!   service's published 2023 figures (the trace we ship, `data/AzureLLMInferenceTrace_conv.csv`:
//!   median 129, 95th percentile 451 tokens): median 129, σ = ln(451/129)/1.645 = 0.761
//!   ([`OUTPUT_MEDIAN`], [`OUTPUT_SIGMA`]).
//!
//! Our assumptions (named, with defaults): the rate follows one cosine a day, peak
//! [`DEFAULT_PEAK_HOUR_UTC`] and peak-to-mean `1 + `[`DEFAULT_DIURNAL_AMPLITUDE`]; the
//! notebook plots the rate over the week but gives no number for its swing. Arrivals are a
//! Poisson process of that rate (thinning: candidates at the peak rate, each kept with
//! probability rate(t) / peak), so over whole days the mean rate is the published one.

use super::Request;
use super::error::ParamError;
use super::synthetic::to_tokens;
use crate::limits::MAX_ARRIVAL_S;
use crate::rng::SimRng;
use crate::time::{NANOS_PER_SEC, SimTime};

/// Rows of the conversation week of the Azure LLM inference trace 2024.
pub const WEEK_REQUESTS: u32 = 27_303_999;
/// Its span in seconds (2024-05-12 00:00 to 2024-05-19 00:00 UTC).
pub const WEEK_S: u64 = 7 * 86_400;
/// Median input length, tokens (see the module docs for the fit).
pub const INPUT_MEDIAN: f64 = 1516.0;
/// σ of ln(input length).
pub const INPUT_SIGMA: f64 = 0.329;
/// Median output length, tokens.
pub const OUTPUT_MEDIAN: f64 = 129.0;
/// σ of ln(output length).
pub const OUTPUT_SIGMA: f64 = 0.761;
/// Peak-to-mean rate minus one (an assumption: 0.5 = the peak hour at 1.5× the mean, the
/// trough at 0.5×).
pub const DEFAULT_DIURNAL_AMPLITUDE: f64 = 0.5;
/// Hour of the day (UTC) of the peak rate (an assumption).
pub const DEFAULT_PEAK_HOUR_UTC: f64 = 17.0;

/// The week's parameters. [`ConvWeek2024::new`] gives the published week.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvWeek2024 {
    /// Requests to generate (≥ 1; [`WEEK_REQUESTS`] for the week).
    pub requests: u32,
    /// Multiplier of the published mean rate (> 0).
    pub rate_scale: f64,
    /// Peak-to-mean rate minus one, in `[0, 1)`.
    pub diurnal_amplitude: f64,
    /// Hour of the day of the peak rate, UTC, in `[0, 24)`.
    pub peak_hour_utc: f64,
    /// Seed of the arrival and length streams.
    pub seed: u64,
}

impl ConvWeek2024 {
    /// The published week: [`WEEK_REQUESTS`] requests at the published mean rate.
    pub fn new(seed: u64) -> ConvWeek2024 {
        ConvWeek2024 {
            requests: WEEK_REQUESTS,
            rate_scale: 1.0,
            diurnal_amplitude: DEFAULT_DIURNAL_AMPLITUDE,
            peak_hour_utc: DEFAULT_PEAK_HOUR_UTC,
            seed,
        }
    }

    /// Mean arrival rate, requests per second: `WEEK_REQUESTS / WEEK_S × rate_scale`.
    pub fn mean_rate_per_s(&self) -> f64 {
        f64::from(WEEK_REQUESTS) / WEEK_S as f64 * self.rate_scale
    }

    /// The arrival rate at `t_s` seconds after 2024-05-12 00:00 UTC, requests per second.
    pub fn rate_at(&self, t_s: f64) -> f64 {
        let day = t_s / 86_400.0 - self.peak_hour_utc / 24.0;
        let phase = 2.0 * core::f64::consts::PI * (day - libm::floor(day));
        self.mean_rate_per_s() * (1.0 + self.diurnal_amplitude * libm::cos(phase))
    }

    /// Checks every parameter, naming the first one out of range.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.requests == 0 {
            return Err(ParamError::new("azure week requests", 0, "at least 1"));
        }
        if !(self.rate_scale.is_finite() && self.rate_scale > 0.0) {
            return Err(ParamError::new(
                "azure week rate_scale",
                self.rate_scale,
                "a finite number > 0",
            ));
        }
        if !(0.0..1.0).contains(&self.diurnal_amplitude) {
            return Err(ParamError::new(
                "azure week diurnal_amplitude",
                self.diurnal_amplitude,
                "a number in [0, 1)",
            ));
        }
        if !(0.0..24.0).contains(&self.peak_hour_utc) {
            return Err(ParamError::new(
                "azure week peak_hour_utc",
                self.peak_hour_utc,
                "an hour in [0, 24)",
            ));
        }
        // The trough rate is at least (1 - amplitude) × mean: the requests arrive within
        // requests / trough seconds, which must fit what a run can simulate.
        let trough = self.mean_rate_per_s() * (1.0 - self.diurnal_amplitude);
        if f64::from(self.requests) / trough > MAX_ARRIVAL_S as f64 {
            return Err(ParamError::new(
                "azure week rate_scale",
                self.rate_scale,
                "high enough that the requests arrive within limits::MAX_ARRIVAL_S (1000000000 s)",
            ));
        }
        Ok(())
    }

    /// The requests, one at a time, in arrival order with ids `0..requests`; arrivals relative
    /// to 2024-05-12 00:00 UTC (the first request arrives after 0).
    pub fn iter(&self) -> Result<ConvWeekIter, ParamError> {
        self.validate()?;
        Ok(ConvWeekIter {
            spec: *self,
            arrivals: SimRng::new(self.seed, crate::rng::streams::AZURE_WEEK_ARRIVALS),
            lengths: SimRng::new(self.seed, crate::rng::streams::AZURE_WEEK_LENGTHS),
            peak: self.mean_rate_per_s() * (1.0 + self.diurnal_amplitude),
            mu: (libm::log(INPUT_MEDIAN), libm::log(OUTPUT_MEDIAN)),
            t_s: 0.0,
            next: 0,
        })
    }
}

/// The requests of a [`ConvWeek2024`], generated one at a time.
#[derive(Clone, Debug)]
pub struct ConvWeekIter {
    spec: ConvWeek2024,
    arrivals: SimRng,
    lengths: SimRng,
    /// The peak rate, requests per second (the thinning's candidate rate).
    peak: f64,
    /// The log-normals' `mu` (input, output), computed once.
    mu: (f64, f64),
    /// The last candidate's instant, seconds.
    t_s: f64,
    next: u32,
}

impl Iterator for ConvWeekIter {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        if self.next >= self.spec.requests {
            return None;
        }
        // Thinning: candidates at the peak rate, each kept with probability rate / peak.
        // `validate` bounded the span: rate ≥ trough > 0, so the loop ends with probability 1.
        loop {
            self.t_s += self.arrivals.exponential(self.peak);
            let keep = self.arrivals.uniform_f64() * self.peak < self.spec.rate_at(self.t_s);
            if keep {
                break;
            }
        }
        let ns = libm::round(self.t_s * NANOS_PER_SEC as f64) as u64;
        let input = self.lengths.lognormal(self.mu.0, INPUT_SIGMA);
        let output = self.lengths.lognormal(self.mu.1, OUTPUT_SIGMA);
        let r = Request {
            id: self.next,
            arrival: SimTime(ns),
            input_tokens: to_tokens(input),
            output_tokens: to_tokens(output),
            prefix: crate::workload::PrefixGroup::NONE,
        };
        self.next += 1;
        Some(r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.spec.requests - self.next) as usize;
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published week: mean rate 45.15 req/s; a day of it is seeded and ordered, has the
    /// published mean rate and length medians (within sampling error), and peaks at the peak
    /// hour.
    #[test]
    fn a_day_matches_the_published_statistics() {
        let w = ConvWeek2024::new(7);
        assert!((w.mean_rate_per_s() - 45.146).abs() < 1e-3);
        let day = ConvWeek2024 {
            requests: (45.146 * 86_400.0) as u32,
            ..w
        };
        let reqs: Vec<Request> = day.iter().unwrap().collect();
        assert_eq!(reqs.len(), day.requests as usize);
        assert!(reqs.iter().enumerate().all(|(i, r)| r.id == i as u32));
        assert!(reqs.windows(2).all(|p| p[0].arrival <= p[1].arrival));
        let span_s = reqs.last().unwrap().arrival.as_secs_f64();
        assert!((span_s / 86_400.0 - 1.0).abs() < 0.01, "{span_s}");
        let mut input: Vec<u32> = reqs.iter().map(|r| r.input_tokens).collect();
        let mut output: Vec<u32> = reqs.iter().map(|r| r.output_tokens).collect();
        input.sort_unstable();
        output.sort_unstable();
        let n = input.len();
        assert!((input[n / 2] as f64 / INPUT_MEDIAN - 1.0).abs() < 0.01);
        assert!((output[n / 2] as f64 / OUTPUT_MEDIAN - 1.0).abs() < 0.02);
        let p80 = input[n * 8 / 10] as f64;
        assert!((p80 / 2000.0 - 1.0).abs() < 0.02, "{p80}");
        // Arrivals per hour: the peak hour holds about 1.5× the mean, the trough 0.5×.
        let mut per_hour = [0u32; 24];
        for r in &reqs {
            per_hour[((r.arrival.as_secs_f64() / 3600.0) as usize).min(23)] += 1;
        }
        let mean = n as f64 / 24.0;
        assert!(per_hour[17] as f64 > 1.4 * mean, "{per_hour:?}");
        assert!((per_hour[5] as f64) < 0.6 * mean, "{per_hour:?}");
        // Seeded: the same seed gives the same requests, another seed others.
        let again: Vec<Request> = day.iter().unwrap().take(100).collect();
        assert_eq!(&reqs[..100], &again[..]);
        let other: Vec<Request> = ConvWeek2024 { seed: 8, ..day }
            .iter()
            .unwrap()
            .take(100)
            .collect();
        assert_ne!(&reqs[..100], &other[..]);
    }

    #[test]
    fn bad_parameters_are_named() {
        let w = ConvWeek2024::new(1);
        let bad = [
            ConvWeek2024 { requests: 0, ..w },
            ConvWeek2024 {
                rate_scale: 0.0,
                ..w
            },
            ConvWeek2024 {
                rate_scale: f64::NAN,
                ..w
            },
            ConvWeek2024 {
                diurnal_amplitude: 1.0,
                ..w
            },
            ConvWeek2024 {
                peak_hour_utc: 24.0,
                ..w
            },
            ConvWeek2024 {
                rate_scale: 1e-12,
                ..w
            },
        ];
        for b in bad {
            assert!(b.iter().is_err(), "{b:?}");
        }
    }
}
