//! What every trace parser shares: line splitting, the CSV header, token counts, and the
//! builder that checks order and turns absolute timestamps into relative arrivals.
//!
//! CSV is split by hand rather than with the `csv` crate: none of the supported formats
//! quotes or escapes fields (Azure holds datetimes and integers, BurstGPT model names such as
//! `GPT-4` and log types such as `Conversation log`, the plain format our own numbers), and
//! splitting ourselves keeps exact editor line numbers for error messages. A stray quote
//! character simply shows up in a "not a number" error with its line.

use super::Request;
use super::error::{TraceError, shorten};
use super::format::TraceFormat;
use crate::scenario::limits::{MAX_ARRIVAL, MAX_ARRIVAL_S};
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

/// Calls `row(line, fields)` for every data row of a headed CSV, where `fields` holds the
/// `required` columns in the order given (other columns are ignored). Header names are
/// matched case-insensitively after trimming spaces; every row must have as many fields as
/// the header.
pub(crate) fn for_each_csv_row<'a>(
    text: &'a str,
    format: TraceFormat,
    required: &[&'static str],
    mut row: impl FnMut(u32, &[&'a str]) -> Result<(), TraceError>,
) -> Result<(), TraceError> {
    let mut it = lines(text);
    let header = it.next().ok_or(TraceError::Empty { format })?;
    let names: Vec<&str> = header.text.split(',').map(str::trim).collect();
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
            line: header.number,
            missing,
            expected: required.iter().map(|s| (*s).to_string()).collect(),
            found: names.iter().map(|s| shorten(s, MAX_QUOTE)).collect(),
        });
    }
    let mut all: Vec<&str> = Vec::with_capacity(names.len());
    let mut picked: Vec<&str> = Vec::with_capacity(required.len());
    for line in it {
        all.clear();
        all.extend(line.text.split(','));
        if all.len() != names.len() {
            return Err(TraceError::FieldCount {
                format,
                line: line.number,
                expected: count(names.len()),
                found: count(all.len()),
                text: shorten(line.text, MAX_QUOTE),
            });
        }
        picked.clear();
        picked.extend(index.iter().map(|&i| all[i].trim()));
        row(line.number, &picked)?;
    }
    Ok(())
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

/// Collects rows into requests: checks that timestamps never go backwards, rejects empty
/// prompts, clamps zero outputs to one token, and makes arrivals relative to the first row.
///
/// Zero outputs are clamped rather than rejected because every served request produces at
/// least its first token in the prefill step; a zero in a trace means the generation was cut
/// short, not that the prompt was never processed. A zero input, by contrast, cannot be
/// served at all and signals a broken row.
pub(crate) struct Builder<'a> {
    format: TraceFormat,
    input_column: &'static str,
    first: Option<i128>,
    previous: Option<(u32, i128, &'a str)>,
    out: Vec<Request>,
}

impl<'a> Builder<'a> {
    /// A builder for `format`, whose input lengths live in `input_column`.
    pub(crate) fn new(format: TraceFormat, input_column: &'static str) -> Self {
        Builder {
            format,
            input_column,
            first: None,
            previous: None,
            out: Vec::new(),
        }
    }

    /// Adds the row on `line` with absolute time `t_ns` (written as `t_text`).
    pub(crate) fn push(
        &mut self,
        line: u32,
        t_ns: i128,
        t_text: &'a str,
        input: u32,
        output: u32,
    ) -> Result<(), TraceError> {
        let format = self.format;
        if let Some((previous_line, prev_t, prev_text)) = self.previous
            && t_ns < prev_t
        {
            return Err(TraceError::Unsorted {
                format,
                line,
                value: shorten(t_text, MAX_QUOTE),
                previous_line,
                previous: shorten(prev_text, MAX_QUOTE),
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
        // Sorted rows: `after` is in 0..=MAX_ARRIVAL.
        let arrival = after as u64;
        self.previous = Some((line, t_ns, t_text));
        let id = u32::try_from(self.out.len()).map_err(|_| {
            bad_value(
                format,
                line,
                "(row)",
                t_text,
                "within the first 2^32 requests",
            )
        })?;
        self.out.push(Request {
            id,
            arrival: SimTime(arrival),
            input_tokens: input,
            output_tokens: output.max(1),
        });
        Ok(())
    }

    /// The requests, or [`TraceError::Empty`] if there were none.
    pub(crate) fn finish(self) -> Result<Vec<Request>, TraceError> {
        if self.out.is_empty() {
            Err(TraceError::Empty {
                format: self.format,
            })
        } else {
            Ok(self.out)
        }
    }
}
