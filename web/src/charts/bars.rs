//! Bar charts of one number per policy: short-request throughput and long-request mean JCT.

use super::axis::{Frame, INK, svg, y_axis};
use super::card::ChartCard;
use super::palette;
use super::scale::{Scale, nice_max};
use crate::protocol::PolicyResult;
use std::rc::Rc;
use yew::prelude::*;

/// Which number the bars show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BarMetric {
    /// Completed short requests per second.
    ShortThroughput,
    /// Mean completion time of long requests.
    LongMeanJct,
}

impl BarMetric {
    fn value(self, r: &PolicyResult) -> f64 {
        match self {
            BarMetric::ShortThroughput => r.summary.short.throughput_rps,
            BarMetric::LongMeanJct => r.summary.long.jct.mean,
        }
    }
    fn title(self) -> &'static str {
        match self {
            BarMetric::ShortThroughput => "Short-request throughput",
            BarMetric::LongMeanJct => "Long-request mean JCT",
        }
    }
    fn axis(self) -> &'static str {
        match self {
            BarMetric::ShortThroughput => "throughput (req/s)",
            BarMetric::LongMeanJct => "mean JCT (s)",
        }
    }
    fn id(self) -> &'static str {
        match self {
            BarMetric::ShortThroughput => "chart-throughput",
            BarMetric::LongMeanJct => "chart-long-jct",
        }
    }
    fn note(self) -> &'static str {
        match self {
            BarMetric::ShortThroughput => {
                "Completed short requests per second, from the first short arrival to the last short completion."
            }
            BarMetric::LongMeanJct => {
                "Mean arrival-to-completion time of the long requests that completed (the label says how many of how many)."
            }
        }
    }
}

/// Props of [`Bars`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
    /// What to show.
    pub metric: BarMetric,
}

/// One bar per policy.
#[component]
pub fn Bars(p: &Props) -> Html {
    let m = p.metric;
    let f = Frame::new(560.0, 260.0);
    let max = p.results.iter().map(|r| m.value(r)).fold(0.0, f64::max);
    let s = Scale::linear(0.0, nice_max(max), f.y0(), f.y1());
    let n = p.results.len().max(1) as f64;
    let band = (f.x1() - f.x0()) / n;
    let bw = (band * 0.6).min(56.0);
    let bars = p.results.iter().enumerate().map(|(i, r)| {
        let v = m.value(r);
        let cx = f.x0() + band * (i as f64 + 0.5);
        let y = s.map(v);
        let label = match m {
            BarMetric::ShortThroughput => format!("{v:.3}"),
            BarMetric::LongMeanJct => format!(
                "{v:.0} s ({}/{})",
                r.summary.long.completed, r.summary.long.count
            ),
        };
        html! {
            <g class="bar" data-policy={r.policy.id()}>
                <title>{ format!("{}: {}", r.policy.label(), label) }</title>
                <rect x={(cx - bw / 2.0).to_string()} y={y.to_string()} width={bw.to_string()}
                    height={(f.y0() - y).max(0.0).to_string()} fill={palette::policy(r.policy)} />
                <text x={cx.to_string()} y={(y - 4.0).to_string()} text-anchor="middle" fill={INK} font-size="12">{ label }</text>
                <text x={cx.to_string()} y={(f.y0() + 15.0).to_string()} text-anchor="middle" fill={INK} font-size="12">{ palette::policy_short(r.policy) }</text>
            </g>
        }
    });
    let body = html! { <>
        { y_axis(&f, &s, &s.ticks(5), m.axis()) }
        <line x1={f.x0().to_string()} x2={f.x1().to_string()} y1={f.y0().to_string()} y2={f.y0().to_string()} stroke={INK} />
        { for bars }
        <text x={((f.x0() + f.x1()) / 2.0).to_string()} y={(f.h - 6.0).to_string()} text-anchor="middle" fill={INK} font-size="13.5">{ "policy" }</text>
    </> };
    html! {
        <ChartCard id={m.id()} title={m.title()} file={format!("{}.svg", m.id())} note={m.note()}>
            { svg(&f, m.title(), body) }
        </ChartCard>
    }
}
