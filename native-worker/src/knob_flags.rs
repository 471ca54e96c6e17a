//! Parsing the policy-knob and calibration flags of `simulate` (and the commands that share
//! them) into their wire forms; validation is the core's (`Scenario::from_wire`).

use anyhow::{Context, Result, bail};
use pecsched_core::perf::Calibration;
use pecsched_core::perf::profiles::BUILTIN_PROFILES;
use pecsched_core::policy::ColocationCap;
use pecsched_core::policy::ReservationPool;
use pecsched_core::scenario::wire::CalibrationWire;
use std::path::Path;

/// `--colocation-cap`: `derived` (the default bound), `derived:PERMILLE` or `fixed:TOKENS`.
pub fn parse_colocation_cap(v: &str) -> Result<ColocationCap, String> {
    let num = |x: &str, what: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|_| format!("{what} {x:?} is not a whole number"))
    };
    match v.split_once(':') {
        None if v == "derived" => Ok(ColocationCap::default()),
        Some(("derived", p)) => Ok(ColocationCap::Derived {
            max_slowdown_permille: num(p, "the slowdown bound (‰)")?,
        }),
        Some(("fixed", t)) => Ok(ColocationCap::Fixed {
            tokens_per_gpu: num(t, "the token count")?,
        }),
        _ => Err(format!(
            "{v:?}: expected derived, derived:PERMILLE (e.g. derived:50 = 5 %) or fixed:TOKENS (per GPU)"
        )),
    }
}

/// `--reservation-pool`: `N` replicas, or `for:INPUT[:OUTPUT]` (the replicas one request of
/// these lengths needs; output 2,048 if omitted).
pub fn parse_reservation_pool(v: &str) -> Result<ReservationPool, String> {
    let num = |x: &str, what: &str| {
        x.trim()
            .parse::<u32>()
            .map_err(|_| format!("{what} {x:?} is not a whole number"))
    };
    if let Some(rest) = v.strip_prefix("for:") {
        let (i, o) = rest.split_once(':').unwrap_or((rest, "2048"));
        return Ok(ReservationPool::ForRequest {
            input_tokens: num(i, "the input length")?,
            output_tokens: num(o, "the output length")?,
        });
    }
    num(v, "the replica count")
        .map(ReservationPool::Replicas)
        .map_err(|e| format!("{e}; expected N (replicas) or for:INPUT[:OUTPUT] (tokens)"))
}

/// `--calibration ID|FILE`: a built-in profile id, else a profile file (schema
/// pecsched-calibration/1), carried in the scenario with every field listed.
pub fn calibration_wire(arg: &str) -> Result<(CalibrationWire, Calibration)> {
    if let Ok(c) = Calibration::builtin(arg) {
        return Ok((CalibrationWire::builtin(arg), c));
    }
    let path = Path::new(arg);
    if !path.exists() {
        let ids: Vec<_> = BUILTIN_PROFILES.iter().map(|p| p.id).collect();
        bail!(
            "--calibration {arg:?}: neither a built-in profile ({}) nor an existing file",
            ids.join(", ")
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading calibration file {}", path.display()))?;
    let c = Calibration::from_json(&text)
        .with_context(|| format!("calibration file {}", path.display()))?;
    Ok((CalibrationWire::every_field(&c), c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knob_flags_parse_or_say_what_is_expected() {
        assert_eq!(
            parse_colocation_cap("derived"),
            Ok(ColocationCap::default())
        );
        assert_eq!(
            parse_colocation_cap("fixed:512"),
            Ok(ColocationCap::Fixed {
                tokens_per_gpu: 512
            })
        );
        assert!(
            parse_colocation_cap("512")
                .unwrap_err()
                .contains("fixed:TOKENS")
        );
        assert_eq!(
            parse_reservation_pool("for:200000"),
            Ok(ReservationPool::ForRequest {
                input_tokens: 200_000,
                output_tokens: 2048
            })
        );
        assert_eq!(
            parse_reservation_pool("6"),
            Ok(ReservationPool::Replicas(6))
        );
        assert!(
            parse_reservation_pool("x")
                .unwrap_err()
                .contains("for:INPUT")
        );
        assert!(calibration_wire("datasheet").is_ok());
        let e = calibration_wire("no-such-profile").unwrap_err().to_string();
        assert!(
            e.contains("h100-wgpu") && e.contains("no-such-profile"),
            "{e}"
        );
    }
}
