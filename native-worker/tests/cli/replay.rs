//! The hardware-in-the-loop replay loop on whatever Vulkan adapter exists (in CI: Mesa's
//! lavapipe): a tiny scenario with shrunken layer widths, one layer, one timed run per bucket.
//! Checks the loop, not the timing: every iteration the core scheduled was timed by the GPU
//! path, both runs of every policy completed every request, and the engine's invariants held
//! (the replay checks them during and after each run and fails otherwise).

use std::process::Command;

#[test]
fn replay_times_every_iteration_on_the_gpu() {
    let dir = std::env::temp_dir().join(format!("pecsched-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("replay.json");
    let o = Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .args([
            "replay",
            "--max-requests",
            "3",
            "--no-long-input",
            "--shrink",
            "32",
            "--layers",
            "1",
            "--reps",
            "1",
            "--kv-tokens",
            "8192",
            "--records",
            "--check-every",
            "16",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("the pecsched-worker binary runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "replay failed ({}):\n{stdout}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let policies = r["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 2, "fifo and pecsched");
    let mut fresh_total = 0;
    for p in policies {
        let name = p["policy"].as_str().unwrap();
        let records = p["records"].as_array().unwrap();
        assert!(!records.is_empty(), "{name}: no iteration was timed");
        // Every iteration the core scheduled went through the oracle, and each of its
        // components has a GPU time (fresh or cached): no zero, no non-finite time.
        for rec in records {
            let m = rec["measured_s"].as_f64().unwrap();
            let g = rec["gemm_s"][0].as_f64().unwrap();
            assert!(m.is_finite() && m > 0.0 && g > 0.0, "{name}: {rec}");
            assert!(rec["components"].as_u64().unwrap() >= 1);
        }
        let all = &p["iterations"][0];
        assert_eq!(all[0], "all");
        assert_eq!(all[1]["n"].as_u64().unwrap() as usize, records.len());
        for run in ["modelled", "measured"] {
            let c = p[run]["completed"].as_array().unwrap();
            assert_eq!(c[0], c[1], "{name} {run}: every short request completes");
            assert!(p[run]["stopped"].is_null(), "{name} {run} stopped early");
        }
        assert!(p["invariant_checks"].as_u64().unwrap() >= 2);
        fresh_total += p["fresh_measurements"].as_u64().unwrap();
    }
    assert_eq!(fresh_total, r["cache_entries"].as_u64().unwrap());
    assert!(r["same_ranking"].is_boolean());
    std::fs::remove_dir_all(&dir).ok();
}

/// Full-width layers on an adapter whose storage bindings are smaller than one
/// weight matrix (lavapipe: 128 MiB against Llama-3.1-70B's 224 MiB at TP = 4) fail with a
/// message naming the buffer, the limit and the way out, not wgpu's raw "Buffer binding …
/// exceeds limit" validation error. On a GPU with larger bindings the run proceeds.
#[test]
fn a_binding_larger_than_the_adapter_allows_is_explained() {
    let dir = std::env::temp_dir().join(format!("pecsched-replay-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .args([
            "replay",
            "--max-requests",
            "1",
            "--no-long-input",
            "--layers",
            "1",
            "--reps",
            "1",
            "--kv-tokens",
            "4096",
            "--out",
        ])
        .arg(dir.join("replay.json"))
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the pecsched-worker binary runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("Validation Error"), "{stderr}");
    if !o.status.success() {
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        let msg = stderr
            .lines()
            .find(|l| l.starts_with("Error: "))
            .unwrap_or("");
        assert!(
            msg.starts_with("Error: buffer `w0.")
                && msg.contains("bytes in one binding, more than adapter"),
            "{stderr}"
        );
        assert!(msg.contains("pass --shrink N"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
