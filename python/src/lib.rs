//! `pecsched._native`: the Python extension module over `pecsched-core`. No model logic lives
//! here: every function parses its arguments, calls the core and returns JSON text, which the
//! pure-Python package (`pecsched/__init__.py`) turns into dicts. Errors become `ValueError`
//! carrying the core's message (what and where); the package re-raises them as
//! `pecsched.PecschedError`.

use pecsched_core::hardware::{ClusterSpec, GpuKind};
use pecsched_core::metrics::RequestRecord;
use pecsched_core::model::ModelKind;
use pecsched_core::perf::{BatchShape, Calibration, PerfModel};
use pecsched_core::policy::PolicyKind;
use pecsched_core::scenario::{Scenario, link};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Value, json};

fn err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The default scenario as wire-format JSON.
#[pyfunction]
fn default_scenario() -> String {
    Scenario::default_scenario().to_json()
}

/// The scenario of a share link (a whole URL, a `#s=…` fragment or the bare token) as
/// wire-format JSON; errors name what is wrong with the link.
#[pyfunction]
fn scenario_from_link(link_text: &str) -> PyResult<String> {
    let text = link_text.trim();
    let token = link::token_from_link(text)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            err(format!(
                "link `{text}` carries no scenario (expected …#s=<token>)"
            ))
        })?;
    let scenario = link::decode_scenario(token).map_err(|e| err(format!("link: {e}")))?;
    Ok(scenario.to_json())
}

/// The share-link fragment (`#s=<token>`) of a scenario given as wire-format JSON.
#[pyfunction]
fn link_fragment(scenario_json: &str) -> PyResult<String> {
    let scenario = parse(scenario_json)?;
    Ok(link::fragment(&link::encode_scenario(&scenario)))
}

/// Validates a scenario given as wire-format JSON and returns it normalised.
#[pyfunction]
fn validate_scenario(scenario_json: &str) -> PyResult<String> {
    Ok(parse(scenario_json)?.to_json())
}

fn parse(scenario_json: &str) -> PyResult<Scenario> {
    Scenario::from_json(scenario_json).map_err(|e| err(format!("scenario: {e}")))
}

/// Optional seconds of an optional instant.
fn secs(t: Option<pecsched_core::time::SimTime>) -> Value {
    t.map_or(Value::Null, |t| json!(t.as_secs_f64()))
}

/// Records as columns (one JSON array per field, in the CLI's `--requests-csv` order).
fn columns(records: &[RequestRecord]) -> Value {
    let col = |f: &dyn Fn(&RequestRecord) -> Value| -> Value {
        Value::Array(records.iter().map(f).collect())
    };
    let delta = |a: pecsched_core::time::SimTime, b: Option<pecsched_core::time::SimTime>| {
        b.map_or(Value::Null, |b| json!((b.0 - a.0) as f64 / 1e9))
    };
    json!({
        "id": col(&|r| json!(r.id)),
        "class": col(&|r| json!(match r.class {
            pecsched_core::metrics::Class::Short => "short",
            pecsched_core::metrics::Class::Long => "long",
        })),
        "input_tokens": col(&|r| json!(r.input_tokens)),
        "output_tokens": col(&|r| json!(r.output_tokens)),
        "arrival_s": col(&|r| json!(r.arrival.as_secs_f64())),
        "dispatched_s": col(&|r| secs(r.dispatched)),
        "prefill_start_s": col(&|r| secs(r.prefill_start)),
        "first_token_s": col(&|r| secs(r.first_token)),
        "completion_s": col(&|r| secs(r.completion)),
        "queueing_delay_s": col(&|r| delta(r.arrival, r.prefill_start)),
        "ttft_s": col(&|r| delta(r.arrival, r.first_token)),
        "jct_s": col(&|r| delta(r.arrival, r.completion)),
        "preemptions": col(&|r| json!(r.preemptions)),
        "replicas": col(&|r| json!(r.replicas)),
        "rejected": col(&|r| json!(r.rejected)),
        "rejected_reason": col(&|r| r.rejected_reason.map_or(Value::Null, |w| json!(w.to_string()))),
        "cached_tokens": col(&|r| json!(r.cached_tokens)),
    })
}

/// Runs every policy of the scenario (wire-format JSON) to the end. `trace_text` is the text
/// of the trace file when the scenario's source is a file. Returns
/// `{"summaries": [...], "records": {policy: {column: [...]}}}` (records only when asked).
/// The GIL is released while the core runs.
#[pyfunction]
#[pyo3(signature = (scenario_json, trace_text=None, with_records=false))]
fn simulate(
    py: Python<'_>,
    scenario_json: &str,
    trace_text: Option<&str>,
    with_records: bool,
) -> PyResult<String> {
    let scenario = parse(scenario_json)?;
    let trace = trace_text.map(str::to_owned);
    let out: Result<Value, String> = py.detach(move || {
        // A Mooncake trace's own prefix block ids stay with the scenario it runs.
        let (scenario, reqs) = scenario
            .workload(trace.as_deref())
            .map_err(|e| format!("workload: {e}"))?;
        let mut summaries = Vec::new();
        let mut records = serde_json::Map::new();
        for &p in scenario.policies() {
            let (summary, recs) = scenario
                .run(p, reqs.clone())
                .map_err(|e| format!("{}: {e}", p.id()))?;
            if with_records {
                records.insert(p.id().to_string(), columns(&recs));
            }
            summaries.push(summary);
        }
        Ok(json!({ "summaries": summaries, "records": records }))
    });
    out.map(|v| v.to_string()).map_err(err)
}

/// Every policy: `[{"id": ..., "label": ...}]`.
#[pyfunction]
fn policies() -> String {
    let list: Vec<Value> = PolicyKind::ALL
        .iter()
        .map(|p| json!({ "id": p.id(), "label": p.label() }))
        .collect();
    Value::Array(list).to_string()
}

/// The catalogs: models and GPUs by id.
#[pyfunction]
fn catalog() -> String {
    let models: Vec<&str> = ModelKind::ALL.iter().map(|m| m.id()).collect();
    let gpus: Vec<&str> = GpuKind::ALL.iter().map(|g| g.id()).collect();
    json!({ "models": models, "gpus": gpus }).to_string()
}

/// The performance model's per-op estimate of one iteration on one replica: `prefill` is a
/// list of `(new_tokens, prefix_tokens)` chunks, `decode` a list of `(context_tokens, count)`
/// groups; `calibration` a built-in profile id or a profile's JSON text.
#[pyfunction]
#[pyo3(signature = (model, gpu, tp, prefill, decode, calibration=None))]
fn predict(
    model: &str,
    gpu: &str,
    tp: u32,
    prefill: Vec<(u64, u64)>,
    decode: Vec<(u64, u32)>,
    calibration: Option<&str>,
) -> PyResult<String> {
    let model_kind = ModelKind::from_id(model).ok_or_else(|| {
        let ids: Vec<_> = ModelKind::ALL.iter().map(|m| m.id()).collect();
        err(format!(
            "unknown model `{model}` (known: {})",
            ids.join(", ")
        ))
    })?;
    let gpu_kind = GpuKind::from_id(gpu).ok_or_else(|| {
        let ids: Vec<_> = GpuKind::ALL.iter().map(|g| g.id()).collect();
        err(format!("unknown GPU `{gpu}` (known: {})", ids.join(", ")))
    })?;
    let calib = match calibration {
        None => Calibration::datasheet_default(),
        Some(text) if text.trim_start().starts_with('{') => {
            Calibration::from_json(text).map_err(|e| err(format!("calibration: {e}")))?
        }
        Some(id) => Calibration::builtin(id).map_err(|e| err(format!("calibration: {e}")))?,
    };
    if prefill.is_empty() && decode.is_empty() {
        return Err(err(
            "predict needs at least one prefill chunk or decode group",
        ));
    }
    let mut shape = BatchShape::default();
    for (i, &(new, prefix)) in prefill.iter().enumerate() {
        if new == 0 {
            return Err(err(format!(
                "prefill[{i}]: a chunk needs at least 1 new token"
            )));
        }
        shape.add_prefill_chunk(new, prefix);
    }
    for (i, &(context, count)) in decode.iter().enumerate() {
        if count == 0 {
            return Err(err(format!(
                "decode[{i}]: a group needs at least 1 sequence"
            )));
        }
        for _ in 0..count {
            shape.add_decode(context);
        }
    }
    let mut cluster = ClusterSpec::paper_testbed();
    cluster.gpu = gpu_kind.spec();
    let perf = PerfModel::new(&cluster, &model_kind.spec(), tp, &calib).map_err(err)?;
    let ops = perf.breakdown(&shape);
    Ok(json!({
        "model": model_kind.id(),
        "gpu": gpu_kind.id(),
        "tp": tp,
        "iteration_s": perf.iteration_time(&shape).as_secs_f64(),
        "kv_capacity_tokens": perf.kv_capacity_tokens(),
        "ops": ops,
    })
    .to_string())
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(default_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(scenario_from_link, m)?)?;
    m.add_function(wrap_pyfunction!(validate_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(link_fragment, m)?)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(policies, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add("CORE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
