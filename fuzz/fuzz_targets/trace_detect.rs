//! Fuzzes `TraceFormat::detect_and_parse`, the path an uploaded file of unknown format takes:
//! any text gives a format and requests or a `TraceError`, never a panic; what it accepts is
//! well formed and equals parsing the text with the detected format directly.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pecsched_core::workload::TraceFormat;

fuzz_target!(|data: &[u8]| {
    let text = pecsched_fuzz::text(data);
    match TraceFormat::detect_and_parse(&text) {
        Ok((format, requests)) => {
            pecsched_fuzz::assert_well_formed(&requests);
            assert_eq!(TraceFormat::detect(&text), Some(format));
            assert_eq!(format.parse(&text), Ok(requests));
        }
        Err(_) => {
            if let Some(format) = TraceFormat::detect(&text) {
                assert!(
                    format.parse(&text).is_err(),
                    "detect_and_parse refused a parsable text"
                );
            }
        }
    }
});
