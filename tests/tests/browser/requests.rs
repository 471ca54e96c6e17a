//! Per-request results, seed spread and the reading guide.

use crate::chrome::wait_js;
use crate::page;
use fantoccini::Client;
use std::path::Path;

/// The slowest-requests table lists requests and sorts by a clicked column; the seed-spread
/// table appears when the sweep ran several seeds; the guide opens.
pub async fn per_request_results(c: &Client, out: &Path) {
    let n = wait_js(
        c,
        "document.querySelectorAll('#requests tbody tr').length",
        10,
        "the slowest requests",
    )
    .await;
    assert!(n.as_u64().unwrap_or(0) > 0, "no request rows");
    c.execute(
        "document.querySelector('#requests button.sort[data-col=\"id\"]').click();",
        vec![],
    )
    .await
    .unwrap();
    let ids = wait_js(
        c,
        "document.querySelector('#requests th[aria-sort=\"descending\"] button[data-col=\"id\"]') && \
         Array.from(document.querySelectorAll('#requests tbody tr')).map(r => Number(r.dataset.id))",
        10,
        "the sort by id",
    )
    .await;
    let ids: Vec<u64> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "sorted by id, descending: {ids:?}"
    );
    page::screenshot(c, Some("requests"), &out.join("explorer-requests.png")).await;
    let seeds = c
        .execute(
            "return document.getElementById('seed-spread') !== null;",
            vec![],
        )
        .await
        .unwrap();
    if seeds == serde_json::Value::Bool(true) {
        page::screenshot(
            c,
            Some("seed-spread"),
            &out.join("explorer-seed-spread.png"),
        )
        .await;
    }
    c.execute("document.querySelector('#guide summary').click();", vec![])
        .await
        .unwrap();
    wait_js(
        c,
        "document.getElementById('guide').open",
        5,
        "the guide to open",
    )
    .await;
    // The ? of a field shows its explanation on focus, without hovering.
    c.execute("document.querySelector('#editor .help').focus();", vec![])
        .await
        .unwrap();
    let shown = wait_js(
        c,
        "getComputedStyle(document.querySelector('#editor .help + .tip')).display !== 'none'",
        5,
        "the help text on focus",
    )
    .await;
    assert_eq!(shown, serde_json::Value::Bool(true));
    page::screenshot(c, None, &out.join("explorer-help-and-guide.png")).await;
}
