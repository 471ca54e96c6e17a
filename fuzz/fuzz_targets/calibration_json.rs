//! Fuzzes `pecsched_core::perf::Calibration::from_json`: any text gives a calibration or a
//! `CalibrationError`, never a panic; an accepted profile passes `validate` and reads back
//! identically from its own `to_json`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pecsched_core::perf::Calibration;

fuzz_target!(|data: &[u8]| {
    let text = pecsched_fuzz::text(data);
    if let Ok(calibration) = Calibration::from_json(&text) {
        assert_eq!(
            calibration.validate(),
            Ok(()),
            "an accepted profile is valid"
        );
        let written = calibration.to_json();
        assert_eq!(
            Calibration::from_json(&written),
            Ok(calibration),
            "to_json output does not read back:\n{written}"
        );
    }
});
