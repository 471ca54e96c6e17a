//! Per-request results: the slowest requests of one policy in a table sortable by any
//! column, and every request of every policy as CSV (the command line's `--requests-csv`).

use crate::charts::scale::seconds;
use crate::protocol::{PolicyResult, ToWorker};
use pecsched_core::metrics::RequestRecord;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Props of [`RequestsTable`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
    /// Posts to the worker (the CSV is built there, from every record it kept).
    pub send: Callback<ToWorker>,
}

/// A sortable column: header, and the key it sorts by (`None` sorts last).
struct Col {
    name: &'static str,
    key: fn(&RequestRecord) -> Option<u64>,
    show: fn(&RequestRecord) -> String,
}

fn secs(ns: Option<u64>) -> String {
    ns.map_or("—".into(), |v| seconds(v as f64 / 1e9))
}

const COLS: &[Col] = &[
    Col {
        name: "id",
        key: |r| Some(r.id as u64),
        show: |r| r.id.to_string(),
    },
    Col {
        name: "class",
        key: |r| Some(r.class as u64),
        show: |r| format!("{:?}", r.class).to_lowercase(),
    },
    Col {
        name: "input",
        key: |r| Some(r.input_tokens as u64),
        show: |r| r.input_tokens.to_string(),
    },
    Col {
        name: "output",
        key: |r| Some(r.output_tokens as u64),
        show: |r| r.output_tokens.to_string(),
    },
    Col {
        name: "arrival",
        key: |r| Some(r.arrival.0),
        show: |r| seconds(r.arrival.as_secs_f64()),
    },
    Col {
        name: "queueing",
        key: |r| r.queueing_delay_ns(),
        show: |r| secs(r.queueing_delay_ns()),
    },
    Col {
        name: "TTFT",
        key: |r| r.ttft_ns(),
        show: |r| secs(r.ttft_ns()),
    },
    Col {
        name: "JCT",
        key: |r| r.jct_ns(),
        show: |r| match (r.jct_ns(), r.rejected, r.prefill_start) {
            (Some(j), _, _) => seconds(j as f64 / 1e9),
            (None, true, _) => "rejected".into(),
            (None, false, None) => "never started".into(),
            (None, false, Some(_)) => "unfinished".into(),
        },
    },
    Col {
        name: "preemptions",
        key: |r| Some(r.preemptions as u64),
        show: |r| r.preemptions.to_string(),
    },
    Col {
        name: "replicas",
        key: |r| Some(r.replicas as u64),
        show: |r| r.replicas.to_string(),
    },
];

/// Sorts by column `col`, descending or not; requests without the value go last.
fn sorted(recs: &[RequestRecord], col: usize, desc: bool) -> Vec<RequestRecord> {
    let mut v = recs.to_vec();
    let key = COLS[col].key;
    v.sort_by(|a, b| match (key(a), key(b)) {
        (Some(x), Some(y)) if desc => y.cmp(&x).then(a.id.cmp(&b.id)),
        (Some(x), Some(y)) => x.cmp(&y).then(a.id.cmp(&b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    });
    v
}

/// The slowest requests of a policy, and the CSV download of all.
#[component]
pub fn RequestsTable(p: &Props) -> Html {
    let chosen = use_state(|| 0usize);
    // Default order: as the worker sent them (never completed first, then longest JCT).
    let sort = use_state(|| None::<(usize, bool)>);
    let idx = (*chosen).min(p.results.len().saturating_sub(1));
    let Some(r) = p.results.get(idx) else {
        return html! {};
    };
    let rows = match *sort {
        Some((c, desc)) => sorted(&r.slowest, c, desc),
        None => r.slowest.clone(),
    };
    let on_policy = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = crate::browser::event_target::<HtmlSelectElement>(&e)
                && let Ok(i) = s.value().parse::<usize>()
            {
                chosen.set(i);
            }
        })
    };
    let csv = p.send.reform(|_: MouseEvent| ToWorker::RequestsCsv);
    html! {
        <section class="card" id="requests">
            <header>
                <h3>{ "Slowest requests" }</h3>
                <div class="controls">
                    <select id="requests-policy" aria-label="Whose requests to show" onchange={on_policy}>
                        { for p.results.iter().enumerate().map(|(i, r)| html! {
                            <option value={i.to_string()} selected={i == idx}>{ r.policy.label() }</option>
                        }) }
                    </select>
                    <button class="small" id="requests-csv" onclick={csv}
                        title="Every request of every policy as CSV, the columns of pecsched-worker simulate --requests-csv">{ "⤓ all requests (CSV)" }</button>
                </div>
            </header>
            <div class="table-wrap">
            <table class="results requests">
                <thead><tr>
                    { for COLS.iter().enumerate().map(|(i, c)| {
                        let sort = sort.clone();
                        let state = match *sort {
                            Some((k, true)) if k == i => "descending",
                            Some((k, false)) if k == i => "ascending",
                            _ => "none",
                        };
                        let onclick = Callback::from(move |_: MouseEvent| {
                            let desc = !matches!(*sort, Some((k, true)) if k == i);
                            sort.set(Some((i, desc)));
                        });
                        html! { <th aria-sort={state}><button class="sort" data-col={c.name} {onclick}>{ c.name }</button></th> }
                    }) }
                </tr></thead>
                <tbody>
                { for rows.iter().map(|rec| html! {
                    <tr data-id={rec.id.to_string()}>{ for COLS.iter().map(|c| html! { <td>{ (c.show)(rec) }</td> }) }</tr>
                }) }
                </tbody>
            </table>
            </div>
            <p class="note">{ format!("The {} slowest of {}'s requests (never completed first, then the longest completion time). Click a column to sort; the CSV holds every request.", r.slowest.len(), r.policy.label()) }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::metrics::Class;
    use pecsched_core::time::SimTime;

    #[test]
    fn sorting_puts_missing_values_last_either_way() {
        let mut a = RequestRecord::new(0, Class::Short, 1, 1, SimTime(0));
        a.completion = Some(SimTime(5));
        let b = RequestRecord::new(1, Class::Short, 1, 1, SimTime(0));
        let mut c = RequestRecord::new(2, Class::Short, 1, 1, SimTime(0));
        c.completion = Some(SimTime(9));
        let jct = COLS.iter().position(|c| c.name == "JCT").unwrap();
        let ids = |v: Vec<RequestRecord>| v.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(sorted(&[a, b, c], jct, true)), [2, 0, 1]);
        assert_eq!(ids(sorted(&[a, b, c], jct, false)), [0, 2, 1]);
    }
}
