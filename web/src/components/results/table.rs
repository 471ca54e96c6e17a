//! The results table: one column per policy, one row per metric; the best value of each
//! row in bold. Each cell carries the exact value in `data-value`.
//!
//! Honest by construction: a class that was not fully served has its cells marked (⚠, with
//! served/total in the tooltip) and never bold; a run that stopped early or stalled says so
//! in its column header; latency percentiles say how many requests they cover.

use crate::components::Help;
use crate::protocol::PolicyResult;
use crate::table::{ROWS, Row, best, rankable};
use pecsched_core::metrics::{Class, Summary};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`ResultsTable`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
    /// The results belong to an older scenario (a new run is in flight).
    pub stale: bool,
    /// The calibration the results were priced with (`Scenario::calibration_label`).
    #[prop_or_default]
    pub calibration: Option<String>,
}

fn class_name(c: Class) -> &'static str {
    match c {
        Class::Short => "short",
        Class::Long => "long",
    }
}

/// The column header: the policy, and why its run ended early, if it did.
fn header(r: &PolicyResult) -> Html {
    let s = &r.summary;
    let badge = s.stopped.as_ref().map(|why| {
        let class = if s.is_partial() {
            "badge partial"
        } else {
            "badge unserved"
        };
        html! { <span class={class} title={why.to_string()}>{ why.label() }</span> }
    });
    html! {
        <th data-policy={r.policy.id()} data-stopped={s.stopped.as_ref().map(|w| w.label())}
            title={r.policy.id()}>{ r.policy.label() }{ for badge }</th>
    }
}

/// Why a cell is not ranked, if it is not.
fn unranked_reason(row: &Row, s: &Summary) -> Option<String> {
    if rankable(row, s) {
        return None;
    }
    Some(match row.class() {
        Some(c) if !s.class(c).fully_served() => format!(
            "Not ranked: only {} {} requests served ({} never started, {} unfinished); figures cover the served ones only.",
            s.class(c).served_label(),
            class_name(c),
            s.class(c).starved,
            s.class(c).unfinished
        ),
        _ => "Not ranked: this run did not finish (see its column header).".to_string(),
    })
}

fn cell(row: &Row, r: &PolicyResult, is_best: bool) -> Html {
    let s = &r.summary;
    let v = (row.get)(s);
    let mut title: Vec<String> = Vec::new();
    if let (Some(c), Some(_)) = (row.class(), row.percentile()) {
        let p = match row.key.rsplit('.').nth(1) {
            Some("ttft") => s.class(c).ttft.n,
            Some("tbt") => s.class(c).tbt.n,
            Some("jct") => s.class(c).jct.n,
            _ => s.class(c).queueing_delay.n,
        };
        title.push(format!(
            "Over {p} of {} {} requests.",
            s.class(c).count,
            class_name(c)
        ));
    }
    if row.key.ends_with(".rejected")
        && let Some(c) = row.class()
        && let Some(why) = &s.class(c).rejection
    {
        title.push(format!("Rejected because: {why}"));
    }
    let meaningful = row.better.is_some() || row.percentile().is_some();
    let unranked = unranked_reason(row, s).filter(|_| meaningful);
    if let Some(u) = &unranked {
        title.push(u.clone());
    }
    html! {
        <td data-policy={r.policy.id()} data-value={v.exact()}
            title={(!title.is_empty()).then(|| title.join(" "))}
            class={classes!(is_best.then_some("best"), unranked.is_some().then_some("unranked"))}>
            { row.text(s) }
            if unranked.is_some() { <span class="mark" aria-label="not ranked">{ " ⚠" }</span> }
        </td>
    }
}

/// The side-by-side table.
#[component]
pub fn ResultsTable(p: &Props) -> Html {
    let summaries: Vec<_> = p.results.iter().map(|r| &r.summary).collect();
    let partial = summaries.iter().filter(|s| s.is_partial()).count();
    let unserved = summaries
        .iter()
        .filter(|s| !s.short.fully_served() || !s.long.fully_served())
        .count();
    let caption = match (partial, unserved) {
        (0, 0) => None,
        (0, n) => Some(format!(
            "{n} of {} runs left requests unserved: their figures cover only what they served, are marked ⚠ and are never ranked.",
            summaries.len()
        )),
        (n, _) => Some(format!(
            "{n} of {} runs did not finish (stopped or stalled; see the column headers): their figures are partial, marked ⚠ and never ranked.",
            summaries.len()
        )),
    };
    html! {
        <section class={classes!("card", "table-card", p.stale.then_some("stale"))} id="results">
            <header>
                <h3>{ if partial > 0 { "Results (partial)" } else { "Results" } }</h3>
                if let Some(c) = &p.calibration {
                    <p class="note" id="results-calibration"
                        title="The performance model's calibration profile these results were priced with (Cluster and model → Calibration profile).">
                        { format!("Calibration: {c}") }</p>
                }
            </header>
            if let Some(c) = caption {
                <p class="warn" id="results-caveat" role="note">{ c }</p>
            }
            <div class="table-wrap">
            <table class="results">
                <thead><tr>
                    <th>{ "metric" }</th>
                    { for p.results.iter().map(|r| header(r)) }
                </tr></thead>
                <tbody>
                { for ROWS.iter().map(|row| {
                    let marks = best(row, &summaries);
                    html! {
                        <tr data-metric={row.key}>
                            <th title={row.tip}>{ row.label }<Help label={row.label} tip={row.tip} /></th>
                            { for p.results.iter().zip(marks).map(|(r, is_best)| cell(row, r, is_best)) }
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            </div>
            <p class="note">{ "Bold: the best value of a row, compared as shown, among runs that served every request of that class. Hover or focus ? for what a row means." }</p>
        </section>
    }
}
