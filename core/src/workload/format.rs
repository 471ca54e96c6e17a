//! The supported trace formats, by name, with detection from a trace's first line.

use std::fmt;

/// The Azure trace's required columns, in the order the files write them.
pub(crate) const AZURE_COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];
/// BurstGPT's columns read, in the order the files write them.
pub(crate) const BURSTGPT_COLUMNS: [&str; 3] = ["Timestamp", "Request tokens", "Response tokens"];
/// The plain CSV's header columns, in order.
pub(crate) const PLAIN_COLUMNS: [&str; 3] = ["arrival_s", "input_tokens", "output_tokens"];

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
            TraceFormat::AzureCsv => &AZURE_COLUMNS,
            TraceFormat::MooncakeJsonl => &[],
            TraceFormat::BurstGptCsv => &BURSTGPT_COLUMNS,
            TraceFormat::PlainCsv => &PLAIN_COLUMNS,
        }
    }
}

impl fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
