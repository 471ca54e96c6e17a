//! Building a scenario's workload: reading its source and applying its transforms (window →
//! rate scale → truncation → the paper's long-input transform).

use super::validate::{field, num};
use super::{LengthSource, Scenario, ScenarioError, Source, limits};
use crate::rng::SimRng;
use crate::workload::{self, Lengths, Request, SyntheticSpec};

impl Scenario {
    /// What a reader of this scenario's trace file keeps ([`workload::TraceReader`]): rows in
    /// the window, up to the request limit, failing past [`limits::MAX_REQUESTS`]. A reader
    /// given this may stop early; [`Scenario::requests_from_trace`] then builds the same
    /// workload as from the whole file (truncation comes after the window, and neither rate
    /// scaling nor the long-input transform changes which rows are kept or their order).
    pub fn trace_keep(&self) -> workload::Keep {
        workload::Keep {
            window: self.window,
            max_requests: self.max_requests,
            limit: Some(limits::MAX_REQUESTS),
        }
    }

    /// Builds the workload from a trace file's requests, read with [`Scenario::trace_keep`]
    /// (or in full): applies window, rate scaling, truncation and the long-input transform.
    pub fn requests_from_trace(&self, reqs: Vec<Request>) -> Result<Vec<Request>, ScenarioError> {
        self.transform(reqs)
    }

    /// Builds the workload: reads the source (`file_text` for a [`Source::File`]), then
    /// applies window, rate scaling, truncation and the long-input transform, in that order.
    pub fn requests(&self, file_text: Option<&str>) -> Result<Vec<Request>, ScenarioError> {
        let reqs = match &self.source {
            Source::Embedded(t) => workload::parse_azure_csv(t.text())?,
            Source::File { name, format } => {
                let text =
                    file_text.ok_or_else(|| ScenarioError::MissingTrace { name: name.clone() })?;
                workload::TraceReader::new(*format)
                    .keeping(self.trace_keep())
                    .read_str(text)?
            }
            Source::Synthetic(s) => {
                let lengths = match s.lengths {
                    LengthSource::Trace(t) => {
                        Lengths::empirical_from(&workload::parse_azure_csv(t.text())?)
                    }
                    LengthSource::LogNormal {
                        input_median,
                        input_sigma,
                        output_median,
                        output_sigma,
                    } => Lengths::LogNormal {
                        input_median,
                        input_sigma,
                        output_median,
                        output_sigma,
                    },
                };
                let spec = SyntheticSpec {
                    requests: s.requests,
                    rate_per_s: s.rate_per_s,
                    arrival: s.arrival(),
                    lengths,
                    seed: self.seed,
                };
                spec.generate()?
            }
        };
        self.transform(reqs)
    }

    /// Window, rate scaling, truncation and the long-input transform, in that order.
    fn transform(&self, mut reqs: Vec<Request>) -> Result<Vec<Request>, ScenarioError> {
        if let Some((a, b)) = self.window {
            reqs = workload::window(&reqs, a, b);
        }
        if self.rate_scale != 1.0 {
            reqs = workload::scale_rate(&reqs, self.rate_scale).map_err(|_| {
                let last = reqs.last().map_or(0.0, |r| r.arrival.as_secs_f64());
                field(
                    "workload.rate_scale",
                    num(self.rate_scale),
                    &format!(
                        "large enough that the last arrival ({} s before scaling) stays within {} s (limits::MAX_ARRIVAL_S)",
                        num(last),
                        limits::MAX_ARRIVAL_S
                    ),
                )
            })?;
        }
        if let Some(n) = self.max_requests {
            reqs = workload::truncate(&reqs, n);
        }
        if reqs.len() as u64 > limits::MAX_REQUESTS as u64 {
            return Err(field(
                "workload",
                reqs.len(),
                &format!("at most {} requests", limits::MAX_REQUESTS),
            ));
        }
        if let Some(li) = self.long_input {
            let mut rng = SimRng::new(self.seed, crate::rng::streams::LONG_INPUT);
            reqs = workload::long_input_transform(
                &reqs,
                li.percentile,
                li.min_tokens,
                li.max_tokens,
                &mut rng,
            )?
            .requests;
        }
        if let Some(p) = self
            .prefix
            .as_ref()
            .filter(|p| p.model.shared_prompt.is_some() || p.model.sessions.is_some())
        {
            // Last, so that the session model sees the requests as they run (the long ones,
            // which it leaves alone, included).
            let mut rng = SimRng::new(self.seed, crate::rng::streams::PREFIX_SESSIONS);
            reqs = workload::apply_prefix_model(
                &reqs,
                &p.model,
                self.engine.long_threshold_tokens,
                &mut rng,
            );
        }
        if reqs.is_empty() {
            return Err(field(
                "workload",
                "0 requests",
                "at least one request after window and truncation",
            ));
        }
        Ok(reqs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::TraceFormat;

    /// A trace file is read with the run's request limit, so a reader past it fails at the
    /// first row beyond (the reader's own test checks where, with a small limit).
    #[test]
    fn a_trace_file_is_read_with_the_run_request_limit() {
        let keep = Scenario::default_scenario().trace_keep();
        assert_eq!(keep.limit, Some(limits::MAX_REQUESTS));
        let small = workload::Keep {
            limit: Some(2),
            ..keep
        };
        let err = workload::TraceReader::new(TraceFormat::PlainCsv)
            .keeping(small)
            .read_str("arrival_s,input_tokens,output_tokens\n0,1,1\n0,1,1\n0,1,1\n")
            .unwrap_err();
        assert!(err.to_string().contains("more than 2 requests"), "{err}");
    }
}
