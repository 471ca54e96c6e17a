//! The Mooncake trace (kvcache-ai/Mooncake): one JSON object per line,
//! `{"timestamp": <ms>, "input_length": n, "output_length": n, "hash_ids": [...]}`.

use super::error::{TraceError, shorten};
use super::format::TraceFormat;
use super::rows::{Clock, Line, Timed, bad_value, parse_tokens};
use serde_json::{Map, Value};

const TIMESTAMP: &str = "timestamp";
pub(crate) const INPUT: &str = "input_length";
const OUTPUT: &str = "output_length";
const HASH_IDS: &str = "hash_ids";

/// One record, on a non-blank `line`; its `hash_ids` (prefix block ids, one per 512 prompt
/// tokens; optional) are written to `hash_ids`.
pub(crate) fn row(
    clock: &mut Clock,
    line: Line<'_>,
    hash_ids: &mut Vec<u64>,
) -> Result<Option<Timed>, TraceError> {
    let format = TraceFormat::MooncakeJsonl;
    let n = line.number;
    let object: Map<String, Value> =
        serde_json::from_str(line.text).map_err(|e| TraceError::BadJson {
            format,
            line: n,
            message: e.to_string(),
            text: shorten(line.text, 80),
        })?;
    // Each field is re-read from its JSON text so that errors quote the value as written
    // and integers are checked digit by digit (no float detour).
    let field = |name: &str| -> Result<String, TraceError> {
        match object.get(name) {
            Some(v) => Ok(json_text(v)),
            None => Err(TraceError::MissingField {
                format,
                line: n,
                field: name.to_string(),
            }),
        }
    };
    let t_text = field(TIMESTAMP)?;
    let ms = parse_millis(format, n, &t_text)?;
    let input = parse_tokens(format, n, INPUT, &field(INPUT)?)?;
    let output = parse_tokens(format, n, OUTPUT, &field(OUTPUT)?)?;
    hash_ids.clear();
    match object.get(HASH_IDS) {
        None | Some(Value::Null) => {}
        Some(Value::Array(ids)) => {
            for v in ids {
                match v.as_u64() {
                    Some(id) => hash_ids.push(id),
                    None => {
                        return Err(bad_value(
                            format,
                            n,
                            HASH_IDS,
                            &json_text(v),
                            "a list of non-negative integers (block ids)",
                        ));
                    }
                }
            }
        }
        Some(v) => {
            return Err(bad_value(
                format,
                n,
                HASH_IDS,
                &shorten(&json_text(v), 40),
                "a list of non-negative integers (block ids)",
            ));
        }
    }
    // Quote the timestamp as written on this line: find it in the line text.
    let t_str = locate(line.text, &t_text);
    clock
        .row(n, i128::from(ms) * 1_000_000, t_str, input, output)
        .map(Some)
}

/// A millisecond timestamp: a non-negative integer.
/// The JSON text of a field's value, for the digit-by-digit checks. An integer beyond `u64`
/// (which `serde_json` stores as a float and would print as `1e20`) is written out in digits,
/// so that it is reported as too large rather than as "not an integer".
fn json_text(v: &Value) -> String {
    match v.as_f64() {
        Some(f)
            if v.is_f64()
                && f.is_finite()
                && f >= 18_446_744_073_709_551_616.0
                && f.fract() == 0.0 =>
        {
            format!("{f:.0}")
        }
        _ => v.to_string(),
    }
}

fn parse_millis(format: TraceFormat, line: u32, value: &str) -> Result<u64, TraceError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_value(
            format,
            line,
            TIMESTAMP,
            value,
            "a non-negative integer of milliseconds",
        ));
    }
    value.parse::<u64>().map_err(|_| TraceError::TooLarge {
        format,
        line,
        column: TIMESTAMP.to_string(),
        value: value.to_string(),
        max: u64::MAX,
    })
}

/// `needle` as a slice of `haystack` when it occurs there, else the whole line (for quoting
/// the previous timestamp in an ordering error without allocating per row).
fn locate<'a>(haystack: &'a str, needle: &str) -> &'a str {
    match haystack.find(needle) {
        Some(i) => &haystack[i..i + needle.len()],
        None => haystack,
    }
}

#[cfg(test)]
mod tests {
    use crate::time::SimTime;
    use crate::workload::parse::*;

    fn err(text: &str) -> String {
        parse_mooncake_jsonl(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_records_and_ignores_unknown_fields() {
        let text = "{\"timestamp\": 27482, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": [46, 47]}\n\
                    \n\
                    {\"timestamp\": 30535, \"input_length\": 6472, \"output_length\": 26, \"hash_ids\": [], \"extra\": {\"x\": 1}}\r\n\
                    {\"output_length\": 0, \"input_length\": 1, \"timestamp\": 30535}";
        let reqs = parse_mooncake_jsonl(text).unwrap();
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[1].arrival, SimTime(3_053_000_000));
        assert_eq!(reqs[1].id, 1);
        assert_eq!((reqs[1].input_tokens, reqs[1].output_tokens), (6472, 26));
        assert_eq!(reqs[2].arrival, reqs[1].arrival);
        assert_eq!(reqs[2].output_tokens, 1);
    }

    #[test]
    fn hash_ids_become_the_requests_block_lists() {
        use crate::workload::{PrefixGroup, TraceFormat, TraceReader};
        let text = "{\"timestamp\": 1, \"input_length\": 1000, \"output_length\": 5, \"hash_ids\": [46, 47]}\n\
                    {\"timestamp\": 2, \"input_length\": 10, \"output_length\": 5}\n\
                    {\"timestamp\": 3, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [46, 99]}\n";
        let mut reader = TraceReader::new(TraceFormat::MooncakeJsonl);
        reader.push_text(text).unwrap();
        let read = reader.finish().unwrap();
        let g: Vec<PrefixGroup> = read.requests.iter().map(|r| r.prefix).collect();
        assert_eq!(g, vec![PrefixGroup(0), PrefixGroup::NONE, PrefixGroup(1)]);
        assert_eq!(read.blocks.blocks(PrefixGroup(0)), &[46, 47]);
        assert_eq!(read.blocks.blocks(PrefixGroup(1)), &[46, 99]);
        assert_eq!(read.blocks.len(), 2);
        let e = err(
            "{\"timestamp\": 1, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1, -2]}",
        );
        assert_eq!(
            e,
            "mooncake jsonl line 1, column hash_ids: \"-2\" is not a list of non-negative integers (block ids)"
        );
    }

    #[test]
    fn errors_name_line_field_and_value() {
        let ok = "{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 1}\n";
        assert_eq!(
            err(&format!(
                "{ok}{{\"timestamp\": 6, \"input_length\": 1.5, \"output_length\": 1}}"
            )),
            "mooncake jsonl line 2, column input_length: \"1.5\" is not a non-negative integer"
        );
        assert_eq!(
            err(&format!(
                "{ok}{{\"timestamp\": 6, \"input_length\": \"7\", \"output_length\": 1}}"
            )),
            "mooncake jsonl line 2, column input_length: \"\\\"7\\\"\" is not a non-negative integer"
        );
        assert_eq!(
            err(&format!("{ok}\n{{\"timestamp\": 6, \"output_length\": 1}}")),
            "mooncake jsonl line 3: field input_length is missing"
        );
        assert_eq!(
            err(&format!(
                "{ok}{{\"timestamp\": -6, \"input_length\": 1, \"output_length\": 1}}"
            )),
            "mooncake jsonl line 2, column timestamp: \"-6\" is not a non-negative integer of milliseconds"
        );
        assert_eq!(
            err(&format!(
                "{ok}{{\"timestamp\": 4, \"input_length\": 1, \"output_length\": 1}}"
            )),
            "mooncake jsonl line 2: timestamp \"4\" is earlier than \"5\" on line 1 (the trace must be sorted by time)"
        );
        assert_eq!(
            err(&format!(
                "{ok}{{\"timestamp\": 6, \"input_length\": 99999999999, \"output_length\": 1}}"
            )),
            "mooncake jsonl line 2, column input_length: \"99999999999\" is larger than the maximum 4294967295"
        );
        assert_eq!(
            err(&format!(
                "{ok}{{\"timestamp\": 6, \"input_length\": 100000000000000000000, \"output_length\": 1}}"
            )),
            "mooncake jsonl line 2, column input_length: \"100000000000000000000\" is larger than the maximum 4294967295",
            "an integer beyond u64 is too large, not \"1e20\""
        );
        assert_eq!(
            err(
                "{\"timestamp\": 30000000000000000000000, \"input_length\": 1, \"output_length\": 1}"
            ),
            "mooncake jsonl line 1, column timestamp: \"30000000000000000000000\" is larger than the maximum 18446744073709551615"
        );
    }

    #[test]
    fn malformed_json_and_empty_input() {
        let e = err("{\"timestamp\": 5, \"input_length\": 1,\n");
        assert!(
            e.starts_with("mooncake jsonl line 1: not a JSON object ("),
            "{e}"
        );
        let e = err("\u{feff}[1, 2]");
        assert!(
            e.starts_with("mooncake jsonl line 1: not a JSON object ("),
            "{e}"
        );
        assert!(e.ends_with(": \"[1, 2]\""), "{e}");
        assert_eq!(err("\n\r\n"), "mooncake jsonl: the trace has no requests");
    }
}
