//! The embedded Azure 2023 traces parse to the figures their README publishes, and detection
//! and the shared reading rules hold across formats.

use super::test_data::{AZURE_CODE, AZURE_CONV};
use super::*;

fn close(x: f64, want: f64, tol: f64) -> bool {
    (x - want).abs() <= tol
}

#[test]
fn conv_trace_matches_published_figures() {
    let reqs = parse_azure_csv(AZURE_CONV).unwrap();
    let s = TraceStats::of(&reqs);
    assert_eq!(s.count, 19_366);
    assert!(close(s.span.as_secs_f64(), 3_501.7, 0.1), "span {}", s.span);
    assert!(
        close(s.mean_rate_per_s, 5.53, 0.005),
        "rate {}",
        s.mean_rate_per_s
    );
    assert_eq!((s.input.p50, s.input.p80, s.input.p90), (1020, 1315, 2735));
    assert_eq!((s.input.p99, s.input.max), (4142, 14_050));
    assert_eq!((s.output.p50, s.output.p90, s.output.p99), (129, 424, 601));
    assert_eq!(s.output.max, 1000);
    assert!(
        close(s.input_below_2048_share, 0.860, 0.0005),
        "{}",
        s.input_below_2048_share
    );
    assert_eq!(reqs.iter().filter(|r| r.input_tokens > 8192).count(), 1);
    assert!(reqs.iter().enumerate().all(|(i, r)| r.id as usize == i));
    assert_eq!(reqs[0].arrival, SimTime::ZERO);
}

#[test]
fn code_trace_matches_published_figures() {
    let reqs = parse_azure_csv(AZURE_CODE).unwrap();
    let s = TraceStats::of(&reqs);
    assert_eq!(s.count, 8_819);
    assert!(close(s.span.as_secs_f64(), 3_435.9, 0.1), "span {}", s.span);
    assert!(
        close(s.mean_rate_per_s, 2.57, 0.005),
        "rate {}",
        s.mean_rate_per_s
    );
    assert_eq!((s.input.p50, s.input.p80, s.input.p90), (1469, 3193, 5194));
    assert_eq!((s.input.p99, s.input.max), (7436, 7437));
    assert_eq!((s.output.p50, s.output.p90, s.output.p99), (13, 55, 252));
    assert_eq!(s.output.max, 1899);
    assert!(
        close(s.input_below_2048_share, 0.625, 0.0005),
        "{}",
        s.input_below_2048_share
    );
}

#[test]
fn embedded_traces_are_detected_and_round_trip_through_plain_csv() {
    for text in [AZURE_CONV, AZURE_CODE] {
        let (format, reqs) = TraceFormat::detect_and_parse(text).unwrap();
        assert_eq!(format, TraceFormat::AzureCsv);
        let plain = to_plain_csv(&reqs);
        assert_eq!(TraceFormat::detect(&plain), Some(TraceFormat::PlainCsv));
        assert_eq!(parse_plain_csv(&plain).unwrap(), reqs);
    }
}

#[test]
fn crlf_bom_and_missing_final_newline_read_the_same() {
    let lf = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n\
              2023-11-16 18:15:50.9951690,396,109\n";
    let want = parse_azure_csv(lf).unwrap();
    let crlf = lf.replace('\n', "\r\n");
    let bom = format!("\u{feff}{crlf}");
    for variant in [crlf.as_str(), bom.as_str(), lf.trim_end(), crlf.trim_end()] {
        assert_eq!(parse_azure_csv(variant).unwrap(), want, "{variant:?}");
    }
}

#[test]
fn every_format_rejects_an_empty_trace_by_name() {
    for f in TraceFormat::ALL {
        let header = f.required_columns().join(",");
        for text in ["", "\n\n", header.as_str()] {
            let e = f.parse(text).unwrap_err();
            assert_eq!(e, TraceError::Empty { format: f }, "{f}: {text:?}");
            assert_eq!(e.to_string(), format!("{f}: the trace has no requests"));
        }
    }
}

#[test]
fn a_bom_before_the_header_is_accepted_but_a_bom_mid_file_is_not() {
    let text = "\u{feff}arrival_s,input_tokens,output_tokens\n0,1,1\n\u{feff}1,1,1\n";
    let e = parse_plain_csv(text).unwrap_err().to_string();
    assert_eq!(
        e,
        "plain csv line 3, column arrival_s: \"\\u{feff}1\" is not a non-negative number of seconds (not a plain decimal number)"
    );
}
