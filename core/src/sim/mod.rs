//! The discrete-event engine: replicas, long jobs, the global queue, and the loop that applies
//! policy decisions and advances iterations in integer simulated time. It talks to policies
//! only through the scheduling interface ([`crate::sched`]).
//!
//! The engine is steppable: [`Simulation::step`] processes one event, [`Simulation::run_until`]
//! advances to an instant, [`Simulation::run`] to the end. The driver (CLI, web worker, replay)
//! decides the pacing.

pub mod adaptive_chunk;
pub mod config;
mod decode_run;
mod dispatch;
mod engine;
pub mod event;
mod handover;
mod intake;
mod invariants;
pub(crate) mod job;
mod jobs;
mod liveness;
pub mod log;
mod long_move;
pub mod oracle;
mod prefix;
mod prefix_cache;
mod records;
pub(crate) mod replica;
mod sink;
mod streamed;
pub mod timeline;
pub mod trace_event;
mod window;

pub use config::WATCH_INTERVAL;
pub use engine::{Simulation, SimulationError};
pub use invariants::{Holder, InvariantError};
pub use prefix::CacheCounters;
pub use streamed::{StreamError, StreamedEnd, StreamedRun};
#[cfg(test)]
mod long_move_tests;
#[cfg(test)]
mod prefix_tests;
#[cfg(test)]
mod streamed_tests;
#[cfg(test)]
mod tests;
