//! Pure transforms a study applies to a workload: a time window, rate scaling, the paper's
//! long-input transform, and truncation.
//!
//! Each takes `&[Request]` and returns a new `Vec` sorted by arrival (ties keep their input
//! order) with ids renumbered `0..n`.

use super::Request;
use super::error::ParamError;
use super::stats::nearest_rank_sorted;
use crate::limits::MAX_ARRIVAL;
use crate::rng::SimRng;
use crate::time::SimTime;

/// Sorts by `(arrival, old id)` (deterministic, stable) and renumbers ids `0..n`.
fn renumber(mut reqs: Vec<Request>) -> Vec<Request> {
    reqs.sort_by_key(|r| (r.arrival, r.id));
    for (i, r) in (0u32..).zip(reqs.iter_mut()) {
        r.id = i;
    }
    reqs
}

/// The requests arriving in `[start, end)`, with arrivals re-based so that `start` is 0.
pub fn window(reqs: &[Request], start: SimTime, end: SimTime) -> Vec<Request> {
    renumber(
        reqs.iter()
            .filter(|r| r.arrival >= start && r.arrival < end)
            .map(|r| Request {
                arrival: SimTime(r.arrival.0 - start.0),
                ..*r
            })
            .collect(),
    )
}

/// Speeds arrivals up by `factor` (2.0 doubles the request rate): every arrival `t` becomes
/// `t / factor`, rounded to the nearest nanosecond (ties up).
///
/// The division is exact integer arithmetic on the factor's binary value (`m·2^e`), so the
/// result does not depend on float rounding of large nanosecond counts.
///
/// # Errors
/// If `factor` is not finite and > 0, or if a scaled arrival would come later than
/// [`limits::MAX_ARRIVAL_S`](crate::limits::MAX_ARRIVAL_S).
pub fn scale_rate(reqs: &[Request], factor: f64) -> Result<Vec<Request>, ParamError> {
    if !(factor.is_finite() && factor > 0.0) {
        return Err(ParamError::new(
            "scale_rate factor",
            factor,
            "a finite number > 0",
        ));
    }
    let scale = ArrivalScale::new(factor);
    let mut out = Vec::with_capacity(reqs.len());
    for r in reqs {
        out.push(Request {
            arrival: scale.apply(r.arrival)?,
            ..*r
        });
    }
    Ok(renumber(out))
}

/// Arrivals divided by a rate factor, exactly (see [`scale_rate`]): one arrival at a time, for
/// workloads read as a stream.
#[derive(Clone, Copy, Debug)]
pub struct ArrivalScale {
    factor: f64,
    m: u128,
    e: i32,
}

impl ArrivalScale {
    /// Division by `factor` (finite, > 0: checked by [`scale_rate`] and the scenario).
    pub fn new(factor: f64) -> ArrivalScale {
        let (m, e) = decompose(factor);
        ArrivalScale { factor, m, e }
    }

    /// The factor.
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// `arrival / factor`, rounded to the nearest nanosecond.
    ///
    /// # Errors
    /// If the result would come later than [`limits::MAX_ARRIVAL_S`](crate::limits::MAX_ARRIVAL_S).
    pub fn apply(&self, arrival: SimTime) -> Result<SimTime, ParamError> {
        let (m, e) = (self.m, self.e);
        let overflow = || {
            ParamError::new(
                "scale_rate factor",
                self.factor,
                "large enough to keep arrivals within limits::MAX_ARRIVAL_S (1000000000 s)",
            )
        };
        let t = u128::from(arrival.0);
        // t / (m·2^e) = (t·2^-e) / m.
        let scaled: u128 = if e >= 0 {
            match u32::try_from(e).ok().and_then(|e| m.checked_shl(e)) {
                Some(d) if d >> e == m => (t + d / 2) / d,
                _ => 0, // divisor ≥ 2^75 > 2·t: rounds to zero
            }
        } else {
            let s = e.unsigned_abs();
            if t == 0 {
                0
            } else if s > 63 {
                return Err(overflow());
            } else {
                ((t << s) + m / 2) / m
            }
        };
        u64::try_from(scaled)
            .ok()
            .filter(|ns| *ns <= MAX_ARRIVAL.0)
            .map(SimTime)
            .ok_or_else(overflow)
    }
}

/// A positive finite `f64` as `m · 2^e` exactly, with `m` odd.
fn decompose(x: f64) -> (u128, i32) {
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if exp_bits == 0 {
        (frac, -1074) // subnormal
    } else {
        (frac | (1u64 << 52), exp_bits - 1075)
    };
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    (u128::from(m), e)
}

/// The result of [`long_input_transform`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongInputResult {
    /// The transformed workload (same arrivals and outputs, ids `0..n`).
    pub requests: Vec<Request>,
    /// How many requests received a long input.
    pub transformed: u32,
    /// The percentile's input length: requests strictly above it were transformed (0 for an
    /// empty workload).
    pub threshold: u32,
}

/// The paper's long-input transform (docs/paper.md §2.1, §3.3): requests
/// whose input length is strictly above the nearest-rank `percentile` (the paper: 95) of the
/// workload's input lengths get a new input length drawn **uniformly** from
/// `min_tokens..=max_tokens` (the paper: 100K–500K). Outputs and arrivals are unchanged.
///
/// The paper does not state the sampling distribution; uniform is this project's assumption
/// (docs/paper.md §4). Draws are taken from `rng` in arrival order, one per transformed
/// request, so the result is a pure function of the workload and the generator's state.
///
/// # Errors
/// If `percentile` is not within `0..=100`, or `min_tokens` is 0 or above `max_tokens`.
pub fn long_input_transform(
    reqs: &[Request],
    percentile: f64,
    min_tokens: u32,
    max_tokens: u32,
    rng: &mut SimRng,
) -> Result<LongInputResult, ParamError> {
    if !(0.0..=100.0).contains(&percentile) {
        return Err(ParamError::new(
            "long_input_transform percentile",
            percentile,
            "within 0..=100",
        ));
    }
    if min_tokens == 0 || min_tokens > max_tokens {
        return Err(ParamError::new(
            "long_input_transform token range",
            (min_tokens, max_tokens),
            "a range min..=max with 1 <= min <= max",
        ));
    }
    let mut sorted: Vec<u32> = reqs.iter().map(|r| r.input_tokens).collect();
    sorted.sort_unstable();
    let threshold = nearest_rank_sorted(&sorted, percentile).unwrap_or(0);
    let mut out = renumber(reqs.to_vec());
    let mut transformed = 0u32;
    for r in &mut out {
        if r.input_tokens > threshold {
            r.input_tokens = rng.uniform_u32_inclusive(min_tokens, max_tokens);
            transformed += 1;
        }
    }
    Ok(LongInputResult {
        requests: out,
        transformed,
        threshold,
    })
}

/// The paper's defaults for [`long_input_transform`]: p95, inputs of 100K–500K tokens.
pub const LONG_INPUT_DEFAULTS: (f64, u32, u32) = (95.0, 100_000, 500_000);

/// The first `max_requests` requests in arrival order (arrivals unchanged).
pub fn truncate(reqs: &[Request], max_requests: u32) -> Vec<Request> {
    let mut out = renumber(reqs.to_vec());
    out.truncate(usize::try_from(max_requests).unwrap_or(usize::MAX));
    out
}

#[cfg(test)]
#[path = "transform_tests.rs"]
mod tests;
