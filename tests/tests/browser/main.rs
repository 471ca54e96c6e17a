//! End-to-end test of the web explorer in real headless Chromium (Debian's `chromium` and
//! `chromedriver`; no browser download).
//!
//! Needs the release build of the page in `dist/` (`bash scripts/build-web.sh`, which
//! `scripts/check.sh` runs first) and builds the CLI (`pecsched-worker`) in release mode to get
//! its numbers. Screenshots are kept under `<target>/browser-artifacts/`.
//!
//! One test walks through the whole story, in order, because every step needs the page of the
//! step before and a browser start costs seconds on this machine:
//! the default results appear without a click and equal the CLI's, bit for bit; a field
//! changes and the new results equal the CLI's for that scenario (and for the whole trace,
//! with the time window off); the copied link opens in a fresh browser with the same numbers; a tampered link shows its error and the default
//! scenario; an uploaded trace with a bad line shows the line; the timeline zooms.
//!
//! And the explorer defects once reported, each with its own check: a new link opened in the open tab
//! (`hashchange`) and Back load their scenario; a link with an unrepresentable window is
//! refused in words; an uploaded trace and the synthetic generator run as given; text typed
//! while the load sweep runs is kept exactly; a field refuses a value out of range; Stop is
//! not a failure; the page at 390 px has no horizontal overflow (a screenshot is kept).

mod chrome;
mod flow;
mod links;
mod page;
mod phone;
mod requests;
mod server;
mod typing;

use chrome::Driver;
use std::path::PathBuf;

/// `<target>` of this build (the test binary lives in `<target>/<profile>/deps/`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .expect("<target>/<profile>/deps/<test>")
        .to_path_buf()
}

/// Where screenshots go.
fn artifacts() -> PathBuf {
    let dir = target_dir().join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("create the artifacts folder");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_end_to_end() {
    let root = pecsched_tests::workspace_root();
    let dist = root.join("dist");
    assert!(
        dist.join("index.html").is_file() && dist.join("sim-worker.js").is_file(),
        "{} has no build of the explorer: run `bash scripts/build-web.sh` first (scripts/check.sh does)",
        dist.display()
    );
    let cli = flow::build_cli(&root);
    let srv = server::serve(dist).await;
    let driver = Driver::start().await;
    let profiles = tempdir("profiles");
    let a = driver.session(&profiles.join("a")).await;
    let b = driver.session(&profiles.join("b")).await;
    // The story runs in its own task so that, pass or fail, both browsers are closed (a
    // browser outlives a killed chromedriver).
    let story = tokio::spawn(flow::run(
        srv.base.clone(),
        a.clone(),
        b.clone(),
        cli,
        artifacts(),
    ));
    let result = story.await;
    let _ = a.close().await;
    let _ = b.close().await;
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&profiles);
        std::panic::resume_unwind(e.into_panic());
    }
    // The page at phone width, in a browser of its own (it closes it, pass or fail).
    phone::phone_layout(&driver, &profiles.join("phone"), &srv.base, &artifacts()).await;
    let _ = std::fs::remove_dir_all(&profiles);
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pecsched-e2e-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("a temp folder");
    d
}
