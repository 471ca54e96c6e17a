//! Headless Chromium driven through Debian's chromedriver (no browser download): one
//! chromedriver process per test binary, one fresh browser profile per session.

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The chromedriver process; killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Driver {
    /// Starts `/usr/bin/chromedriver` (or `$CHROMEDRIVER`) and waits until it listens.
    pub async fn start() -> Driver {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin}: {e} (bash scripts/setup.sh installs chromium-driver)")
            });
        let start = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A new browser session with a fresh profile (no cache, no clipboard history), in a
    /// tall desktop window.
    pub async fn session(&self, profile: &std::path::Path) -> Client {
        self.session_with(profile, "--window-size=1440,4200", None)
            .await
    }

    /// A new browser session with a fresh profile whose viewport is `width` × `height` CSS
    /// pixels, through Chromium's device emulation (a headless window cannot be narrower than
    /// 500 px): 390 wide is a phone. Its system colour scheme is dark (Blink's
    /// `preferredColorScheme` 0), as many phones are.
    pub async fn session_sized(
        &self,
        profile: &std::path::Path,
        width: u32,
        height: u32,
    ) -> Client {
        let metrics =
            json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 } });
        self.session_with(profile, "--window-size=800,1000", Some(metrics))
            .await
    }

    async fn session_with(
        &self,
        profile: &std::path::Path,
        window: &str,
        mobile: Option<serde_json::Value>,
    ) -> Client {
        let bin = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut caps = Capabilities::new();
        let mut options = json!({
            "binary": bin,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                window,
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        if let Some(m) = mobile {
            options["mobileEmulation"] = m;
            options["args"]
                .as_array_mut()
                .expect("the argument list")
                .push("--blink-settings=preferredColorScheme=0".into());
        }
        caps.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a chromedriver session")
    }
}

/// Waits until `script` (a JS expression) is truthy, or panics with `what` after `secs`.
pub async fn wait_js(c: &Client, script: &str, secs: u64, what: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let v = c
            .execute(&format!("return ({script});"), vec![])
            .await
            .unwrap_or(serde_json::Value::Null);
        if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
            return v;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let status = c.find(Locator::Id("run-status")).await.ok();
            let status = match status {
                Some(e) => e.text().await.unwrap_or_default(),
                None => "(no status)".into(),
            };
            panic!("timed out after {secs} s waiting for {what}; run status: {status:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
