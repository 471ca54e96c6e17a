//! The bad-input table: traces, scenario JSON, links and calibration profiles that
//! are wrong in one way each, with the exact message each must produce. Every message says
//! what was wrong and where (line, column or field, and the value); no case may panic, and no
//! case may be accepted. The CLI's flag cases are in `native-worker/tests/cli/cli_errors.rs`; the
//! whole table, with the fuzzing campaign, is in `docs/reliability.md`.
//!
//! The table tests report every mismatching case at once. Cases that guard one past mistake
//! each (a lost position, a silently ignored knob, …) are separate tests named after what they
//! guard, so that a regression names itself.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pecsched_core::perf::Calibration;
use pecsched_core::scenario::{Scenario, link};
use pecsched_core::workload::{
    TraceFormat, parse_azure_csv, parse_burstgpt_csv, parse_mooncake_jsonl, parse_plain_csv,
};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a case's input is given to.
#[derive(Clone, Copy, Debug)]
enum Reader {
    /// `parse_azure_csv`.
    Azure,
    /// `parse_mooncake_jsonl`.
    Mooncake,
    /// `parse_burstgpt_csv`.
    BurstGpt,
    /// `parse_plain_csv`.
    Plain,
    /// `TraceFormat::detect_and_parse` (an upload of unknown format).
    Detect,
    /// `Scenario::from_json` only.
    ScenarioJson,
    /// `Scenario::from_json`, then `requests(None)` and setting up the first policy's
    /// simulation: errors that only show once the scenario is built.
    ScenarioBuild,
    /// `link::decode_scenario` (a pasted `#s=` token).
    Link,
    /// `Calibration::from_json`.
    Calibration,
}

impl Reader {
    /// Reads `input`; `Ok` describes what was (wrongly) accepted, `Err` is the message.
    fn read(self, input: &str) -> Result<String, String> {
        let trace = |r: Result<Vec<_>, _>| {
            r.map(|v: Vec<_>| format!("{} requests", v.len()))
                .map_err(|e: pecsched_core::workload::TraceError| e.to_string())
        };
        match self {
            Reader::Azure => trace(parse_azure_csv(input)),
            Reader::Mooncake => trace(parse_mooncake_jsonl(input)),
            Reader::BurstGpt => trace(parse_burstgpt_csv(input)),
            Reader::Plain => trace(parse_plain_csv(input)),
            Reader::Detect => trace(TraceFormat::detect_and_parse(input).map(|(_, r)| r)),
            Reader::ScenarioJson => Scenario::from_json(input)
                .map(|s| format!("a scenario of {} policies", s.policies().len()))
                .map_err(|e| e.to_string()),
            Reader::ScenarioBuild => {
                let s = Scenario::from_json(input).map_err(|e| e.to_string())?;
                let reqs = s.requests(None).map_err(|e| e.to_string())?;
                let n = reqs.len();
                s.simulation(s.policies()[0], reqs)
                    .map_err(|e| e.to_string())?;
                Ok(format!("a runnable scenario of {n} requests"))
            }
            Reader::Link => link::decode_scenario(input)
                .map(|_| "a scenario".to_string())
                .map_err(|e| e.to_string()),
            Reader::Calibration => Calibration::from_json(input)
                .map(|_| "a calibration".to_string())
                .map_err(|e| e.to_string()),
        }
    }
}

/// One row of the table.
struct Case {
    /// What is wrong with the input, in a few words.
    name: &'static str,
    /// Where the input goes.
    reader: Reader,
    /// The input.
    input: String,
    /// The exact message it must produce.
    expected: String,
}

fn case(name: &'static str, reader: Reader, input: impl Into<String>, expected: &str) -> Case {
    Case {
        name,
        reader,
        input: input.into(),
        expected: expected.to_string(),
    }
}

/// What went wrong with one case, or `None` if it gave exactly the expected error.
fn run(c: &Case) -> Option<String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| c.reader.read(&c.input)));
    match outcome {
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            Some(format!("PANICKED: {msg}"))
        }
        Ok(Ok(accepted)) => Some(format!("ACCEPTED (silently): {accepted}")),
        Ok(Err(msg)) if msg == c.expected => None,
        Ok(Err(msg)) => Some(format!("wrong message:\n      got:      {msg}")),
    }
}

/// Runs every case and fails with all mismatches listed.
fn check(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            run(c).map(|why| {
                format!(
                    "  [{:?}] {}: {why}\n      expected: {}",
                    c.reader, c.name, c.expected
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Runs one case (for the single-case tests).
fn check_one(name: &'static str, reader: Reader, input: impl Into<String>, expected: &str) {
    check(&[case(name, reader, input, expected)]);
}

const AZURE_HEADER: &str = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
const AZURE_TIME: &str = "2023-11-16 18:17:03.9799600";
const PLAIN_HEADER: &str = "arrival_s,input_tokens,output_tokens\n";
const BURST_HEADER: &str = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n";
const MOONCAKE_OK: &str = "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 2}\n";

/// The first bytes of a PNG file, read as text the way an upload is (invalid UTF-8 replaced).
fn png_bytes() -> String {
    let png = [
        0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R',
    ];
    String::from_utf8_lossy(&png).into_owned()
}

#[test]
fn trace_table() {
    use Reader::*;
    let az = |body: &str| format!("{AZURE_HEADER}{body}");
    let plain = |body: &str| format!("{PLAIN_HEADER}{body}");
    let burst = |body: &str| format!("{BURST_HEADER}{body}");
    let moon = |line: &str| format!("{MOONCAKE_OK}{line}\n");
    let cases = [
        case(
            "token count is text",
            Azure,
            az(&format!("{AZURE_TIME},12x,3\n")),
            "azure csv line 2, column ContextTokens: \"12x\" is not a non-negative integer",
        ),
        case(
            "missing column",
            Azure,
            format!("TIMESTAMP,ContextTokens\n{AZURE_TIME},1\n"),
            "azure csv line 1: header is missing column(s) [\"GeneratedTokens\"]; expected [\"TIMESTAMP\", \"ContextTokens\", \"GeneratedTokens\"], found [\"TIMESTAMP\", \"ContextTokens\"]",
        ),
        case(
            "negative output length",
            Azure,
            az(&format!("{AZURE_TIME},10,-3\n")),
            "azure csv line 2, column GeneratedTokens: \"-3\" is not a non-negative integer",
        ),
        case(
            "zero input length",
            Azure,
            az(&format!("{AZURE_TIME},0,5\n")),
            "azure csv line 2, column ContextTokens: input length 0 is not allowed (a request needs at least one prompt token)",
        ),
        case(
            "input length beyond u32",
            Azure,
            az(&format!("{AZURE_TIME},4294967296,5\n")),
            "azure csv line 2, column ContextTokens: \"4294967296\" is larger than the maximum 4294967295",
        ),
        case(
            "NaN token count",
            Azure,
            az(&format!("{AZURE_TIME},NaN,5\n")),
            "azure csv line 2, column ContextTokens: \"NaN\" is not a non-negative integer",
        ),
        case(
            "unsorted timestamps",
            Azure,
            az("2023-11-16 18:17:05,1,1\r\n2023-11-16 18:17:04.5,1,1\r\n"),
            "azure csv line 3: timestamp \"2023-11-16 18:17:04.5\" is earlier than \"2023-11-16 18:17:05\" on line 2 (the trace must be sorted by time)",
        ),
        case(
            "empty file",
            Azure,
            "",
            "azure csv: the trace has no requests",
        ),
        case(
            "header only",
            Azure,
            AZURE_HEADER,
            "azure csv: the trace has no requests",
        ),
        case(
            "impossible date",
            Azure,
            az("2023-02-29 00:00:00,1,1\n"),
            "azure csv line 2, column TIMESTAMP: \"2023-02-29 00:00:00\" is not a datetime like 2023-11-16 18:17:03.9799600 (day 29 is outside 1..=28)",
        ),
        case(
            "row with a missing field",
            Azure,
            az(&format!("{AZURE_TIME},1,1\n{AZURE_TIME},1\n")),
            "azure csv line 3: expected 3 comma-separated fields, found 2: \"2023-11-16 18:17:03.9799600,1\"",
        ),
        case(
            "quoted timestamp",
            Azure,
            az(&format!("\"{AZURE_TIME}\",1,1\n")),
            "azure csv line 2, column TIMESTAMP: \"\\\"2023-11-16 18:17:03.9799600\\\"\" is not a datetime like 2023-11-16 18:17:03.9799600 (separators are not YYYY-MM-DD HH:MM:SS)",
        ),
        case(
            "binary garbage (a PNG)",
            Detect,
            png_bytes(),
            "unknown trace format: first line \"\u{fffd}PNG\" is neither a JSON object nor a known CSV header",
        ),
        case(
            "empty upload",
            Detect,
            "\n \r\n",
            "the trace is empty: it has no non-blank line",
        ),
        case(
            "UTF-16 file",
            Detect,
            String::from_utf8_lossy(b"\xff\xfea\x00,\x00b\x00\n\x00").into_owned(),
            "unknown trace format: first line \"\u{fffd}\u{fffd}a\\0,\\0b\\0\" is neither a JSON object nor a known CSV header",
        ),
        case(
            "NaN arrival",
            Plain,
            plain("0,1,1\nNaN,1,1\n"),
            "plain csv line 3, column arrival_s: \"NaN\" is not a non-negative number of seconds (not a plain decimal number)",
        ),
        case(
            "negative arrival",
            Plain,
            plain("-1,1,1\n"),
            "plain csv line 2, column arrival_s: \"-1\" is not a non-negative number of seconds (not a plain decimal number)",
        ),
        case(
            "arrival beyond 584 years",
            Plain,
            plain("0,1,1\n1e30,1,1\n"),
            "plain csv line 3, column arrival_s: \"1e30\" is not a non-negative number of seconds (too large (more than 584 years))",
        ),
        case(
            "arrival past the simulable span (once accepted, time saturated)",
            Plain,
            plain("0,1,1\n18446744073.5,200000,1\n18446744073.6,1,1\n"),
            "plain csv line 3: timestamp \"18446744073.5\" is 18446744073 s after the first request; at most 1000000000 s (about 31 years) can be simulated",
        ),
        case(
            "arrivals 8000 years apart",
            Azure,
            az("0001-01-01 00:00:00,1,1\n9999-12-31 23:59:59,1,1\n"),
            "azure csv line 3: timestamp \"9999-12-31 23:59:59\" is 315537897599 s after the first request; at most 1000000000 s (about 31 years) can be simulated",
        ),
        case(
            "timestamp 1e15 ms after the first",
            Mooncake,
            moon("{\"timestamp\": 1000000000000005, \"input_length\": 1, \"output_length\": 1}"),
            "mooncake jsonl line 2: timestamp \"1000000000000005\" is 1000000000000 s after the first request; at most 1000000000 s (about 31 years) can be simulated",
        ),
        case(
            "timestamp just past the limit",
            BurstGpt,
            burst("0,ChatGPT,1,1,2,API log\n1000000000.000000001,ChatGPT,1,1,2,API log\n"),
            "burstgpt csv line 3: timestamp \"1000000000.000000001\" is 1000000000 s after the first request; at most 1000000000 s (about 31 years) can be simulated",
        ),
        case(
            "fractional token count",
            Plain,
            plain("0,1.5,1\n"),
            "plain csv line 2, column input_tokens: \"1.5\" is not a non-negative integer",
        ),
        case(
            "broken JSON line",
            Mooncake,
            moon("{\"timestamp\": 6, \"input_length\": 1,"),
            "mooncake jsonl line 2: not a JSON object (EOF while parsing a value at line 1 column 35): \"{\\\"timestamp\\\": 6, \\\"input_length\\\": 1,\"",
        ),
        case(
            "length is a string",
            Mooncake,
            moon("{\"timestamp\": 6, \"input_length\": \"7\", \"output_length\": 1}"),
            "mooncake jsonl line 2, column input_length: \"\\\"7\\\"\" is not a non-negative integer",
        ),
        case(
            "missing field",
            Mooncake,
            moon("{\"timestamp\": 6, \"output_length\": 1}"),
            "mooncake jsonl line 2: field input_length is missing",
        ),
        case(
            "negative timestamp",
            Mooncake,
            moon("{\"timestamp\": -6, \"input_length\": 1, \"output_length\": 1}"),
            "mooncake jsonl line 2, column timestamp: \"-6\" is not a non-negative integer of milliseconds",
        ),
        case(
            "length beyond u64",
            Mooncake,
            moon(
                "{\"timestamp\": 6, \"input_length\": 100000000000000000000, \"output_length\": 1}",
            ),
            "mooncake jsonl line 2, column input_length: \"100000000000000000000\" is larger than the maximum 4294967295",
        ),
        case(
            "unsorted records",
            Mooncake,
            moon("{\"timestamp\": 4, \"input_length\": 1, \"output_length\": 1}"),
            "mooncake jsonl line 2: timestamp \"4\" is earlier than \"5\" on line 1 (the trace must be sorted by time)",
        ),
        case(
            "a JSON array instead of an object",
            Mooncake,
            "[5, 10, 2]\n",
            "mooncake jsonl line 1: not a JSON object (invalid type: sequence, expected a map at line 1 column 0): \"[5, 10, 2]\"",
        ),
        case(
            "infinite timestamp",
            BurstGpt,
            burst("5,ChatGPT,472,18,490,Conversation log\ninf,ChatGPT,1,1,2,API log\n"),
            "burstgpt csv line 3, column Timestamp: \"inf\" is not a non-negative number of seconds (not a plain decimal number)",
        ),
        case(
            "missing token column",
            BurstGpt,
            "Timestamp,Model,Request tokens,Total tokens,Log Type\n5,ChatGPT,472,490,Conversation log\n",
            "burstgpt csv line 1: header is missing column(s) [\"Response tokens\"]; expected [\"Timestamp\", \"Request tokens\", \"Response tokens\"], found [\"Timestamp\", \"Model\", \"Request tokens\", \"Total tokens\", \"Log Type\"]",
        ),
        case(
            "only failed requests",
            BurstGpt,
            burst("5,ChatGPT,472,0,472,Conversation log\n6,GPT-4,10,0,10,API log\n"),
            "burstgpt csv: the trace has no requests",
        ),
    ];
    check(&cases);
}

/// A small valid scenario, one field per line so that JSON errors have readable positions:
/// cases replace one piece of it.
const SCENARIO: &str = r#"{
  "version": 1,
  "cluster": {"gpu": "a100", "nodes": 1, "gpus_per_node": 8, "network_gbps": 400.0},
  "model": "llama3.1-8b",
  "tp": 2,
  "workload": {
    "source": {"synthetic": {"requests": 20, "rate_per_s": 2.0, "cv": 1.0, "lengths_from": null, "lognormal": [800.0, 1.0, 200.0, 0.8]}},
    "window_s": null,
    "rate_scale": 1.0
  },
  "policies": ["fifo", "pecsched"],
  "seed": 7
}"#;

/// [`SCENARIO`] with `from` replaced by `to` (which must occur exactly once).
fn scenario_with(from: &str, to: &str) -> String {
    assert_eq!(
        SCENARIO.matches(from).count(),
        1,
        "{from:?} in the base scenario"
    );
    SCENARIO.replace(from, to)
}

#[test]
fn the_base_scenario_is_valid_and_runnable() {
    assert_eq!(
        Reader::ScenarioBuild.read(SCENARIO),
        Ok("a runnable scenario of 20 requests".to_string())
    );
}

#[test]
fn scenario_table() {
    use Reader::*;
    let cases = [
        case(
            "not JSON at all",
            ScenarioJson,
            png_bytes(),
            "scenario JSON line 1, column 1: expected value at line 1 column 1",
        ),
        case(
            "a list, not a scenario (once named the internal struct VersionOnly)",
            ScenarioJson,
            "[]",
            "scenario JSON line 1, column 1: the top level is a list ([…]); expected a scenario: a JSON object such as {\"version\": 1, \"cluster\": …}",
        ),
        case(
            "cluster is a list",
            ScenarioJson,
            scenario_with(
                "{\"gpu\": \"a100\", \"nodes\": 1, \"gpus_per_node\": 8, \"network_gbps\": 400.0}",
                "[]",
            ),
            "scenario JSON line 3, column 15: invalid length 0, expected a cluster: an object with gpu, nodes, gpus_per_node and network_gbps at line 3 column 15",
        ),
        case(
            "empty file",
            ScenarioJson,
            "",
            "scenario JSON line 1, column 0: EOF while parsing a value at line 1 column 0",
        ),
        case(
            "NaN is not JSON",
            ScenarioJson,
            scenario_with("\"rate_scale\": 1.0", "\"rate_scale\": NaN"),
            "scenario JSON line 9, column 19: expected value at line 9 column 19",
        ),
        case(
            "number beyond f64",
            ScenarioJson,
            scenario_with("\"rate_scale\": 1.0", "\"rate_scale\": 1e999"),
            "scenario JSON line 9, column 23: number out of range at line 9 column 23",
        ),
        case(
            "zero nodes",
            ScenarioJson,
            scenario_with("\"nodes\": 1", "\"nodes\": 0"),
            "scenario field `cluster.nodes` = 0: expected between 1 and 2048",
        ),
        case(
            "zero GPUs per node",
            ScenarioJson,
            scenario_with("\"gpus_per_node\": 8", "\"gpus_per_node\": 0"),
            "scenario field `cluster.gpus_per_node` = 0: expected between 1 and 16",
        ),
        case(
            "tp does not divide the node",
            ScenarioJson,
            scenario_with("\"tp\": 2", "\"tp\": 3"),
            "scenario field `tp` = 3: expected a divisor of cluster.gpus_per_node",
        ),
        case(
            "zero network bandwidth",
            ScenarioJson,
            scenario_with("\"network_gbps\": 400.0", "\"network_gbps\": 0"),
            "scenario field `cluster.network_gbps` = 0: expected a number in (0, 100000]",
        ),
        case(
            "negative rate scale",
            ScenarioJson,
            scenario_with("\"rate_scale\": 1.0", "\"rate_scale\": -1"),
            "scenario field `workload.rate_scale` = -1: expected a number in (0, 1000]",
        ),
        case(
            "window reversed",
            ScenarioJson,
            scenario_with("\"window_s\": null", "\"window_s\": [600, 0]"),
            "scenario field `workload.window_s` = [600, 0]: expected [start, end] seconds with 0 <= start < end",
        ),
        case(
            "window starts before 0",
            ScenarioJson,
            scenario_with("\"window_s\": null", "\"window_s\": [-5, 10]"),
            "scenario field `workload.window_s` = [-5, 10]: expected [start, end] seconds with 0 <= start < end",
        ),
        case(
            "unknown model",
            ScenarioJson,
            scenario_with("llama3.1-8b", "gpt-5"),
            "scenario field `model` = gpt-5: expected one of mistral-7b, phi3-14b, yi-34b, llama3.1-70b, llama3.1-8b",
        ),
        case(
            "unknown GPU",
            ScenarioJson,
            scenario_with("\"a100\"", "\"v100\""),
            "scenario field `cluster.gpu` = v100: expected one of a100, h100, h200",
        ),
        case(
            "unknown policy",
            ScenarioJson,
            scenario_with("\"pecsched\"]", "\"srpt\"]"),
            "scenario field `policies` = srpt: expected one of fifo, reservation, priority, pecsched, pecsched/pe, pecsched/dis, pecsched/col, pecsched/fsp, sjf, ltr, chunked-prefill, distserve, medha, loongserve",
        ),
        case(
            "no policy",
            ScenarioJson,
            scenario_with("[\"fifo\", \"pecsched\"]", "[]"),
            "scenario field `policies` = []: expected at least one policy",
        ),
        case(
            "newer version",
            ScenarioJson,
            scenario_with("\"version\": 1", "\"version\": 3"),
            "scenario format version 3 is newer than this PecSched understands (up to 2); update PecSched",
        ),
        case(
            "zero synthetic requests",
            ScenarioJson,
            scenario_with("\"requests\": 20", "\"requests\": 0"),
            "scenario field `workload.source.synthetic.requests` = 0: expected between 1 and 50000000",
        ),
        case(
            "long-input range reversed",
            ScenarioJson,
            scenario_with(
                "\"rate_scale\": 1.0",
                "\"rate_scale\": 1.0, \"long_input\": {\"percentile\": 95, \"min_tokens\": 500000, \"max_tokens\": 100000}",
            ),
            "scenario field `workload.long_input` = percentile 95, min_tokens 500000, max_tokens 100000: expected percentile in [0,100] and 1 <= min_tokens <= max_tokens <= 10000000",
        ),
        case(
            "unknown trace format",
            ScenarioJson,
            scenario_with(
                "{\"synthetic\": {\"requests\": 20, \"rate_per_s\": 2.0, \"cv\": 1.0, \"lengths_from\": null, \"lognormal\": [800.0, 1.0, 200.0, 0.8]}}",
                "{\"file\": {\"name\": \"t.csv\", \"format\": \"parquet\"}}",
            ),
            "scenario field `workload.source.file.format` = parquet: expected azure, mooncake, burstgpt or plain",
        ),
        case(
            "engine knob out of range",
            ScenarioJson,
            scenario_with(
                "\"seed\": 7",
                "\"seed\": 7, \"engine\": {\"max_batched_tokens\": 8192, \"max_num_seqs\": 0, \"local_queue_cap_tokens\": 8192, \"long_threshold_tokens\": 32768, \"max_short_kv_permille\": 500, \"sp_tokens_per_replica\": 131072, \"kernels_per_layer\": 8, \"context_switch\": 50000, \"drain_limit\": 3600000000000}",
            ),
            "scenario field `engine.max_num_seqs` = 0: expected between 1 and 4096",
        ),
        case(
            "trace file not supplied",
            ScenarioBuild,
            scenario_with(
                "{\"synthetic\": {\"requests\": 20, \"rate_per_s\": 2.0, \"cv\": 1.0, \"lengths_from\": null, \"lognormal\": [800.0, 1.0, 200.0, 0.8]}}",
                "{\"file\": {\"name\": \"prod.csv\", \"format\": \"azure\"}}",
            ),
            "the scenario reads trace file \"prod.csv\", which was not supplied (uploaded traces are not part of links)",
        ),
        case(
            "window holds no request",
            ScenarioBuild,
            scenario_with("\"window_s\": null", "\"window_s\": [100000, 200000]"),
            "scenario field `workload` = 0 requests: expected at least one request after window and truncation",
        ),
        case(
            "burstiness beyond f64 (fuzz finding: was a panic; now refused when read)",
            ScenarioBuild,
            scenario_with("\"cv\": 1.0", "\"cv\": 1e200"),
            "scenario field `workload.source.synthetic.cv` = 1e200: expected a number in (0, 100]",
        ),
        case(
            "synthetic rate too slow to fit simulated time (once gave 50/50 long requests with JCT 0)",
            ScenarioJson,
            scenario_with("\"rate_per_s\": 2.0", "\"rate_per_s\": 1e-9"),
            "scenario field `workload.source.synthetic.rate_per_s` = 1e-9: expected at least 1.9e-8 per second, so that 20 requests arrive within 1000000000 s (limits::MAX_ARRIVAL_S, about 31 years)",
        ),
        case(
            "window end past the simulable span",
            ScenarioJson,
            scenario_with("\"window_s\": null", "\"window_s\": [0, 1e12]"),
            "scenario field `workload.window_s` = [0, 1000000000000]: expected an end of at most 1000000000 s (limits::MAX_ARRIVAL_S, about 31 years; omit the window to keep every arrival)",
        ),
        case(
            "rate scale that pushes arrivals past the simulable span",
            ScenarioBuild,
            scenario_with("\"rate_scale\": 1.0", "\"rate_scale\": 1e-9"),
            "scenario field `workload.rate_scale` = 1e-9: expected large enough that the last arrival (6.488984497 s before scaling) stays within 1000000000 s (limits::MAX_ARRIVAL_S)",
        ),
        case(
            "more decode replicas than replicas",
            ScenarioBuild,
            scenario_with(
                "\"seed\": 7",
                "\"seed\": 7, \"knobs\": {\"decode_replicas\": 4, \"colocation_cap_tokens_per_gpu\": 512}",
            )
            .replace("[\"fifo\", \"pecsched\"]", "[\"pecsched\"]"),
            "4 decode-only replicas leave no prefill replica out of 4",
        ),
    ];
    check(&cases);
}

/// A valid link token of [`SCENARIO`].
fn token() -> String {
    link::encode_scenario(&Scenario::from_json(SCENARIO).expect("the base scenario is valid"))
}

/// `token()`'s bytes changed by `edit`, re-encoded (checksum not updated).
fn edited_token(edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut bytes = URL_SAFE_NO_PAD.decode(token()).expect("a valid token");
    edit(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn link_table() {
    use Reader::*;
    let t = token();
    let payload = URL_SAFE_NO_PAD.decode(&t).expect("a valid token").len();
    let mut tp3 = Scenario::from_json(SCENARIO).expect("valid").to_wire();
    tp3.tp = 3;
    // A cut on a base64 quantum boundary (4 characters = 3 bytes), well inside the payload.
    let cut = (t.len() / 2) / 4 * 4;
    let mut tampered = t.clone();
    let mid = t.len() / 2;
    let flipped = if &t[mid..=mid] == "A" { "B" } else { "A" };
    tampered.replace_range(mid..=mid, flipped);
    let cases = [
        case(
            "empty",
            Link,
            "",
            "the link holds no scenario (nothing after `#s=`)",
        ),
        case(
            "truncated",
            Link,
            &t[..cut],
            &format!(
                "the link is truncated: it holds {} of the scenario's {payload} bytes; copy the whole link again",
                cut / 4 * 3
            ),
        ),
        case(
            "one character changed",
            Link,
            tampered,
            "the link was altered: its checksum does not match its content",
        ),
        case(
            "bytes appended",
            Link,
            edited_token(|b| b.extend_from_slice(&[0, 0, 0])),
            "the link was altered: its checksum does not match its content",
        ),
        case(
            "from a future version",
            Link,
            edited_token(|b| b[0] = 3),
            "the link uses scenario format version 3, newer than this explorer understands (up to 2); open it with a newer PecSched",
        ),
        case(
            "from version 0",
            Link,
            edited_token(|b| b[0] = 0),
            "the link uses scenario format version 0, which this explorer no longer reads (it reads version 2)",
        ),
        case(
            "not base64",
            Link,
            "AQ$AA",
            "the link is malformed: character '$' at position 3 is not base64url",
        ),
        case(
            "the whole URL pasted",
            Link,
            format!("https://example.invalid/#s={t}"),
            "the link is malformed: character ':' at position 6 is not base64url",
        ),
        case(
            "huge",
            Link,
            "A".repeat(100_000),
            "the link's scenario is 100000 characters long; at most 8192 are accepted",
        ),
        case(
            "valid link to an invalid scenario",
            Link,
            link::encode(&tp3),
            "the link's scenario is invalid: scenario field `tp` = 3: expected a divisor of cluster.gpus_per_node",
        ),
    ];
    check(&cases);
}

#[test]
fn calibration_table() {
    use Reader::*;
    // Every field, in declaration order (the list grows as the model gains fields).
    let known: Vec<&str> = pecsched_core::perf::Calibration::FIELDS
        .iter()
        .map(|&(name, _)| name)
        .collect();
    let known = known.join(", ");
    let profile = |overrides: &str| {
        format!("{{\"schema\": \"pecsched-calibration/1\", \"overrides\": {{{overrides}}}}}")
    };
    let cases = [
        case(
            "efficiency above 1",
            Calibration,
            profile("\"gemm_efficiency\": 1.5"),
            "calibration: efficiency `gemm_efficiency` must be ≤ 1 (got 1.5)",
        ),
        case(
            "zero efficiency",
            Calibration,
            profile("\"hbm_efficiency\": 0"),
            "calibration: efficiency `hbm_efficiency` must be > 0 (got 0)",
        ),
        case(
            "negative overhead",
            Calibration,
            profile("\"kernel_overhead_s\": -1e-6"),
            "calibration: field `kernel_overhead_s` must not be negative (got -0.000001)",
        ),
        case(
            "unknown field",
            Calibration,
            profile("\"gemm_eff\": 0.5"),
            &format!("calibration: unknown field `gemm_eff`; known fields: {known}"),
        ),
        case(
            "number as a string",
            Calibration,
            profile("\"gemm_efficiency\": \"0.5\""),
            "calibration: field `gemm_efficiency` must be a number (got \"0.5\")",
        ),
        case(
            "number beyond f64",
            Calibration,
            profile("\"gemm_efficiency\": 1e999"),
            "calibration JSON: number out of range at line 1 column 75",
        ),
        case(
            "future schema",
            Calibration,
            "{\"schema\": \"pecsched-calibration/2\", \"overrides\": {}}",
            "calibration JSON: schema version 2 is newer than this build supports (1); upgrade pecsched",
        ),
        case(
            "another tool's schema",
            Calibration,
            "{\"schema\": \"vllm-profile/1\"}",
            "calibration JSON: unknown schema \"vllm-profile/1\" (expected \"pecsched-calibration/1\")",
        ),
        case(
            "no schema",
            Calibration,
            "{\"overrides\": {\"gemm_efficiency\": 0.5}}",
            "calibration JSON: missing string field `schema` (expected \"pecsched-calibration/1\")",
        ),
        case(
            "unknown top-level key",
            Calibration,
            "{\"schema\": \"pecsched-calibration/1\", \"override\": {}}",
            "calibration JSON: unknown top-level key `override`",
        ),
        case(
            "overrides is a list",
            Calibration,
            "{\"schema\": \"pecsched-calibration/1\", \"overrides\": [0.5]}",
            "calibration JSON: `overrides` must be an object of field → number",
        ),
        case(
            "top level is a list",
            Calibration,
            "[]",
            "calibration JSON: the top level must be an object",
        ),
        case(
            "truncated file",
            Calibration,
            "{\"schema\": \"pecsched-calibration/1\", \"overr",
            "calibration JSON: EOF while parsing a string at line 1 column 43",
        ),
        case(
            "binary garbage",
            Calibration,
            png_bytes(),
            "calibration JSON: expected value at line 1 column 1",
        ),
    ];
    check(&cases);
}

/// Inputs that look odd but are valid by design, each with the rule that allows it, so that
/// "nothing is silently accepted" is not mistaken for "everything odd is refused".
#[test]
fn accepted_by_design() {
    // Equal timestamps are simultaneous arrivals (ties keep file order).
    let reqs = parse_plain_csv(&format!("{PLAIN_HEADER}5,10,1\n5,20,1\n5,30,1\n")).unwrap();
    assert!(reqs.iter().all(|r| r.arrival.0 == 0));
    assert_eq!(
        reqs.iter().map(|r| r.input_tokens).collect::<Vec<_>>(),
        [10, 20, 30]
    );
    // An output length of 0 is read as 1 (the first token comes with the prefill).
    let reqs = parse_azure_csv(&format!("{AZURE_HEADER}{AZURE_TIME},10,0\n")).unwrap();
    assert_eq!(reqs[0].output_tokens, 1);
    // Unknown Mooncake fields (hash_ids, …) are ignored: the format carries more than we need.
    let reqs = parse_mooncake_jsonl(
        "{\"timestamp\": 1, \"input_length\": 2, \"output_length\": 3, \"hash_ids\": [1]}",
    )
    .unwrap();
    assert_eq!(reqs.len(), 1);
    // A byte order mark and CRLF line ends (files saved by Excel or Notepad).
    let reqs = parse_plain_csv(&format!(
        "\u{feff}{}",
        PLAIN_HEADER.replace('\n', "\r\n") + "0,1,1\r\n"
    ))
    .unwrap();
    assert_eq!(reqs.len(), 1);
    // A scenario file with a byte order mark, like a trace (once refused at "line 1 column 1").
    let s = Scenario::from_json(&format!("\u{feff}{SCENARIO}")).unwrap();
    assert_eq!(s.policies().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Regression tests of bugs found by this work, outside the code this work may change. Each
// fails until its bug is fixed; docs/reliability.md lists them with the suggested fix.
// ---------------------------------------------------------------------------------------------

/// A type error in a scenario file names its line and column (the wire struct is read from the
/// text itself, not through an intermediate value that would lose the position).
#[test]
fn scenario_type_errors_have_a_position() {
    check_one(
        "nodes is a string",
        Reader::ScenarioJson,
        scenario_with("\"nodes\": 1", "\"nodes\": \"1\""),
        "scenario JSON line 3, column 41: invalid type: string \"1\", expected u32 at line 3 column 41",
    );
}

/// An unknown field is refused at its line and column.
#[test]
fn scenario_unknown_field_has_a_position() {
    check_one(
        "unknown top-level field",
        Reader::ScenarioJson,
        scenario_with("\"seed\": 7", "\"seed\": 7, \"colour\": \"red\""),
        "scenario JSON line 12, column 21: unknown field `colour`, expected one of `version`, `cluster`, `model`, `tp`, `workload`, `policies`, `engine`, `knobs`, `seed` at line 12 column 21",
    );
}

/// A version below the current one is reported as unsupported, not as newer.
#[test]
fn scenario_version_0_is_not_newer() {
    check_one(
        "version 0",
        Reader::ScenarioJson,
        scenario_with("\"version\": 1", "\"version\": 0"),
        "scenario field `version` = 0: expected 2 (files and links of version 1 are upgraded as they are read)",
    );
}

/// A misspelt engine knob is refused, not silently replaced by its default.
#[test]
fn scenario_unknown_engine_knob_is_refused() {
    check_one(
        "misspelt engine knob",
        Reader::ScenarioJson,
        scenario_with(
            "\"seed\": 7",
            "\"seed\": 7, \"engine\": {\"max_batched_tokens\": 8192, \"max_num_seqs\": 256, \"local_queue_cap_tokens\": 8192, \"long_threshold_tokens\": 32768, \"max_short_kv_permille\": 500, \"sp_tokens_per_replica\": 131072, \"kernels_per_layer\": 8, \"context_switch\": 50000, \"drain_limit\": 3600000000000, \"max_num_seq\": 8}",
        ),
        "scenario JSON line 12, column 292: unknown field `max_num_seq`, expected one of `max_batched_tokens`, `max_num_seqs`, `local_queue_cap_tokens`, `long_threshold_tokens`, `max_short_kv_permille`, `sp_tokens_per_replica`, `kernels_per_layer`, `context_switch`, `drain_limit` at line 12 column 292",
    );
}

/// A misspelt policy knob is refused, not silently ignored.
#[test]
fn scenario_unknown_policy_knob_is_refused() {
    check_one(
        "misspelt policy knob",
        Reader::ScenarioJson,
        scenario_with(
            "\"seed\": 7",
            "\"seed\": 7, \"knobs\": {\"decode_replica\": 2, \"colocation_cap_tokens_per_gpu\": 512}",
        ),
        "scenario JSON line 12, column 39: unknown field `decode_replica`, expected `decode_replicas` or `colocation_cap_tokens_per_gpu` at line 12 column 39",
    );
}

/// `knobs.decode_replicas = 0` is refused when the scenario is read (under PecSched every short
/// request would wait forever for a decode replica that does not exist).
#[test]
fn scenario_zero_decode_replicas_is_refused() {
    check_one(
        "zero decode replicas",
        Reader::ScenarioJson,
        scenario_with(
            "\"seed\": 7",
            "\"seed\": 7, \"knobs\": {\"decode_replicas\": 0, \"colocation_cap_tokens_per_gpu\": 512}",
        ),
        "scenario field `knobs.decode_replicas` = 0: expected at least 1 (PecSched's decode-only replicas)",
    );
}

/// The synthetic generator's parameters are checked when a scenario is read, naming the field
/// (not only when it runs).
#[test]
fn scenario_synthetic_rate_is_checked_on_read() {
    check_one(
        "negative synthetic rate",
        Reader::ScenarioJson,
        scenario_with("\"rate_per_s\": 2.0", "\"rate_per_s\": -1"),
        "scenario field `workload.source.synthetic.rate_per_s` = -1: expected a finite number > 0",
    );
}

/// `engine.context_switch` is range-checked (584 years per pause is refused).
#[test]
fn scenario_context_switch_is_bounded() {
    check_one(
        "context switch of 584 years",
        Reader::ScenarioJson,
        scenario_with(
            "\"seed\": 7",
            "\"seed\": 7, \"engine\": {\"max_batched_tokens\": 8192, \"max_num_seqs\": 256, \"local_queue_cap_tokens\": 8192, \"long_threshold_tokens\": 32768, \"max_short_kv_permille\": 500, \"sp_tokens_per_replica\": 131072, \"kernels_per_layer\": 8, \"context_switch\": 18446744073709551615, \"drain_limit\": 3600000000000}",
        ),
        "scenario field `engine.context_switch` = 18446744073709551615: expected between 0 and 3600000000000 (nanoseconds)",
    );
}

/// Huge numbers in field errors are written in scientific form (`1e300`, not 301 digits);
/// ordinary ones (`-1`, `400`) as they are.
#[test]
fn scenario_huge_numbers_are_readable() {
    check_one(
        "huge rate scale",
        Reader::ScenarioJson,
        scenario_with("\"rate_scale\": 1.0", "\"rate_scale\": 1e300"),
        "scenario field `workload.rate_scale` = 1e300: expected a number in (0, 1000]",
    );
}
