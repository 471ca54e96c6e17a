//! Plot frames, axes with units, grid lines and legends, drawn into the chart's SVG (so an
//! exported SVG file is complete on its own: presentation attributes, no page CSS).

use super::scale::{Scale, tick_label};
use yew::prelude::*;

/// Text colour of axes and labels.
pub const INK: &str = "#333";
/// Colour of grid lines.
pub const GRID: &str = "#e4e4e4";

/// The plot area inside an SVG of `w` × `h` (viewBox units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// SVG width.
    pub w: f64,
    /// SVG height.
    pub h: f64,
    /// Left margin (y-axis labels).
    pub left: f64,
    /// Right margin.
    pub right: f64,
    /// Top margin.
    pub top: f64,
    /// Bottom margin (x-axis labels).
    pub bottom: f64,
}

impl Frame {
    /// A frame with room for axis labels and titles.
    pub fn new(w: f64, h: f64) -> Frame {
        Frame {
            w,
            h,
            left: 62.0,
            right: 14.0,
            top: 12.0,
            bottom: 44.0,
        }
    }
    /// Left edge of the plot.
    pub fn x0(&self) -> f64 {
        self.left
    }
    /// Right edge of the plot.
    pub fn x1(&self) -> f64 {
        self.w - self.right
    }
    /// Bottom edge of the plot.
    pub fn y0(&self) -> f64 {
        self.h - self.bottom
    }
    /// Top edge of the plot.
    pub fn y1(&self) -> f64 {
        self.top
    }
}

/// The `<svg>` root of a chart: responsive width, fonts set once.
pub fn svg(f: &Frame, label: &str, body: Html) -> Html {
    html! {
        <svg xmlns="http://www.w3.org/2000/svg" viewBox={format!("0 0 {} {}", f.w, f.h)}
            width="100%" role="img" aria-label={label.to_string()}
            font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">
            <rect x="0" y="0" width={f.w.to_string()} height={f.h.to_string()} fill="white" />
            { body }
        </svg>
    }
}

/// The x axis: baseline, ticks, labels and title (with unit) below the plot.
pub fn x_axis(f: &Frame, s: &Scale, ticks: &[f64], title: &str) -> Html {
    let y = f.y0();
    html! {
        <g class="x-axis">
            <line x1={f.x0().to_string()} x2={f.x1().to_string()} y1={y.to_string()} y2={y.to_string()} stroke={INK} />
            { for ticks.iter().map(|&t| {
                let x = s.map(t);
                html! { <g>
                    <line x1={x.to_string()} x2={x.to_string()} y1={y.to_string()} y2={(y + 4.0).to_string()} stroke={INK} />
                    <text x={x.to_string()} y={(y + 15.0).to_string()} text-anchor="middle" fill={INK}>{ tick_label(t) }</text>
                </g> }
            }) }
            <text x={((f.x0() + f.x1()) / 2.0).to_string()} y={(f.h - 6.0).to_string()}
                text-anchor="middle" fill={INK} font-size="13.5">{ title.to_string() }</text>
        </g>
    }
}

/// The y axis: ticks, labels, grid lines across the plot and the title (with unit).
pub fn y_axis(f: &Frame, s: &Scale, ticks: &[f64], title: &str) -> Html {
    let x = f.x0();
    let mid = (f.y0() + f.y1()) / 2.0;
    html! {
        <g class="y-axis">
            { for ticks.iter().map(|&t| {
                let y = s.map(t);
                html! { <g>
                    <line x1={x.to_string()} x2={f.x1().to_string()} y1={y.to_string()} y2={y.to_string()} stroke={GRID} />
                    <text x={(x - 6.0).to_string()} y={(y + 3.5).to_string()} text-anchor="end" fill={INK}>{ tick_label(t) }</text>
                </g> }
            }) }
            <line x1={x.to_string()} x2={x.to_string()} y1={f.y1().to_string()} y2={f.y0().to_string()} stroke={INK} />
            <text transform={format!("translate(14 {mid}) rotate(-90)")} text-anchor="middle"
                fill={INK} font-size="13.5">{ title.to_string() }</text>
        </g>
    }
}

/// A legend of coloured swatches in rows from `(x, y)`, wrapping at `width`.
pub fn legend(items: &[(String, &str)], x: f64, y: f64, width: f64) -> Html {
    let mut cx = x;
    let mut cy = y;
    let mut out = Vec::new();
    for (label, colour) in items {
        let w = 18.0 + 7.6 * label.chars().count() as f64;
        if cx + w > x + width && cx > x {
            cx = x;
            cy += 16.0;
        }
        out.push(html! { <g>
            <rect x={cx.to_string()} y={(cy - 8.0).to_string()} width="10" height="10" fill={colour.to_string()} />
            <text x={(cx + 14.0).to_string()} y={(cy + 1.0).to_string()} fill={INK}>{ label.clone() }</text>
        </g> });
        cx += w + 10.0;
    }
    html! { <g class="legend">{ for out }</g> }
}

/// Rows a [`legend`] needs at this width.
pub fn legend_rows(labels: &[String], width: f64) -> usize {
    let mut rows = 1;
    let mut cx = 0.0;
    for l in labels {
        let w = 18.0 + 7.6 * l.chars().count() as f64;
        if cx + w > width && cx > 0.0 {
            rows += 1;
            cx = 0.0;
        }
        cx += w + 10.0;
    }
    rows
}
