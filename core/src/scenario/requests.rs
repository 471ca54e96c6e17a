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

    /// The workload ([`Scenario::requests`]) and the scenario to run it with: for a Mooncake
    /// file with prefix caching set up, this scenario with the file's own block ids
    /// ([`Scenario::with_block_table`]); otherwise this scenario as it is.
    pub fn workload(
        &self,
        file_text: Option<&str>,
    ) -> Result<(Scenario, Vec<Request>), ScenarioError> {
        if let Source::File { name, format } = &self.source
            && *format == workload::TraceFormat::MooncakeJsonl
            && self.prefix.is_some()
        {
            let text =
                file_text.ok_or_else(|| ScenarioError::MissingTrace { name: name.clone() })?;
            let mut reader = workload::TraceReader::new(*format).keeping(self.trace_keep());
            reader.push_text(text)?;
            let read = reader.finish()?;
            let s = self.clone().with_block_table(read.blocks)?;
            let reqs = s.requests_from_trace(read.requests)?;
            return Ok((s, reqs));
        }
        Ok((self.clone(), self.requests(file_text)?))
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
            Source::Synthetic(s) => synthetic_spec(s, self.seed)?.generate()?,
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

/// The generator of a synthetic source, seeded with the scenario's seed.
pub(super) fn synthetic_spec(
    s: &super::SyntheticSource,
    seed: u64,
) -> Result<SyntheticSpec, ScenarioError> {
    let lengths = match s.lengths {
        LengthSource::Trace(t) => Lengths::empirical_from(&workload::parse_azure_csv(t.text())?),
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
    Ok(SyntheticSpec {
        requests: s.requests,
        rate_per_s: s.rate_per_s,
        arrival: s.arrival(),
        lengths,
        seed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::TraceFormat;

    /// A Mooncake file's own block ids reach the simulation through `workload` (and a load
    /// sweep's `at_load`): a repeated 1,000-token prompt saves one 512-token block.
    #[test]
    fn a_mooncake_files_block_ids_key_the_prefix_cache() {
        let text = "{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 4, \"hash_ids\": [7, 8]}\n\
                    {\"timestamp\": 60000, \"input_length\": 1000, \"output_length\": 4, \"hash_ids\": [7, 8]}\n";
        let mut w = Scenario::default_scenario().to_wire();
        w.workload = crate::scenario::wire::WorkloadWire {
            source: crate::scenario::wire::SourceWire::File {
                name: "t.jsonl".into(),
                format: "mooncake".into(),
            },
            window_s: None,
            rate_scale: 1.0,
            max_requests: None,
            long_input: None,
        };
        w.policies = vec!["fifo".into()];
        w.prefix = Some(crate::scenario::prefix_wire::PrefixWire::default());
        let s = Scenario::from_wire(&w).unwrap();
        let (with_ids, reqs) = s.workload(Some(text)).unwrap();
        let (_, recs) = with_ids.run(s.policies()[0], reqs.clone()).unwrap();
        assert_eq!((recs[0].cached_tokens, recs[1].cached_tokens), (0, 512));
        let swept = with_ids.at_load(1.0, 9).unwrap();
        let (_, recs) = swept.run(s.policies()[0], reqs.clone()).unwrap();
        assert_eq!(recs[1].cached_tokens, 512);
        // Without the ids (`requests` alone) nothing is shared.
        let (_, recs) = s
            .run(s.policies()[0], s.requests(Some(text)).unwrap())
            .unwrap();
        assert_eq!(recs[1].cached_tokens, 0);
    }

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
