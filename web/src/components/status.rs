//! The run status line: progress while simulating, timing when done, the reason when
//! nothing runs. Its `data-*` attributes expose the state and timings to the browser tests.

use crate::state::{RunPhase, RunView, STOPPED};
use yew::prelude::*;

/// Props of [`RunStatus`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The run.
    pub run: RunView,
    /// Why the draft does not run, if it does not.
    pub invalid: Option<String>,
    /// The uploaded trace the draft waits for.
    pub waiting_for: Option<String>,
    /// Policies in the run.
    pub policies: usize,
    /// Stops the run in flight (shown while a run or sweep is in progress).
    pub on_stop: Callback<()>,
}

fn bar(done: f64) -> Html {
    html! { <progress max="1000" value={((done.clamp(0.0, 1.0)) * 1000.0).round().to_string()} /> }
}

/// The status line.
#[component]
pub fn RunStatus(p: &Props) -> Html {
    let r = &p.run;
    let (state, body) = match &r.phase {
        RunPhase::Running(pr) => (
            "running",
            html! { <>
                { bar(pr.done) }
                <span>{ if pr.label.is_empty() { "Starting…".to_string() } else { format!("Simulating {}… {:.0} %", pr.label, pr.done * 100.0) } }</span>
            </> },
        ),
        RunPhase::Compared | RunPhase::Done => {
            let secs = r
                .compare_ms
                .map_or(String::new(), |ms| format!(" in {:.2} s", ms / 1e3));
            let reqs = r
                .requests
                .map_or(String::new(), |n| format!(" on {n} requests"));
            (
                "done",
                html! { <span>{ format!("✓ {} {}{reqs} simulated{secs}.", p.policies, if p.policies == 1 { "policy" } else { "policies" }) }</span> },
            )
        }
        RunPhase::Stopped => (
            "stopped",
            html! { <span class="stopped" id="stopped-note">{ STOPPED }</span> },
        ),
        RunPhase::Failed(m) => (
            "failed",
            html! { <span class="error" role="alert">{ format!("The run failed: {m}") }</span> },
        ),
        RunPhase::Idle => (
            "idle",
            match (&p.invalid, &p.waiting_for) {
                (Some(m), _) => {
                    html! { <span class="error" role="alert">{ format!("Not run: {m}") }</span> }
                }
                (None, Some(name)) => {
                    html! { <span>{ format!("Waiting for the trace file {name}.") }</span> }
                }
                _ => html! {},
            },
        ),
    };
    let sweep = match (&r.sweep_progress, r.sweep_done, &r.sweep_note) {
        (Some(pr), _, _) => {
            html! { <span class="sweep">{ bar(pr.done) }{ format!(" load sweep {:.0} %", pr.done * 100.0) }</span> }
        }
        // A sweep that produced no point was skipped: never call it "done".
        (None, true, _) if r.sweep.is_empty() => {
            html! { <span class="sweep">{ "load sweep skipped (see below)" }</span> }
        }
        (None, true, _) => {
            html! { <span class="sweep">{ r.sweep_ms.map_or(String::new(), |ms| format!("load sweep done in {:.1} s", ms / 1e3)) }</span> }
        }
        _ => html! {},
    };
    let notes = r.budget_notes();
    let stop = if matches!(r.phase, RunPhase::Running(_)) || r.sweep_progress.is_some() {
        let on_stop = p.on_stop.clone();
        html! { <button class="stop" id="stop-run" title="Stop the simulation in flight (results so far stay)"
        onclick={Callback::from(move |_: MouseEvent| on_stop.emit(()))}>{ "Stop" }</button> }
    } else {
        html! {}
    };
    html! {
        <div class="status" id="run-status" data-state={state} data-generation={r.generation.to_string()}
            data-compare-ms={r.compare_ms.map(|v| format!("{v:.1}"))}
            data-shown-at-ms={r.shown_at_ms.map(|v| format!("{v:.1}"))}
            data-worker-ms={r.worker_ms.map(|v| format!("{v:.1}"))}
            data-sweep-ms={r.sweep_ms.map(|v| format!("{v:.1}"))}
            aria-live="polite">
            <div class="line">{ body }{ sweep }{ stop }</div>
            { for notes.iter().map(|n| html! { <p class="warn" role="alert">{ n.to_string() }</p> }) }
            if let Some(n) = &r.sweep_note { <p class="warn">{ n.clone() }</p> }
        </div>
    }
}
