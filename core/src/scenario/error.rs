//! Everything that can be wrong with a scenario, each message saying what and where.

use crate::perf::{CalibrationError, PerfError};
use crate::sim::SimulationError;
use crate::workload::{ParamError, TraceError};

/// Why a scenario could not be read, built or run.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ScenarioError {
    /// The JSON is malformed or has fields of the wrong type.
    #[error("scenario JSON line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde reported.
        message: String,
    },
    /// The scenario comes from a newer PecSched.
    #[error(
        "scenario format version {found} is newer than this PecSched understands (up to {supported}); update PecSched"
    )]
    NewerVersion {
        /// Version in the input.
        found: u64,
        /// Highest version this build reads.
        supported: u32,
    },
    /// A field has a value outside its domain.
    #[error("scenario field `{field}` = {value}: expected {expected}")]
    Field {
        /// Dotted path of the field.
        field: String,
        /// The offending value.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// A trace file named by the scenario was not supplied.
    #[error(
        "the scenario reads trace file {name:?}, which was not supplied (uploaded traces are not part of links)"
    )]
    MissingTrace {
        /// File name.
        name: String,
    },
    /// The trace could not be parsed.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A workload parameter is invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The performance model rejects the configuration.
    #[error(transparent)]
    Perf(#[from] PerfError),
    /// A calibration profile is invalid.
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    /// The engine rejects the configuration.
    #[error(transparent)]
    Simulation(#[from] SimulationError),
}

impl ScenarioError {
    pub(crate) fn json(e: serde_json::Error) -> ScenarioError {
        ScenarioError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}
