//! What can go wrong when reading a trace or building a workload.
//!
//! Every message a user can cause names the format, the 1-based line (as a text editor shows
//! it), the column or field, and the offending value, e.g.
//! `azure csv line 17, column ContextTokens: "12x" is not a non-negative integer`.

use super::format::TraceFormat;
use thiserror::Error;

/// A trace text that could not be turned into requests.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TraceError {
    /// The text holds no request rows (empty, blank, or a header only).
    #[error("{format}: the trace has no requests")]
    Empty {
        /// The format being read.
        format: TraceFormat,
    },

    /// The text has no non-blank line at all, so not even its format can be told.
    #[error("the trace is empty: it has no non-blank line")]
    Blank,

    /// The header line lacks a required column.
    #[error(
        "{format} line {line}: header is missing column(s) {missing:?}; expected {expected:?}, found {found:?}"
    )]
    Header {
        /// The format being read.
        format: TraceFormat,
        /// Line of the header.
        line: u32,
        /// Required columns that are absent.
        missing: Vec<String>,
        /// All required columns.
        expected: Vec<String>,
        /// The columns the header actually names.
        found: Vec<String>,
    },

    /// A row has a different number of fields from the header.
    #[error(
        "{format} line {line}: expected {expected} comma-separated fields, found {found}: {text:?}"
    )]
    FieldCount {
        /// The format being read.
        format: TraceFormat,
        /// Line of the row.
        line: u32,
        /// Number of header columns.
        expected: u32,
        /// Number of fields in the row.
        found: u32,
        /// The row as written.
        text: String,
    },

    /// A field does not hold a value of the right shape.
    #[error("{format} line {line}, column {column}: {value:?} is not {expected}")]
    BadValue {
        /// The format being read.
        format: TraceFormat,
        /// Line of the row.
        line: u32,
        /// Column (CSV) or field (JSON) name.
        column: String,
        /// The offending text, as written.
        value: String,
        /// What was expected, as a noun phrase ("a non-negative integer").
        expected: String,
    },

    /// A JSON record lacks a required field.
    #[error("{format} line {line}: field {field} is missing")]
    MissingField {
        /// The format being read.
        format: TraceFormat,
        /// Line of the record.
        line: u32,
        /// The missing field's name.
        field: String,
    },

    /// A token count does not fit in 32 bits.
    #[error("{format} line {line}, column {column}: {value:?} is larger than the maximum {max}")]
    TooLarge {
        /// The format being read.
        format: TraceFormat,
        /// Line of the row.
        line: u32,
        /// Column or field name.
        column: String,
        /// The offending text.
        value: String,
        /// The largest accepted value (`u32::MAX` for token counts).
        max: u64,
    },

    /// A request with an empty prompt: every request needs at least one input token.
    #[error(
        "{format} line {line}, column {column}: input length 0 is not allowed (a request needs at least one prompt token)"
    )]
    ZeroInput {
        /// The format being read.
        format: TraceFormat,
        /// Line of the row.
        line: u32,
        /// Column or field name of the input length.
        column: String,
    },

    /// A row's timestamp is earlier than the row before it (traces must be sorted).
    #[error(
        "{format} line {line}: timestamp {value:?} is earlier than {previous:?} on line {previous_line} (the trace must be sorted by time)"
    )]
    Unsorted {
        /// The format being read.
        format: TraceFormat,
        /// Line of the out-of-order row.
        line: u32,
        /// Its timestamp, as written.
        value: String,
        /// Line of the preceding row.
        previous_line: u32,
        /// The preceding timestamp, as written.
        previous: String,
    },

    /// A row arrives later after the first request than a run can simulate
    /// ([`limits::MAX_ARRIVAL_S`](crate::limits::MAX_ARRIVAL_S), about 31 years).
    #[error(
        "{format} line {line}: timestamp {value:?} is {after_s} s after the first request; at most {max_s} s (about 31 years) can be simulated"
    )]
    SpanTooLong {
        /// The format being read.
        format: TraceFormat,
        /// Line of the row.
        line: u32,
        /// The timestamp, as written.
        value: String,
        /// Whole seconds from the first request to this row.
        after_s: i128,
        /// The limit, seconds.
        max_s: u64,
    },

    /// The trace holds more requests than one run takes (or than a reader was told to keep).
    #[error(
        "{format} line {line}: the trace has more than {max} requests, the most one run takes; read a part of it (a time window or a request limit)"
    )]
    TooMany {
        /// The format being read.
        format: TraceFormat,
        /// Line of the first request past the limit.
        line: u32,
        /// The limit.
        max: u32,
    },

    /// A JSON line that is not a JSON object.
    #[error("{format} line {line}: not a JSON object ({message}): {text:?}")]
    BadJson {
        /// The format being read.
        format: TraceFormat,
        /// Line of the record.
        line: u32,
        /// The JSON parser's description.
        message: String,
        /// The line as written (shortened to 80 characters).
        text: String,
    },

    /// The text is not in any known trace format.
    #[error(
        "unknown trace format: first line {first_line:?} is neither a JSON object nor a known CSV header"
    )]
    UnknownFormat {
        /// The first non-blank line (shortened to 80 characters).
        first_line: String,
    },
}

/// A workload parameter outside its domain (transforms and the synthetic generator).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{name}: {value} is not {expected}")]
pub struct ParamError {
    /// The parameter, e.g. `scale_rate factor`.
    pub name: &'static str,
    /// Its value, as `Debug` prints it.
    pub value: String,
    /// The requirement, as a noun phrase ("a finite number > 0").
    pub expected: &'static str,
}

impl ParamError {
    /// An error for parameter `name` holding `value`, which should be `expected`.
    pub fn new(name: &'static str, value: impl core::fmt::Debug, expected: &'static str) -> Self {
        ParamError {
            name,
            value: format!("{value:?}"),
            expected,
        }
    }
}

pub(crate) use crate::text::shorten;
