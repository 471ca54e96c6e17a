//! `pecsched-worker capacity` end to end: the rate it reports attained, the next one tried
//! above it did not, and the answer does not depend on the number of threads.

use std::process::Command;

fn capacity_json(threads: &str) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_pecsched-worker"))
        .args([
            "capacity",
            "--policy",
            "fifo",
            "--policy",
            "sjf",
            "--policy",
            "pecsched",
            "--max-requests",
            "200",
            "--steps",
            "2",
            "--json",
            "--threads",
            threads,
        ])
        .output()
        .expect("the pecsched-worker binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("capacity --json prints JSON")
}

/// Whether each class met its SLO for at least 90 % of its requests in `summary`.
fn attains(summary: &serde_json::Value) -> bool {
    ["short", "long"].iter().all(|c| {
        let met = summary[c]["slo"]["met"].as_u64().unwrap();
        let count = summary[c]["count"].as_u64().unwrap();
        met * 1000 >= 900 * count
    })
}

#[test]
fn the_capacity_attains_and_the_rate_above_it_does_not() {
    let j = capacity_json("3");
    let policies = j["policies"].as_array().unwrap();
    assert_eq!(policies.len(), 3);
    for p in policies {
        let points = p["points"].as_array().unwrap();
        let at = |f: &serde_json::Value| {
            points
                .iter()
                .find(|pt| &pt["factor"] == f)
                .unwrap_or_else(|| panic!("{}: no point at {f}", p["policy"]))
        };
        let cap = &p["capacity_factor"];
        let fail = &p["failed_factor"];
        assert!(cap.is_f64() && fail.is_f64(), "{p}");
        assert!(cap.as_f64() < fail.as_f64());
        assert!(attains(&at(cap)["summary"]), "{}", p["policy"]);
        assert!(!attains(&at(fail)["summary"]), "{}", p["policy"]);
        // Every point's verdict is the SLO rule applied to its summary.
        for pt in points {
            assert_eq!(pt["attained"].as_bool().unwrap(), attains(&pt["summary"]));
        }
    }
    assert_eq!(j, capacity_json("1"), "the same answer on one thread");
}
