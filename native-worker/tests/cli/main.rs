//! The `pecsched-worker` command line end to end, as one test binary: run the built binary,
//! check exit codes, output and files.
//!
//! - [`cli`]: every subcommand on good input;
//! - [`capacity`]: the SLO capacity search;
//! - [`cli_errors`]: the command line's part of the bad-input table;
//! - [`no_gpu`]: the GPU commands where Vulkan finds no adapter;
//! - [`prefix`]: prefix caching (hash ids, sessions, hit rates in every output);
//! - [`replay`]: the hardware-in-the-loop replay on whatever adapter exists (lavapipe in CI);
//! - [`repro`]: the paper's evaluation on a tiny run: the claims file and the report.

mod capacity;
mod cli;
mod cli_errors;
mod no_gpu;
mod prefix;
mod replay;
mod repro;
