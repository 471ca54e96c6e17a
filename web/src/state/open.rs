//! Opening a URL fragment (`#s=…`): the linked scenario, or why it cannot be opened, in
//! words for the person who clicked the link — never the decoder's or the wire format's
//! internal names (`LongInputWire { … }`, postcard's "usize too big for this platform").
//!
//! Links written before the calibration was part of the scenario carry it beside it, as
//! `&c=<built-in id>`; opening one applies that profile to the scenario, as the command line
//! does (`link::apply_link_extras`), and the page then writes the link without `&c=`.

use crate::describe::grouped;
use crate::runner::limits;
use pecsched_core::scenario::limits::MAX_LONG_INPUT_TOKENS;
use pecsched_core::scenario::link::{self, LinkError};
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_core::scenario::{Scenario, ScenarioError};

/// What a fragment opens.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    /// The scenario to show (the default one when the link is bad or absent), its
    /// calibration included.
    pub draft: ScenarioWire,
    /// Why the link could not be opened, if it could not.
    pub error: Option<String>,
}

/// Opens `fragment`: its scenario (with an earlier explorer's `&c=` profile applied), or the
/// default one and the reason.
pub fn open(fragment: &str) -> Opened {
    let default = Scenario::default_scenario().to_wire();
    match link::token_from_fragment(fragment).map(|t| scenario(t, fragment)) {
        None => Opened {
            draft: default,
            error: None,
        },
        Some(Ok(draft)) => Opened { draft, error: None },
        Some(Err(e)) => Opened {
            draft: default,
            error: Some(e),
        },
    }
}

/// The wire scenario of a token, with what its `fragment` says beside it (an earlier
/// explorer's `&c=<profile>`), validated by the core and by the explorer's own limits.
fn scenario(token: &str, fragment: &str) -> Result<ScenarioWire, String> {
    let mut wire = link::decode(token).map_err(|e| link_words(&e))?;
    link::apply_link_extras(fragment, &mut wire);
    limits::check_wire(&wire).map_err(|e| format!("the link's scenario is invalid: {e}"))?;
    let s = Scenario::from_wire(&wire).map_err(|e| scenario_words(&e, &wire))?;
    Ok(link::compact_wire(&s))
}

/// A link error as the person who opened the link should read it.
pub fn link_words(e: &LinkError) -> String {
    match e {
        // The decoder's own detail (postcard's or base64's words) means nothing to a reader.
        LinkError::Malformed(detail) if detail.contains("not base64url") => e.to_string(),
        LinkError::Malformed(_) => "the link is malformed: its scenario cannot be read (it \
                                    was probably edited or cut); copy the whole link again"
            .to_string(),
        LinkError::Invalid(_) => "the link's scenario is invalid".to_string(),
        _ => e.to_string(),
    }
}

/// Field paths of the wire format, in the editor's words.
fn field_name(path: &str) -> &str {
    match path {
        "cluster.gpu" => "GPU",
        "cluster.nodes" => "Nodes",
        "cluster.gpus_per_node" => "GPUs per node",
        "cluster.network_gbps" => "Network (Gbit/s)",
        "model" => "Model",
        "tp" => "Tensor parallelism",
        "workload.window_s" => "Time window (s)",
        "workload.rate_scale" => "Load scaling",
        "workload.long_input" => "Long-input transform",
        "workload.source.embedded" => "Requests from",
        "workload.source.file.format" => "Trace file format",
        "workload.source.synthetic.requests" => "Synthetic requests",
        "workload.source.synthetic.rate_per_s" => "Synthetic arrival rate",
        "workload.source.synthetic.cv" => "Burstiness (CV)",
        "workload.source.synthetic.lengths_from" => "Synthetic lengths",
        "workload.source.synthetic.lognormal" => "Log-normal lengths",
        "policies" => "Policies",
        "knobs.decode_replicas" => "Decode-only replicas",
        "knobs.colocation_cap.fixed.tokens_per_gpu" => "Colocation cap (fixed)",
        "knobs.colocation_cap.derived.max_slowdown_permille" => "Colocation slowdown bound",
        "knobs.reservation_pool.for_request" => "Reservation pool (sized for one request)",
        "knobs.reservation_pool.replicas" => "Reservation pool (replicas)",
        "knobs.priority_placement" => "Priority placement",
        "calibration.profile" => "Calibration profile",
        "version" => "format version",
        other => other,
    }
}

/// A scenario error of a link's scenario, naming the editor's field and showing the value as
/// the editor would.
fn scenario_words(e: &ScenarioError, w: &ScenarioWire) -> String {
    match e {
        ScenarioError::Field {
            field,
            value,
            expected,
        } => {
            let value = match (field.as_str(), w.workload.long_input) {
                ("workload.long_input", Some(l)) => format!(
                    "above the {} percentile, {}–{} tokens",
                    l.percentile, l.min_tokens, l.max_tokens
                ),
                _ => value.clone(),
            };
            let expected = match field.as_str() {
                "workload.long_input" => format!(
                    "a percentile from 0 to 100 and 1 ≤ smallest ≤ largest ≤ {} tokens",
                    grouped(MAX_LONG_INPUT_TOKENS.into())
                ),
                _ => expected.clone(),
            };
            format!(
                "the link's scenario is invalid: {} is {value}; expected {expected}",
                field_name(field)
            )
        }
        other => format!("the link's scenario is invalid: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::scenario::wire::LongInputWire;

    fn token(w: &ScenarioWire) -> String {
        link::fragment(&link::encode(w))
    }

    #[test]
    fn errors_use_the_editors_words_not_internal_names() {
        let mut w = Scenario::default_scenario().to_wire();
        w.workload.long_input = Some(LongInputWire {
            percentile: 95.0,
            min_tokens: 600_000,
            max_tokens: 500_000,
        });
        let e = open(&token(&w)).error.unwrap();
        assert!(
            e.contains("Long-input transform") && e.contains("600000"),
            "{e}"
        );
        assert!(!e.contains("Wire") && !e.contains('{'), "{e}");
        let mut w = Scenario::default_scenario().to_wire();
        w.workload.window_s = Some((0.0, 1e300));
        let o = open(&token(&w));
        let e = o.error.unwrap();
        assert!(e.contains("1e300") && !e.contains("18446744073"), "{e}");
        assert_eq!(o.draft, Scenario::default_scenario().to_wire());
    }

    #[test]
    fn a_payload_that_does_not_decode_is_called_malformed_without_decoder_text() {
        let e = link_words(&LinkError::Malformed(
            "its scenario does not decode (Is the usize too big for this platform?)".into(),
        ));
        assert!(e.contains("malformed") && !e.contains("usize"), "{e}");
    }
}
