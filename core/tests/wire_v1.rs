//! Version 1 of the scenario format, frozen: links and files written by PecSched in version 1
//! (committed under `tests/golden/v1/`, never regenerated) must decode to the same scenario
//! forever, upgraded to the current version with the meaning each field had (`wire_v1.rs`: a
//! fixed colocation cap, the datasheet calibration). The files are compiled in
//! (`include_str!`), so the same test runs natively and in wasm32 under Node
//! (`cargo test --target wasm32-unknown-unknown -p pecsched-core --test wire_v1`): the explorer
//! decodes links in the browser.

mod golden_links;

use pecsched_core::hardware::GpuKind;
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::policy::{ColocationCap, PriorityPlacement, ReservationPool};
use pecsched_core::scenario::link;
use pecsched_core::scenario::wire::{CalibrationWire, ScenarioWire};
use pecsched_core::scenario::wire_v1::ScenarioWireV1;
use pecsched_core::scenario::{EmbeddedTrace, LengthSource, Scenario, Source};
use pecsched_core::time::SimDuration;

/// The committed links: `name token` per line.
const LINKS: &str = include_str!("golden/v1/links.txt");

/// Every committed v1 scenario file, by name.
const FILES: [(&str, &str); 6] = [
    ("default", include_str!("golden/v1/default.json")),
    ("default-full", include_str!("golden/v1/default-full.json")),
    (
        "synthetic-lognormal-ablations",
        include_str!("golden/v1/synthetic-lognormal-ablations.json"),
    ),
    (
        "h100-code-synthetic-all-knobs",
        include_str!("golden/v1/h100-code-synthetic-all-knobs.json"),
    ),
    (
        "uploaded-mooncake-window",
        include_str!("golden/v1/uploaded-mooncake-window.json"),
    ),
    (
        "h200-code-embedded",
        include_str!("golden/v1/h200-code-embedded.json"),
    ),
];

/// `(name, token)` of every committed link.
fn links() -> Vec<(String, String)> {
    golden_links::links(LINKS)
}

fn file(name: &str) -> String {
    golden_links::file(&FILES, name).to_string()
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_v1_link_decodes_to_its_v1_file() {
    let links = links();
    assert_eq!(links.len(), 5, "the committed v1 links");
    for (name, token) in links {
        let wire = link::decode(&token).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The file, read as version 1 and upgraded, is what the link decodes to.
        let v1: ScenarioWireV1 = serde_json::from_str(&file(&name)).unwrap();
        assert_eq!(v1.version, 1, "{name}");
        assert_eq!(wire, v1.clone().upgrade(), "{name}: link and file differ");
        assert_eq!(
            ScenarioWire::from_json(&file(&name)).unwrap(),
            v1.upgrade(),
            "{name}"
        );
        let s = link::decode_scenario(&token).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s, Scenario::from_json(&file(&name)).unwrap(), "{name}");
        // Re-encoded, it is a current-version link to the same scenario.
        assert_eq!(link::decode_scenario(&link::encode(&wire)).unwrap(), s);
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_v1_file_is_read() {
    for (name, text) in FILES {
        Scenario::from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // Natively, also check that no file in the folder is missing from the list above.
    #[cfg(not(target_arch = "wasm32"))]
    {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1");
        let on_disk = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count();
        assert_eq!(on_disk, FILES.len());
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_default_v1_link_is_the_v1_default_scenario() {
    let (_, token) = links().into_iter().find(|(n, _)| n == "default").unwrap();
    let s = link::decode_scenario(&token).unwrap();
    assert_eq!(s, Scenario::from_json(&file("default-full")).unwrap());
    // Version 1's default is today's default with version 1's meanings of the knobs it could
    // not name: a fixed 512-token colocation cap and the datasheet calibration.
    let mut w = Scenario::default_scenario().to_wire();
    let knobs = w.knobs.as_mut().unwrap();
    knobs.colocation_cap = ColocationCap::Fixed {
        tokens_per_gpu: 512,
    };
    w.calibration = Some(CalibrationWire::builtin("datasheet"));
    assert_eq!(s, Scenario::from_wire(&w).unwrap());
}

/// Each v1 field lands on the engine, policy and workload setting of the same meaning.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn v1_fields_keep_their_meaning() {
    let (_, token) = links()
        .into_iter()
        .find(|(n, _)| n == "h100-code-synthetic-all-knobs")
        .unwrap();
    let s = link::decode_scenario(&token).unwrap();
    assert_eq!(s.gpu(), GpuKind::H100Sxm80);
    assert_eq!((s.cluster().nodes, s.cluster().gpus_per_node), (16, 8));
    assert_eq!(s.cluster().network_bytes_per_s, 3200.0e9 / 8.0);
    assert_eq!((s.model(), s.tp()), (ModelKind::Yi34B, 2));
    assert_eq!(s.policies(), &PolicyKind::MAIN[..]);
    assert_eq!(s.seed(), u64::MAX);
    assert_eq!(s.max_requests(), Some(12_345));
    assert_eq!(s.rate_scale(), 0.05);
    match s.source() {
        Source::Synthetic(syn) => {
            assert_eq!((syn.requests, syn.rate_per_s, syn.cv), (20_000, 40.0, 1.0));
            assert_eq!(
                syn.lengths,
                LengthSource::Trace(EmbeddedTrace::AzureCode2023)
            );
        }
        other => panic!("{other:?}"),
    }
    let e = s.engine();
    assert_eq!(
        (
            e.max_batched_tokens,
            e.max_num_seqs,
            e.local_queue_cap_tokens,
            e.long_threshold_tokens,
            e.max_short_kv_permille,
            e.sp_tokens_per_replica,
            e.kernels_per_layer,
        ),
        (4096, 128, 16_384, 65_536, 400, 65_536, 4)
    );
    assert_eq!(e.context_switch, SimDuration::from_micros(120));
    assert_eq!(e.drain_limit, SimDuration::from_millis(600_000));
    assert_eq!(s.knobs().decode_replicas, Some(3));
    assert_eq!(
        s.knobs().colocation_cap,
        ColocationCap::Fixed {
            tokens_per_gpu: 1024
        }
    );
    // Knobs version 1 could not set take version 2's defaults (a link fixes the scenario, not
    // the policies' implementation, which evolves with fixes).
    assert_eq!(s.knobs().reservation_pool, ReservationPool::default());
    assert_eq!(s.knobs().priority_placement, PriorityPlacement::default());
    assert_eq!(
        s.calibration_choice(),
        &CalibrationWire::builtin("datasheet")
    );

    let (_, token) = links()
        .into_iter()
        .find(|(n, _)| n == "uploaded-mooncake-window")
        .unwrap();
    let s = link::decode_scenario(&token).unwrap();
    assert!(matches!(s.source(), Source::File { name, .. } if name == "my trace (v2).csv"));
    let (a, b) = s.window().unwrap();
    assert_eq!((a.as_secs_f64(), b.as_secs_f64()), (30.5, 930.25));
    let li = s.long_input().unwrap();
    assert_eq!(
        (li.percentile, li.min_tokens, li.max_tokens),
        (90.0, 50_000, 200_000)
    );
    assert_eq!(s.policies(), &[PolicyKind::Priority][..]);
}
