//! Entry point of the simulation Web Worker (`sim-worker.js`, built by Trunk with
//! `data-type="worker"`): registers [`pecsched_web::worker::SimWorker`].

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo::worker::Registrable;
    pecsched_web::worker::SimWorker::registrar().register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "sim-worker is the explorer's Web Worker: build it with `bash scripts/build-web.sh` (see README.md)"
    );
}
