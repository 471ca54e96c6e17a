//! The Azure LLM inference trace CSV (Microsoft's AzurePublicDataset, 2023 and 2024).
//!
//! Columns `TIMESTAMP,ContextTokens,GeneratedTokens`. The 2023 files write
//! `2023-11-16 18:17:03.9799600` (7 fractional digits, no zone); the 2024 week-long files write
//! `2024-05-10 00:00:00.009930+00:00`, some rows without a fractional part. Both are read
//! exactly, to the nanosecond, with the zone offset applied.

use super::error::TraceError;
use super::format::TraceFormat;
use super::rows::{Clock, Timed, bad_value, parse_tokens};
use super::timestamp::parse_datetime;

use super::format::AZURE_COLUMNS as COLUMNS;

/// One data row (`f`: the required columns, in [`COLUMNS`] order).
pub(crate) fn row(clock: &mut Clock, line: u32, f: &[&str]) -> Result<Option<Timed>, TraceError> {
    let format = TraceFormat::AzureCsv;
    let t = parse_datetime(f[0]).map_err(|why| {
        bad_value(
            format,
            line,
            COLUMNS[0],
            f[0],
            format!("a datetime like 2023-11-16 18:17:03.9799600 ({why})"),
        )
    })?;
    let input = parse_tokens(format, line, COLUMNS[1], f[1])?;
    let output = parse_tokens(format, line, COLUMNS[2], f[2])?;
    clock.row(line, t, f[0], input, output).map(Some)
}

#[cfg(test)]
mod tests {
    use crate::time::SimTime;
    use crate::workload::parse::*;

    fn err(text: &str) -> String {
        parse_azure_csv(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_2023_rows_relative_to_the_first() {
        let text = "TIMESTAMP,ContextTokens,GeneratedTokens\r\n\
                    2023-11-16 18:17:03.9799600,4808,10\r\n\
                    2023-11-16 18:17:04.0319600,3180,0";
        let reqs = parse_azure_csv(text).unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].arrival, SimTime::ZERO);
        assert_eq!(reqs[1].arrival, SimTime(52_000_000));
        assert_eq!((reqs[1].id, reqs[1].input_tokens), (1, 3180));
        assert_eq!(reqs[1].output_tokens, 1, "zero output is clamped to one");
    }

    #[test]
    fn reads_2024_rows_with_offsets_and_without_fractions() {
        let text = "\u{feff}TIMESTAMP,ContextTokens,GeneratedTokens\n\
                    2024-05-10 00:00:00.009930+00:00,100,5\n\
                    2024-05-10 00:00:01+00:00,200,6\n\
                    2024-05-10 02:00:02+02:00,300,7\n\
                    2024-05-10T00:00:03Z,400,8\n\n";
        let reqs = parse_azure_csv(text).unwrap();
        let arrivals: Vec<u64> = reqs.iter().map(|r| r.arrival.0).collect();
        assert_eq!(
            arrivals,
            [0, 990_070_000, 1_990_070_000, 2_990_070_000],
            "offsets applied, fractions optional"
        );
    }

    #[test]
    fn errors_name_line_column_and_value() {
        let h = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
        let row = "2023-11-16 18:17:03.9799600";
        assert_eq!(
            err(&format!("{h}{row},1,1\n{row},12x,3\n")),
            "azure csv line 3, column ContextTokens: \"12x\" is not a non-negative integer"
        );
        assert_eq!(
            err(&format!("{h}\n{row},1,-3\n")),
            "azure csv line 3, column GeneratedTokens: \"-3\" is not a non-negative integer"
        );
        assert_eq!(
            err(&format!("{h}{row},4294967296,1\n")),
            "azure csv line 2, column ContextTokens: \"4294967296\" is larger than the maximum 4294967295"
        );
        assert_eq!(
            err(&format!("{h}{row},0,1\n")),
            "azure csv line 2, column ContextTokens: input length 0 is not allowed (a request needs at least one prompt token)"
        );
        assert_eq!(
            err(&format!("{h}2023-11-16 25:00:00,1,1\n")),
            "azure csv line 2, column TIMESTAMP: \"2023-11-16 25:00:00\" is not a datetime like 2023-11-16 18:17:03.9799600 (hour 25 is outside 0..=23)"
        );
        assert_eq!(
            err(&format!("{h}{row},1\n")),
            "azure csv line 2: expected 3 comma-separated fields, found 2: \"2023-11-16 18:17:03.9799600,1\""
        );
        assert_eq!(
            err(&format!(
                "{h}2023-11-16 18:17:05,1,1\r\n2023-11-16 18:17:04.5,1,1\r\n"
            )),
            "azure csv line 3: timestamp \"2023-11-16 18:17:04.5\" is earlier than \"2023-11-16 18:17:05\" on line 2 (the trace must be sorted by time)"
        );
    }

    #[test]
    fn header_and_empty_errors() {
        assert_eq!(err(""), "azure csv: the trace has no requests");
        assert_eq!(err("\r\n\n  \n"), "azure csv: the trace has no requests");
        assert_eq!(
            err("TIMESTAMP,ContextTokens,GeneratedTokens\r\n"),
            "azure csv: the trace has no requests"
        );
        assert_eq!(
            err("TIMESTAMP,Context,GeneratedTokens\n2023-11-16 18:17:03,1,1\n"),
            "azure csv line 1: header is missing column(s) [\"ContextTokens\"]; expected [\"TIMESTAMP\", \"ContextTokens\", \"GeneratedTokens\"], found [\"TIMESTAMP\", \"Context\", \"GeneratedTokens\"]"
        );
    }

    #[test]
    fn garbage_bytes_are_reported_not_panicked_on() {
        let text = "TIMESTAMP,ContextTokens,GeneratedTokens\n\u{0}\u{fffd}é€,\u{7f},x\n";
        let e = err(text);
        assert!(
            e.starts_with("azure csv line 2, column TIMESTAMP: \"\\0"),
            "{e}"
        );
        let e = err("\u{fffd}\u{fffd}PNG\u{1a}\n\u{0}\u{0}");
        assert!(
            e.starts_with("azure csv line 1: header is missing column(s)"),
            "{e}"
        );
        // Multi-byte characters exactly where the separators belong must not split a char.
        let e = err("TIMESTAMP,ContextTokens,GeneratedTokens\n2023é11-16 18:17:03,1,1\n");
        assert!(e.contains("separators"), "{e}");
        let e = err("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:0é,1,1\n");
        assert!(e.contains("line 2"), "{e}");
    }
}
