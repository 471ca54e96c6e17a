//! Reading and driving the explorer page.

use crate::chrome::wait_js;
use fantoccini::{Client, Locator};
use std::collections::BTreeMap;
use std::path::Path;

/// The results table: `(policy id, metric key)` → exact value (`data-value`).
pub type Table = BTreeMap<(String, String), String>;

/// Waits until the run of generation ≥ `generation` has shown every policy's results.
pub async fn wait_done(c: &Client, generation: u32, secs: u64) {
    let script = format!(
        "(() => {{ const d = document.getElementById('run-status'); \
         return d && Number(d.dataset.generation) >= {generation} && d.dataset.state === 'done'; }})()"
    );
    wait_js(
        c,
        &script,
        secs,
        &format!("the results of run {generation}"),
    )
    .await;
}

/// Waits until the load sweep of the current run finished.
pub async fn wait_sweep(c: &Client, secs: u64) {
    wait_js(
        c,
        "document.getElementById('run-status').dataset.sweepMs",
        secs,
        "the load sweep",
    )
    .await;
}

/// The run number the page shows.
pub async fn generation(c: &Client) -> u32 {
    let v = c
        .execute(
            "return Number(document.getElementById('run-status').dataset.generation);",
            vec![],
        )
        .await
        .expect("read the generation");
    v.as_u64().expect("a number") as u32
}

/// The results table's exact values, and the policies in column order.
pub async fn table(c: &Client) -> (Table, Vec<String>) {
    let v = c
        .execute(
            "return [Array.from(document.querySelectorAll('#results td[data-policy]')).map(td => \
               [td.dataset.policy, td.parentElement.dataset.metric, td.dataset.value]), \
             Array.from(document.querySelectorAll('#results thead th[data-policy]')).map(th => th.dataset.policy)];",
            vec![],
        )
        .await
        .expect("read the table");
    let cells = v[0].as_array().expect("cells");
    let t: Table = cells
        .iter()
        .map(|c| {
            let s = |i: usize| c[i].as_str().expect("a string").to_string();
            ((s(0), s(1)), s(2))
        })
        .collect();
    let policies = v[1]
        .as_array()
        .expect("headers")
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    (t, policies)
}

/// Sets input `id` to `value` and commits it (the `change` event a user's Enter or Tab
/// fires). Done in one script so no re-render can interleave between clearing and typing.
pub async fn set_field(c: &Client, id: &str, value: &str) {
    let ok = c
        .execute(
            "const e = document.getElementById(arguments[0]); if (!e) return false; \
             e.focus(); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', {bubbles: true})); \
             e.dispatchEvent(new Event('change', {bubbles: true})); e.blur(); return true;",
            vec![id.into(), value.into()],
        )
        .await
        .expect("set the field");
    assert_eq!(ok, serde_json::Value::Bool(true), "no #{id}");
}

/// An input's current value.
pub async fn value(c: &Client, id: &str) -> String {
    let e = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no #{id}"));
    e.prop("value").await.ok().flatten().unwrap_or_default()
}

/// A text content, or empty if the element is absent.
pub async fn text(c: &Client, id: &str) -> String {
    match c.find(Locator::Id(id)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Timings of the last comparison, in milliseconds.
#[derive(Debug)]
pub struct Timing {
    /// From posting the run to the worker to its last result on the page.
    pub compare: f64,
    /// `performance.now()` when the last result arrived (since navigation start).
    pub shown_at: f64,
    /// The worker's own time, from receiving the run to sending its last result.
    pub worker: f64,
}

/// Timings of the last comparison.
pub async fn timing(c: &Client) -> Timing {
    let v = c
        .execute(
            "const d = document.getElementById('run-status').dataset; \
             return [Number(d.compareMs), Number(d.shownAtMs), Number(d.workerMs)];",
            vec![],
        )
        .await
        .expect("read timings");
    let f = |i: usize| v[i].as_f64().unwrap_or(f64::NAN);
    Timing {
        compare: f(0),
        shown_at: f(1),
        worker: f(2),
    }
}

/// Saves a screenshot of the page (or of element `id`) as `path`.
pub async fn screenshot(c: &Client, id: Option<&str>, path: &Path) {
    let png = match id {
        Some(id) => {
            let e = c
                .find(Locator::Id(id))
                .await
                .unwrap_or_else(|_| panic!("no #{id}"));
            e.screenshot().await.expect("an element screenshot")
        }
        None => c.screenshot().await.expect("a screenshot"),
    };
    std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("screenshot: {}", path.display());
}

/// Whether the page shows a Rust panic or an empty body (it never should).
pub async fn assert_alive(c: &Client) {
    let v = c
        .execute("return document.body.innerText;", vec![])
        .await
        .expect("read the page");
    let body = v.as_str().unwrap_or_default();
    assert!(
        body.contains("PecSched explorer"),
        "the page is blank: {body:?}"
    );
    assert!(!body.contains("panicked"), "the page shows a panic: {body}");
}
