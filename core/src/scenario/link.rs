//! The compact, versioned link encoding of a scenario: the `#s=…` part of a shareable URL.
//!
//! A link token is base64url (no padding) of
//!
//! ```text
//! [version: u8] [payload length: u16 LE] [payload: postcard(ScenarioWire)] [FNV-1a 32 of all before: u32 LE]
//! ```
//!
//! - The leading version is [`LINK_VERSION`]; postcard is not self-describing, so a reader must
//!   know the layout before it decodes anything. A newer version is refused with
//!   [`LinkError::NewerVersion`], before the checksum (a newer layout may place it elsewhere).
//! - The length tells a truncated link ([`LinkError::Truncated`]) from an altered one
//!   ([`LinkError::Tampered`], checksum mismatch).
//! - The optional fields added to version 2 after its release (`slo`, `policy_params`, `prefix`, `medha`,
//!   `elastic_sp`) trail
//!   the payload and are left out while `None` ([`encode`]); a payload that ends before them
//!   reads them as `None`, so every link written before them decodes and re-encodes unchanged.
//! - Decoding is bounded: at most [`MAX_TOKEN_CHARS`] characters are read, so postcard never
//!   allocates more than a few kilobytes; the decoded wire is then validated by
//!   [`Scenario::from_wire`], which enforces [`super::limits`].
//!
//! Uploaded trace files are not part of a link: [`super::wire::SourceWire::File`] carries only
//! the file's name and format.

use super::wire::{EngineWire, KnobsWire, ScenarioWire};
use super::wire_v1::ScenarioWireV1;
use super::{Scenario, ScenarioError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Version of the link layout (and of the [`ScenarioWire`] it carries). Links of version 1
/// (the layout is the same, the payload is [`ScenarioWireV1`]) are read and upgraded.
pub const LINK_VERSION: u8 = 2;

/// The key of the scenario in a URL fragment: `#s=<token>`.
pub const FRAGMENT_KEY: &str = "s";

/// Longest token [`decode`] accepts, in characters (about 6 KB of payload).
pub const MAX_TOKEN_CHARS: usize = 8192;

/// Bytes around the payload: version (1), length (2), checksum (4).
const OVERHEAD: usize = 7;

/// Why a link could not be read. Every message says what to do next.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LinkError {
    /// The token is empty.
    #[error("the link holds no scenario (nothing after `#s=`)")]
    Empty,
    /// The token is longer than [`MAX_TOKEN_CHARS`].
    #[error("the link's scenario is {len} characters long; at most {max} are accepted")]
    TooLong {
        /// Characters in the token.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character outside base64url, or a length base64 cannot produce.
    #[error("the link is malformed: {0}")]
    Malformed(String),
    /// Fewer bytes than the header announces: the link was cut off (e.g. by a chat client).
    #[error(
        "the link is truncated: it holds {got} of the scenario's {expected} bytes; copy the whole link again"
    )]
    Truncated {
        /// Bytes present (header and checksum included).
        got: usize,
        /// Bytes the header announces.
        expected: usize,
    },
    /// The checksum does not match: the link was altered.
    #[error("the link was altered: its checksum does not match its content")]
    Tampered,
    /// The link comes from a newer PecSched.
    #[error(
        "the link uses scenario format version {found}, newer than this explorer understands (up to {supported}); open it with a newer PecSched"
    )]
    NewerVersion {
        /// Version in the link.
        found: u8,
        /// Highest version this build reads.
        supported: u8,
    },
    /// The link's version is no longer supported.
    #[error(
        "the link uses scenario format version {found}, which this explorer no longer reads (it reads version {supported})"
    )]
    OlderVersion {
        /// Version in the link.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },
    /// The payload decodes but is not a valid scenario.
    #[error("the link's scenario is invalid: {0}")]
    Invalid(#[from] ScenarioError),
}

/// The checksum: FNV-1a, 32 bits, a cheap integrity check against accidental or casual edits
/// (not a cryptographic signature).
use crate::hash::fnv1a32;

/// Encodes a wire scenario as a link token (the part after `#s=`).
///
/// # Panics
/// If the wire's postcard form exceeds 65,535 bytes, which a scenario that passed
/// [`Scenario::from_wire`] cannot reach (only names and numbers, no trace text).
pub fn encode(wire: &ScenarioWire) -> String {
    let mut payload = postcard::to_allocvec(wire).expect("wire scenarios always serialize");
    // The optional fields added to version 2 trail the others: their `None`s (one zero byte
    // each) are left out, so a scenario without them encodes as it did before they existed.
    for _ in 0..wire.trailing_nones() {
        let none = payload.pop();
        debug_assert_eq!(none, Some(0), "postcard writes `None` as one zero byte");
    }
    let len = u16::try_from(payload.len()).expect("a scenario link payload fits in 64 KB");
    let mut bytes = Vec::with_capacity(payload.len() + OVERHEAD);
    bytes.push(LINK_VERSION);
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&payload);
    let sum = fnv1a32(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The shortest wire form of a scenario, for links: engine and policy knobs that equal their
/// defaults are left out (reading fills them in again, so the scenario is the same). The
/// calibration is always written: its default depends on the GPU and may change.
pub fn compact_wire(scenario: &Scenario) -> ScenarioWire {
    let mut w = scenario.to_wire();
    if w.engine == Some(EngineWire::default()) {
        w.engine = None;
    }
    if w.knobs == Some(KnobsWire::default()) {
        w.knobs = None;
    }
    w
}

/// Encodes a validated scenario as a link token ([`compact_wire`], then [`encode`]).
pub fn encode_scenario(scenario: &Scenario) -> String {
    encode(&compact_wire(scenario))
}

/// Decodes a link token into a wire scenario (not yet validated: see [`decode_scenario`]).
pub fn decode(token: &str) -> Result<ScenarioWire, LinkError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(LinkError::Empty);
    }
    if token.len() > MAX_TOKEN_CHARS {
        return Err(LinkError::TooLong {
            len: token.len(),
            max: MAX_TOKEN_CHARS,
        });
    }
    if let Some((i, c)) = token
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(LinkError::Malformed(format!(
            "character {c:?} at position {} is not base64url",
            i + 1
        )));
    }
    // A link cut inside a base64 quantum ends in a character that cannot stand alone or that
    // carries stray bits: decode without it, and let the length check report the truncation.
    let (bytes, cut) = match URL_SAFE_NO_PAD.decode(token) {
        Ok(b) => (b, false),
        Err(base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidLastSymbol(..)) => {
            // Drop the partial quantum (at most 3 characters) and decode the whole bytes.
            let whole = (1..=3)
                .filter_map(|k| token.get(..token.len().checked_sub(k)?))
                .find_map(|t| URL_SAFE_NO_PAD.decode(t).ok().filter(|b| !b.is_empty()));
            match whole {
                Some(b) => (b, true),
                None => {
                    return Err(LinkError::Malformed(format!(
                        "its {} characters are not a whole number of base64 bytes",
                        token.len()
                    )));
                }
            }
        }
        Err(e) => return Err(LinkError::Malformed(e.to_string())),
    };
    let version = bytes[0];
    if version > LINK_VERSION {
        return Err(LinkError::NewerVersion {
            found: version,
            supported: LINK_VERSION,
        });
    }
    if version == 0 {
        return Err(LinkError::OlderVersion {
            found: version,
            supported: LINK_VERSION,
        });
    }
    if bytes.len() < 3 {
        return Err(LinkError::Truncated {
            got: bytes.len(),
            expected: OVERHEAD,
        });
    }
    let len = u16::from_le_bytes([bytes[1], bytes[2]]) as usize;
    let expected = len + OVERHEAD;
    if bytes.len() < expected {
        return Err(LinkError::Truncated {
            got: bytes.len(),
            expected,
        });
    }
    if bytes.len() > expected || cut {
        return Err(LinkError::Tampered);
    }
    let (body, sum) = bytes.split_at(3 + len);
    let sum = u32::from_le_bytes(sum.try_into().expect("4 checksum bytes"));
    if fnv1a32(body) != sum {
        return Err(LinkError::Tampered);
    }
    let payload = &body[3..];
    if version == 1 {
        return Ok(whole::<ScenarioWireV1>(payload)?.upgrade());
    }
    whole_with_trailing_nones(payload)
}

/// Decodes a version-2 payload, which may end before the optional fields added to version 2
/// (`slo`, `policy_params`, `prefix`, `medha`, `elastic_sp`: [`ScenarioWire`]): each one left out reads as `None` (the encoder
/// leaves out only trailing `None`s). The error is the one of the payload as it is.
fn whole_with_trailing_nones(payload: &[u8]) -> Result<ScenarioWire, LinkError> {
    let first = whole::<ScenarioWire>(payload);
    if first.is_ok() {
        return first;
    }
    for missing in 1..=TRAILING_OPTIONAL_FIELDS {
        let mut padded = payload.to_vec();
        padded.resize(payload.len() + missing, 0);
        if let Ok(wire) = whole::<ScenarioWire>(&padded) {
            return Ok(wire);
        }
    }
    first
}

/// Optional fields at the end of [`ScenarioWire`] that a link may leave out.
const TRAILING_OPTIONAL_FIELDS: usize = 5;

/// Decodes a payload that must be exactly one `T`.
fn whole<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T, LinkError> {
    let (wire, rest) = postcard::take_from_bytes::<T>(payload)
        .map_err(|e| LinkError::Malformed(format!("its scenario does not decode ({e})")))?;
    if !rest.is_empty() {
        return Err(LinkError::Malformed(format!(
            "{} unexpected bytes after the scenario",
            rest.len()
        )));
    }
    Ok(wire)
}

/// Decodes and validates a link token.
pub fn decode_scenario(token: &str) -> Result<Scenario, LinkError> {
    let wire = decode(token)?;
    Ok(Scenario::from_wire(&wire)?)
}

/// The value of `key` in a URL fragment of `&`-separated `key=value` pairs (with or without
/// the leading `#`), or `None` if the fragment has no such key.
pub fn fragment_value<'a>(fragment: &'a str, key: &str) -> Option<&'a str> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    f.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then_some(v)
    })
}

/// The scenario token of a URL fragment (`#s=…`, with or without the `#`; other `&`-separated
/// keys are ignored), or `None` if the fragment names no scenario.
pub fn token_from_fragment(fragment: &str) -> Option<&str> {
    fragment_value(fragment, FRAGMENT_KEY)
}

/// The scenario token of what a person pastes: a whole share URL (`https://…/#s=…`), its
/// fragment (`#s=…` or `s=…`), or the bare token. `None` when a URL or fragment names no
/// scenario.
pub fn token_from_link(text: &str) -> Option<&str> {
    let text = text.trim();
    match text.split_once('#') {
        Some((_, fragment)) => token_from_fragment(fragment),
        None if text.contains('=') => token_from_fragment(text),
        None => Some(text),
    }
}

/// The key of a calibration profile id that explorer links of version 1 carried beside the
/// scenario (`#s=…&c=<id>`); version 2 carries the calibration inside the scenario.
pub const CALIBRATION_KEY: &str = "c";

/// A link's wire scenario with what the link says beside it: a version-1 link's `&c=<id>`
/// becomes the scenario's calibration (built-in profile `id`; validation names an unknown
/// one). `text` is what [`token_from_link`] reads; `wire` its decoded scenario.
pub fn apply_link_extras(text: &str, wire: &mut ScenarioWire) {
    let text = text.trim();
    let fragment = text.split_once('#').map_or(text, |(_, f)| f);
    if let Some(id) = fragment_value(fragment, CALIBRATION_KEY) {
        wire.calibration = Some(super::wire::CalibrationWire::builtin(id));
    }
}

/// The URL fragment of a token, `#s=<token>`.
pub fn fragment(token: &str) -> String {
    format!("#{FRAGMENT_KEY}={token}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::wire::{CalibrationWire, SourceWire, SyntheticWire};

    fn default_token() -> String {
        encode_scenario(&Scenario::default_scenario())
    }

    #[test]
    fn default_scenario_round_trips_in_a_short_link() {
        let s = Scenario::default_scenario();
        let token = default_token();
        assert!(token.len() < 200, "{} chars: {token}", token.len());
        assert_eq!(decode_scenario(&token).unwrap(), s);
        assert_eq!(decode(&token).unwrap(), compact_wire(&s));
    }

    #[test]
    fn every_cut_of_a_link_is_refused() {
        let token = default_token();
        for n in 0..token.len() {
            let err = decode(&token[..n]).unwrap_err();
            // Every cut says "truncated" (one or two characters cannot even hold the version).
            assert!(
                matches!(err, LinkError::Empty | LinkError::Truncated { .. }) || n <= 2,
                "cut at {n}: {err:?}"
            );
        }
    }

    #[test]
    fn every_one_character_edit_is_refused() {
        let token = default_token();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (i, old) in token.char_indices() {
            for c in alphabet.chars().filter(|&c| c != old) {
                let mut t = token.clone();
                t.replace_range(i..i + 1, c.encode_utf8(&mut [0; 4]));
                assert!(decode(&t).is_err(), "edit {old}→{c} at {i} was accepted");
            }
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(decode("  "), Err(LinkError::Empty));
        let long = "A".repeat(MAX_TOKEN_CHARS + 1);
        assert!(matches!(decode(&long), Err(LinkError::TooLong { .. })));
        let err = decode("abc$def").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the link is malformed: character '$' at position 4 is not base64url"
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(default_token()).unwrap();
        bytes[0] = LINK_VERSION + 1;
        let newer = URL_SAFE_NO_PAD.encode(&bytes);
        assert!(decode(&newer).unwrap_err().to_string().contains("newer"));
        bytes[0] = 0;
        let older = URL_SAFE_NO_PAD.encode(&bytes);
        assert!(matches!(
            decode(&older),
            Err(LinkError::OlderVersion { .. })
        ));
    }

    #[test]
    fn a_valid_link_to_an_invalid_scenario_names_the_field() {
        let mut w = Scenario::default_scenario().to_wire();
        w.tp = 3;
        let err = decode_scenario(&encode(&w)).unwrap_err();
        assert!(err.to_string().contains("`tp` = 3"), "{err}");
    }

    #[test]
    fn an_old_links_calibration_key_becomes_the_scenarios_calibration() {
        let mut w = Scenario::default_scenario().to_wire();
        apply_link_extras("https://x.org/#s=abc&c=h100-wgpu", &mut w);
        assert_eq!(w.calibration, Some(CalibrationWire::builtin("h100-wgpu")));
        let mut plain = Scenario::default_scenario().to_wire();
        apply_link_extras("https://x.org/#s=abc", &mut plain);
        assert_eq!(plain, Scenario::default_scenario().to_wire());
    }

    #[test]
    fn pasted_links() {
        assert_eq!(
            token_from_link("https://x.org/pecsched/#s=abc&c=h100"),
            Some("abc")
        );
        assert_eq!(token_from_link(" #c=h100&s=abc\n"), Some("abc"));
        assert_eq!(token_from_link("s=abc"), Some("abc"));
        assert_eq!(token_from_link("abc"), Some("abc"));
        assert_eq!(token_from_link("https://x.org/pecsched/#c=h100"), None);
        assert_eq!(fragment_value("#s=abc&c=h100", "c"), Some("h100"));
    }

    #[test]
    fn fragments() {
        assert_eq!(token_from_fragment("#s=abc"), Some("abc"));
        assert_eq!(token_from_fragment("x=1&s=abc"), Some("abc"));
        assert_eq!(token_from_fragment("#x=1"), None);
        assert_eq!(token_from_fragment(""), None);
        assert_eq!(fragment("abc"), "#s=abc");
    }

    #[test]
    fn a_scenario_naming_no_calibration_takes_its_gpus_production_profile_and_links_name_it() {
        for (gpu, id) in [
            ("a100", "a100-vllm"),
            ("h100", "h100-vllm"),
            ("h200", "h200-vllm"),
        ] {
            let mut w = Scenario::default_scenario().to_wire();
            w.cluster.gpu = gpu.into();
            w.calibration = None;
            let s = Scenario::from_wire(&w).unwrap();
            assert_eq!(s.calibration_choice().profile, id);
            assert_eq!(
                s.calibration(),
                &crate::perf::Calibration::builtin(id).unwrap()
            );
            // The link writes the profile out: it keeps its numbers if the default changes.
            let back = decode(&encode_scenario(&s)).unwrap();
            assert_eq!(back.calibration.unwrap().profile, id);
        }
        assert_eq!(
            Scenario::default_scenario().calibration_choice().profile,
            "a100-vllm"
        );
    }

    #[test]
    fn calibration_errors_name_the_field() {
        let mut w = Scenario::default_scenario().to_wire();
        w.calibration = Some(CalibrationWire::builtin("nope"));
        let e = Scenario::from_wire(&w).unwrap_err().to_string();
        assert!(
            e.contains("calibration.profile") && e.contains("datasheet"),
            "{e}"
        );
        let mut c = CalibrationWire::builtin("datasheet");
        c.overrides.insert("gemm_efficency".into(), 0.5);
        w.calibration = Some(c);
        let e = Scenario::from_wire(&w).unwrap_err().to_string();
        assert!(e.contains("calibration.overrides.gemm_efficency"), "{e}");
        let mut c = CalibrationWire::builtin("datasheet");
        c.overrides.insert("gemm_efficiency".into(), 2.0);
        w.calibration = Some(c);
        let e = Scenario::from_wire(&w).unwrap_err().to_string();
        assert!(e.contains("gemm_efficiency"), "{e}");
    }

    #[test]
    fn uploaded_traces_travel_by_name_only() {
        let mut w = Scenario::default_scenario().to_wire();
        w.workload.source = SourceWire::File {
            name: "my trace.csv".into(),
            format: "azure".into(),
        };
        assert_eq!(decode(&encode(&w)).unwrap(), w);
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use crate::scenario::wire::LongInputWire;
        use proptest::prelude::*;

        fn source() -> impl Strategy<Value = SourceWire> {
            prop_oneof![
                prop::sample::select(vec!["azure-conv-2023", "azure-code-2023"])
                    .prop_map(|t| SourceWire::Embedded(t.into())),
                (
                    "[a-zA-Z0-9 ._-]{1,40}",
                    prop::sample::select(vec!["azure", "mooncake"])
                )
                    .prop_map(|(name, f)| SourceWire::File {
                        name,
                        format: f.into()
                    }),
                (1u32..100_000, 0.01f64..100.0, 0.1f64..4.0, any::<bool>()).prop_map(
                    |(requests, rate_per_s, cv, emp)| SourceWire::Synthetic(SyntheticWire {
                        requests,
                        rate_per_s,
                        cv,
                        lengths_from: emp.then(|| "azure-code-2023".into()),
                        lognormal: (!emp).then_some((800.0, 1.0, 200.0, 0.8)),
                    })
                ),
            ]
        }

        fn wire() -> impl Strategy<Value = ScenarioWire> {
            (
                (
                    prop::sample::select(vec!["a100", "h100", "h200"]),
                    1u32..64,
                    0usize..5,
                ),
                (
                    0.5f64..3200.0,
                    prop::sample::select(vec!["llama3.1-70b", "yi-34b"]),
                ),
                (source(), prop::option::of((0.0f64..100.0, 1.0f64..5000.0))),
                (
                    0.01f64..10.0,
                    prop::option::of(1u32..100_000),
                    any::<bool>(),
                ),
                (prop::sample::subsequence(vec!["fifo", "priority", "pecsched/pe"], 1..=3)),
                (prop::option::of(1u32..4), 1u32..4096, any::<u64>()),
            )
                .prop_map(
                    |((gpu, nodes, g), (net, model), (source, win), rest, pols, k)| {
                        let gpus_per_node = 1u32 << g;
                        let mut w = Scenario::default_scenario().to_wire();
                        w.cluster.gpu = gpu.into();
                        w.cluster.nodes = nodes;
                        w.cluster.gpus_per_node = gpus_per_node;
                        w.cluster.network_gbps = net;
                        w.model = model.into();
                        w.tp = gpus_per_node.min(2);
                        w.workload.source = source;
                        w.workload.window_s = win.map(|(a, d)| (a, a + d));
                        w.workload.rate_scale = rest.0;
                        w.workload.max_requests = rest.1;
                        w.workload.long_input = rest.2.then_some(LongInputWire {
                            percentile: 90.0,
                            min_tokens: 50_000,
                            max_tokens: 200_000,
                        });
                        w.policies = pols.into_iter().map(String::from).collect();
                        w.knobs = Some(KnobsWire {
                            decode_replicas: k.0,
                            colocation_cap: if k.1 % 2 == 0 {
                                crate::policy::ColocationCap::Fixed {
                                    tokens_per_gpu: k.1,
                                }
                            } else {
                                crate::policy::ColocationCap::Derived {
                                    max_slowdown_permille: k.1,
                                }
                            },
                            reservation_pool: if k.1 % 3 == 0 {
                                crate::policy::ReservationPool::Replicas(k.1 % 7 + 1)
                            } else {
                                crate::policy::ReservationPool::ForRequest {
                                    input_tokens: k.1 * 100,
                                    output_tokens: k.1,
                                }
                            },
                            priority_placement: if k.1 % 5 == 0 {
                                "completely-idle".into()
                            } else {
                                "no-queued-short-work".into()
                            },
                        });
                        if k.1 % 4 == 0 {
                            w.calibration = Some(crate::scenario::wire::CalibrationWire {
                                profile: "h100-wgpu".into(),
                                overrides: [("gemm_efficiency".to_string(), 0.5)].into(),
                            });
                        }
                        w.seed = k.2;
                        w
                    },
                )
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(4), ..ProptestConfig::default() })]

            #[test]
            fn link_round_trip(w in wire()) {
                let token = encode(&w);
                prop_assert!(token.len() <= MAX_TOKEN_CHARS);
                let back = decode(&token).unwrap();
                prop_assert_eq!(&back, &w);
                let direct = Scenario::from_wire(&w).unwrap();
                prop_assert_eq!(decode_scenario(&token).unwrap(), direct.clone());
                // A validated scenario's compact link gives the same scenario back.
                prop_assert_eq!(decode_scenario(&encode_scenario(&direct)).unwrap(), direct);
            }
        }
    }
}
