//! The root component: the simulation worker's provider around the explorer, which owns the
//! state reducer and the connection to the worker, and lays out the page.
//!
//! Side effects live here only: when [`State::generation`] changes the explorer writes the
//! scenario's link into the URL (replacing the history entry) and posts the scenario to the
//! worker (or cancels the run in flight when the draft cannot run).

use crate::bridge::{SimWorkerProvider, use_sim_worker};
use crate::browser;
use crate::charts::{BarMetric, Bars, BoxPlot, Cdfs, Gantt, HitRate, SweepChart, SweepMetric};
use crate::components::editor::{ClusterEditor, PolicyEditor, WorkloadEditor};
use crate::components::results::{ExportBar, RequestsTable, ResultsTable, SeedSpread};
use crate::components::{Guide, NoticeBar, RunStatus, SharePanel};
use crate::protocol::{FromWorker, ToWorker};
use crate::state::{Action, RunPhase, State};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::wire::SourceWire;
use yew::prelude::*;

/// The worker script Trunk emits for the `sim-worker` binary.
pub const WORKER_SCRIPT: &str = "sim-worker.js";

/// The page: the simulation worker, and the explorer that uses it.
#[component]
pub fn App() -> Html {
    html! {
        <SimWorkerProvider path={WORKER_SCRIPT}>
            <Explorer />
        </SimWorkerProvider>
    }
}

/// The explorer.
#[component]
fn Explorer() -> Html {
    let state = use_reducer(|| State::from_fragment(&browser::fragment()));
    let worker = {
        let dispatch = state.dispatcher();
        use_sim_worker(move |msg| match msg {
            // The CSV of every request goes straight to a download.
            FromWorker::RequestsCsv(Ok(csv)) => browser::download("requests.csv", "text/csv", &csv),
            FromWorker::RequestsCsv(Err(why)) => {
                gloo::dialogs::alert(&format!("No request CSV: {why}."))
            }
            msg => dispatch.dispatch(Action::Worker {
                msg,
                at_ms: browser::now_ms(),
            }),
        })
    };
    {
        // A link opened in this tab, Back or Forward: the fragment changes under the page.
        // (`replace_fragment` below uses `history.replaceState`, which fires no event.)
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let listener =
                gloo::events::EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                    dispatch.dispatch(Action::FollowLink(browser::fragment()))
                });
            move || drop(listener)
        });
    }
    {
        let (state, worker) = (state.clone(), worker.clone());
        use_effect_with(state.generation, move |&generation| {
            if generation > 1
                && let Some(fragment) = state.link_fragment()
            {
                browser::replace_fragment(fragment);
            }
            match state.runnable() {
                Some(w) => {
                    worker.send(ToWorker::Start {
                        generation,
                        scenario: Box::new(w.clone()),
                        sweep: state.sweep_on,
                    });
                    state.dispatch(Action::RunSent {
                        generation,
                        at_ms: browser::now_ms(),
                    });
                }
                None => worker.send(ToWorker::Cancel),
            }
        });
    }
    let dispatch = {
        let state = state.clone();
        Callback::from(move |a: Action| state.dispatch(a))
    };
    let edit = dispatch.reform(Action::Edit);
    let on_stop = {
        let (worker, dispatch) = (worker.clone(), dispatch.clone());
        Callback::from(move |()| {
            worker.send(ToWorker::Cancel);
            dispatch.emit(Action::Stop);
        })
    };
    // For the components that post (an upload, the request CSV); replies come here.
    let send = worker.sender();
    html! {
        <div class="app">
            <header class="top">
                <div class="title">
                    <h1>{ "PecSched explorer" }</h1>
                    <p class="tag">{ "What if this cluster served this workload under each scheduler? A deterministic simulation, in your browser." }</p>
                </div>
                <RunStatus run={state.run.clone()} invalid={state.invalid.clone()}
                    waiting_for={state.waiting_for_upload().map(str::to_string)}
                    policies={state.draft.policies.len()} on_stop={on_stop} />
            </header>
            <NoticeBar notice={state.notice.clone()} dispatch={dispatch.clone()} />
            <div class="layout">
                <aside class="editor" id="editor">
                    <ClusterEditor draft={state.draft.clone()} edit={edit.clone()}
                        calibration={state.calibration()}
                        calibration_label={state.derived.as_ref().map(|d| d.calibration_label.clone())}
                        calibration_warning={state.calibration_warning()} />
                    <WorkloadEditor draft={state.draft.clone()} upload={state.upload.clone()}
                        upload_status={state.upload_status.clone()} edit={edit.clone()}
                        send={send.clone()} dispatch={dispatch.clone()} />
                    <PolicyEditor draft={state.draft.clone()} sweep_on={state.sweep_on}
                        derived={state.derived.clone()} reservation_replicas={state.reservation_replicas()}
                        edit={edit.clone()} dispatch={dispatch.clone()} />
                    <button class="reset" id="reset" onclick={dispatch.reform(|_| Action::Reset)}
                        title="Back to the paper's default scenario">{ "Reset to the default scenario" }</button>
                </aside>
                <main class="results-area">
                    <Guide />
                    { share(&state) }
                    { results(&state, &send) }
                </main>
            </div>
            <footer>
                { "PecSched (arXiv 2409.15104) simulator. Every number comes from pecsched-core, compiled to WebAssembly and run in a Web Worker; links reproduce results bit for bit." }
            </footer>
        </div>
    }
}

fn share(state: &State) -> Html {
    let url = state
        .link_fragment()
        .map(|f| format!("{}{f}", browser::base_url()));
    let upload_name = match &state.draft.workload.source {
        SourceWire::File { name, .. } => Some(name.clone()),
        _ => None,
    };
    html! { <SharePanel {url} {upload_name} /> }
}

fn results(state: &State, send: &Callback<ToWorker>) -> Html {
    let run = &state.run;
    let results = run.results.clone();
    if results.is_empty() {
        let text = match &run.phase {
            RunPhase::Running(_) => "Simulating… results appear here as each policy finishes.",
            RunPhase::Failed(_) => "No results: see the message above.",
            _ => "No results yet.",
        };
        return html! { <section class="card empty" id="results-empty"><p>{ text }</p></section> };
    }
    let policies: Vec<PolicyKind> = results.iter().map(|r| r.policy).collect();
    let stale = run.stale;
    html! { <>
        <ResultsTable results={results.clone()} {stale} calibration={run.calibration.clone()} />
        <SeedSpread policies={policies.clone()} points={run.sweep.clone()} />
        <div class={classes!("charts", stale.then_some("stale"))}>
            <div class="grid two">
                <BoxPlot results={results.clone()} />
                <Cdfs results={results.clone()} />
            </div>
            <div class="grid two">
                <Bars results={results.clone()} metric={BarMetric::ShortThroughput} />
                <Bars results={results.clone()} metric={BarMetric::LongMeanJct} />
            </div>
            <Gantt results={results.clone()} />
            <HitRate results={results.clone()} />
            <RequestsTable results={results.clone()} send={send.clone()} />
            if state.sweep_on || !run.sweep.is_empty() {
                <section class="sweep-section" id="sweep">
                    <h2>{ "Load sweep" }</h2>
                    <p class="note">{ format!(
                        "The same scenario at 0.25× to 1.5× of its load ({}× the source's arrival rate at 1×). Lines: seed {}; bands: minimum to maximum over the seeds run.",
                        state.draft.workload.rate_scale, state.draft.seed) }</p>
                    <div class="grid three">
                        <SweepChart points={run.sweep.clone()} policies={policies.clone()} seed={state.draft.seed} metric={SweepMetric::ShortP99Delay} />
                        <SweepChart points={run.sweep.clone()} policies={policies.clone()} seed={state.draft.seed} metric={SweepMetric::ShortThroughput} />
                        <SweepChart points={run.sweep.clone()} policies={policies.clone()} seed={state.draft.seed} metric={SweepMetric::LongMeanJct} />
                        <SweepChart points={run.sweep.clone()} policies={policies.clone()} seed={state.draft.seed} metric={SweepMetric::SloAttainment} />
                    </div>
                </section>
            }
        </div>
        <ExportBar scenario={state.draft.clone()} link={state.link_fragment().map(str::to_string)}
            results={results} sweep={run.sweep.clone()} />
    </> }
}
