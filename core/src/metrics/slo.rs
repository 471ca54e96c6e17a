//! Service-level objectives per request, and what a run's requests meet of them: attainment
//! per class and goodput (docs/metrics.md, "SLOs and goodput").
//!
//! A request meets its SLO when it completed, its TTFT is within its class's TTFT limit for its
//! input length, and its TBT (the mean time between tokens after the first, DistServe's TPOT;
//! [`RequestRecord::tbt_ns`]) is within its class's TBT limit. The TTFT limit grows with the
//! input by the named rule [`ClassSlo::ttft_limit`]: `ttft_base + ttft_per_k_input × input / 1000`
//! (a prefill's work grows with its input, so a flat limit would judge long prompts by the
//! queueing of short ones). The engine does not record each token's time, so a per-token p99
//! TBT (Sarathi-Serve's) is not available; the per-request mean is.

use super::record::{Class, RequestRecord};
use super::window::MetricsWindow;
use crate::time::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};

/// The SLO of one request class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassSlo {
    /// TTFT allowed for any request of the class, before the input allowance.
    pub ttft_base: SimDuration,
    /// TTFT allowed on top of `ttft_base` per 1000 input tokens.
    pub ttft_per_k_input: SimDuration,
    /// Mean time between tokens allowed (per request).
    pub tbt: SimDuration,
}

impl ClassSlo {
    /// The TTFT limit of a request of `input_tokens` tokens: `ttft_base + ttft_per_k_input ×
    /// input_tokens / 1000` (integer nanoseconds, rounded down), capped at
    /// [`SimDuration::MAX_MODELLED`].
    pub fn ttft_limit(&self, input_tokens: u32) -> SimDuration {
        let extra = self.ttft_per_k_input.0 as u128 * input_tokens as u128 / 1000;
        let total = (self.ttft_base.0 as u128 + extra).min(SimDuration::MAX_MODELLED.0 as u128);
        SimDuration(total as u64)
    }

    /// Whether `r` met this SLO: completed, TTFT within [`ClassSlo::ttft_limit`], and TBT
    /// within `tbt` (a request of one output token has no TBT and meets that part).
    pub fn met(&self, r: &RequestRecord) -> bool {
        if r.completion.is_none() {
            return false;
        }
        let ttft_ok = r
            .ttft_ns()
            .is_some_and(|t| t <= self.ttft_limit(r.input_tokens).0);
        let tbt_ok = r.tbt_ns().is_none_or(|t| t <= self.tbt.0);
        ttft_ok && tbt_ok
    }
}

/// Per-class SLOs of a scenario (scenario field `slo`; the defaults are [`Slo::DEFAULT`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slo {
    /// Short requests.
    pub short: ClassSlo,
    /// Long requests.
    pub long: ClassSlo,
}

impl Default for Slo {
    fn default() -> Self {
        Slo::DEFAULT
    }
}

impl Slo {
    /// The defaults (ARCHITECTURE.md, "Decisions"): short requests get DistServe's chatbot SLO
    /// for its 66B model (TTFT 2.5 s, TPOT 0.15 s; DistServe OSDI'24 Table 1 — the closest of
    /// its sizes to Llama-3.1-70B) plus 0.1 s per 1000 input tokens (a 10,000 token/s prefill
    /// allowance); long requests the same base, 0.5 s per 1000 input tokens (a 500K-token
    /// prompt may take 252.5 s: sequence parallelism over a few replicas, attention quadratic
    /// in the input) and a TBT of 0.3 s (twice the short one: each step adds the SP decode
    /// overhead). Our choices: no source states SLOs for 100K–500K-token prompts.
    pub const DEFAULT: Slo = Slo {
        short: ClassSlo {
            ttft_base: SimDuration::from_millis(2_500),
            ttft_per_k_input: SimDuration::from_millis(100),
            tbt: SimDuration::from_millis(150),
        },
        long: ClassSlo {
            ttft_base: SimDuration::from_millis(2_500),
            ttft_per_k_input: SimDuration::from_millis(500),
            tbt: SimDuration::from_millis(300),
        },
    };

    /// The SLO of `class`.
    pub fn class(&self, class: Class) -> &ClassSlo {
        match class {
            Class::Short => &self.short,
            Class::Long => &self.long,
        }
    }

    /// Whether `r` met the SLO of its class.
    pub fn met(&self, r: &RequestRecord) -> bool {
        self.class(r.class).met(r)
    }
}

/// The columns [`Slo::csv_cells`] adds to a per-request CSV row (after
/// [`super::CSV_HEADER`]'s): the request's TTFT limit in seconds and whether it met its SLO.
pub const CSV_SLO_HEADER: &str = "ttft_slo_s,slo_met";

impl Slo {
    /// The cells under [`CSV_SLO_HEADER`] for `r` (no leading comma).
    pub fn csv_cells(&self, r: &RequestRecord) -> String {
        let limit = self.class(r.class).ttft_limit(r.input_tokens);
        format!("{:.6},{}", limit.as_secs_f64(), self.met(r))
    }
}

impl std::fmt::Display for ClassSlo {
    /// `TTFT ≤ 2.5 s + 0.1 s per 1K input tokens, TBT ≤ 0.15 s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TTFT ≤ {} s + {} s per 1K input tokens, TBT ≤ {} s",
            self.ttft_base.as_secs_f64(),
            self.ttft_per_k_input.as_secs_f64(),
            self.tbt.as_secs_f64()
        )
    }
}

impl std::fmt::Display for Slo {
    /// `short: TTFT ≤ …; long: TTFT ≤ …`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "short: {}; long: {}", self.short, self.long)
    }
}

/// What the requests of one class met of their SLO.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SloAttainment {
    /// Requests of the class that met their SLO ([`Slo::met`]).
    pub met: u64,
    /// `met / count` over every request of the class (rejected, never started and unfinished
    /// ones count as missing it); 1 for a class with no request.
    pub attainment: f64,
    /// Goodput: requests of the class that met their SLO and completed inside the rate span,
    /// per second of it (as `throughput_rps` counts completions).
    pub goodput_rps: f64,
}

impl SloAttainment {
    /// What the requests of `class` among `records` met of `slo`, over `window` as observed
    /// until `observed_until` (the rate span of [`super::ClassSummary::throughput_rps`]).
    pub fn of<R: super::Records + ?Sized>(
        records: &R,
        class: Class,
        slo: &Slo,
        window: MetricsWindow,
        observed_until: SimTime,
    ) -> SloAttainment {
        let limit = slo.class(class);
        let (from, to) = window.observed_rate_span(observed_until);
        let (mut count, mut met, mut in_span) = (0u64, 0u64, 0u64);
        for r in records.each().filter(|r| r.class == class) {
            count += 1;
            if limit.met(&r) {
                met += 1;
                if r.completion.is_some_and(|t| t >= from && t <= to) {
                    in_span += 1;
                }
            }
        }
        SloAttainment {
            met,
            attainment: if count == 0 {
                1.0
            } else {
                met as f64 / count as f64
            },
            goodput_rps: if to > from {
                in_span as f64 / ((to.0 - from.0) as f64 / 1e9)
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(input: u32, output: u32, ttft_ms: u64, tbt_ms: u64) -> RequestRecord {
        let mut r = RequestRecord::new(0, Class::Short, input, output, SimTime(0));
        let ms = |m: u64| SimTime(m * 1_000_000);
        r.prefill_start = Some(ms(0));
        r.first_token = Some(ms(ttft_ms));
        r.completion = Some(ms(ttft_ms + tbt_ms * (output as u64 - 1)));
        r
    }

    #[test]
    fn the_ttft_limit_grows_with_the_input_by_the_named_rule() {
        let s = Slo::DEFAULT.short;
        assert_eq!(s.ttft_limit(0), SimDuration::from_millis(2_500));
        assert_eq!(s.ttft_limit(2_000), SimDuration::from_millis(2_700));
        assert_eq!(
            Slo::DEFAULT.long.ttft_limit(500_000),
            SimDuration::from_millis(252_500)
        );
    }

    #[test]
    fn a_request_meets_its_slo_only_within_both_limits() {
        let slo = Slo::DEFAULT;
        assert!(slo.met(&served(2_000, 10, 2_700, 150)));
        assert!(!slo.met(&served(2_000, 10, 2_701, 150)), "TTFT over");
        assert!(!slo.met(&served(2_000, 10, 100, 151)), "TBT over");
        // One output token: no TBT, only the TTFT counts.
        assert!(slo.met(&served(2_000, 1, 100, 0)));
        let mut unfinished = served(2_000, 10, 100, 10);
        unfinished.completion = None;
        assert!(!slo.met(&unfinished));
    }

    #[test]
    fn attainment_counts_every_request_and_goodput_the_rate_span() {
        let ok = served(1_000, 3, 100, 100);
        let late = served(1_000, 3, 9_000, 100);
        let mut never = RequestRecord::new(2, Class::Short, 10, 3, SimTime(4_000_000_000));
        never.rejected = true;
        let window = MetricsWindow::new(SimTime(0), never.arrival, SimDuration(10_000_000_000));
        let a = SloAttainment::of(
            &[ok, late, never],
            Class::Short,
            &Slo::DEFAULT,
            window,
            SimTime::MAX,
        );
        assert_eq!(a.met, 1);
        assert_eq!(a.attainment, 1.0 / 3.0);
        // One request met its SLO inside the 4 s of arrivals.
        assert_eq!(a.goodput_rps, 0.25);
        let none = SloAttainment::of(&[], Class::Long, &Slo::DEFAULT, window, SimTime::MAX);
        assert_eq!((none.met, none.attainment), (0, 1.0));
    }
}
