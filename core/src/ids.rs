//! The string identifiers of the catalogs (GPUs, models, policies, embedded traces, trace
//! formats), parsed one way everywhere: `FromStr` for flags (clap reads any `FromStr` type) and
//! code, with one error that lists what is known.

use crate::hardware::GpuKind;
use crate::model::ModelKind;
use crate::policy_kind::PolicyKind;
use crate::scenario::EmbeddedTrace;
use crate::workload::TraceFormat;
use std::str::FromStr;

/// An identifier no catalog entry has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; expected one of {known}")]
pub struct UnknownId {
    /// What was being named (`model`, `GPU`, …).
    pub what: &'static str,
    /// The identifier given.
    pub given: String,
    /// The known identifiers, comma-separated.
    pub known: String,
}

fn parse<T: Copy>(
    what: &'static str,
    given: &str,
    all: &[T],
    id: impl Fn(T) -> &'static str,
) -> Result<T, UnknownId> {
    let given_t = given.trim();
    all.iter()
        .copied()
        .find(|&t| id(t) == given_t)
        .ok_or_else(|| UnknownId {
            what,
            given: given.to_string(),
            known: all.iter().map(|&t| id(t)).collect::<Vec<_>>().join(", "),
        })
}

impl FromStr for GpuKind {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<Self, UnknownId> {
        parse("GPU", s, &GpuKind::ALL, GpuKind::id)
    }
}

impl FromStr for ModelKind {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<Self, UnknownId> {
        parse("model", s, &ModelKind::ALL, ModelKind::id)
    }
}

impl FromStr for PolicyKind {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<Self, UnknownId> {
        parse("policy", s, &PolicyKind::ALL, PolicyKind::id)
    }
}

impl FromStr for EmbeddedTrace {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<Self, UnknownId> {
        parse("embedded trace", s, &EmbeddedTrace::ALL, EmbeddedTrace::id)
    }
}

impl FromStr for TraceFormat {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<Self, UnknownId> {
        parse("trace format", s, &TraceFormat::ALL, TraceFormat::id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_parses_back() {
        for g in GpuKind::ALL {
            assert_eq!(g.id().parse::<GpuKind>(), Ok(g));
        }
        for m in ModelKind::ALL {
            assert_eq!(m.id().parse::<ModelKind>(), Ok(m));
        }
        for p in PolicyKind::ALL {
            assert_eq!(p.id().parse::<PolicyKind>(), Ok(p));
        }
        for t in EmbeddedTrace::ALL {
            assert_eq!(t.id().parse::<EmbeddedTrace>(), Ok(t));
        }
        for f in TraceFormat::ALL {
            assert_eq!(f.id().parse::<TraceFormat>(), Ok(f));
        }
    }

    #[test]
    fn an_unknown_id_lists_the_known_ones() {
        let e = "llama-70b".parse::<ModelKind>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown model \"llama-70b\"; expected one of mistral-7b, phi3-14b, yi-34b, llama3.1-70b, llama3.1-8b"
        );
        assert!("H100".parse::<GpuKind>().is_err(), "ids are case-sensitive");
    }
}
