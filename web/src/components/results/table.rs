//! The results table: one column per policy, one row per metric; the best value of each
//! row in bold. Each cell carries the exact value in `data-value`.

use crate::protocol::PolicyResult;
use crate::table::{ROWS, best, shown};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`ResultsTable`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
    /// The results belong to an older scenario (a new run is in flight).
    pub stale: bool,
}

/// The side-by-side table.
#[component]
pub fn ResultsTable(p: &Props) -> Html {
    let summaries: Vec<_> = p.results.iter().map(|r| &r.summary).collect();
    html! {
        <section class={classes!("card", "table-card", p.stale.then_some("stale"))} id="results">
            <header><h3>{ "Results" }</h3></header>
            <div class="table-wrap">
            <table class="results">
                <thead><tr>
                    <th>{ "metric" }</th>
                    { for p.results.iter().map(|r| html! {
                        <th data-policy={r.policy.id()} title={r.policy.id()}>{ r.policy.label() }</th>
                    }) }
                </tr></thead>
                <tbody>
                { for ROWS.iter().map(|row| {
                    let marks = best(row, &summaries);
                    html! {
                        <tr data-metric={row.key}>
                            <th title={row.tip}>{ row.label }</th>
                            { for p.results.iter().zip(marks).map(|(r, is_best)| {
                                let v = (row.get)(&r.summary);
                                html! {
                                    <td data-policy={r.policy.id()} data-value={v.exact()}
                                        class={classes!(is_best.then_some("best"))}>{ shown(row.unit, &v) }</td>
                                }
                            }) }
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            </div>
        </section>
    }
}
