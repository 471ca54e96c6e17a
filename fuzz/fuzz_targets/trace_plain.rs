//! Fuzzes `pecsched_core::workload::parse_plain_csv`: any text gives requests or a
//! `TraceError`, never a panic; accepted traces are well formed and survive a round trip
//! through `to_plain_csv` unchanged (the writer and the reader agree to the nanosecond).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pecsched_core::workload::{parse_plain_csv, to_plain_csv};

fuzz_target!(|data: &[u8]| {
    let text = pecsched_fuzz::text(data);
    if let Ok(requests) = parse_plain_csv(&text) {
        pecsched_fuzz::assert_well_formed(&requests);
        let written = to_plain_csv(&requests);
        assert_eq!(
            parse_plain_csv(&written).as_ref(),
            Ok(&requests),
            "to_plain_csv output does not read back:\n{written}"
        );
    }
});
