//! # pecsched-web
//!
//! The PecSched explorer: a thin Yew shell over [`pecsched_core`]. It renders and dispatches
//! actions; it holds no model logic and recomputes no metric.
//!
//! The crate builds natively too (so `cargo clippy --workspace` and native reducer tests
//! work); only the binaries' `main`s are wasm32-specific.

pub mod protocol;
pub mod runner;
mod app;

pub use app::App;
