//! The `&str` entry points to the trace readers: a whole text in one format, or detected from
//! its first line. Each is a thin wrapper over [`TraceReader`], which the row parsers
//! (`azure`, `burstgpt`, `mooncake`, `plain`) feed.

use super::Request;
use super::error::{TraceError, shorten};
use super::format::TraceFormat;
use super::rows::lines;
use super::stream::TraceReader;

/// Parses an Azure LLM inference trace into requests.
///
/// Rows must be sorted by time (ties allowed); arrivals are relative to the first row, ids
/// `0..n` in file order. `ContextTokens` is the input length and must be ≥ 1;
/// `GeneratedTokens` of 0 is read as 1 (see the module docs of [`crate::workload`]). Accepts
/// CRLF line ends, a UTF-8 byte order mark, blank lines and a missing final newline;
/// timestamps take 0–9 fractional digits and an optional `Z`/`±HH:MM` zone.
pub fn parse_azure_csv(text: &str) -> Result<Vec<Request>, TraceError> {
    TraceReader::new(TraceFormat::AzureCsv).read_str(text)
}

/// Parses a Mooncake JSON-lines trace into requests.
///
/// `timestamp` is a non-negative integer of milliseconds; `input_length` (≥ 1) and
/// `output_length` are token counts (0 outputs are read as 1). Other fields (`hash_ids`, …)
/// are ignored, blank lines skipped. Records must be sorted by timestamp (ties allowed).
pub fn parse_mooncake_jsonl(text: &str) -> Result<Vec<Request>, TraceError> {
    TraceReader::new(TraceFormat::MooncakeJsonl).read_str(text)
}

/// A BurstGPT trace with the number of failed rows left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BurstGptTrace {
    /// The served requests, ids `0..n`, arrivals relative to the first served request.
    pub requests: Vec<Request>,
    /// Rows with `Response tokens` = 0 (failures), skipped.
    pub failed_skipped: u32,
}

/// Parses a BurstGPT CSV into requests, skipping failed rows (`Response tokens` = 0).
///
/// Rows must be sorted by `Timestamp` (ties allowed); `Request tokens` must be ≥ 1.
pub fn parse_burstgpt_csv(text: &str) -> Result<Vec<Request>, TraceError> {
    parse_burstgpt_csv_detailed(text).map(|t| t.requests)
}

/// Like [`parse_burstgpt_csv`], also reporting how many failed rows were skipped.
pub fn parse_burstgpt_csv_detailed(text: &str) -> Result<BurstGptTrace, TraceError> {
    let mut reader = TraceReader::new(TraceFormat::BurstGptCsv);
    reader.push_text(text)?;
    let read = reader.finish()?;
    Ok(BurstGptTrace {
        requests: read.requests,
        failed_skipped: read.failed_skipped,
    })
}

/// Parses a plain CSV (header required) into requests.
///
/// `arrival_s` is non-negative decimal seconds (`12`, `0.25`, `1e-3`; digits past the
/// nanosecond round half up); rows must be sorted by it (ties allowed) and arrivals are made
/// relative to the first row. `input_tokens` must be ≥ 1; `output_tokens` 0 is read as 1.
pub fn parse_plain_csv(text: &str) -> Result<Vec<Request>, TraceError> {
    TraceReader::new(TraceFormat::PlainCsv).read_str(text)
}

impl TraceFormat {
    /// Parses `text` in this format into requests (ids `0..n`, arrivals relative to the
    /// first request).
    pub fn parse(self, text: &str) -> Result<Vec<Request>, TraceError> {
        match self {
            TraceFormat::AzureCsv => super::parse_azure_csv(text),
            TraceFormat::MooncakeJsonl => super::parse_mooncake_jsonl(text),
            TraceFormat::BurstGptCsv => super::parse_burstgpt_csv(text),
            TraceFormat::PlainCsv => super::parse_plain_csv(text),
        }
    }

    /// Guesses the format from the first non-blank line: a JSON object means Mooncake; a CSV
    /// header is matched against each format's required columns (case-insensitively).
    pub fn detect(text: &str) -> Option<TraceFormat> {
        let first = lines(text).next()?.text.trim();
        if first.starts_with('{') {
            return Some(TraceFormat::MooncakeJsonl);
        }
        let names: Vec<&str> = first.split(',').map(str::trim).collect();
        TraceFormat::ALL.into_iter().find(|f| {
            let cols = f.required_columns();
            !cols.is_empty()
                && cols
                    .iter()
                    .all(|c| names.iter().any(|n| n.eq_ignore_ascii_case(c)))
        })
    }

    /// Detects the format of `text` and parses it; [`TraceError::Blank`] if the text has no
    /// non-blank line, [`TraceError::UnknownFormat`] if no format matches.
    pub fn detect_and_parse(text: &str) -> Result<(TraceFormat, Vec<Request>), TraceError> {
        let first = lines(text).next().ok_or(TraceError::Blank)?;
        match TraceFormat::detect(text) {
            Some(f) => Ok((f, f.parse(text)?)),
            None => Err(TraceError::UnknownFormat {
                first_line: shorten(first.text, 80),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_its_header() {
        let cases = [
            (
                "TIMESTAMP,ContextTokens,GeneratedTokens\n",
                TraceFormat::AzureCsv,
            ),
            (
                "\u{feff}timestamp,contexttokens,generatedtokens\r\n",
                TraceFormat::AzureCsv,
            ),
            (
                "\n{\"timestamp\": 0, \"input_length\": 1}",
                TraceFormat::MooncakeJsonl,
            ),
            (
                "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
                TraceFormat::BurstGptCsv,
            ),
            (
                "arrival_s,input_tokens,output_tokens\n0,1,1\n",
                TraceFormat::PlainCsv,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(TraceFormat::detect(text), Some(want), "{text:?}");
        }
        assert_eq!(TraceFormat::detect(""), None);
        assert_eq!(TraceFormat::detect("a,b,c\n1,2,3"), None);
    }

    #[test]
    fn blank_text_is_reported_as_empty() {
        for text in ["", "\n \r\n", "\u{feff}\n"] {
            assert_eq!(
                TraceFormat::detect_and_parse(text).unwrap_err().to_string(),
                "the trace is empty: it has no non-blank line",
                "{text:?}"
            );
        }
    }

    #[test]
    fn unknown_format_quotes_the_first_line() {
        let err = TraceFormat::detect_and_parse("\n\nfoo;bar\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown trace format: first line \"foo;bar\" is neither a JSON object nor a known CSV header"
        );
    }
}
