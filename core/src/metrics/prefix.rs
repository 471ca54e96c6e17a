//! Prefix-cache metrics of a run (docs/prefix-caching.md): hit rates by tokens and by
//! requests per class, prefill tokens saved, evictions.

use super::record::Class;
use serde::{Deserialize, Serialize};

/// Prefix-cache hits of one class, over the requests whose prefill started (those that were
/// looked up; unserved requests are not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrefixStats {
    /// Requests whose prefill started (the denominator of the request hit rate).
    pub requests: u64,
    /// Of those, requests that found at least one cached block.
    pub hit_requests: u64,
    /// Prompt tokens of those requests (the denominator of the token hit rate).
    pub prompt_tokens: u64,
    /// Prompt tokens found cached: prefill tokens saved.
    pub cached_tokens: u64,
    /// `cached_tokens / prompt_tokens` (0 when no request started).
    pub token_hit_rate: f64,
    /// `hit_requests / requests` (0 when no request started).
    pub request_hit_rate: f64,
}

impl PrefixStats {
    /// The stats of `class` over `records`.
    pub fn of<R: super::Records + ?Sized>(records: &R, class: Class) -> PrefixStats {
        let mut s = PrefixStats::default();
        for r in records
            .each()
            .filter(|r| r.class == class && r.prefill_start.is_some())
        {
            s.requests += 1;
            s.hit_requests += u64::from(r.cached_tokens > 0);
            s.prompt_tokens += r.input_tokens as u64;
            s.cached_tokens += r.cached_tokens as u64;
        }
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        s.token_hit_rate = ratio(s.cached_tokens, s.prompt_tokens);
        s.request_hit_rate = ratio(s.hit_requests, s.requests);
        s
    }
}

/// Prefix caching in a run's summary (present only when the run cached prefixes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrefixSummary {
    /// Short requests.
    pub short: PrefixStats,
    /// Long requests (they never use the cache: always 0 hits).
    pub long: PrefixStats,
    /// Blocks evicted from the replicas' caches (all replicas).
    pub evictions: u64,
    /// Tokens per block.
    pub block_tokens: u32,
}

impl PrefixSummary {
    /// The summary of a run's `records`, with its cache counters.
    pub fn of<R: super::Records + ?Sized>(
        records: &R,
        evictions: u64,
        block_tokens: u32,
    ) -> PrefixSummary {
        PrefixSummary {
            short: PrefixStats::of(records, Class::Short),
            long: PrefixStats::of(records, Class::Long),
            evictions,
            block_tokens,
        }
    }

    /// The stats of `class`.
    pub fn class(&self, class: Class) -> &PrefixStats {
        match class {
            Class::Short => &self.short,
            Class::Long => &self.long,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RequestRecord;
    use crate::time::SimTime;

    #[test]
    fn rates_count_started_requests_only() {
        let mut a = RequestRecord::new(0, Class::Short, 1000, 5, SimTime::ZERO);
        a.prefill_start = Some(SimTime(1));
        a.cached_tokens = 512;
        let mut b = RequestRecord::new(1, Class::Short, 3000, 5, SimTime::ZERO);
        b.prefill_start = Some(SimTime(1));
        let c = RequestRecord::new(2, Class::Short, 9000, 5, SimTime::ZERO);
        let s = PrefixSummary::of(&[a, b, c], 3, 512);
        assert_eq!((s.short.requests, s.short.hit_requests), (2, 1));
        assert_eq!((s.short.prompt_tokens, s.short.cached_tokens), (4000, 512));
        assert_eq!(s.short.token_hit_rate, 0.128);
        assert_eq!(s.short.request_hit_rate, 0.5);
        assert_eq!(s.long, PrefixStats::default());
    }
}
