//! The simulation Web Worker (a gloo-worker actor): it owns the [`Runner`] and steps it in
//! slices of about [`SLICE_MS`] milliseconds, yielding to the worker's event loop between
//! slices through a `MessageChannel` (no timer clamping), so a new `Start` or a `Cancel` from
//! the page is handled within one slice: editing a field cancels the run in flight.

use crate::protocol::{FromWorker, ToWorker};
use crate::runner::{Runner, UploadedTrace, check_trace};
use gloo::worker::{HandlerId, Worker, WorkerScope};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Wall-clock length of one slice of simulation between yields, in milliseconds.
pub const SLICE_MS: f64 = 30.0;

/// Least time between two progress messages to the page, in milliseconds.
pub const PROGRESS_EVERY_MS: f64 = 100.0;

/// Events stepped between two clock reads.
const EVENTS_PER_CHECK: u64 = 2048;

/// The worker's state.
pub struct SimWorker {
    runner: Option<Runner>,
    trace: Option<UploadedTrace>,
    page: Option<HandlerId>,
    /// Posts a message to ourselves through a `MessageChannel` (a macrotask: incoming
    /// messages from the page run first).
    channel: Option<web_sys::MessageChannel>,
    pumping: bool,
    last_progress_ms: f64,
    /// When the run in flight was received.
    started_ms: f64,
    /// The request records of the last finished comparison (or why there are none).
    records: Option<crate::runner::requests::Records>,
}

/// Internal messages.
pub enum Msg {
    /// Run the next slice.
    Pump,
}

fn now_ms() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|g| g.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

impl SimWorker {
    /// Runs slices until [`SLICE_MS`] have passed, then posts what the page should hear.
    fn pump(&mut self, scope: &WorkerScope<Self>) {
        let Some(runner) = &mut self.runner else {
            self.pumping = false;
            return;
        };
        let start = now_ms();
        let mut out = Vec::new();
        let mut more = true;
        while more && now_ms() - start < SLICE_MS {
            more = runner.advance(EVENTS_PER_CHECK, &mut out);
            // Results go to the page at once, not at the end of the slice.
            if out.iter().any(|m| {
                matches!(
                    m,
                    FromWorker::PolicyDone { .. } | FromWorker::CompareDone { .. }
                )
            }) {
                break;
            }
        }
        if let Some(r) = runner.take_records() {
            self.records = Some(r);
        }
        let now = now_ms();
        let send_progress = !more || now - self.last_progress_ms >= PROGRESS_EVERY_MS;
        let mut last_progress = None;
        for m in out {
            match m {
                FromWorker::Progress { .. } => last_progress = Some(m),
                FromWorker::CompareDone {
                    generation,
                    requests,
                    ..
                } => self.respond(
                    scope,
                    FromWorker::CompareDone {
                        generation,
                        requests,
                        worker_ms: now - self.started_ms,
                    },
                ),
                other => self.respond(scope, other),
            }
        }
        if send_progress
            && more
            && let Some(p) = last_progress
        {
            self.last_progress_ms = now;
            self.respond(scope, p);
        }
        if more {
            self.schedule();
        } else {
            self.runner = None;
            self.pumping = false;
        }
    }

    fn respond(&self, scope: &WorkerScope<Self>, m: FromWorker) {
        if let Some(id) = self.page {
            scope.respond(id, m);
        }
    }

    fn schedule(&mut self) {
        self.pumping = true;
        if let Some(ch) = &self.channel {
            let _ = ch.port2().post_message(&JsValue::NULL);
        }
    }
}

impl Worker for SimWorker {
    type Message = Msg;
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(scope: &WorkerScope<Self>) -> Self {
        let channel = web_sys::MessageChannel::new().ok();
        if let Some(ch) = &channel {
            let pump = scope.callback(|_: ()| Msg::Pump);
            let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| pump(()));
            ch.port1()
                .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
        }
        SimWorker {
            runner: None,
            trace: None,
            page: None,
            channel,
            pumping: false,
            last_progress_ms: 0.0,
            started_ms: 0.0,
            records: None,
        }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Self::Message) {
        match msg {
            Msg::Pump => self.pump(scope),
        }
    }

    fn connected(&mut self, _scope: &WorkerScope<Self>, id: HandlerId) {
        self.page = Some(id);
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Self::Input, id: HandlerId) {
        self.page = Some(id);
        match msg {
            ToWorker::LoadTrace { name, text } => {
                let reply = check_trace(&name, &text);
                if matches!(reply, FromWorker::TraceLoaded { .. }) {
                    self.trace = Some(UploadedTrace { name, text });
                }
                self.respond(scope, reply);
            }
            ToWorker::Start {
                generation,
                scenario,
                sweep,
            } => {
                self.runner = None;
                self.started_ms = now_ms();
                let runner = Runner::new(generation, &scenario, self.trace.as_ref(), sweep);
                match runner {
                    Ok(r) => {
                        self.runner = Some(r);
                        self.last_progress_ms = 0.0;
                        if !self.pumping {
                            self.schedule();
                        }
                    }
                    Err(message) => self.respond(
                        scope,
                        FromWorker::Failed {
                            generation,
                            message,
                        },
                    ),
                }
            }
            ToWorker::Cancel => self.runner = None,
            ToWorker::RequestsCsv => {
                let reply = match &self.records {
                    Some(Ok(runs)) => Ok(crate::runner::requests::csv(runs)),
                    Some(Err(why)) => Err(why.clone()),
                    None => Err("no comparison has finished yet".to_string()),
                };
                self.respond(scope, FromWorker::RequestsCsv(reply));
            }
        }
    }
}
