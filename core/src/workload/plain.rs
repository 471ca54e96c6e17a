//! This project's plain request CSV: `arrival_s,input_tokens,output_tokens`.
//!
//! Arrival seconds are decimal text read and written exactly (integer nanoseconds, no float
//! detour), so [`to_plain_csv`] followed by [`parse_plain_csv`] gives back the same requests.

use super::Request;
use super::error::TraceError;
use super::format::TraceFormat;
use super::rows::{Clock, Timed, bad_value, parse_tokens};
use super::timestamp::{format_decimal_seconds, parse_decimal_seconds};

use super::format::PLAIN_COLUMNS as COLUMNS;

/// One data row (`f`: the required columns, in [`COLUMNS`] order).
pub(crate) fn row(clock: &mut Clock, line: u32, f: &[&str]) -> Result<Option<Timed>, TraceError> {
    let (t, input, output) = seconds_row(TraceFormat::PlainCsv, &COLUMNS, line, f)?;
    clock
        .row(line, i128::from(t), f[0], input, output)
        .map(Some)
}

/// The three fields of a row in seconds-and-tokens form (plain CSV, BurstGPT): decimal
/// arrival seconds, input tokens, output tokens; errors name `columns[i]` and the line.
pub(crate) fn seconds_row(
    format: TraceFormat,
    columns: &[&str; 3],
    line: u32,
    f: &[&str],
) -> Result<(u64, u32, u32), TraceError> {
    let t = parse_decimal_seconds(f[0]).map_err(|why| {
        bad_value(
            format,
            line,
            columns[0],
            f[0],
            format!("a non-negative number of seconds ({why})"),
        )
    })?;
    let input = parse_tokens(format, line, columns[1], f[1])?;
    let output = parse_tokens(format, line, columns[2], f[2])?;
    Ok((t, input, output))
}

/// Writes requests as a plain CSV with a header and `\n` line ends, arrivals in seconds with
/// no trailing zeros. Ids are not written: a reader numbers rows `0..n` in order.
pub fn to_plain_csv(requests: &[Request]) -> String {
    let mut out = String::with_capacity(32 + requests.len() * 24);
    out.push_str(PLAIN_CSV_HEADER);
    out.push('\n');
    for r in requests {
        out.push_str(&plain_csv_row(r));
        out.push('\n');
    }
    out
}

/// The header line of [`to_plain_csv`] (no line end), for writers that stream rows.
pub const PLAIN_CSV_HEADER: &str = "arrival_s,input_tokens,output_tokens";

/// One request as a row of [`to_plain_csv`] (no line end), for writers that stream rows.
pub fn plain_csv_row(r: &Request) -> String {
    format!(
        "{},{},{}",
        format_decimal_seconds(r.arrival.0),
        r.input_tokens,
        r.output_tokens
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;
    use crate::workload::parse::*;

    #[test]
    fn streamed_header_is_the_format_s_columns() {
        assert_eq!(PLAIN_CSV_HEADER, COLUMNS.join(","));
    }

    #[test]
    fn reads_exact_decimal_arrivals() {
        let text = "arrival_s,input_tokens,output_tokens\n10.5,100,7\n10.500000001,3,0\n12,1,1";
        let reqs = parse_plain_csv(text).unwrap();
        let arrivals: Vec<u64> = reqs.iter().map(|r| r.arrival.0).collect();
        assert_eq!(arrivals, [0, 1, 1_500_000_000]);
        assert_eq!(reqs[1].output_tokens, 1);
    }

    #[test]
    fn header_is_required() {
        let e = parse_plain_csv("0,1,1\n1,2,2\n").unwrap_err().to_string();
        assert_eq!(
            e,
            "plain csv line 1: header is missing column(s) [\"arrival_s\", \"input_tokens\", \"output_tokens\"]; expected [\"arrival_s\", \"input_tokens\", \"output_tokens\"], found [\"0\", \"1\", \"1\"]"
        );
        let e = parse_plain_csv("arrival_s,input_tokens,output_tokens\n1.5s,1,1")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "plain csv line 2, column arrival_s: \"1.5s\" is not a non-negative number of seconds (not a plain decimal number)"
        );
    }

    #[test]
    fn writer_output_is_stable() {
        let reqs = [
            Request {
                id: 0,
                arrival: SimTime(0),
                input_tokens: 5,
                output_tokens: 1,
                prefix: crate::workload::PrefixGroup::NONE,
            },
            Request {
                id: 1,
                arrival: SimTime(1_250_000_000),
                input_tokens: 6,
                output_tokens: 2,
                prefix: crate::workload::PrefixGroup::NONE,
            },
        ];
        assert_eq!(
            to_plain_csv(&reqs),
            "arrival_s,input_tokens,output_tokens\n0,5,1\n1.25,6,2\n"
        );
    }
}

/// Property tests run natively only: proptest does not build for wasm32-unknown-unknown.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests {
    use super::*;
    use crate::time::SimTime;
    use crate::workload::parse_plain_csv;
    use proptest::prelude::*;

    fn workload() -> impl Strategy<Value = Vec<Request>> {
        prop::collection::vec(
            (0u64..=u64::MAX / 4096, 1u32..=u32::MAX, 1u32..=u32::MAX),
            1..64,
        )
        .prop_map(|rows| {
            let mut t = 0u64;
            (0u32..)
                .zip(rows)
                .map(|(i, (gap, input, output))| {
                    // The first request is at 0: a parsed trace is relative to it.
                    if i > 0 {
                        t = t.saturating_add(gap);
                    }
                    Request {
                        id: i,
                        arrival: SimTime(t),
                        input_tokens: input,
                        output_tokens: output,
                        prefix: crate::workload::PrefixGroup::NONE,
                    }
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed),
            ..ProptestConfig::default()
        })]

        #[test]
        fn plain_csv_round_trips(reqs in workload()) {
            let text = to_plain_csv(&reqs);
            prop_assert_eq!(parse_plain_csv(&text).unwrap(), reqs);
        }
    }
}
