//! Following the URL: a new `#s=` link opened in a tab that is already open, and Back.

use crate::page::{self, Table};
use fantoccini::Client;
use pecsched_core::scenario::{Scenario, link};

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
