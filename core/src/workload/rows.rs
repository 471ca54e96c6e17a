//! What every trace parser shares: line splitting, the CSV header, token counts, and the
//! builder that checks order and turns absolute timestamps into relative arrivals.
//!
//! CSV is split by hand rather than with the `csv` crate: none of the supported formats
//! quotes or escapes fields (Azure holds datetimes and integers, BurstGPT model names such as
//! `GPT-4` and log types such as `Conversation log`, the plain format our own numbers), and
//! splitting ourselves keeps exact editor line numbers for error messages. A stray quote
//! character simply shows up in a "not a number" error with its line.

use super::error::{TraceError, shorten};
use super::format::TraceFormat;
use crate::limits::{MAX_ARRIVAL, MAX_ARRIVAL_S};
use crate::time::{NANOS_PER_SEC, SimTime};

/// Longest offending value quoted in an error message, in characters.
const MAX_QUOTE: usize = 80;

/// One non-blank line of a trace: its 1-based number and its text without `\r\n`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line<'a> {
    pub number: u32,
    pub text: &'a str,
}

/// The non-blank lines of `text`, numbered as an editor numbers them. A leading UTF-8 byte
/// order mark is dropped, `\r\n` and `\n` both end a line, and a missing final newline is fine.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').enumerate().filter_map(|(i, raw)| {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        (!line.trim().is_empty()).then(|| Line {
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text: line,
        })
    })
}

/// The columns a CSV trace's header names, and where the required ones are.
#[derive(Clone, Debug)]
pub(crate) struct CsvHeader {
    /// Position of each required column, in the order required.
    index: Vec<usize>,
    /// Number of columns every row must have.
    columns: usize,
}

impl CsvHeader {
    /// Reads the header `line`: every `required` column must be present (matched
    /// case-insensitively after trimming spaces); others are ignored.
    pub(crate) fn parse(
        format: TraceFormat,
        required: &[&'static str],
        line: Line<'_>,
    ) -> Result<CsvHeader, TraceError> {
        let names: Vec<&str> = line.text.split(',').map(str::trim).collect();
        let mut index = Vec::with_capacity(required.len());
        let mut missing = Vec::new();
        for want in required {
            match names.iter().position(|n| n.eq_ignore_ascii_case(want)) {
                Some(i) => index.push(i),
                None => missing.push((*want).to_string()),
            }
        }
        if !missing.is_empty() {
            return Err(TraceError::Header {
                format,
                line: line.number,
                missing,
                expected: required.iter().map(|s| (*s).to_string()).collect(),
                found: names.iter().map(|s| shorten(s, MAX_QUOTE)).collect(),
            });
        }
        Ok(CsvHeader {
            index,
            columns: names.len(),
        })
    }

    /// The required fields of the data row `line`, trimmed, in the order required; the row
    /// must have as many fields as the header.
    pub(crate) fn pick<'a>(
        &self,
        format: TraceFormat,
        line: Line<'a>,
        all: &mut Vec<&'a str>,
        picked: &mut Vec<&'a str>,
    ) -> Result<(), TraceError> {
        all.clear();
        all.extend(line.text.split(','));
        if all.len() != self.columns {
            return Err(TraceError::FieldCount {
                format,
                line: line.number,
                expected: count(self.columns),
                found: count(all.len()),
                text: shorten(line.text, MAX_QUOTE),
            });
        }
        picked.clear();
        picked.extend(self.index.iter().map(|&i| all[i].trim()));
        Ok(())
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A [`TraceError::BadValue`] for `value` in `column` of `line`.
pub(crate) fn bad_value(
    format: TraceFormat,
    line: u32,
    column: &str,
    value: &str,
    expected: impl Into<String>,
) -> TraceError {
    TraceError::BadValue {
        format,
        line,
        column: column.to_string(),
        value: shorten(value, MAX_QUOTE),
        expected: expected.into(),
    }
}

/// A token count: a non-negative decimal integer that fits in `u32`.
pub(crate) fn parse_tokens(
    format: TraceFormat,
    line: u32,
    column: &str,
    value: &str,
) -> Result<u32, TraceError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_value(
            format,
            line,
            column,
            value,
            "a non-negative integer",
        ));
    }
    // All digits: the only possible failure is overflow.
    match value.parse::<u32>() {
        Ok(v) => Ok(v),
        Err(_) => Err(TraceError::TooLarge {
            format,
            line,
            column: column.to_string(),
            value: shorten(value, MAX_QUOTE),
            max: u64::from(u32::MAX),
        }),
    }
}

/// Turns absolute row timestamps into arrivals relative to the first row: checks that
/// timestamps never go backwards, that the distance from the first row fits what a run can
/// simulate, and rejects empty prompts; clamps zero outputs to one token.
///
/// Zero outputs are clamped rather than rejected because every served request produces at
/// least its first token in the prefill step; a zero in a trace means the generation was cut
/// short, not that the prompt was never processed. A zero input, by contrast, cannot be
/// served at all and signals a broken row.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    format: TraceFormat,
    input_column: &'static str,
    first: Option<i128>,
    /// The previous row: its line, time, and timestamp as written (kept for the message of an
    /// ordering error; the buffer is reused from row to row).
    previous: Option<(u32, i128)>,
    previous_text: String,
}

/// One row's request, before the reader gives it an id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timed {
    pub arrival: SimTime,
    pub input_tokens: u32,
    pub output_tokens: u32,
}

impl Clock {
    /// A clock for `format`, whose input lengths live in `input_column`.
    pub(crate) fn new(format: TraceFormat, input_column: &'static str) -> Self {
        Clock {
            format,
            input_column,
            first: None,
            previous: None,
            previous_text: String::new(),
        }
    }

    /// Whether a row has been read.
    pub(crate) fn started(&self) -> bool {
        self.first.is_some()
    }

    /// Reads the row on `line` with absolute time `t_ns` (written as `t_text`).
    pub(crate) fn row(
        &mut self,
        line: u32,
        t_ns: i128,
        t_text: &str,
        input: u32,
        output: u32,
    ) -> Result<Timed, TraceError> {
        let format = self.format;
        if let Some((previous_line, prev_t)) = self.previous
            && t_ns < prev_t
        {
            return Err(TraceError::Unsorted {
                format,
                line,
                value: shorten(t_text, MAX_QUOTE),
                previous_line,
                previous: shorten(&self.previous_text, MAX_QUOTE),
            });
        }
        if input == 0 {
            return Err(TraceError::ZeroInput {
                format,
                line,
                column: self.input_column.to_string(),
            });
        }
        let first = *self.first.get_or_insert(t_ns);
        let after = t_ns - first;
        if after > i128::from(MAX_ARRIVAL.0) {
            return Err(TraceError::SpanTooLong {
                format,
                line,
                value: shorten(t_text, MAX_QUOTE),
                after_s: after / i128::from(NANOS_PER_SEC),
                max_s: MAX_ARRIVAL_S,
            });
        }
        self.previous = Some((line, t_ns));
        self.previous_text.clear();
        self.previous_text.push_str(t_text);
        // Sorted rows: `after` is in 0..=MAX_ARRIVAL.
        Ok(Timed {
            arrival: SimTime(after as u64),
            input_tokens: input,
            output_tokens: output.max(1),
        })
    }
}
