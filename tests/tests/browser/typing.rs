//! What the user types survives whatever runs in the background, and a field refuses what
//! it cannot take; Stop is not a failure.

use crate::chrome::wait_js;
use crate::page;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use std::path::Path;
use std::time::Duration;

/// Types `text` into input `id` one key at a time, as a person does (select all first), and
/// leaves the field uncommitted.
async fn type_slowly(c: &Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.expect("the field");
    e.click().await.expect("focus the field");
    c.execute(
        "document.getElementById(arguments[0]).select();",
        vec![id.into()],
    )
    .await
    .expect("select all");
    for ch in text.chars() {
        e.send_keys(&ch.to_string()).await.expect("a key");
        // A pause between keys, as a person types: the sweep's progress re-renders the page
        // in between (the test checks that it did).
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
}

/// Counts changes to the run status from now on (progress of the sweep re-rendering the page).
async fn watch_status(c: &Client) {
    c.execute(
        "window.__statusChanges = 0; new MutationObserver(() => window.__statusChanges++)\
         .observe(document.getElementById('run-status'), {subtree: true, childList: true, attributes: true, characterData: true});",
        vec![],
    )
    .await
    .expect("observe the status");
}

async fn status_changes(c: &Client) -> u64 {
    c.execute("return window.__statusChanges;", vec![])
        .await
        .expect("read the counter")
        .as_u64()
        .unwrap_or(0)
}

/// A number typed while the load sweep runs is kept exactly, and the
/// scenario simulated is the one typed.
pub async fn typing_during_a_sweep(c: &Client, out: &Path) {
    // A fixed colocation cap (its field starts at 512 tokens/GPU).
    let g = page::generation(c).await;
    page::set_field(c, "f-colocation-mode", "fixed").await;
    page::wait_done(c, g + 1, 120).await;
    assert_eq!(page::value(c, "f-colocation-tokens").await, "512");
    let g = page::generation(c).await;
    page::set_field(c, "f-nodes", "6").await;
    page::wait_done(c, g + 1, 120).await;
    // The comparison is done; the sweep starts now and re-renders the page as it goes.
    wait_js(
        c,
        "document.querySelector('#run-status .sweep progress')",
        60,
        "the sweep to run",
    )
    .await;
    watch_status(c).await;
    type_slowly(c, "f-colocation-tokens", "1024").await;
    let changes = status_changes(c).await;
    assert!(
        changes > 0,
        "the page did not re-render while typing: the test proves nothing"
    );
    assert_eq!(
        page::value(c, "f-colocation-tokens").await,
        "1024",
        "typed text kept while the sweep runs ({changes} re-renders)"
    );
    eprintln!(
        "typing during the sweep: {changes} re-renders of the status while typing, field kept 1024"
    );
    // Commit with Tab: the new run simulates 1024, and the field still shows it.
    let g = page::generation(c).await;
    c.find(Locator::Id("f-colocation-tokens"))
        .await
        .unwrap()
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    page::wait_done(c, g + 1, 120).await;
    assert_eq!(page::value(c, "f-colocation-tokens").await, "1024");
    assert_eq!(page::value(c, "f-nodes").await, "6");
    let link = page::value(c, "share-link").await;
    let token = link.split_once("#s=").expect("a link").1;
    let s = pecsched_core::scenario::link::decode_scenario(token).expect("the page's link");
    assert_eq!(
        (s.knobs().colocation_cap, s.cluster().nodes),
        (
            pecsched_core::policy::ColocationCap::Fixed {
                tokens_per_gpu: 1024
            },
            6
        ),
        "the scenario simulated is the one typed"
    );

    // A value the explorer cannot take is refused at the field, with the reason; the
    // scenario keeps its last good value and the typed text stays for correction.
    let g = page::generation(c).await;
    page::set_field(c, "f-nodes", "1000").await;
    let err = wait_js(c, "document.getElementById('f-nodes-error') && document.getElementById('f-nodes-error').innerText", 10, "the field's refusal").await;
    let err = err.as_str().unwrap_or_default().to_string();
    assert!(err.contains("4096 GPUs") && err.contains("512"), "{err:?}");
    assert_eq!(
        page::value(c, "f-nodes").await,
        "1000",
        "the refused text stays for correction"
    );
    assert_eq!(
        page::generation(c).await,
        g,
        "a refused value starts no run"
    );
    page::screenshot(c, Some("editor"), &out.join("explorer-field-refused.png")).await;
    page::set_field(c, "f-nodes", "4").await;
    page::wait_done(c, g + 1, 120).await;
    assert_eq!(page::text(c, "f-nodes-error").await, "");
}

/// Stop is reported as the user's choice, not as a failure.
pub async fn stop_is_not_a_failure(c: &Client, out: &Path) {
    let g = page::generation(c).await;
    // Press Stop the moment the new run shows as running: a MutationObserver's callback runs
    // before the worker's next message can be handled, so the run cannot finish first (a run
    // of 0.3 s used to finish before a separate click landed, and Stop then hit the sweep).
    c.execute(
        "const g = arguments[0]; window.__stopPressed = false; \
         const o = new MutationObserver(() => { \
           const s = document.getElementById('run-status'); \
           const b = document.getElementById('stop-run'); \
           if (s && b && Number(s.dataset.generation) > g && s.dataset.state === 'running') { \
             o.disconnect(); window.__stopPressed = true; b.click(); } }); \
         o.observe(document.body, {subtree: true, childList: true, attributes: true});",
        vec![g.into()],
    )
    .await
    .expect("arm Stop");
    page::set_field(c, "f-seed", "5").await;
    wait_js(
        c,
        "window.__stopPressed === true",
        10,
        "the new run (Stop pressed)",
    )
    .await;
    wait_js(
        c,
        "document.getElementById('run-status').dataset.state === 'stopped'",
        10,
        "the stopped state",
    )
    .await;
    let status = page::text(c, "run-status").await;
    assert!(
        status.contains("Stopped by you") && !status.to_lowercase().contains("fail"),
        "{status:?}"
    );
    let red = c
        .execute("return document.querySelectorAll('#run-status .error, #stopped-note[role=alert]').length;", vec![])
        .await
        .unwrap();
    assert_eq!(
        red,
        serde_json::json!(0),
        "Stop is not shown as an error: {status:?}"
    );
    page::screenshot(c, Some("run-status"), &out.join("explorer-stopped.png")).await;
}
