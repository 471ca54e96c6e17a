//! Fuzzes `pecsched_core::workload::parse_burstgpt_csv`: any text gives requests or a
//! `TraceError`, never a panic; accepted traces are well formed, and the same text parsed
//! through `TraceFormat::BurstGptCsv` gives the same result.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pecsched_core::workload::{TraceFormat, parse_burstgpt_csv};

fuzz_target!(|data: &[u8]| {
    let text = pecsched_fuzz::text(data);
    let parsed = parse_burstgpt_csv(&text);
    if let Ok(requests) = &parsed {
        pecsched_fuzz::assert_well_formed(requests);
    }
    assert_eq!(TraceFormat::BurstGptCsv.parse(&text), parsed);
});
