//! The supported trace formats, by name, with detection from a trace's first line.

use super::Request;
use super::error::{TraceError, shorten};
use super::rows::lines;
use std::fmt;

/// A request-trace file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TraceFormat {
    /// Azure LLM inference trace CSV, 2023 or 2024 (`TIMESTAMP,ContextTokens,GeneratedTokens`):
    /// see [`parse_azure_csv`](super::parse_azure_csv).
    AzureCsv,
    /// Mooncake trace JSON lines (`timestamp` in ms, `input_length`, `output_length`):
    /// see [`parse_mooncake_jsonl`](super::parse_mooncake_jsonl).
    MooncakeJsonl,
    /// BurstGPT CSV (`Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`):
    /// see [`parse_burstgpt_csv`](super::parse_burstgpt_csv).
    BurstGptCsv,
    /// This project's plain CSV (`arrival_s,input_tokens,output_tokens`):
    /// see [`parse_plain_csv`](super::parse_plain_csv).
    PlainCsv,
}

impl TraceFormat {
    /// Every format, in declaration order.
    pub const ALL: [TraceFormat; 4] = [
        TraceFormat::AzureCsv,
        TraceFormat::MooncakeJsonl,
        TraceFormat::BurstGptCsv,
        TraceFormat::PlainCsv,
    ];

    /// Stable identifier used in scenario files, links and flags (`azure`, `mooncake`,
    /// `burstgpt`, `plain`).
    pub const fn id(self) -> &'static str {
        match self {
            TraceFormat::AzureCsv => "azure",
            TraceFormat::MooncakeJsonl => "mooncake",
            TraceFormat::BurstGptCsv => "burstgpt",
            TraceFormat::PlainCsv => "plain",
        }
    }

    /// Parses [`TraceFormat::id`].
    pub fn from_id(id: &str) -> Option<TraceFormat> {
        TraceFormat::ALL.into_iter().find(|f| f.id() == id)
    }

    /// A short lower-case name, as used in error messages (`azure csv`).
    pub const fn name(self) -> &'static str {
        match self {
            TraceFormat::AzureCsv => "azure csv",
            TraceFormat::MooncakeJsonl => "mooncake jsonl",
            TraceFormat::BurstGptCsv => "burstgpt csv",
            TraceFormat::PlainCsv => "plain csv",
        }
    }

    /// The CSV columns this format requires, or none for JSON lines.
    pub const fn required_columns(self) -> &'static [&'static str] {
        match self {
            TraceFormat::AzureCsv => &super::azure::COLUMNS,
            TraceFormat::MooncakeJsonl => &[],
            TraceFormat::BurstGptCsv => &super::burstgpt::COLUMNS,
            TraceFormat::PlainCsv => &super::plain::COLUMNS,
        }
    }

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

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
