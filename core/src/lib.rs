//! # pecsched-core
//!
//! A deterministic discrete-event simulator of a GPU cluster serving LLM inference requests,
//! with the scheduling policies of "PecSched: Preemptive and Efficient Cluster Scheduling for
//! LLM Inference" (Zhang & Shen, arXiv 2409.15104) and its baselines.
//!
//! The crate is pure: no I/O, no clock, no threads, no platform crates. Every random draw
//! comes from a named, seeded generator ([`rng`]); time is integer nanoseconds ([`time`]);
//! iteration order is deterministic. The same scenario gives bit-identical results natively
//! and in wasm32.

pub mod golden;
pub mod hardware;
pub mod hash;
pub mod ids;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod perf;
pub mod policy;
pub mod policy_kind;
pub mod rng;
pub mod scenario;
pub mod sched;
pub mod sim;
pub mod stats;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod time;
pub mod workload;
