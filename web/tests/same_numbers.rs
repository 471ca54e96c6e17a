//! The explorer's numbers are the same natively and in wasm32, bit for bit.
//!
//! The worker's `Runner` runs the default scenario and a variant (another seed, two
//! ablations) to the end; the summaries, as JSON (floats in shortest round-trip form, so a
//! last-bit difference shows), must equal `tests/golden/summaries.json`:
//!
//! - natively: `cargo test -p pecsched-web --test same_numbers`
//! - in wasm32 (Node): `cargo test -p pecsched-web --target wasm32-unknown-unknown --test same_numbers`
//!
//! Regenerate natively with `PECSCHED_UPDATE_GOLDEN=1` after an intended change of the model,
//! review the diff, and run the wasm32 command.

mod page_runs;

use page_runs::summaries;
use pecsched_core::golden;
use pecsched_core::scenario::Scenario;

const GOLDEN: &str = include_str!("golden/summaries.json");

fn render() -> String {
    let default = Scenario::default_scenario().to_wire();
    let mut variant = default.clone();
    variant.seed = 7;
    variant.policies = vec!["pecsched/pe".into(), "pecsched/fsp".into()];
    let all = [
        ("default", summaries(&default)),
        ("seed 7, ablations", summaries(&variant)),
    ];
    serde_json::to_string_pretty(&all.iter().collect::<Vec<_>>()).expect("summaries serialize")
        + "\n"
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn summaries_match_the_golden_file() {
    let got = render();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os(golden::UPDATE_VAR).is_some_and(|v| v == "1") {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/summaries.json");
        std::fs::write(path, &got).expect("write the golden file");
        return;
    }
    if let Err(e) = golden::compare("web/tests/golden/summaries.json", GOLDEN, &got) {
        panic!("{e}");
    }
}
