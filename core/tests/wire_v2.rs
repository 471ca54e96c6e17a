//! Version 2 of the scenario format: links and files written when version 2 was introduced
//! (committed under `tests/golden/v2/`, never regenerated) must decode to the same scenario
//! for as long as version 2 is read, and every version-2 field must keep its meaning (knobs
//! the paper leaves open, the calibration inside the scenario). Compiled-in files, so the same
//! test runs natively and in wasm32 under Node
//! (`cargo test --target wasm32-unknown-unknown -p pecsched-core --test wire_v2`).

mod golden_links;

use pecsched_core::hardware::GpuKind;
use pecsched_core::perf::{Calibration, CalibrationField};
use pecsched_core::policy::{ColocationCap, PolicyKind, PriorityPlacement, ReservationPool};
use pecsched_core::scenario::wire::ScenarioWire;
use pecsched_core::scenario::{Scenario, Source, link};

/// The committed links: `name token` per line.
const LINKS: &str = include_str!("golden/v2/links.txt");

/// Every committed v2 scenario file, by name.
const FILES: [(&str, &str); 3] = [
    ("default", include_str!("golden/v2/default.json")),
    (
        "h100-all-knobs-overrides",
        include_str!("golden/v2/h100-all-knobs-overrides.json"),
    ),
    (
        "h200-synthetic-derived10-datasheet",
        include_str!("golden/v2/h200-synthetic-derived10-datasheet.json"),
    ),
];

fn links() -> Vec<(String, String)> {
    golden_links::links(LINKS)
}

fn file(name: &str) -> &'static str {
    golden_links::file(&FILES, name)
}

fn scenario(name: &str) -> Scenario {
    let (_, token) = links().into_iter().find(|(n, _)| n == name).unwrap();
    link::decode_scenario(&token).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_v2_link_decodes_to_its_v2_file() {
    let links = links();
    assert_eq!(links.len(), FILES.len(), "one link per file");
    for (name, token) in links {
        let wire = link::decode(&token).unwrap_or_else(|e| panic!("{name}: {e}"));
        let from_file = ScenarioWire::from_json(file(&name)).unwrap();
        assert_eq!(from_file.version, 2, "{name}");
        let s = Scenario::from_wire(&wire).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s, Scenario::from_wire(&from_file).unwrap(), "{name}");
        // Written by the current version's writer, a version-2 scenario's link is unchanged
        // while version 2 is current (a test to retire, not rewrite, when version 3 comes).
        if pecsched_core::scenario::wire::WIRE_VERSION == 2 {
            assert_eq!(
                link::encode_scenario(&s),
                token,
                "{name}: re-encoded differently"
            );
        }
    }
}

/// Each v2 field lands on the policy and calibration setting of the same meaning.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn v2_fields_keep_their_meaning() {
    let s = scenario("h100-all-knobs-overrides");
    assert_eq!(s.gpu(), GpuKind::H100Sxm80);
    let k = s.knobs();
    assert_eq!(k.decode_replicas, Some(3));
    assert_eq!(
        k.colocation_cap,
        ColocationCap::Fixed {
            tokens_per_gpu: 1024
        }
    );
    assert_eq!(k.reservation_pool, ReservationPool::Replicas(6));
    assert_eq!(k.priority_placement, PriorityPlacement::CompletelyIdle);
    assert_eq!(s.policies().last(), Some(&PolicyKind::PecSchedNoColocation));
    // The calibration: the built-in profile with two fields overridden, nothing else.
    let base = Calibration::builtin("h100-wgpu").unwrap();
    for f in CalibrationField::ALL {
        let want = match f.id() {
            "gemm_efficiency" => 0.5,
            "ring_attn_step_penalty" => 0.1,
            _ => base.get(f),
        };
        assert_eq!(s.calibration().get(f), want, "{}", f.id());
    }
    assert_eq!(s.seed(), 7);

    let s = scenario("h200-synthetic-derived10-datasheet");
    assert_eq!(
        s.knobs().colocation_cap,
        ColocationCap::Derived {
            max_slowdown_permille: 100
        }
    );
    assert_eq!(
        s.knobs().reservation_pool,
        ReservationPool::ForRequest {
            input_tokens: 200_000,
            output_tokens: 1024
        }
    );
    assert_eq!(s.calibration(), &Calibration::builtin("datasheet").unwrap());
    assert!(matches!(s.source(), Source::Synthetic(syn) if syn.requests == 5000 && syn.cv == 2.0));

    // The default as version 2 wrote it: the GPU's production profile, the derived cap.
    let s = scenario("default");
    assert_eq!(s.calibration_choice().profile, "a100-vllm");
    assert_eq!(s.knobs().colocation_cap, ColocationCap::default());
}
