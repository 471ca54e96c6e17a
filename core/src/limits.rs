//! Upper bounds that keep one scenario from running for hours or allocating gigabytes: read by
//! the trace readers and generators (arrivals), validation (`scenario`) and the shells
//! (the explorer's fields). A leaf module: it depends on nothing but [`crate::time`].

/// Most nodes in a cluster.
pub const MAX_NODES: u32 = 2048;
/// Most GPUs per node.
pub const MAX_GPUS_PER_NODE: u32 = 16;
/// Most requests in a workload: 50 M, above a week of the Azure 2024 conversation trace
/// (27.3 M requests). The engine holds about 150 bytes per request (request, class, group
/// size, record), so a run at this limit needs about 7.5 GB. The explorer keeps its own,
/// lower limit (`web/src/runner/limits.rs`: 250,000 requests).
pub const MAX_REQUESTS: u32 = 50_000_000;
/// Largest rate multiplier.
pub const MAX_RATE_SCALE: f64 = 1000.0;
/// Latest arrival accepted, in seconds after the first request (about 31.7 years). Every
/// reader refuses later ones, naming the row or field: the trace parsers, the synthetic
/// generator, rate scaling and time windows. With the drain limit (at most 30 days) this
/// keeps every instant of a run far below the 584 years `u64` nanoseconds hold, so
/// simulated time never overflows (see [`crate::time`]).
pub const MAX_ARRIVAL_S: u64 = 1_000_000_000;
/// [`MAX_ARRIVAL_S`] as an instant.
pub const MAX_ARRIVAL: crate::time::SimTime =
    crate::time::SimTime(MAX_ARRIVAL_S * crate::time::NANOS_PER_SEC);
/// Fastest network between nodes, in Gbit/s per node and direction (today's fastest NICs
/// are 800 Gbit/s; 100,000 leaves room for any study and keeps transfer times positive).
pub const MAX_NETWORK_GBPS: f64 = 1.0e5;
/// Largest input of the long-input transform, in tokens (the paper draws 100K–500K).
pub const MAX_LONG_INPUT_TOKENS: u32 = 10_000_000;
/// Fastest mean arrival rate of a synthetic workload, requests per second.
pub const MAX_SYNTHETIC_RATE_PER_S: f64 = 1.0e6;
/// Burstiest synthetic arrivals: the largest coefficient of variation of inter-arrival
/// times (gamma shape 1/cv² stays ≥ 1e-4).
pub const MAX_SYNTHETIC_CV: f64 = 100.0;
/// Largest median of a synthetic log-normal length (input or output), in tokens; the
/// smallest is 1.
pub const MAX_LOGNORMAL_MEDIAN_TOKENS: f64 = 1.0e8;
/// Largest σ of ln(length) of a synthetic log-normal length.
pub const MAX_LOGNORMAL_SIGMA: f64 = 10.0;
/// Largest colocation cap: short-prefill tokens per GPU batched into one long-decode step.
pub const MAX_COLOCATION_CAP_TOKENS_PER_GPU: u32 = 1 << 20;
/// Largest slowdown bound of the derived colocation cap, ‰ of a long-decode step (10×: a
/// bound past that no longer describes "not slowed", and the cap search ends at its own
/// maximum anyway).
pub const MAX_COLOCATION_SLOWDOWN_PERMILLE: u32 = 10_000;
/// Largest output length a sizing knob may name (Reservation's pool request), in tokens.
pub const MAX_OUTPUT_TOKENS: u32 = 1 << 20;

/// Largest chunk of a chunked long prefill, prompt tokens per member and step
/// (`policy_params.chunk_tokens_per_member`).
pub const MAX_CHUNK_TOKENS: u32 = 1 << 20;
