//! The end-to-end story, step by step, and the CLI it is checked against.

use crate::chrome::wait_js;
use crate::page::{self, Table};
use crate::{links, requests, typing};
use fantoccini::{Client, Locator};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `pecsched-worker` (the test profile's build is enough: the numbers do not depend on
/// the optimisation level) and returns its path.
pub fn build_cli(root: &Path) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "pecsched-worker",
            "--bin",
            "pecsched-worker",
        ])
        .current_dir(root)
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p pecsched-worker failed");
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.ancestors().nth(2).unwrap();
    profile_dir.join("pecsched-worker")
}

/// `pecsched-worker simulate --json --quiet ARGS`: one summary per policy.
pub fn cli(exe: &Path, args: &[&str]) -> Vec<Value> {
    let out = Command::new(exe)
        .args(["simulate", "--json", "--quiet"])
        .args(args)
        .output()
        .expect("run pecsched-worker");
    assert!(
        out.status.success(),
        "pecsched-worker simulate {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the CLI prints JSON");
    v["summaries"]
        .as_array()
        .expect("the summaries, beside the scenario")
        .clone()
}

/// Checks every cell of the page's table against the CLI's summaries, bit for bit.
pub fn assert_matches_cli(table: &Table, policies: &[String], summaries: &[Value], what: &str) {
    let ids: Vec<&str> = summaries
        .iter()
        .map(|s| s["policy"].as_str().unwrap())
        .collect();
    assert_eq!(policies, ids, "{what}: policies differ");
    let mut checked = 0;
    for ((policy, key), page) in table {
        let s = summaries
            .iter()
            .find(|s| s["policy"] == policy.as_str())
            .unwrap();
        let cli = key.split('.').fold(s, |v, k| &v[k]);
        let same = match cli {
            Value::String(t) => t == page,
            Value::Number(n) => {
                let p: f64 = page.parse().unwrap_or(f64::NAN);
                p.to_bits() == n.as_f64().unwrap().to_bits()
            }
            // A value the run does not have (e.g. prefix-cache rows of a run without caching):
            // the CLI leaves the key out, the page shows "—".
            Value::Null => page == "—",
            _ => false,
        };
        assert!(same, "{what}: {policy} {key}: page {page}, CLI {cli}");
        checked += 1;
    }
    assert!(checked >= 4 * 15, "{what}: only {checked} cells compared");
    eprintln!("{what}: {checked} cells equal the CLI's, bit for bit");
}

/// Opens `url` as a new page load (not a same-document fragment change).
pub async fn open(c: &Client, url: &str) {
    c.goto("about:blank").await.expect("blank page");
    c.goto(url).await.expect("open the page");
}

/// The whole story, in browser `a` and (the fresh browser a link is opened in) `b`.
pub async fn run(base: String, a: Client, b: Client, exe: PathBuf, out: PathBuf) {
    let (base, exe, out) = (base.as_str(), exe.as_path(), out.as_path());
    // 1. The default results appear without a click and equal the CLI's.
    open(&a, &format!("{base}/")).await;
    page::wait_done(&a, 1, 90).await;
    page::assert_alive(&a).await;
    let (t0, pol0) = page::table(&a).await;
    let t = page::timing(&a).await;
    eprintln!(
        "default scenario: results shown {:.0} ms after navigation start ({:.0} ms after posting, worker {:.0} ms)",
        t.shown_at, t.compare, t.worker
    );
    assert_matches_cli(&t0, &pol0, &cli(exe, &[]), "default scenario");
    assert!(
        page::text(&a, "notice").await.is_empty(),
        "no notice on a plain page"
    );

    // 2. Changing a field re-runs; the new numbers equal the CLI's for the new scenario.
    let g = page::generation(&a).await;
    page::set_field(&a, "f-seed", "7").await;
    page::wait_done(&a, g + 1, 90).await;
    let (t1, pol1) = page::table(&a).await;
    assert_ne!(t0, t1, "a new seed changes the numbers");
    let t = page::timing(&a).await;
    eprintln!(
        "seed 7: re-simulated and shown in {:.0} ms (worker {:.0} ms)",
        t.compare, t.worker
    );
    assert_matches_cli(&t1, &pol1, &cli(exe, &["--seed", "7"]), "seed 7");
    // The whole conversation trace (19,366 requests): the time window off.
    let g = page::generation(&a).await;
    a.execute("document.getElementById('f-window-on').click();", vec![])
        .await
        .unwrap();
    page::wait_done(&a, g + 1, 120).await;
    let (tw, polw) = page::table(&a).await;
    let t = page::timing(&a).await;
    eprintln!(
        "whole trace, seed 7: re-simulated and shown in {:.0} ms (worker {:.0} ms)",
        t.compare, t.worker
    );
    assert_matches_cli(
        &tw,
        &polw,
        &cli(exe, &["--seed", "7", "--no-window"]),
        "whole trace",
    );
    let g = page::generation(&a).await;
    a.execute("document.getElementById('f-window-on').click();", vec![])
        .await
        .unwrap();
    page::wait_done(&a, g + 1, 120).await;
    assert_eq!(
        page::table(&a).await.0,
        t1,
        "the window back on gives the seed-7 numbers again"
    );
    page::wait_sweep(&a, 120).await;
    page::screenshot(&a, None, &out.join("explorer.png")).await;
    for (id, file) in [
        ("chart-gantt", "explorer-timeline.png"),
        ("chart-box", "explorer-boxplot.png"),
        ("chart-cdf", "explorer-cdf.png"),
        ("chart-long-jct", "explorer-long-jct.png"),
        ("sweep", "explorer-sweep.png"),
        ("editor", "explorer-editor.png"),
    ] {
        page::screenshot(&a, Some(id), &out.join(file)).await;
    }
    requests::per_request_results(&a, out).await;

    // 3. Copy link.
    a.find(Locator::Id("copy-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_js(
        &a,
        "document.getElementById('copy-feedback')",
        10,
        "the copy feedback",
    )
    .await;
    let url = page::value(&a, "share-link").await;
    assert!(
        url.starts_with(base) && url.contains("#s="),
        "share link {url:?}"
    );
    let location = a.current_url().await.unwrap().to_string();
    assert_eq!(location, url, "the address bar carries the same link");
    // A new link opened in this open tab, then Back.
    links::hashchange(&a, &t1, "7", &t0).await;

    // 4. The link, opened in a fresh browser, reproduces the same numbers.
    open(&b, &url).await;
    page::wait_done(&b, 1, 90).await;
    let (t2, _) = page::table(&b).await;
    assert_eq!(t1, t2, "the link reproduces the numbers exactly");
    assert_eq!(page::value(&b, "f-seed").await, "7");
    assert!(page::text(&b, "notice").await.is_empty());

    // 5. A tampered, a truncated and a malformed link show their error and the default scenario.
    let (head, token) = url.split_once("#s=").unwrap();
    let mid = token.len() / 2;
    let flipped = if &token[mid..mid + 1] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{head}#s={}{flipped}{}", &token[..mid], &token[mid + 1..]);
    for (link, expect, shot) in [
        (tampered, "altered", Some("explorer-tampered-link.png")),
        (format!("{head}#s={}", newer_version(token)), "newer", None),
        (
            format!("{head}#s={}", &token[..token.len() - 6]),
            "truncated",
            None,
        ),
        (format!("{head}#s=not*base64"), "malformed", None),
    ] {
        open(&b, &link).await;
        page::wait_done(&b, 1, 90).await;
        let notice = page::text(&b, "notice").await;
        assert!(
            notice.contains("could not be opened") && notice.contains(expect),
            "{link}: notice {notice:?}"
        );
        let (t, _) = page::table(&b).await;
        assert_eq!(t, t0, "a bad link shows the default scenario's numbers");
        if let Some(name) = shot {
            page::screenshot(&b, None, &out.join(name)).await;
        }
    }

    links::huge_window_is_refused(&b, base, &t0).await;
    // The calibration is part of the scenario and its link; old `&c=` links still open.
    links::calibration_in_the_link(&b, base, exe, out).await;

    // 6. Uploaded traces: a bad line is reported with its number; a good file runs, and its
    //    numbers equal the CLI's on the same file.
    upload(&b, exe, out).await;

    // 7. The timeline zooms and explains what is under the cursor.
    timeline(&a).await;

    // 8. Typing while the sweep runs keeps what is typed; Stop is not a failure.
    typing::typing_during_a_sweep(&a, out).await;
    typing::stop_is_not_a_failure(&a, out).await;
}

/// The token with its leading version byte raised by one (a link from a newer PecSched).
fn newer_version(token: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = URL_SAFE_NO_PAD.decode(token).expect("a valid token");
    bytes[0] += 1;
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn upload(c: &Client, exe: &Path, out: &Path) {
    let dir = out.join("uploads");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "arrival_s,input_tokens,output_tokens\n0,100,10\n1.5,oops,20\n",
    )
    .unwrap();
    let input = c.find(Locator::Id("f-upload")).await.unwrap();
    input.send_keys(bad.to_str().unwrap()).await.unwrap();
    let err = wait_js(c, "document.getElementById('upload-error') && document.getElementById('upload-error').innerText", 30, "the upload error").await;
    let err = err.as_str().unwrap_or_default();
    assert!(
        err.contains("bad.csv") && err.contains("line 3"),
        "upload error {err:?}"
    );

    let good = dir.join("mine.csv");
    let mut text = String::from("arrival_s,input_tokens,output_tokens\n");
    for i in 0..400u32 {
        let input = 200 + (i * 7919) % 3000;
        text.push_str(&format!(
            "{:.3},{input},{}\n",
            i as f64 * 0.5,
            50 + (i * 31) % 400
        ));
    }
    std::fs::write(&good, &text).unwrap();
    let g = page::generation(c).await;
    let input = c.find(Locator::Id("f-upload")).await.unwrap();
    input.send_keys(good.to_str().unwrap()).await.unwrap();
    page::wait_done(c, g + 1, 90).await;
    let status = page::text(c, "upload-status").await;
    assert!(
        status.contains("mine.csv") && status.contains("400 requests"),
        "{status:?}"
    );
    let (t, pol) = page::table(c).await;
    // The file runs as recorded (whole file, rate ×1, no long-input
    // transform), and the page says so.
    let want = cli(
        exe,
        &[
            "--trace",
            good.to_str().unwrap(),
            "--no-window",
            "--rate-scale",
            "1",
            "--no-long-input",
        ],
    );
    assert_matches_cli(&t, &pol, &want, "uploaded trace");
    let transforms = page::text(c, "transforms").await;
    assert!(transforms.starts_with("Runs as given"), "{transforms:?}");
    assert!(
        page::text(c, "run-status")
            .await
            .contains("on 400 requests"),
        "every row of the file is simulated"
    );
    for p in &pol {
        assert_eq!(
            t[&(p.clone(), "long.completed".to_string())],
            "0",
            "{p}: no request of the file was made long"
        );
    }
    page::screenshot(c, Some("editor"), &out.join("explorer-upload-as-given.png")).await;
    let share = page::text(c, "share").await;
    assert!(share.contains("does not contain it"), "{share:?}");

    // Its link, opened afresh, names the file and waits for it.
    let url = page::value(c, "share-link").await;
    open(c, &url).await;
    wait_js(
        c,
        "document.getElementById('notice')",
        30,
        "the upload notice",
    )
    .await;
    let notice = page::text(c, "notice").await;
    assert!(
        notice.contains("mine.csv") && notice.contains("Upload"),
        "{notice:?}"
    );
    let status = page::text(c, "run-status").await;
    assert!(
        status.contains("Waiting for the trace file mine.csv"),
        "{status:?}"
    );
    let g = page::generation(c).await;
    let input = c.find(Locator::Id("f-upload")).await.unwrap();
    input.send_keys(good.to_str().unwrap()).await.unwrap();
    page::wait_done(c, g + 1, 90).await;
    assert_eq!(
        page::table(c).await.0,
        t,
        "the same file gives the same numbers"
    );

    // The synthetic generator runs its 2,000 requests as given too.
    let g = page::generation(c).await;
    c.execute(
        "const s = document.getElementById('f-source'); s.value = 'synthetic'; \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    page::wait_done(c, g + 1, 180).await;
    let status = page::text(c, "run-status").await;
    assert!(status.contains("on 2000 requests"), "{status:?}");
    assert!(
        page::text(c, "transforms")
            .await
            .starts_with("Runs as given")
    );
}

async fn timeline(c: &Client) {
    let note = || async {
        c.execute(
            "return document.querySelector('#chart-gantt .note').innerText;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
    };
    let before = note().await;
    c.execute(
        "document.querySelector('#chart-gantt button[title=\"Zoom in ×2\"]').click();",
        vec![],
    )
    .await
    .unwrap();
    wait_js(
        c,
        &format!("document.querySelector('#chart-gantt .note').innerText !== {before:?}"),
        10,
        "the zoom",
    )
    .await;
    // The keyboard: 0 shows the whole run again, + zooms in.
    let plot = c.find(Locator::Css("#chart-gantt .gantt")).await.unwrap();
    plot.send_keys("0").await.unwrap();
    wait_js(
        c,
        &format!("document.querySelector('#chart-gantt .note').innerText === {before:?}"),
        10,
        "the keyboard reset",
    )
    .await;
    plot.send_keys("+").await.unwrap();
    wait_js(
        c,
        &format!("document.querySelector('#chart-gantt .note').innerText !== {before:?}"),
        10,
        "the keyboard zoom",
    )
    .await;
    let hover = c
        .execute(
            "const g = document.querySelector('#chart-gantt .gantt'); const r = g.getBoundingClientRect(); \
             g.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: r.left + r.width * 0.5, clientY: r.top + r.height * 0.3})); \
             return true;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hover, Value::Bool(true));
    let text = wait_js(
        c,
        "document.getElementById('gantt-hover').innerText.startsWith('replica')",
        10,
        "hover details",
    )
    .await;
    assert_eq!(text, Value::Bool(true));
    eprintln!("timeline: {}", page::text(c, "gantt-hover").await);
}
