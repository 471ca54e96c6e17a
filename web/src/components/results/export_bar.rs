//! Buttons that download the results (JSON, CSV), the sweep (CSV) and the timelines
//! (Chrome trace-event JSON for Perfetto).

use crate::browser;
use crate::export;
use crate::protocol::{PolicyResult, SweepPoint};
use pecsched_core::scenario::wire::ScenarioWire;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`ExportBar`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The scenario the results are for.
    pub scenario: ScenarioWire,
    /// Its link fragment.
    pub link: Option<String>,
    /// Results.
    pub results: Vec<Rc<PolicyResult>>,
    /// Sweep points.
    pub sweep: Vec<SweepPoint>,
}

/// The export buttons.
#[component]
pub fn ExportBar(p: &Props) -> Html {
    let json = {
        let (s, l, r, w) = (
            p.scenario.clone(),
            p.link.clone(),
            p.results.clone(),
            p.sweep.clone(),
        );
        Callback::from(move |_| {
            let text = export::json(&s, l.clone(), &r, &w);
            browser::download("pecsched-results.json", "application/json", &text)
        })
    };
    let csv = {
        let r = p.results.clone();
        Callback::from(move |_| {
            browser::download("pecsched-results.csv", "text/csv", &export::csv(&r))
        })
    };
    let sweep = {
        let w = p.sweep.clone();
        Callback::from(move |_| {
            browser::download(
                "pecsched-load-sweep.csv",
                "text/csv",
                &export::sweep_csv(&w),
            )
        })
    };
    let perfetto = {
        let (s, r) = (p.scenario.clone(), p.results.clone());
        Callback::from(move |_| {
            browser::download(
                "pecsched-timeline.json",
                "application/json",
                &export::perfetto(&s, &r),
            )
        })
    };
    let none = p.results.is_empty();
    html! {
        <div class="export" id="export">
            <span>{ "Export:" }</span>
            <button disabled={none} onclick={json} title="Scenario, summaries (as `pecsched-worker simulate --json` prints them) and sweep, as JSON">{ "results (JSON)" }</button>
            <button disabled={none} onclick={csv} title="The results table, one line per policy, exact values">{ "results (CSV)" }</button>
            <button disabled={p.sweep.is_empty()} onclick={sweep} title="One line per load, seed and policy">{ "load sweep (CSV)" }</button>
            <button disabled={none} onclick={perfetto} title="Every policy's timeline as Chrome trace-event JSON: open it in Perfetto (ui.perfetto.dev) or chrome://tracing. A process per node, a thread per replica; preemptions, KV hand-overs, queue and KV counters. The first 60,000 spans per policy.">{ "timeline (Perfetto)" }</button>
            <span class="hint">{ "Charts: the ⤓ SVG button on each." }</span>
        </div>
    }
}
