//! Following the URL: a new `#s=` link opened in a tab that is already open, and Back.

use crate::flow::{assert_matches_cli, cli, open};
use crate::page::{self, Table};
use fantoccini::Client;
use pecsched_core::scenario::{Scenario, link};
use std::path::Path;

/// Setting a new fragment in an open tab loads its scenario; Back returns
/// to the previous one. `current` is the table of the scenario the tab shows now (seed
/// `seed`), `default` the default scenario's.
pub async fn hashchange(c: &Client, current: &Table, seed: &str, default: &Table) {
    let here = page::value(c, "share-link").await;
    let fragment = link::fragment(&link::encode_scenario(&Scenario::default_scenario()));
    let g = page::generation(c).await;
    // As a link clicked or pasted into the open tab: a new history entry, no page load.
    c.execute(
        "location.hash = arguments[0];",
        vec![fragment.clone().into()],
    )
    .await
    .expect("set the fragment");
    page::wait_done(c, g + 1, 120).await;
    assert_eq!(
        page::value(c, "f-seed").await,
        "42",
        "the linked scenario is shown"
    );
    assert_eq!(&page::table(c).await.0, default, "and simulated");
    assert!(
        page::value(c, "share-link").await.ends_with(&fragment),
        "the share box follows"
    );
    let g = page::generation(c).await;
    c.back().await.expect("Back");
    page::wait_done(c, g + 1, 120).await;
    assert_eq!(
        page::value(c, "f-seed").await,
        seed,
        "Back shows the previous scenario"
    );
    assert_eq!(&page::table(c).await.0, current);
    assert_eq!(page::value(c, "share-link").await, here);
    eprintln!("hashchange: a new link and Back both load their scenario");
}

/// A link whose window ends at 1e300 s is refused with a clear banner, in
/// words (no internal names, no saturated 18446744073.7).
pub async fn huge_window_is_refused(c: &Client, base: &str, default: &Table) {
    let mut w = Scenario::default_scenario().to_wire();
    w.workload.window_s = Some((0.0, 1e300));
    let url = format!("{base}/{}", link::fragment(&link::encode(&w)));
    c.goto("about:blank").await.unwrap();
    c.goto(&url).await.unwrap();
    page::wait_done(c, 1, 90).await;
    let notice = page::text(c, "notice").await;
    assert!(
        notice.contains("could not be opened")
            && notice.contains("1e300")
            && !notice.contains("18446744073"),
        "{notice:?}"
    );
    assert!(
        !notice.contains("Wire") && !notice.contains("usize"),
        "{notice:?}"
    );
    assert_eq!(
        &page::table(c).await.0,
        default,
        "the default scenario is shown"
    );
}

/// A link of link format version 1 (the default scenario of then), as
/// `core/tests/golden/v1/links.txt` keeps it.
const V1_DEFAULT_TOKEN: &str = "AX8AAQRhMTAwBAgAAAAAAAB5QAxsbGFtYTMuMS03MGIEAA9henVyZS1jb252LTIwMjMBAAAAAAAAAAAAAAAAAMCSQJqZmZmZmak_AAEAAAAAAMBXQKCNBqDCHgQEZmlmbwtyZXNlcnZhdGlvbghwcmlvcml0eQhwZWNzY2hlZAAAKl5PAQE";

/// The calibration picker edits the scenario: the link carries the profile inside `#s=` (no
/// `&c=`), decodes natively to the same calibration, and `simulate --link` gives the page's
/// numbers; the results name the profile, and a profile of another GPU is flagged. A link of
/// an earlier explorer, with `&c=<id>` beside its scenario, opens with that profile.
pub async fn calibration_in_the_link(c: &Client, base: &str, exe: &Path, out: &Path) {
    open(c, &format!("{base}/")).await;
    page::wait_done(c, 1, 90).await;
    let g = page::generation(c).await;
    page::set_field(c, "f-profile", "h100-vllm").await;
    page::wait_done(c, g + 1, 120).await;
    let url = page::value(c, "share-link").await;
    assert!(!url.contains("&c="), "{url}");
    let token = link::token_from_link(&url).expect("a scenario link");
    let s = link::decode_scenario(token).expect("the page's link decodes natively");
    assert_eq!(s.calibration_choice().profile, "h100-vllm");
    let label = s.calibration_label();
    let shown = page::text(c, "results-calibration").await;
    assert!(
        shown.contains(&label),
        "results header {shown:?}, want {label:?}"
    );
    let warning = page::text(c, "f-profile-warning").await;
    assert!(
        warning.contains("H100") && warning.contains("A100"),
        "an H100 profile on the A100 cluster is flagged: {warning:?}"
    );
    let (t, pol) = page::table(c).await;
    assert_matches_cli(&t, &pol, &cli(exe, &["--link", &url]), "h100-vllm link");
    page::screenshot(c, Some("editor"), &out.join("explorer-calibration.png")).await;
    page::screenshot(c, Some("knobs"), &out.join("explorer-knobs.png")).await;
    page::screenshot(
        c,
        Some("results"),
        &out.join("explorer-results-calibration.png"),
    )
    .await;

    // An earlier explorer's link: the profile beside the scenario moves into it.
    open(c, &format!("{base}/#s={V1_DEFAULT_TOKEN}&c=h100-wgpu")).await;
    page::wait_done(c, 1, 120).await;
    assert!(page::text(c, "notice").await.is_empty());
    assert_eq!(page::value(c, "f-profile").await, "h100-wgpu");
    assert_eq!(
        page::value(c, "f-colocation-mode").await,
        "fixed",
        "v1 meant a fixed cap"
    );
    let url = page::value(c, "share-link").await;
    assert!(!url.contains("&c="), "{url}");
    let s = link::decode_scenario(link::token_from_link(&url).unwrap()).unwrap();
    assert_eq!(s.calibration_choice().profile, "h100-wgpu");
    eprintln!(
        "calibration: carried inside the link, equal to `simulate --link`; an old &c= link upgraded"
    );
    // Back to the default scenario, which the next steps start from.
    open(c, &format!("{base}/")).await;
    page::wait_done(c, 1, 90).await;
}
