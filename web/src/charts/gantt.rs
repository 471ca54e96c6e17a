//! The per-replica timeline (Gantt chart) of one policy: what each replica ran and when —
//! short prefill and decode, long prefill and decode, colocated work — with the intervals in
//! which a long request was paused (preempted) as a red strip under the row. Zoom with the
//! buttons, by dragging across the plot, or from the keyboard (+ − ← → 0 on the focused
//! plot); hover for the details of a span.

use super::axis::{Frame, INK, legend, legend_rows, svg, x_axis};
use super::card::ChartCard;
use super::gantt_data::{Lane, bars, end_s, span_at};
use super::palette::{self, SPAN_KINDS};
use super::scale::Scale;
use crate::protocol::PolicyResult;
use pecsched_core::policy::PolicyKind;
use std::rc::Rc;
use web_sys::{Element, HtmlSelectElement};
use yew::prelude::*;

/// Most replica rows drawn.
pub const MAX_ROWS: u32 = 64;

/// Props of [`Gantt`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// One result per policy.
    pub results: Vec<Rc<PolicyResult>>,
}

/// The SVG coordinates of a mouse event over the chart (`area` wraps the `<svg>`; Yew
/// delegates events, so the event's `currentTarget` is not the chart).
fn svg_x(e: &MouseEvent, area: &NodeRef, width: f64) -> Option<(f64, f64)> {
    let el = area.cast::<Element>()?;
    let r = el.get_bounding_client_rect();
    if r.width() <= 0.0 {
        return None;
    }
    let k = width / r.width();
    Some((
        (e.client_x() as f64 - r.left()) * k,
        (e.client_y() as f64 - r.top()) * k,
    ))
}

/// Props of [`GanttBars`]. Equal when they show the same result (by pointer) in the same
/// geometry, so a re-render of the page does not rebuild thousands of rectangles.
#[derive(Properties)]
pub struct BarsProps {
    /// The result whose timeline is drawn.
    pub result: Rc<PolicyResult>,
    /// Replica rows drawn.
    pub rows: u32,
    /// Left end of the window, seconds.
    pub t0: f64,
    /// Right end of the window, seconds.
    pub t1: f64,
    /// Left edge of the plot (SVG units).
    pub x0: f64,
    /// Right edge of the plot.
    pub x1: f64,
    /// Top of the first row.
    pub top: f64,
    /// Row height.
    pub row_h: f64,
}

impl PartialEq for BarsProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.result, &o.result)
            && (
                self.rows, self.t0, self.t1, self.x0, self.x1, self.top, self.row_h,
            ) == (o.rows, o.t0, o.t1, o.x0, o.x1, o.top, o.row_h)
    }
}

/// The rectangles of a timeline window, merged at pixel resolution.
#[component]
pub fn GanttBars(p: &BarsProps) -> Html {
    let x = Scale::linear(p.t0, p.t1, p.x0, p.x1);
    let drawn = bars(&p.result.timeline.spans, p.rows, p.t0, p.t1, &x);
    let row_y = |replica: u32| p.top + p.row_h * replica as f64;
    let rects = drawn.iter().map(|b| {
        let (y, h) = match b.lane {
            Lane::Work => (row_y(b.replica) + 1.0, p.row_h * 0.72 - 1.0),
            Lane::Paused => (row_y(b.replica) + p.row_h * 0.74, p.row_h * 0.22),
        };
        html! {
            <rect x={format!("{:.2}", b.x0)} y={format!("{y:.2}")} width={format!("{:.2}", (b.x1 - b.x0).max(0.6))}
                height={format!("{h:.2}")} fill={palette::span(b.kind)} />
        }
    });
    html! { <g class="spans">{ for rects }</g> }
}

/// The timeline chart with policy selector, zoom and hover details.
#[component]
pub fn Gantt(p: &Props) -> Html {
    let chosen = use_state(|| None::<usize>);
    let view = use_state(|| None::<(f64, f64)>);
    let drag = use_state(|| None::<(f64, f64)>);
    let hover = use_state(String::new);
    let area = use_node_ref();
    let idx = chosen
        .filter(|&i| i < p.results.len())
        // The paper's scheduler first, the policy this explorer is about.
        .or_else(|| {
            p.results
                .iter()
                .position(|r| r.policy == PolicyKind::PecSched)
        })
        .unwrap_or(0);
    let Some(r) = p.results.get(idx).cloned() else {
        return html! {};
    };
    let spans = &r.timeline.spans;
    let full = (0.0, end_s(spans).max(1e-3));
    let (t0, t1) = view.unwrap_or(full);
    let rows = r.replicas.min(MAX_ROWS);
    let row_h = (360.0 / rows.max(1) as f64).clamp(5.0, 24.0);
    let labels: Vec<String> = SPAN_KINDS
        .iter()
        .map(|k| palette::span_label(*k).to_string())
        .collect();
    let legend_h = 16.0 * legend_rows(&labels, 820.0) as f64;
    let mut f = Frame::new(880.0, 24.0 + legend_h + row_h * rows as f64 + 44.0);
    f.top = 24.0 + legend_h;
    f.left = 70.0;
    let x = Scale::linear(t0, t1, f.x0(), f.x1());
    let row_y = |replica: u32| f.top + row_h * replica as f64;
    let row_labels = (0..rows).map(|i| html! {
        <text x={(f.x0() - 6.0).to_string()} y={(row_y(i) + row_h * 0.55).to_string()} text-anchor="end"
            fill={INK} font-size={if row_h < 10.0 { "9" } else { "12" }}>{ format!("replica {i}") }</text>
    });
    let items: Vec<(String, &str)> = SPAN_KINDS
        .iter()
        .map(|k| (palette::span_label(*k).to_string(), palette::span(*k)))
        .collect();
    let selection = drag.map(|(a, b)| html! {
        <rect x={a.min(b).to_string()} y={f.top.to_string()} width={(a - b).abs().to_string()}
            height={(row_h * rows as f64).to_string()} fill="#0072B2" fill-opacity="0.15" stroke="#0072B2" />
    });
    let body = html! { <>
        { legend(&items, f.x0(), 16.0, f.x1() - f.x0()) }
        { for row_labels }
        <GanttBars result={r.clone()} {rows} {t0} {t1} x0={f.x0()} x1={f.x1()} top={f.top} {row_h} />
        { x_axis(&f, &x, &x.ticks(8), "simulated time (s)") }
        { for selection }
    </> };
    let width = f.w;
    let onmousedown = {
        let (drag, area) = (drag.clone(), area.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some((px, _)) = svg_x(&e, &area, width) {
                drag.set(Some((px, px)));
            }
        })
    };
    let onmousemove = {
        let (drag, hover, r, area) = (drag.clone(), hover.clone(), r.clone(), area.clone());
        Callback::from(move |e: MouseEvent| {
            let Some((px, py)) = svg_x(&e, &area, width) else {
                return;
            };
            if let Some((a, _)) = *drag {
                drag.set(Some((a, px)));
            }
            let row = ((py - f.top) / row_h).floor();
            if px < f.x0() || px > f.x1() || row < 0.0 || row >= rows as f64 {
                hover.set(String::new());
                return;
            }
            let lane = if (py - f.top) / row_h - row > 0.73 {
                Lane::Paused
            } else {
                Lane::Work
            };
            let t = x.invert(px);
            let text = match span_at(&r.timeline.spans, row as u32, t, lane) {
                Some(s) => {
                    let (a, b) = (s.start.as_secs_f64(), s.end.as_secs_f64());
                    let mut d = format!(
                        "replica {} · {:.3}–{:.3} s ({:.3} s) · {}",
                        s.replica,
                        a,
                        b,
                        b - a,
                        palette::span_label(s.kind)
                    );
                    if let Some(q) = s.req {
                        d.push_str(&format!(" · long request #{q}"));
                    }
                    if s.tokens > 0 {
                        d.push_str(&format!(" · {} short-prefill tokens", s.tokens));
                    }
                    d
                }
                None => format!("replica {} · {:.3} s · idle", row as u32, t),
            };
            hover.set(text);
        })
    };
    let onmouseup = {
        let (drag, view) = (drag.clone(), view.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some((a, b)) = *drag
                && (a - b).abs() > 4.0
            {
                let (lo, hi) = (x.invert(a.min(b)).max(0.0), x.invert(a.max(b)));
                view.set(Some((lo, hi)));
            }
            drag.set(None);
        })
    };
    let onmouseleave = {
        let (drag, hover) = (drag.clone(), hover.clone());
        Callback::from(move |_: MouseEvent| {
            drag.set(None);
            hover.set(String::new());
        })
    };
    let apply = {
        let view = view.clone();
        move |k: f64, shift: f64| {
            let w = (t1 - t0) * k;
            let c = (t0 + t1) / 2.0 + (t1 - t0) * shift;
            let lo = (c - w / 2.0).max(full.0);
            let hi = (lo + w).min(full.1.max(lo + 1e-6));
            view.set(if hi - lo >= full.1 - full.0 {
                None
            } else {
                Some((lo, hi))
            });
        }
    };
    let zoom = |k: f64, shift: f64| {
        let apply = apply.clone();
        Callback::from(move |_: MouseEvent| apply(k, shift))
    };
    // The keyboard: + / − zoom, ← / → pan, 0 or Home shows the whole run.
    let onkeydown = {
        let (apply, view) = (apply.clone(), view.clone());
        Callback::from(move |e: KeyboardEvent| {
            let step = match e.key().as_str() {
                "+" | "=" => Some((0.5, 0.0)),
                "-" | "_" => Some((2.0, 0.0)),
                "ArrowLeft" => Some((1.0, -0.25)),
                "ArrowRight" => Some((1.0, 0.25)),
                "0" | "Home" => {
                    view.set(None);
                    e.prevent_default();
                    None
                }
                _ => None,
            };
            if let Some((k, shift)) = step {
                e.prevent_default();
                apply(k, shift);
            }
        })
    };
    let reset = {
        let view = view.clone();
        Callback::from(move |_: MouseEvent| view.set(None))
    };
    let on_policy = {
        let (chosen, view) = (chosen.clone(), view.clone());
        Callback::from(move |e: Event| {
            if let Some(s) = crate::browser::event_target::<HtmlSelectElement>(&e)
                && let Ok(i) = s.value().parse::<usize>()
            {
                chosen.set(Some(i));
                view.set(None);
            }
        })
    };
    let controls = html! { <>
        <select id="gantt-policy" title="Whose timeline to show" onchange={on_policy}>
            { for p.results.iter().enumerate().map(|(i, r)| html! {
                <option value={i.to_string()} selected={i == idx}>{ r.policy.label() }</option>
            }) }
        </select>
        <button class="small" title="Zoom in ×2" onclick={zoom(0.5, 0.0)}>{ "+" }</button>
        <button class="small" title="Zoom out ×2" onclick={zoom(2.0, 0.0)}>{ "−" }</button>
        <button class="small" title="Pan left" onclick={zoom(1.0, -0.5)}>{ "◀" }</button>
        <button class="small" title="Pan right" onclick={zoom(1.0, 0.5)}>{ "▶" }</button>
        <button class="small" title="Show the whole run" onclick={reset}>{ "reset" }</button>
    </> };
    let mut note = format!(
        "{}: {:.1}–{:.1} s of {:.0} s shown. Drag across the chart to zoom into a time range; or focus it (Tab) and press + / − to zoom, ← / → to pan, 0 for the whole run.",
        r.policy.label(),
        t0,
        t1,
        full.1
    );
    if r.replicas > rows {
        note.push_str(&format!(
            " The first {rows} of {} replicas are drawn.",
            r.replicas
        ));
    }
    if r.timeline.truncated {
        note.push_str(&format!(
            " The timeline stops after its first {} spans (the explorer's limit).",
            spans.len()
        ));
    }
    html! {
        <ChartCard id="chart-gantt" title="Replica timeline" file={format!("timeline-{}.svg", r.policy.id().replace('/', "-"))} {controls} note={note}>
            <p class="hover" id="gantt-hover">{ if hover.is_empty() { "Hover a replica row for details.".to_string() } else { (*hover).clone() } }</p>
            <div class="gantt" ref={area} tabindex="0" role="group"
                aria-label="Replica timeline: + and − zoom, arrow keys pan, 0 shows the whole run"
                {onmousedown} {onmousemove} {onmouseup} {onmouseleave} {onkeydown}>
                { svg(&f, "Per-replica timeline", body) }
            </div>
        </ChartCard>
    }
}
