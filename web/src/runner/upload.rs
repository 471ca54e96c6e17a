//! Reading an uploaded trace file with the core's parsers.

use super::limits::{MAX_TRACE_BYTES, check_requests};
use crate::protocol::FromWorker;
use pecsched_core::workload::TraceFormat;

/// Detects the format of an uploaded file and parses it, replying with its format and size or
/// with the core's error (which names the line and the value).
pub fn check_trace(name: &str, text: &str) -> FromWorker {
    let reject = |message: String| FromWorker::TraceRejected {
        name: name.to_string(),
        message,
    };
    if text.len() > MAX_TRACE_BYTES {
        return reject(format!(
            "the file is {} MB; the explorer reads at most {} MB",
            text.len() >> 20,
            MAX_TRACE_BYTES >> 20
        ));
    }
    match TraceFormat::detect_and_parse(text) {
        Ok((format, requests)) => match check_requests(requests.len()) {
            Ok(()) => FromWorker::TraceLoaded {
                name: name.to_string(),
                format: format.id().to_string(),
                requests: requests.len() as u32,
            },
            Err(e) => reject(e),
        },
        Err(e) => reject(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line() {
        let text = "arrival_s,input_tokens,output_tokens\n0,10,5\n1,oops,5\n";
        match check_trace("t.csv", text) {
            FromWorker::TraceRejected { message, .. } => {
                assert!(message.contains("line 3"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let ok = check_trace("t.csv", "arrival_s,input_tokens,output_tokens\n0,10,5\n");
        assert_eq!(
            ok,
            FromWorker::TraceLoaded {
                name: "t.csv".into(),
                format: "plain".into(),
                requests: 1
            }
        );
    }
}
