//! The page at phone width (390 CSS pixels): one column, editor above the results and not
//! sticky, nothing wider than the screen; in the system's dark colour scheme.

use crate::chrome::Driver;
use crate::page;
use std::path::Path;

/// The default page at 390 px, screenshot kept.
pub async fn phone_layout(driver: &Driver, profile: &Path, base: &str, out: &Path) {
    let c = driver.session_sized(profile, 390, 844).await;
    let (c2, base, out) = (c.clone(), base.to_string(), out.to_path_buf());
    // In its own task so that, pass or fail, the browser is closed.
    let result = tokio::spawn(async move {
        let c = c2;
        c.goto(&format!("{base}/")).await.expect("open the page");
        page::wait_done(&c, 1, 120).await;
        page::wait_sweep(&c, 180).await;
        let v = c
            .execute(
                "const e = document.getElementById('editor'), r = document.getElementById('results'); \
                 return [window.innerWidth, document.documentElement.scrollWidth, document.body.scrollWidth, \
                   getComputedStyle(e).position, e.getBoundingClientRect().bottom <= r.getBoundingClientRect().top, \
                   Array.from(document.querySelectorAll('body *')).filter(x => x.getBoundingClientRect().right > window.innerWidth + 0.5 && !x.closest('.table-wrap')).map(x => x.tagName + '#' + x.id + '.' + x.className).slice(0, 5)];",
                vec![],
            )
            .await
            .expect("measure the page");
        let inner = v[0].as_f64().unwrap();
        assert!(inner <= 400.0, "the window is {inner} px wide, not a phone's");
        assert!(
            v[1].as_f64().unwrap() <= inner && v[2].as_f64().unwrap() <= inner,
            "horizontal overflow at {inner} px: page {} px, body {} px; wide: {}",
            v[1], v[2], v[5]
        );
        assert_eq!(v[3], "static", "the editor is not sticky on a phone");
        assert_eq!(v[4], true, "the editor is above the results");
        assert_eq!(v[5].as_array().map(Vec::len), Some(0), "elements past the right edge: {}", v[5]);
        // Dark mode follows the system (this browser's scheme is dark).
        let dark = c
            .execute(
                "return [matchMedia('(prefers-color-scheme: dark)').matches, getComputedStyle(document.documentElement).backgroundColor];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(dark[0], true, "the browser reports a dark scheme");
        assert_eq!(dark[1], "rgb(21, 24, 28)", "the page uses its dark background");
        page::screenshot(&c, None, &out.join("explorer-390px-dark.png")).await;
        eprintln!("phone: {inner} px wide, no horizontal overflow");
    })
    .await;
    let _ = c.close().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
