//! "How to read this page": a short guide, open on demand (a `<details>`, reachable by
//! keyboard and touch), for readers who cannot hover the tooltips.

use yew::prelude::*;

/// The guide.
#[component]
pub fn Guide() -> Html {
    html! {
        <details class="guide card" id="guide">
            <summary>{ "How to read this page" }</summary>
            <ul>
                <li>{ "Left (above on a phone): the scenario — cluster, model, workload, policies. Every field has a ? that explains it (click, tap or Tab to it). A number takes effect when you press Enter or leave the field; a value out of range is refused at the field, with the reason." }</li>
                <li>{ "Every change re-runs all the selected policies on the same requests in a Web Worker; the line at the top shows progress, and Stop ends the run (what finished stays)." }</li>
                <li>{ "Results: one column per policy. Served shows completed/total per class; never started, unfinished and rejected say what was not served. Latency rows cover only the requests that got that far (? and hover say how many)." }</li>
                <li>{ "Bold is the best value of a row, compared as shown, among runs that served every request of that class. A ⚠ marks a figure of a class not fully served, or of a run that stopped early: it is never ranked. A badge in a column header says why its run ended early." }</li>
                <li>{ "Charts: box plot and CDFs of the latencies, throughput and long-request JCT bars, a per-replica timeline (drag or + − ← → to zoom and pan), the slowest requests (sortable, with a CSV of all), and the load sweep: the same scenario at 0.25× to 1.5× load, with a band over seeds." }</li>
                <li>{ "The workload line under Workload says which transforms apply (time window, load scaling, request limit, the paper's long-input transform). An uploaded trace and the synthetic generator run as given until you choose one." }</li>
                <li>{ "The link box holds the whole scenario: opening it anywhere reproduces these numbers bit for bit." }</li>
            </ul>
        </details>
    }
}
