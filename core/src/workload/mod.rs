//! Requests and where they come from: real trace formats, a seeded synthetic generator, and
//! the transforms a study applies (time window, rate scaling, the paper's long-input transform).
//!
//! # Reading traces
//!
//! [`TraceReader`] reads a trace one line at a time (the core does no I/O: the caller reads the
//! file and hands over lines), and can stop as soon as it has what a scenario keeps
//! ([`Keep`]: a time window, a request limit) or fail at the first row past the most requests
//! a run takes. The `&str` parsers are thin wrappers over it: [`parse_azure_csv`],
//! [`parse_mooncake_jsonl`], [`parse_burstgpt_csv`], [`parse_plain_csv`], or
//! [`TraceFormat::detect`] / [`TraceFormat::parse`]. Each returns requests with ids `0..n` in
//! file order and arrivals relative to the first request. Rules shared by all formats:
//!
//! - Line numbers in errors are 1-based, as an editor shows them; `\r\n` and `\n` both end a
//!   line, blank lines are skipped, a missing final newline and a UTF-8 byte order mark are
//!   accepted.
//! - Rows must be sorted by time (equal times allowed). A timestamp earlier than the previous
//!   row's is an error naming both lines' values: silently re-sorting would hide a broken or
//!   concatenated file.
//! - An input length of 0 is an error (no request can be served without a prompt token).
//!   An output length of 0 is read as 1: a served request always yields its first token at
//!   the end of prefill. (BurstGPT is the exception: there 0 output marks a failed request,
//!   and such rows are skipped and counted.)
//! - Token counts above `u32::MAX` are an error, not a wrap or a clamp.
//!
//! # Building workloads
//!
//! [`SyntheticSpec`] generates seeded workloads; [`ConvWeek2024`] a synthetic week of the Azure
//! 2024 conversation trace, one request at a time; [`transform`] windows, rescales, truncates,
//! and applies the paper's long-input transform; [`TraceStats`] summarises any of them.

mod azure;
pub mod azure_week;
mod burstgpt;
mod error;
mod format;
mod mooncake;
mod parse;
mod plain;
mod prefix;
mod rows;
mod stats;
mod stream;
mod synthetic;
mod timestamp;
pub mod transform;

#[cfg(test)]
mod test_data;
#[cfg(test)]
mod trace_tests;

pub use azure_week::{ConvWeek2024, ConvWeekIter};
pub use error::{ParamError, TraceError};
pub use format::TraceFormat;
pub use parse::{
    BurstGptTrace, parse_azure_csv, parse_burstgpt_csv, parse_burstgpt_csv_detailed,
    parse_mooncake_jsonl, parse_plain_csv,
};
pub use plain::{PLAIN_CSV_HEADER, plain_csv_row, to_plain_csv};
pub use prefix::{
    BlockTable, DEFAULT_BLOCK_TOKENS, PrefixGroup, PrefixModel, SessionSpec, SharedPrompt,
    apply_prefix_model,
};
pub use stats::{LengthStats, TraceStats, nearest_rank_sorted};
pub use stream::{Flow, Keep, TraceRead, TraceReader};
pub use synthetic::{Arrival, Lengths, SyntheticIter, SyntheticSpec};
pub use timestamp::{civil_from_days, days_from_civil};
pub use transform::{
    ArrivalScale, LONG_INPUT_DEFAULTS, LongInputResult, long_input_transform, scale_rate, truncate,
    window,
};

use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// One inference request as the simulator sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Dense index of the request in its workload (0..n), in arrival order.
    pub id: u32,
    /// Arrival instant, relative to the workload's first request.
    pub arrival: SimTime,
    /// Prompt (context) length in tokens; at least 1.
    pub input_tokens: u32,
    /// Number of tokens to generate; at least 1.
    pub output_tokens: u32,
    /// The prefix group the prompt's blocks belong to ([`PrefixGroup::NONE`]: no shared
    /// prefix); its block ids come from the workload's [`PrefixModel`] (`prefix.rs`). Four
    /// bytes that fit the struct's padding: a request stays 24 bytes.
    #[serde(default, skip_serializing_if = "PrefixGroup::is_none")]
    pub prefix: PrefixGroup,
}
