//! How the /FSP claim (mean long JCT of /FSP vs PecSched, docs/paper.md §3.7) moves with the
//! ring-attention penalty (calibration `ring_attn_step_penalty`, perf/sp.rs): the two policies
//! rerun at one model and one load point with the penalty at 0, the default, twice the default
//! and the former unsourced 0.2. Kept cheap: 2 runs per penalty.
//!
//! The point is the default scenario's rate (×0.05 of the recorded arrivals), not the judged
//! point: there every long request completes, so the mean long JCT measures prefill speed; at
//! the saturated points most long requests are still waiting at the horizon and the censored
//! mean hardly moves with anything (at short load 0.8, 276 of 292 for Llama-3.1-70B).

use crate::repro::points::{ModelRun, Setup, scenario};
use anyhow::Result;
use indicatif::ProgressBar;
use pecsched_core::model::ModelKind;
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::Scenario;
use serde::Serialize;

/// The penalty before it was measured (unsourced), shown for comparison.
pub const FORMER_DEFAULT: f64 = 0.2;

/// Runs the sensitivity adds to `repro` (4 penalties × PecSched and /FSP).
pub const RUNS: u64 = 8;

/// One penalty's pair of runs.
#[derive(Serialize)]
pub struct Row {
    /// `ring_attn_step_penalty`.
    pub penalty: f64,
    /// What the value is (`0`, `default`, `2× default`, `former default`).
    pub what: &'static str,
    /// PecSched's censored mean long JCT, seconds (every long request; unfinished ones at the
    /// horizon).
    pub pecsched_jct_s: f64,
    /// /FSP's censored mean long JCT, seconds.
    pub fsp_jct_s: f64,
    /// Long requests PecSched and /FSP left unfinished at the horizon.
    pub unfinished: (u64, u64),
    /// `(fsp / pecsched − 1) · 100`: the claim's quantity (paper: +39 … +55 %).
    pub change_pct: f64,
}

/// The sensitivity of the /FSP claim to the ring penalty.
#[derive(Serialize)]
pub struct RingSensitivity {
    /// Model.
    pub model: String,
    /// The point, in words.
    pub point: String,
    /// Rate scale of that point.
    pub rate_scale: f64,
    /// Requests and long requests simulated.
    pub requests: (usize, usize),
    /// One row per penalty.
    pub rows: Vec<Row>,
}

/// The model the sensitivity runs on: Llama-3.1-70B if it was run (TP = 4: fast SP's choice
/// can differ from the ring), else the first model.
pub fn pick(runs: &[ModelRun]) -> Option<&ModelRun> {
    runs.iter()
        .find(|r| r.model == ModelKind::Llama31_70B)
        .or(runs.first())
}

/// The rate scale the sensitivity runs at: the default scenario's.
pub fn rate_scale() -> f64 {
    Scenario::default_scenario().to_wire().workload.rate_scale
}

/// Reruns PecSched and /FSP for `run`'s model at [`rate_scale`] with each penalty.
pub fn run(r: &ModelRun, setup: &Setup, bar: &ProgressBar) -> Result<RingSensitivity> {
    let scale = rate_scale();
    let s = scenario(r.model, setup, scale)?;
    let reqs = s.requests(None)?;
    let long = s.long_count(&reqs)?;
    let default = s.calibration().ring_attn_step_penalty;
    let values = [
        (0.0, "0"),
        (default, "default"),
        (2.0 * default, "2× default"),
        (FORMER_DEFAULT, "former default"),
    ];
    let mut rows = Vec::new();
    for (penalty, what) in values {
        let mut calib = s.calibration().clone();
        calib.ring_attn_step_penalty = penalty;
        let s = s.clone().with_calibration(calib);
        bar.set_message(format!("{} ring penalty {penalty}", r.model.id()));
        let (pec, _) = s.run(PolicyKind::PecSched, reqs.clone())?;
        bar.inc(1);
        let (fsp, _) = s.run(PolicyKind::PecSchedNoFastSp, reqs.clone())?;
        bar.inc(1);
        let (a, b) = (pec.long.jct_all.mean_s, fsp.long.jct_all.mean_s);
        rows.push(Row {
            penalty,
            what,
            pecsched_jct_s: a,
            fsp_jct_s: b,
            unfinished: (pec.long.jct_all.censored, fsp.long.jct_all.censored),
            change_pct: (b / a - 1.0) * 100.0,
        });
    }
    Ok(RingSensitivity {
        model: r.name.clone(),
        point: format!("×{scale} (the default scenario's rate)"),
        rate_scale: scale,
        requests: (reqs.len(), long),
        rows,
    })
}

impl RingSensitivity {
    /// The terminal line(s).
    pub fn text(&self) -> String {
        let cells: Vec<String> = self
            .rows
            .iter()
            .map(|r| format!("{} ({}) {:+.1} %", r.penalty, r.what, r.change_pct))
            .collect();
        format!(
            "ring-penalty sensitivity ({} at {}, {} requests, {} long): /FSP vs PecSched mean long JCT (paper +39…+55 %): {}\n",
            self.model,
            self.point,
            self.requests.0,
            self.requests.1,
            cells.join("; ")
        )
    }

    /// The report's section.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "## Sensitivity: the ring-attention penalty\n\n\
             The /FSP claim (mean long JCT of /FSP vs PecSched, paper +39…+55 %) against \
             `ring_attn_step_penalty` (docs/fidelity.md, \"Ring attention\"): PecSched and /FSP \
             rerun on {} at {} ({} requests, {} long), nothing else changed. The censored mean \
             counts every long request, unfinished ones at the horizon.\n\n\
             | penalty | | PecSched long JCT (s) | /FSP long JCT (s) | unfinished (PecSched, /FSP) | /FSP vs PecSched |\n\
             |---|---|---|---|---|---|\n",
            self.model, self.point, self.requests.0, self.requests.1
        );
        for r in &self.rows {
            md.push_str(&format!(
                "| {} | {} | {:.1} | {:.1} | {}, {} | {:+.1} % |\n",
                r.penalty,
                r.what,
                r.pecsched_jct_s,
                r.fsp_jct_s,
                r.unfinished.0,
                r.unfinished.1,
                r.change_pct
            ));
        }
        md.push('\n');
        md
    }
}
