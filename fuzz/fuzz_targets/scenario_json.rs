//! Fuzzes `pecsched_core::scenario::Scenario::from_json`: any text gives a scenario or a
//! `ScenarioError`, never a panic; an accepted scenario's own JSON and link read back as the
//! same scenario (what a user saves or shares is what they get).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pecsched_core::scenario::{Scenario, link};

fuzz_target!(|data: &[u8]| {
    let text = pecsched_fuzz::text(data);
    if let Ok(scenario) = Scenario::from_json(&text) {
        let json = scenario.to_json();
        let again = Scenario::from_json(&json)
            .unwrap_or_else(|e| panic!("to_json output is refused ({e}):\n{json}"));
        assert_eq!(
            again, scenario,
            "JSON round trip changes the scenario:\n{json}"
        );
        let token = link::encode_scenario(&scenario);
        assert!(
            token.len() <= link::MAX_TOKEN_CHARS,
            "link too long to read back"
        );
        let back = link::decode_scenario(&token)
            .unwrap_or_else(|e| panic!("its own link is refused ({e}): {token}"));
        assert_eq!(back, scenario, "link round trip changes the scenario");
    }
});
