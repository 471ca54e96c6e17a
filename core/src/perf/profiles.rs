//! Built-in calibration profiles, embedded from `data/calibration/*.json`.
//!
//! `datasheet` is [`Calibration::datasheet_default`]; every other profile was written by the
//! native worker (`pecsched-worker bench` / `calibrate`) from measurements on a real GPU and
//! carries its provenance (adapter, driver, date, command).

use crate::perf::{Calibration, CalibrationError};

/// One built-in profile: a stable id, a label for menus, and its JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinProfile {
    /// Stable identifier (`datasheet`, `h100-wgpu`).
    pub id: &'static str,
    /// Human-readable label for the CLI and the web explorer.
    pub label: &'static str,
    /// The profile (`pecsched-calibration/1`).
    pub json: &'static str,
}

/// Every built-in profile, datasheet first.
pub const BUILTIN_PROFILES: &[BuiltinProfile] = &[
    BuiltinProfile {
        id: "datasheet",
        label: "datasheet",
        json: include_str!("../../../data/calibration/datasheet.json"),
    },
    BuiltinProfile {
        id: "h100-wgpu",
        label: "H100 — wgpu-measured",
        json: include_str!("../../../data/calibration/h100-wgpu.json"),
    },
];

/// `(id, label)` of every built-in profile, in display order.
pub fn builtin_list() -> Vec<(&'static str, &'static str)> {
    BUILTIN_PROFILES.iter().map(|p| (p.id, p.label)).collect()
}

/// Why a built-in profile cannot be returned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    /// No built-in profile has this id.
    #[error("unknown calibration profile `{id}` (built-in: {known})")]
    Unknown {
        /// The id asked for.
        id: String,
        /// The ids that exist, comma-separated.
        known: String,
    },
    /// The embedded JSON does not parse (a build defect).
    #[error("built-in profile `{id}`: {source}")]
    Invalid {
        /// The profile id.
        id: &'static str,
        /// The parse error.
        source: CalibrationError,
    },
}

impl Calibration {
    /// The built-in profile `id` (see [`BUILTIN_PROFILES`]).
    pub fn builtin(id: &str) -> Result<Calibration, ProfileError> {
        let p = BUILTIN_PROFILES
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| ProfileError::Unknown {
                id: id.to_string(),
                known: BUILTIN_PROFILES
                    .iter()
                    .map(|p| p.id)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Calibration::from_json(p.json).map_err(|source| ProfileError::Invalid { id: p.id, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_validates() {
        for p in BUILTIN_PROFILES {
            let c = Calibration::builtin(p.id).unwrap_or_else(|e| panic!("{e}"));
            c.validate().unwrap_or_else(|e| panic!("{}: {e}", p.id));
        }
        assert_eq!(builtin_list()[0], ("datasheet", "datasheet"));
    }

    #[test]
    fn datasheet_profile_is_the_default() {
        let mut c = Calibration::builtin("datasheet").unwrap();
        c.provenance = None;
        assert_eq!(c, Calibration::datasheet_default());
    }

    #[test]
    fn measured_profiles_carry_provenance() {
        for p in BUILTIN_PROFILES.iter().filter(|p| p.id != "datasheet") {
            let c = Calibration::builtin(p.id).unwrap();
            let prov = c
                .provenance
                .unwrap_or_else(|| panic!("{} lacks provenance", p.id));
            assert!(!prov.adapter.is_empty() && !prov.date.is_empty() && !prov.command.is_empty());
        }
    }

    #[test]
    fn unknown_id_lists_the_known_ones() {
        let e = Calibration::builtin("nope").unwrap_err();
        assert!(e.to_string().contains("datasheet, h100-wgpu"), "{e}");
    }
}
