//! Prefix-cache hit rate over time, one line per replica (docs/prefix-caching.md): for a
//! chosen policy, each replica's cumulative share of prompt tokens found in its cache, from
//! the run's timeline (`Timeline::hits`, one entry per short-request admission). Shown only
//! when a run cached prefixes.

use super::axis::{Frame, legend, legend_rows, svg, x_axis, y_axis};
use super::card::ChartCard;
use super::scale::Scale;
use crate::protocol::PolicyResult;
use pecsched_core::sim::timeline::HitSample;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Most replicas drawn (the first ones, by index); the note says how many were left out.
pub const MAX_REPLICAS: usize = 16;

/// Props of [`HitRate`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
}

/// One replica's running totals: (replica, cached tokens, prompt tokens, points).
type Running = (u32, u64, u64, Vec<(f64, f64)>);

/// Per replica (index order), the cumulative token hit rate after each admission:
/// `(seconds, cached / prompt tokens so far)`.
pub fn series(hits: &[HitSample]) -> Vec<(u32, Vec<(f64, f64)>)> {
    let mut out: Vec<Running> = Vec::new();
    for h in hits {
        let i = match out.iter().position(|s| s.0 == h.replica) {
            Some(i) => i,
            None => {
                out.push((h.replica, 0, 0, Vec::new()));
                out.len() - 1
            }
        };
        let s = &mut out[i];
        s.1 += h.cached_tokens as u64;
        s.2 += h.prompt_tokens as u64;
        let rate = if s.2 == 0 {
            0.0
        } else {
            s.1 as f64 / s.2 as f64
        };
        s.3.push((h.at.as_secs_f64(), rate));
    }
    out.sort_by_key(|s| s.0);
    out.into_iter().map(|(r, _, _, pts)| (r, pts)).collect()
}

/// The path of a line through `pts`.
fn line_path(pts: &[(f64, f64)], x: &Scale, y: &Scale) -> String {
    let mut d = String::new();
    for (i, &(t, v)) in pts.iter().enumerate() {
        let c = if i == 0 { 'M' } else { 'L' };
        d.push_str(&format!("{c}{:.1},{:.1}", x.map(t), y.map(v)));
    }
    d
}

/// The chart, with a policy selector; nothing when no run cached prefixes.
#[component]
pub fn HitRate(p: &Props) -> Html {
    let chosen = use_state(|| 0usize);
    let with: Vec<&Rc<PolicyResult>> = p
        .results
        .iter()
        .filter(|r| r.summary.prefix.is_some())
        .collect();
    if with.is_empty() {
        return html! {};
    }
    let idx = (*chosen).min(with.len() - 1);
    let r = with[idx];
    let all = series(&r.timeline.hits);
    let left_out = all.len().saturating_sub(MAX_REPLICAS);
    let shown = &all[..all.len().min(MAX_REPLICAS)];
    let colours: Vec<String> = (0..shown.len())
        .map(|i| format!("hsl({}, 65%, 42%)", i * 360 / shown.len().max(1)))
        .collect();
    let labels: Vec<String> = shown.iter().map(|s| format!("replica {}", s.0)).collect();
    let rows = legend_rows(&labels, 520.0) as f64;
    let mut f = Frame::new(560.0, 300.0 + 16.0 * rows);
    f.top = 24.0 + 16.0 * rows;
    let t_max = shown
        .iter()
        .filter_map(|s| s.1.last().map(|l| l.0))
        .fold(1e-9, f64::max);
    let x = Scale::linear(0.0, t_max, f.x0(), f.x1());
    let y = Scale::linear(0.0, 1.0, f.y0(), f.y1());
    let lines = shown.iter().zip(&colours).map(|((rep, pts), c)| {
        html! {
            <path d={line_path(pts, &x, &y)} fill="none" stroke={c.clone()} stroke-width="1.5"
                data-replica={rep.to_string()}>
                <title>{ format!("replica {rep}") }</title>
            </path>
        }
    });
    let items: Vec<(String, &str)> = labels
        .iter()
        .cloned()
        .zip(colours.iter().map(String::as_str))
        .collect();
    let body = html! { <>
        { y_axis(&f, &y, &[0.0, 0.25, 0.5, 0.75, 1.0], "cached share of prompt tokens (cumulative)") }
        { x_axis(&f, &x, &x.ticks(6), "simulated time (s)") }
        { for lines }
        { legend(&items, f.x0(), 16.0, f.x1() - f.x0()) }
    </> };
    let onchange = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = crate::browser::event_target::<HtmlSelectElement>(&e)
                && let Ok(i) = s.value().parse::<usize>()
            {
                chosen.set(i);
            }
        })
    };
    let controls = html! {
        <select id="hit-rate-policy" title="Which policy's run to plot" {onchange}>
            { for with.iter().enumerate().map(|(i, r)| html! {
                <option value={i.to_string()} selected={i == idx}>{ r.policy.label() }</option>
            }) }
        </select>
    };
    let mut note = format!(
        "Per replica, prompt tokens of the short requests it admitted that were found in its prefix cache, of all their prompt tokens, from the first admission to each one ({} admissions plotted).",
        r.timeline.hits.len()
    );
    if left_out > 0 {
        note.push_str(&format!(" {left_out} more replicas not drawn."));
    }
    if r.timeline.truncated {
        note.push_str(" The timeline reached its cap: later admissions are not plotted.");
    }
    html! {
        <ChartCard id="chart-hit-rate" title="Prefix-cache hit rate over time" file="prefix-hit-rate.svg"
            {controls} note={note}>
            { svg(&f, "prefix-cache hit rate over time per replica", body) }
        </ChartCard>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::time::SimTime;

    fn hit(replica: u32, s: u64, prompt: u32, cached: u32) -> HitSample {
        HitSample {
            replica,
            at: SimTime(s * 1_000_000_000),
            prompt_tokens: prompt,
            cached_tokens: cached,
        }
    }

    #[test]
    fn series_are_cumulative_per_replica_in_index_order() {
        let s = series(&[
            hit(3, 1, 1000, 0),
            hit(1, 2, 1000, 500),
            hit(3, 4, 1000, 1000),
        ]);
        assert_eq!(
            s,
            vec![(1, vec![(2.0, 0.5)]), (3, vec![(1.0, 0.0), (4.0, 0.5)]),]
        );
    }
}
