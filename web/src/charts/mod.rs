//! Charts, drawn as SVG by Rust.
//!
//! Why hand-written SVG rather than a charting crate: the charts are simple (boxes, bars,
//! steps, lines, rectangles) but need things crates do not give together — a box plot with
//! the paper's p1/p25/p50/p75/p99 whiskers, a Gantt chart of up to 60,000 spans merged at
//! pixel resolution with drag-to-zoom and hover lookup, log axes whose zero sits on the axis.
//! `plotters` draws to a canvas or a finished SVG string (no Yew event handlers, re-render of
//! the whole string on hover), and `charming` wraps ECharts (a JavaScript bundle, against "no
//! CDN, small bundle"). Yew's `html!` already diffs SVG elements; the scales and the span
//! merging are small pure functions with native tests; the exported SVG is exactly what is on
//! screen (presentation attributes, no page CSS).

pub mod axis;
mod bars;
mod boxplot;
mod card;
mod cdf;
mod gantt;
pub mod gantt_data;
mod hit_rate;
pub mod palette;
pub mod scale;
mod sweep;

pub use bars::{BarMetric, Bars};
pub use boxplot::BoxPlot;
pub use card::ChartCard;
pub use cdf::{Cdfs, step_path};
pub use gantt::Gantt;
pub use hit_rate::HitRate;
pub use sweep::{SeedRuns, SweepChart, SweepMetric, series};
