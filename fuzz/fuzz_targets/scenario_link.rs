//! Fuzzes the link decoder `pecsched_core::scenario::link::{decode, decode_scenario}`.
//!
//! The first byte picks the mode: even, the rest is the token text as pasted (base64url,
//! version, length and checksum all under the fuzzer's control); odd, the rest is a postcard
//! payload wrapped in a correct header and checksum, so the fuzzer reaches the postcard decoder
//! and the validation behind it. Either way: an error, never a panic; a decoded wire encodes
//! back to a link that decodes to the same wire; a validated scenario equals validating the
//! wire directly.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pecsched_core::scenario::{Scenario, link};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = if mode % 2 == 0 {
        pecsched_fuzz::text(rest).into_owned()
    } else {
        match pecsched_fuzz::link_token(rest) {
            Some(t) => t,
            None => return,
        }
    };
    let Ok(wire) = link::decode(&token) else {
        assert!(link::decode_scenario(&token).is_err());
        return;
    };
    // Compare encodings, not values: a wire may hold NaN, which is never equal to itself.
    let again = link::encode(&wire);
    let back = link::decode(&again).expect("an encoded wire decodes");
    assert_eq!(
        link::encode(&back),
        again,
        "link round trip changes the wire"
    );
    match (Scenario::from_wire(&wire), link::decode_scenario(&token)) {
        (Ok(a), Ok(b)) => assert_eq!(link::encode(&a.to_wire()), link::encode(&b.to_wire())),
        (Err(a), Err(b)) => assert!(b.to_string().ends_with(&a.to_string()), "{a} vs {b}"),
        (a, b) => panic!("from_wire {a:?} but decode_scenario {b:?}"),
    }
});
