//! Tests of the calibration profile: defaults, round trip, every error path.

use crate::perf::calibration::*;

fn err(text: &str) -> CalibrationError {
    Calibration::from_json(text).unwrap_err()
}

#[test]
fn defaults_are_valid_and_fields_are_complete() {
    let d = Calibration::datasheet_default();
    d.validate().unwrap();
    let json: serde_json::Value = serde_json::to_value(&d).unwrap();
    let n = json.as_object().unwrap().len();
    assert_eq!(
        n,
        CalibrationField::ALL.len() + 1,
        "ALL must list every numeric field"
    );
    let names: Vec<&str> = CalibrationField::ALL.map(CalibrationField::id).to_vec();
    let by_name: Vec<&str> = Calibration::FIELDS.iter().map(|&(n, _)| n).collect();
    assert_eq!(names, by_name);
    for field in CalibrationField::ALL {
        assert!(
            json.get(field.id()).is_some(),
            "{field} is a serde field name"
        );
        assert_eq!(field.id().parse::<CalibrationField>(), Ok(field));
        assert_eq!(json[field.id()].as_f64(), Some(d.get(field)));
        let kind = Calibration::FIELDS.iter().find(|(n, _)| *n == field.id());
        assert_eq!(kind.map(|&(_, k)| k), Some(field.kind()));
    }
}

#[test]
fn fields_by_type_and_by_name_set_the_same_slot() {
    let mut a = Calibration::datasheet_default();
    a.set(CalibrationField::MergePartS, 1e-7).unwrap();
    let mut b = Calibration::datasheet_default();
    b.set(CalibrationField::MergePartS, 1e-7).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.merge_part_s, 1e-7);
    assert_eq!(a.get(CalibrationField::MergePartS), 1e-7);
    let e = "merge_parts".parse::<CalibrationField>().unwrap_err();
    assert!(e.to_string().contains("`merge_parts`"), "{e}");
    assert!(e.to_string().contains("merge_part_s"), "{e}");
}

#[test]
fn round_trip_preserves_every_value() {
    let mut c = Calibration::datasheet_default();
    c.set(CalibrationField::GemmEfficiency, 0.7123456789)
        .unwrap();
    c.set(CalibrationField::KernelOverheadS, 3.3e-6).unwrap();
    c.provenance = Some(Provenance {
        adapter: "NVIDIA H100 80GB HBM3".into(),
        driver: "580.159.04".into(),
        date: "2026-11-21".into(),
        command: "pecsched-worker calibrate".into(),
        source: "tables".into(),
    });
    let back = Calibration::from_json(&c.to_json()).unwrap();
    assert_eq!(back, c);
    let plain = Calibration::datasheet_default();
    assert_eq!(Calibration::from_json(&plain.to_json()).unwrap(), plain);
}

#[test]
fn partial_overrides_keep_other_defaults() {
    let c = Calibration::from_json(
        r#"{"schema":"pecsched-calibration/1","overrides":{"hbm_efficiency":0.8}}"#,
    )
    .unwrap();
    assert_eq!(c.hbm_efficiency, 0.8);
    assert_eq!(c.gemm_efficiency, 0.66);
    assert_eq!(c.provenance, None);
    let bare = Calibration::from_json(r#"{"schema":"pecsched-calibration/1"}"#).unwrap();
    assert_eq!(bare, Calibration::datasheet_default());
}

#[test]
fn every_error_path_names_what_is_wrong() {
    let s = r#""schema":"pecsched-calibration/1""#;
    assert!(matches!(err("{"), CalibrationError::Json(_)));
    assert_eq!(err("[1]"), CalibrationError::NotAnObject);
    assert_eq!(err("{}"), CalibrationError::MissingSchema);
    assert_eq!(err(r#"{"schema":3}"#), CalibrationError::MissingSchema);
    let e = err(r#"{"schema":"other/1"}"#);
    assert!(e.to_string().contains("other/1"), "{e}");
    assert!(matches!(
        err(r#"{"schema":"pecsched-calibration/0"}"#),
        CalibrationError::UnknownSchema { .. }
    ));
    let e = err(r#"{"schema":"pecsched-calibration/2"}"#);
    assert_eq!(
        e,
        CalibrationError::FutureSchema {
            found: 2,
            supported: 1
        }
    );
    assert!(e.to_string().contains("newer"));
    let e = err(&format!(r#"{{{s},"extra":1}}"#));
    assert!(e.to_string().contains("`extra`"), "{e}");
    let e = err(&format!(r#"{{{s},"provenance":{{"gpu":"x"}}}}"#));
    assert!(
        matches!(e, CalibrationError::Provenance(ref m) if m.contains("gpu")),
        "{e}"
    );
    assert_eq!(
        err(&format!(r#"{{{s},"overrides":[]}}"#)),
        CalibrationError::OverridesNotAnObject
    );
    let e = err(&format!(r#"{{{s},"overrides":{{"gemm_eff":0.5}}}}"#));
    assert!(e.to_string().contains("`gemm_eff`"), "{e}");
    assert!(
        e.to_string().contains("known fields: gemm_efficiency, "),
        "{e}"
    );
    let e = err(&format!(
        r#"{{{s},"overrides":{{"gemm_efficiency":"0.5"}}}}"#
    ));
    assert!(
        matches!(e, CalibrationError::NotANumber { ref field, ref value } if field == "gemm_efficiency" && value == "\"0.5\"")
    );
    let e = err(&format!(
        r#"{{{s},"overrides":{{"kernel_overhead_s":-1e-6}}}}"#
    ));
    assert!(
        matches!(e, CalibrationError::Negative { ref field, .. } if field == "kernel_overhead_s")
    );
    let e = err(&format!(r#"{{{s},"overrides":{{"hbm_efficiency":1.2}}}}"#));
    assert!(
        e.to_string().contains("`hbm_efficiency`") && e.to_string().contains("1.2"),
        "{e}"
    );
    let e = err(&format!(r#"{{{s},"overrides":{{"nvlink_efficiency":0}}}}"#));
    assert!(matches!(e, CalibrationError::ZeroEfficiency { .. }));
    // JSON cannot spell NaN or infinity; hand-built values are checked by validate/set.
    let mut c = Calibration::datasheet_default();
    let e = c
        .set(CalibrationField::IterationOverheadS, f64::INFINITY)
        .unwrap_err();
    assert!(matches!(e, CalibrationError::NonFinite { .. }));
    assert!(matches!(
        "nope".parse::<CalibrationField>(),
        Err(CalibrationError::UnknownField { .. })
    ));
    c.ring_attn_step_penalty = f64::NAN;
    let e = c.validate().unwrap_err();
    assert!(e.to_string().contains("ring_attn_step_penalty"), "{e}");
}

#[test]
fn profiles_written_before_the_gemm_fields_still_parse() {
    // The `h100-wgpu` profile as first committed: no `gemm_stream_efficiency`, no
    // `gemm_serial_fraction`. Linear layers then stream at the datasheet 0.90 and overlap fully.
    let old = r#"{"schema":"pecsched-calibration/1",
        "provenance":{"adapter":"NVIDIA H100 80GB HBM3","driver":"NVIDIA 580.159.04",
                      "date":"2026-11-22","command":"pecsched-worker bench --preset full"},
        "overrides":{"gemm_efficiency":0.0935,"hbm_efficiency":0.342,
                     "decode_attn_bw_efficiency":0.81,"kernel_overhead_s":6.13e-6}}"#;
    let c = Calibration::from_json(old).unwrap();
    assert_eq!(c.hbm_efficiency, 0.342);
    assert_eq!(c.gemm_stream_efficiency, 0.90);
    assert_eq!(c.gemm_serial_fraction, 0.0);
    let d = Calibration::datasheet_default();
    assert_eq!(d.gemm_stream_efficiency, d.hbm_efficiency);
    // The new fields round-trip and are range-checked like the others.
    let back = Calibration::from_json(&c.to_json()).unwrap();
    assert_eq!(back, c);
    let e = err(r#"{"schema":"pecsched-calibration/1","overrides":{"gemm_stream_efficiency":0}}"#);
    assert!(e.to_string().contains("`gemm_stream_efficiency`"), "{e}");
    let e = err(r#"{"schema":"pecsched-calibration/1","overrides":{"gemm_serial_fraction":-1}}"#);
    assert!(e.to_string().contains("`gemm_serial_fraction`"), "{e}");
}
