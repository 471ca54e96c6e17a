//! CDFs of per-request latencies, one line per policy, on a log time axis.

use super::axis::{Frame, legend, legend_rows, svg, x_axis, y_axis};
use super::card::ChartCard;
use super::palette;
use super::scale::Scale;
use crate::protocol::{CdfMetric, PolicyResult};
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Props of [`Cdfs`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
}

/// Smallest latency the log axis shows (1 ms).
const FLOOR_S: f64 = 1e-3;

/// The SVG path of a step CDF.
pub fn step_path(points: &[(f64, f64)], x: &Scale, y: &Scale) -> String {
    let mut d = String::new();
    let mut prev_y = y.map(0.0);
    for (i, &(v, frac)) in points.iter().enumerate() {
        let px = x.map(v);
        if i == 0 {
            d.push_str(&format!("M{px:.1},{prev_y:.1}"));
        } else {
            d.push_str(&format!("H{px:.1}"));
        }
        prev_y = y.map(frac);
        d.push_str(&format!("V{prev_y:.1}"));
    }
    if !points.is_empty() {
        d.push_str(&format!("H{:.1}", x.r1));
    }
    d
}

/// The CDF chart with a metric selector.
#[component]
pub fn Cdfs(p: &Props) -> Html {
    let metric = use_state(|| CdfMetric::ShortQueueing);
    let idx = CdfMetric::ALL
        .iter()
        .position(|m| m == &*metric)
        .unwrap_or(0);
    let labels: Vec<String> = p
        .results
        .iter()
        .map(|r| r.policy.label().to_string())
        .collect();
    let rows = legend_rows(&labels, 520.0) as f64;
    let mut f = Frame::new(560.0, 320.0 + 16.0 * rows);
    f.top = 24.0 + 16.0 * rows;
    let max = p
        .results
        .iter()
        .filter_map(|r| r.cdfs.get(idx).and_then(|c| c.last()).map(|l| l.0))
        .fold(0.0, f64::max);
    let x = Scale::log(
        FLOOR_S,
        10f64.powf(max.max(1.0).log10().ceil()),
        f.x0(),
        f.x1(),
    );
    let y = Scale::linear(0.0, 1.0, f.y0(), f.y1());
    let lines = p.results.iter().map(|r| {
        let pts = r.cdfs.get(idx).map_or(&[][..], |c| &c[..]);
        html! {
            <path d={step_path(pts, &x, &y)} fill="none" stroke={palette::policy(r.policy)}
                stroke-width="2" data-policy={r.policy.id()}>
                <title>{ r.policy.label() }</title>
            </path>
        }
    });
    let items: Vec<(String, &str)> = p
        .results
        .iter()
        .map(|r| (r.policy.label().to_string(), palette::policy(r.policy)))
        .collect();
    let body = html! { <>
        { y_axis(&f, &y, &[0.0, 0.25, 0.5, 0.75, 1.0], "fraction of requests") }
        { x_axis(&f, &x, &x.ticks(8), "latency (s, log scale)") }
        { for lines }
        { legend(&items, f.x0(), 16.0, f.x1() - f.x0()) }
    </> };
    let onchange = {
        let metric = metric.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = crate::browser::event_target::<HtmlSelectElement>(&e)
                && let Ok(i) = s.value().parse::<usize>()
                && let Some(m) = CdfMetric::ALL.get(i)
            {
                metric.set(*m);
            }
        })
    };
    let controls = html! {
        <select id="cdf-metric" title="Which latency to plot" {onchange}>
            { for CdfMetric::ALL.iter().enumerate().map(|(i, m)| html! {
                <option value={i.to_string()} selected={i == idx}>{ m.label() }</option>
            }) }
        </select>
    };
    html! {
        <ChartCard id="chart-cdf" title="Latency distribution (CDF)" file="latency-cdf.svg" {controls}
            note="Fraction of all requests of the class at or below each latency; requests that never got there (starved, unfinished) keep a curve below 1. Latencies under 1 ms sit on the axis.">
            { svg(&f, "CDF of request latency per policy", body) }
        </ChartCard>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_cdf_rises_at_each_sample_and_runs_to_the_right_edge() {
        let x = Scale::linear(0.0, 10.0, 0.0, 100.0);
        let y = Scale::linear(0.0, 1.0, 50.0, 0.0);
        let d = step_path(&[(1.0, 0.5), (4.0, 1.0)], &x, &y);
        assert_eq!(d, "M10.0,50.0V25.0H40.0V0.0H100.0");
        assert_eq!(step_path(&[], &x, &y), "");
    }
}
