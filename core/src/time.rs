//! Simulated time: integer nanoseconds, never floating-point seconds in event keys.
//!
//! `SimTime` is an instant since the start of the simulation (the first request's arrival is
//! time zero after trace normalisation); `SimDuration` is a span. Both are `u64` nanoseconds,
//! enough for 584 years of simulated time.
//!
//! # Overflow
//!
//! Adding times never saturates silently: a run whose clock reached 2⁶⁴ ns would report
//! latencies of 0. Readers bound what comes in instead — arrivals at most
//! [`limits::MAX_ARRIVAL_S`](crate::limits::MAX_ARRIVAL_S) after the first request,
//! a drain limit of at most 30 days — so that every instant of a run fits with centuries to
//! spare. Code that adds a value it has not bounded uses [`SimTime::checked_add`] or
//! [`SimDuration::checked_add`]; the `+` operators panic on overflow, as a broken invariant.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the simulation's origin.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The origin of simulated time.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable instant (used as "never").
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// This instant in seconds, for display and metrics only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, or `None` if the sum does not fit in `u64` nanoseconds.
    pub const fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        match self.0.checked_add(d.0) {
            Some(t) => Some(SimTime(t)),
            None => None,
        }
    }

    /// Seconds since the origin as an instant, or `None` if `secs` is negative, NaN, or beyond
    /// `u64` nanoseconds (rounded to the nearest nanosecond).
    pub fn try_from_secs_f64(secs: f64) -> Option<SimTime> {
        SimDuration::try_from_secs_f64(secs).map(|d| SimTime(d.0))
    }
}

impl SimDuration {
    /// A zero-length span.
    pub const ZERO: SimDuration = SimDuration(0);

    /// Converts seconds to a span, rounding to the nearest nanosecond; negative or NaN → zero,
    /// values beyond the range saturate.
    pub fn from_secs_f64(secs: f64) -> SimDuration {
        if secs.is_nan() || secs <= 0.0 {
            return SimDuration::ZERO;
        }
        let ns = secs * NANOS_PER_SEC as f64;
        if ns >= SimDuration::MAX_MODELLED.0 as f64 {
            SimDuration::MAX_MODELLED
        } else {
            SimDuration(libm::round(ns) as u64)
        }
    }

    /// The longest duration a model-derived conversion ([`SimDuration::from_secs_f64`])
    /// returns: 2⁶² ns, about 146 years. Every instant a run reaches is at most the last
    /// arrival (≤ `limits::MAX_ARRIVAL_S`, 10¹⁸ ns) plus the drain limit, so adding one such
    /// duration to it never overflows; an iteration this long (an absurd calibration, such
    /// as an efficiency of 1e-300) simply ends after the drain horizon, and the run reports
    /// its unserved requests.
    pub const MAX_MODELLED: SimDuration = SimDuration(1 << 62);

    /// Seconds to a span, rounded to the nearest nanosecond, or `None` if `secs` is negative,
    /// NaN, or beyond `u64` nanoseconds (about 584 years): the checked form of
    /// [`SimDuration::from_secs_f64`] for values a user supplies.
    pub fn try_from_secs_f64(secs: f64) -> Option<SimDuration> {
        if secs.is_nan() || secs < 0.0 {
            return None;
        }
        let ns = libm::round(secs * NANOS_PER_SEC as f64);
        // 2^64 is exactly representable; anything at or above it does not fit.
        (ns < 18_446_744_073_709_551_616.0).then_some(SimDuration(ns as u64))
    }

    /// `self + d`, or `None` if the sum does not fit in `u64` nanoseconds.
    pub const fn checked_add(self, d: SimDuration) -> Option<SimDuration> {
        match self.0.checked_add(d.0) {
            Some(t) => Some(SimDuration(t)),
            None => None,
        }
    }

    /// Whole milliseconds to a span.
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms * 1_000_000)
    }

    /// Whole microseconds to a span.
    pub const fn from_micros(us: u64) -> SimDuration {
        SimDuration(us * 1_000)
    }

    /// This span in seconds, for display and metrics only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

/// The panic of an overflowing `+`: inputs are bounded so that no run gets near 2⁶⁴ ns, so
/// reaching it is a bug (an unbounded input or an infinite modelled duration), never a value.
#[cold]
#[track_caller]
fn overflow(a: u64, b: u64) -> ! {
    panic!(
        "simulated time overflow: {a} ns + {b} ns does not fit in u64 nanoseconds (584 years); \
         inputs are bounded by crate::limits, so this is a bug"
    )
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// # Panics
    /// If the sum does not fit in `u64` nanoseconds (see the module docs).
    #[track_caller]
    fn add(self, rhs: SimDuration) -> SimTime {
        self.checked_add(rhs)
            .unwrap_or_else(|| overflow(self.0, rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    /// # Panics
    /// If the sum does not fit in `u64` nanoseconds (see the module docs).
    #[track_caller]
    fn add(self, rhs: SimDuration) -> SimDuration {
        self.checked_add(rhs)
            .unwrap_or_else(|| overflow(self.0, rhs.0))
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, rhs: SimDuration) {
        *self = *self + rhs;
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6} s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_secs_f64();
        if s >= 1.0 {
            write!(f, "{s:.3} s")
        } else if s >= 1e-3 {
            write!(f, "{:.3} ms", s * 1e3)
        } else {
            write!(f, "{:.3} µs", s * 1e6)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip_to_nanoseconds() {
        assert_eq!(SimDuration::from_secs_f64(1.5).0, 1_500_000_000);
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        // Model-derived durations stop at 2^62 ns, so that adding one to any instant of a run
        // cannot overflow.
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX_MODELLED);
        assert_eq!(SimDuration::MAX_MODELLED.0, 1 << 62);
    }

    #[test]
    fn checked_seconds_refuse_what_does_not_fit() {
        assert_eq!(
            SimDuration::try_from_secs_f64(1.5),
            Some(SimDuration(1_500_000_000))
        );
        assert_eq!(SimDuration::try_from_secs_f64(0.0), Some(SimDuration::ZERO));
        assert_eq!(SimDuration::try_from_secs_f64(-1e-12), None);
        assert_eq!(SimDuration::try_from_secs_f64(f64::NAN), None);
        assert_eq!(SimDuration::try_from_secs_f64(f64::INFINITY), None);
        assert_eq!(SimDuration::try_from_secs_f64(18_446_744_073.8), None);
        assert_eq!(
            SimTime::try_from_secs_f64(1e10),
            Some(SimTime(10_000_000_000_000_000_000))
        );
        // The largest f64 below 2^64 ns still fits.
        assert_eq!(
            SimDuration::try_from_secs_f64(18_446_744_073.709_55),
            Some(SimDuration(18_446_744_073_709_549_568))
        );
    }

    #[test]
    fn addition_is_checked() {
        assert_eq!(
            SimTime(u64::MAX - 1).checked_add(SimDuration(1)),
            Some(SimTime::MAX)
        );
        assert_eq!(SimTime::MAX.checked_add(SimDuration(1)), None);
        assert_eq!(SimDuration(u64::MAX).checked_add(SimDuration(1)), None);
        assert_eq!(SimTime(3) + SimDuration(4), SimTime(7));
    }

    #[test]
    #[should_panic(expected = "simulated time overflow: 18446744073709551615 ns + 5 ns")]
    fn an_instant_past_584_years_is_a_bug_not_a_saturated_value() {
        let _ = SimTime::MAX + SimDuration(5);
    }

    #[test]
    #[should_panic(expected = "simulated time overflow")]
    fn a_span_past_584_years_is_a_bug_not_a_saturated_value() {
        let _ = SimDuration(u64::MAX) + SimDuration(1);
    }

    #[test]
    fn subtraction_saturates_at_zero() {
        assert_eq!(SimDuration(3) - SimDuration(5), SimDuration::ZERO);
        assert_eq!(SimTime(10).saturating_since(SimTime(4)), SimDuration(6));
        assert_eq!(SimTime(4).saturating_since(SimTime(10)), SimDuration::ZERO);
    }
}
