//! The BurstGPT trace (HPMLL/BurstGPT): ChatGPT and GPT-4 requests served on Azure.
//!
//! Columns `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`, with
//! `Timestamp` in seconds from the start of collection (integer or decimal). Newer releases
//! may add columns (`Session ID`, `Elapsed time`); columns are found by name, extras ignored.
//!
//! **Failed requests.** The dataset marks failures with `Response tokens` = 0 (its
//! `*_without_fails_*` files are the same rows minus those). They are skipped here, not
//! clamped: a failure never occupied the cluster the way a served request does, and skipping
//! makes `BurstGPT_1.csv` read the same as `BurstGPT_without_fails_1.csv`. The count of
//! skipped rows is available from [`parse_burstgpt_csv_detailed`]. Every row, skipped or
//! not, must still be well-formed. All models and log types are kept.

use super::error::TraceError;
use super::format::TraceFormat;
use super::rows::{Clock, Timed};

use super::format::BURSTGPT_COLUMNS as COLUMNS;

/// One data row (`f`: the required columns, in [`COLUMNS`] order); `None` for a failed
/// request (`Response tokens` = 0), which is checked like any row and then skipped.
pub(crate) fn row(clock: &mut Clock, line: u32, f: &[&str]) -> Result<Option<Timed>, TraceError> {
    let (t, input, output) =
        super::plain::seconds_row(TraceFormat::BurstGptCsv, &COLUMNS, line, f)?;
    if output == 0 {
        return Ok(None);
    }
    clock
        .row(line, i128::from(t), f[0], input, output)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use crate::time::SimTime;
    use crate::workload::parse::*;

    const HEADER: &str = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n";

    #[test]
    fn reads_rows_and_skips_failures() {
        let text = format!(
            "{HEADER}5,ChatGPT,472,18,490,Conversation log\n\
             45,ChatGPT,1087,0,1087,Conversation log\n\
             110.5,GPT-4,417,505,922,API log"
        );
        let t = parse_burstgpt_csv_detailed(&text).unwrap();
        assert_eq!(t.failed_skipped, 1);
        assert_eq!(t.requests.len(), 2);
        assert_eq!(t.requests[1].id, 1);
        assert_eq!(t.requests[1].arrival, SimTime(105_500_000_000));
        assert_eq!(t.requests[1].input_tokens, 417);
        assert_eq!(parse_burstgpt_csv(&text).unwrap(), t.requests);
    }

    #[test]
    fn columns_are_found_by_name_with_extras() {
        let text = "Session ID,Log Type,Response tokens,Request tokens,Timestamp,Elapsed time\n\
                    s1,API log,7,3,1.25,0.5\n";
        let reqs = parse_burstgpt_csv(text).unwrap();
        assert_eq!((reqs[0].input_tokens, reqs[0].output_tokens), (3, 7));
    }

    #[test]
    fn errors_name_line_column_and_value() {
        let err = |body: &str| {
            parse_burstgpt_csv(&format!("{HEADER}{body}"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("5,ChatGPT,472,18,490,Conversation log\n-3,ChatGPT,1,1,2,API log\n"),
            "burstgpt csv line 3, column Timestamp: \"-3\" is not a non-negative number of seconds (not a plain decimal number)"
        );
        assert_eq!(
            err("5,ChatGPT,47 2,18,490,Conversation log\n"),
            "burstgpt csv line 2, column Request tokens: \"47 2\" is not a non-negative integer"
        );
        assert_eq!(
            err("5,ChatGPT,1,1,2,API log\n4.999,ChatGPT,1,1,2,API log\n"),
            "burstgpt csv line 3: timestamp \"4.999\" is earlier than \"5\" on line 2 (the trace must be sorted by time)"
        );
        assert_eq!(
            err("5,ChatGPT,1,0,1,API log\n"),
            "burstgpt csv: the trace has no requests"
        );
        assert_eq!(
            err("5,\"Chat,GPT\",1,1,2,API log\n"),
            "burstgpt csv line 2: expected 6 comma-separated fields, found 7: \"5,\\\"Chat,GPT\\\",1,1,2,API log\""
        );
    }
}
