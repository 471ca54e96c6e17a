//! # pecsched-web
//!
//! The PecSched explorer: a thin Yew shell over [`pecsched_core`]. It renders and dispatches
//! actions; it holds no model logic and recomputes no metric: every number on the page is a
//! field of a core [`Summary`](pecsched_core::metrics::Summary) or a per-request latency the
//! core recorded.
//!
//! - [`state`]: the page state as a reducer (testable natively).
//! - [`runner`]: the worker's job as plain Rust (validate, build the workload, step every
//!   policy in slices, then the load sweep) — natively testable too.
//! - [`worker`]: the Web Worker around the runner; [`protocol`]: its messages; `bridge`: the
//!   page's side of it (a context provider and a hook, as in Yew's worker examples).
//! - `app`, `components`, `charts`: the view (charts are SVG drawn by Rust, see [`charts`]).
//!
//! The crate builds natively too (so `cargo clippy --workspace` and native tests work); only
//! the binaries' `main`s are wasm32-specific.

mod app;
mod bridge;
mod browser;
pub mod charts;
mod components;
pub mod describe;
pub mod export;
pub mod protocol;
pub mod runner;
pub mod state;
pub mod table;
pub mod worker;

pub use app::{App, WORKER_SCRIPT};
