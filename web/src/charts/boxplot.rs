//! Box plot of short-request queueing delay per policy, like the paper's figures: whiskers
//! at p1 and p99, box from p25 to p75, median line.

use super::axis::{Frame, INK, svg, y_axis};
use super::card::ChartCard;
use super::palette;
use super::scale::{Scale, nice_max, seconds};
use crate::protocol::PolicyResult;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`BoxPlot`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
}

/// Smallest delay a log axis shows (1 ms); shorter delays sit on the axis.
pub const LOG_FLOOR_S: f64 = 1e-3;

/// The queueing-delay box plot.
#[component]
pub fn BoxPlot(p: &Props) -> Html {
    let log = use_state(|| true);
    let f = Frame::new(560.0, 340.0);
    let max = p
        .results
        .iter()
        .map(|r| r.summary.short.queueing_delay.p99)
        .fold(0.0, f64::max);
    let s = if *log {
        Scale::log(
            LOG_FLOOR_S,
            10f64.powf(max.max(1.0).log10().ceil()),
            f.y0(),
            f.y1(),
        )
    } else {
        Scale::linear(0.0, nice_max(max), f.y0(), f.y1())
    };
    let n = p.results.len().max(1) as f64;
    let band = (f.x1() - f.x0()) / n;
    let bw = (band * 0.45).min(56.0);
    let log_scale = &*log;
    let boxes = p.results.iter().enumerate().map(|(i, r)| {
        let q = &r.summary.short.queueing_delay;
        let cx = f.x0() + band * (i as f64 + 0.5);
        let colour = palette::policy(r.policy);
        let (y1, y25, y50, y75, y99) = (s.map(q.p1), s.map(q.p25), s.map(q.p50), s.map(q.p75), s.map(q.p99));
        let tip = format!(
            "{}: p1 {}, p25 {}, median {}, p75 {}, p99 {} ({} short requests started)",
            r.policy.label(), seconds(q.p1), seconds(q.p25), seconds(q.p50), seconds(q.p75), seconds(q.p99), q.n
        );
        html! {
            <g class="box" data-policy={r.policy.id()}>
                <title>{ tip }</title>
                <line x1={cx.to_string()} x2={cx.to_string()} y1={y1.to_string()} y2={y99.to_string()} stroke={INK} />
                <line x1={(cx - bw / 4.0).to_string()} x2={(cx + bw / 4.0).to_string()} y1={y1.to_string()} y2={y1.to_string()} stroke={INK} />
                <line x1={(cx - bw / 4.0).to_string()} x2={(cx + bw / 4.0).to_string()} y1={y99.to_string()} y2={y99.to_string()} stroke={INK} />
                <rect x={(cx - bw / 2.0).to_string()} y={y75.to_string()} width={bw.to_string()}
                    height={(y25 - y75).max(1.0).to_string()} fill={colour} fill-opacity="0.75" stroke={INK} />
                <line x1={(cx - bw / 2.0).to_string()} x2={(cx + bw / 2.0).to_string()} y1={y50.to_string()} y2={y50.to_string()} stroke={INK} stroke-width="2.5" />
                if q.p75 < s.d0 && *log_scale {
                    <text x={cx.to_string()} y={(y75 - 6.0).to_string()} text-anchor="middle" fill={INK} font-size="12">{ "p75 ≤ 1 ms" }</text>
                }
                <text x={cx.to_string()} y={(f.y0() + 15.0).to_string()} text-anchor="middle" fill={INK}>{ palette::policy_short(r.policy) }</text>
            </g>
        }
    });
    let title = if *log {
        "queueing delay (s, log scale)"
    } else {
        "queueing delay (s)"
    };
    let body = html! { <>
        { y_axis(&f, &s, &s.ticks(6), title) }
        <line x1={f.x0().to_string()} x2={f.x1().to_string()} y1={f.y0().to_string()} y2={f.y0().to_string()} stroke={INK} />
        { for boxes }
        <text x={((f.x0() + f.x1()) / 2.0).to_string()} y={(f.h - 6.0).to_string()} text-anchor="middle" fill={INK} font-size="13.5">{ "policy" }</text>
    </> };
    let toggle = {
        let log = log.clone();
        Callback::from(move |_| log.set(!*log))
    };
    let controls = html! {
        <label class="toggle"><input type="checkbox" checked={*log} onchange={toggle} />{ " log scale" }</label>
    };
    let note = if *log {
        "Short requests. Whiskers: p1 and p99; box: p25–p75; thick line: median. Delays under 1 ms sit on the axis."
    } else {
        "Short requests. Whiskers: p1 and p99; box: p25–p75; thick line: median."
    };
    html! {
        <ChartCard id="chart-box" title="Short-request queueing delay" file="queueing-delay-box.svg" {controls} note={note}>
            { svg(&f, "Box plot of short-request queueing delay per policy", body) }
        </ChartCard>
    }
}
