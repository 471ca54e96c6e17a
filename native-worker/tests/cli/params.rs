//! The flags of issue 18's policy parameters: they reach the scenario (its JSON), change the
//! run, show in the header, and a bad value names its scenario field.

use super::{success_stdout, worker};

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&success_stdout(args)).expect("JSON")
}

#[test]
fn policy_parameter_flags_reach_the_scenario_and_the_run() {
    let base = [
        "simulate",
        "--policy",
        "loongserve",
        "--max-requests",
        "300",
        "--json",
    ];
    let mut set = base.to_vec();
    set.extend([
        "--max-prefill-degree",
        "2",
        "--medha-step-target",
        "0.1",
        "--medha-min-chunk",
        "16",
        "--chunk-tokens",
        "1024",
        "--pd-decode-share",
        "0.5",
        "--rank-noise",
        "0.25",
    ]);
    let out = json(&set);
    let w = &out["scenario"];
    assert_eq!(w["elastic_sp"]["max_prefill_degree"], 2);
    assert_eq!(w["medha"]["tbt_target_s"], 0.1);
    assert_eq!(w["medha"]["min_chunk_tokens_per_member"], 16);
    assert_eq!(w["policy_params"]["chunk_tokens_per_member"], 1024);
    assert_eq!(w["policy_params"]["pd_decode_share"], 0.5);
    assert_eq!(w["policy_params"]["rank_noise_sigma"], 0.25);
    // A scale-out bound of 2 (the smallest group a long request gets) turns scale-out off:
    // LoongServe's run differs from the default bound's.
    let default = json(&base);
    assert_ne!(
        out["summaries"][0]["log_hash"], default["summaries"][0]["log_hash"],
        "the bound changed nothing"
    );
    let text = success_stdout(&[
        "simulate",
        "--policy",
        "loongserve",
        "--max-requests",
        "50",
        "--max-prefill-degree",
        "3",
        "--quiet",
    ]);
    assert!(text.contains("loongserve max prefill degree 3"), "{text}");
}

#[test]
fn a_bad_policy_parameter_names_its_field() {
    for (flag, value, field) in [
        ("--pd-decode-share", "1.5", "policy_params.pd_decode_share"),
        ("--max-prefill-degree", "0", "elastic_sp.max_prefill_degree"),
        ("--rank-noise", "-1", "policy_params.rank_noise_sigma"),
    ] {
        let out = worker(&["simulate", flag, value, "--quiet"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag} {value} was accepted");
        assert!(stderr.contains(field), "{flag} {value}: {stderr}");
    }
}
