//! Entry point of the explorer page: mounts [`pecsched_web::App`] on the page's `<body>`.
//!
//! Built for wasm32 by Trunk (see `index.html`), next to the `sim-worker` binary. On other
//! targets the binary only says so.

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<pecsched_web::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "pecsched-web is a browser app: build it with `bash scripts/build-web.sh` (see README.md)"
    );
}
