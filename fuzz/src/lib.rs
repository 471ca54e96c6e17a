//! Helpers shared by the fuzz targets in `fuzz_targets/`: turning fuzz bytes into text or a
//! well-formed link, and the properties every parsed trace must have.
//!
//! Each target asserts more than "does not panic": what a parser accepts must be well formed
//! (ids `0..n`, sorted arrivals, non-zero lengths), and what is written back must read back
//! the same. A failed assertion is a crash for libFuzzer, so a silently wrong result is found
//! the same way as a panic.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pecsched_core::scenario::link::LINK_VERSION;
use pecsched_core::time::SimTime;
use pecsched_core::workload::Request;
use std::borrow::Cow;

/// The fuzz input as text. Invalid UTF-8 is replaced (U+FFFD) rather than skipped, so every
/// input reaches the parser: the native worker reads files as UTF-8 and the browser decodes
/// uploads the same lossy way.
pub fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// FNV-1a 32, the link checksum (a copy of the private one in `core/src/scenario/link.rs`).
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// A link token around an arbitrary postcard `payload`, with a correct version, length and
/// checksum, so that the fuzzer's bytes reach the postcard decoder and the validation behind
/// it instead of stopping at the checksum. `None` if the payload is longer than a link holds.
pub fn link_token(payload: &[u8]) -> Option<String> {
    let len = u16::try_from(payload.len()).ok()?;
    let mut bytes = Vec::with_capacity(payload.len() + 7);
    bytes.push(LINK_VERSION);
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(payload);
    let sum = fnv1a32(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Asserts what every successful trace parse guarantees: at least one request, ids `0..n` in
/// order, arrivals sorted and relative to the first (which is at 0), lengths at least 1.
pub fn assert_well_formed(requests: &[Request]) {
    assert!(!requests.is_empty(), "a parsed trace has requests");
    assert_eq!(requests[0].arrival, SimTime::ZERO, "arrivals are relative");
    for (i, r) in requests.iter().enumerate() {
        assert_eq!(r.id as usize, i, "ids are 0..n");
        assert!(r.input_tokens >= 1, "request {i}: input 0 accepted");
        assert!(r.output_tokens >= 1, "request {i}: output 0 accepted");
        if i > 0 {
            assert!(
                requests[i - 1].arrival <= r.arrival,
                "request {i} arrives before request {}",
                i - 1
            );
        }
    }
}
