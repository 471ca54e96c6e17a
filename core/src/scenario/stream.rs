//! A scenario's workload built one request at a time, for streamed runs of traces too large to
//! hold ([`crate::sim::StreamedRun`]): the reader keeps the window and the request limit
//! ([`Scenario::trace_keep`]), and [`StreamTransform`] applies the rate scale and the paper's
//! long-input transform to each request as it is read — the same requests, with the same
//! random draws, as [`Scenario::requests_from_trace`] builds from the whole trace. The
//! long-input transform's percentile needs the input lengths of every kept request first: a
//! first pass over the trace collects them ([`InputLengths`], one count per distinct length).

use super::{Scenario, ScenarioError, limits};
use crate::rng::SimRng;
use crate::workload::{ArrivalScale, Request};
use std::collections::BTreeMap;

/// How many requests a streamed run reads at most: every id a `u32` holds (an in-memory run
/// takes at most [`limits::MAX_REQUESTS`]).
pub const MAX_STREAMED_REQUESTS: u64 = u32::MAX as u64;

/// The input lengths of a workload's requests, as counts per length (what the long-input
/// transform's percentile needs, without holding one value per request).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputLengths {
    counts: BTreeMap<u32, u64>,
    n: u64,
}

impl InputLengths {
    /// Counts one more request of `input_tokens`.
    pub fn add(&mut self, input_tokens: u32) {
        *self.counts.entry(input_tokens).or_insert(0) += 1;
        self.n += 1;
    }

    /// Requests counted.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// Whether no request was counted.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The nearest-rank `p`-th percentile ([`crate::stats::nearest_rank`] over the sorted
    /// lengths), `None` when empty.
    pub fn nearest_rank(&self, p: f64) -> Option<u32> {
        let rank = crate::stats::nearest_rank_index(self.n, p)? + 1;
        let mut seen = 0u64;
        for (&len, &c) in &self.counts {
            seen += c;
            if seen >= rank {
                return Some(len);
            }
        }
        self.counts.keys().next_back().copied()
    }
}

/// The per-request part of a scenario's workload transforms ([`Scenario::stream_transform`]).
#[derive(Clone, Debug)]
pub struct StreamTransform {
    /// The window's start: arrivals are re-based to it (as [`crate::workload::window`] does).
    rebase: crate::time::SimTime,
    scale: Option<ArrivalScale>,
    /// The long-input transform: threshold, token range, and its random stream.
    long: Option<(u32, u32, u32, SimRng)>,
    read: u64,
}

impl StreamTransform {
    /// The next request as the scenario runs it (ids are kept: the reader numbers the kept
    /// requests `0, 1, 2, …`).
    ///
    /// # Errors
    /// A scaled arrival past the limit, or more requests than a streamed run reads.
    pub fn apply(&mut self, r: Request) -> Result<Request, ScenarioError> {
        self.read += 1;
        if self.read > MAX_STREAMED_REQUESTS {
            return Err(super::validate::field(
                "workload",
                self.read,
                &format!("at most {MAX_STREAMED_REQUESTS} requests in a streamed run"),
            ));
        }
        let mut r = r;
        r.arrival = crate::time::SimTime(r.arrival.0.saturating_sub(self.rebase.0));
        if let Some(scale) = &self.scale {
            r.arrival = scale.apply(r.arrival).map_err(|_| {
                super::validate::field(
                    "workload.rate_scale",
                    super::validate::num(scale_factor(scale)),
                    &format!(
                        "large enough that request {}'s arrival ({} s before scaling) stays within {} s (limits::MAX_ARRIVAL_S)",
                        r.id,
                        super::validate::num(r.arrival.as_secs_f64()),
                        limits::MAX_ARRIVAL_S
                    ),
                )
            })?;
        }
        if let Some((threshold, min, max, rng)) = &mut self.long
            && r.input_tokens > *threshold
        {
            r.input_tokens = rng.uniform_u32_inclusive(*min, *max);
        }
        Ok(r)
    }
}

fn scale_factor(s: &ArrivalScale) -> f64 {
    s.factor()
}

impl Scenario {
    /// Whether a streamed run of this scenario needs a first pass over its trace for the
    /// input lengths ([`InputLengths`]): it has the long-input transform.
    pub fn needs_input_lengths(&self) -> bool {
        self.long_input.is_some()
    }

    /// The transforms a streamed run applies to each request read with
    /// [`Scenario::trace_keep`] (without its request limit), given the kept requests' input
    /// lengths when [`Scenario::needs_input_lengths`].
    ///
    /// # Errors
    /// The lengths are missing when needed; or the scenario models prompt prefixes (shared
    /// prompts, sessions, a trace's own block ids), which need the whole workload at once.
    pub fn stream_transform(
        &self,
        lengths: Option<&InputLengths>,
    ) -> Result<StreamTransform, ScenarioError> {
        if self.prefix.is_some() {
            return Err(super::validate::field(
                "prefix",
                "set",
                "no prefix model in a streamed run (shared prompts, sessions and a trace's block ids are built over the whole workload): run without streaming",
            ));
        }
        let long = match (self.long_input, lengths) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(super::validate::field(
                    "workload.long_input",
                    "set",
                    "the input lengths of the whole workload first (a first pass over the trace)",
                ));
            }
            (Some(li), Some(l)) => Some((
                l.nearest_rank(li.percentile).unwrap_or(0),
                li.min_tokens,
                li.max_tokens,
                SimRng::new(self.seed, crate::rng::streams::LONG_INPUT),
            )),
        };
        Ok(StreamTransform {
            rebase: self.window.map_or(crate::time::SimTime::ZERO, |(a, _)| a),
            scale: (self.rate_scale != 1.0).then(|| ArrivalScale::new(self.rate_scale)),
            long,
            read: 0,
        })
    }

    /// The workload of a synthetic source as a streamed run reads it: generated one request at
    /// a time and passed through [`Scenario::stream_transform`] — the same requests, draw for
    /// draw, as [`Scenario::requests`] builds, without holding them. `lengths` is
    /// [`Scenario::synthetic_input_lengths`].
    ///
    /// # Errors
    /// As [`Scenario::synthetic_input_lengths`]; each request, a scaled arrival past the
    /// limit.
    pub fn synthetic_source(
        &self,
        lengths: Option<&InputLengths>,
    ) -> Result<impl Iterator<Item = Result<Request, ScenarioError>> + 'static, ScenarioError> {
        let stream = self.synthetic_stream()?;
        let mut transform = self.stream_transform(lengths)?;
        Ok(stream.map(move |r| transform.apply(r?)))
    }

    /// What a streamed run of the synthetic source needs first: the generated requests' input
    /// lengths when the long-input transform is on (a first pass over the generator), else
    /// `None`.
    ///
    /// # Errors
    /// The source is not synthetic; or the scenario keeps a window or a request limit (a
    /// synthetic workload is sized by its own request count: set that instead); or the
    /// generator's parameters are out of range.
    pub fn synthetic_input_lengths(&self) -> Result<Option<InputLengths>, ScenarioError> {
        if !self.needs_input_lengths() {
            return Ok(None);
        }
        let mut lengths = InputLengths::default();
        for r in self.synthetic_stream()? {
            lengths.add(r?.input_tokens);
        }
        Ok(Some(lengths))
    }

    /// The synthetic source's requests as generated, before the scenario's transforms.
    fn synthetic_stream(&self) -> Result<crate::workload::SyntheticIter<'static>, ScenarioError> {
        let super::Source::Synthetic(src) = &self.source else {
            return Err(super::validate::field(
                "workload.source",
                "a trace",
                "a synthetic source (a trace is streamed by its reader)",
            ));
        };
        if self.window.is_some() || self.max_requests.is_some() {
            return Err(super::validate::field(
                "workload",
                "a window or max_requests",
                "neither, for a streamed synthetic workload (set the generator's request count instead)",
            ));
        }
        Ok(super::requests::synthetic_spec(src, self.seed)?.into_iter_owned()?)
    }

    /// What a reader of this scenario's trace keeps in a streamed run: [`Scenario::trace_keep`]
    /// with the streamed limit instead of the in-memory one.
    pub fn stream_keep(&self) -> crate::workload::Keep {
        crate::workload::Keep {
            limit: None,
            ..self.trace_keep()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{TraceFormat, TraceReader};

    /// A synthetic workload streamed through the scenario's transforms (rate scale, the
    /// long-input transform) is the one `requests` builds, draw for draw; a window or a request
    /// limit, or a trace source, is refused with its reason.
    #[test]
    fn a_streamed_synthetic_workload_is_the_generated_one() {
        let mut w = Scenario::default_scenario()
            .to_wire()
            .at_scale(64, 20_000, 3.0);
        w.workload.rate_scale = 1.5;
        let s = Scenario::from_wire(&w).unwrap();
        assert!(s.needs_input_lengths());
        let whole = s.requests(None).unwrap();
        let lengths = s.synthetic_input_lengths().unwrap();
        assert_eq!(lengths.as_ref().map(InputLengths::len), Some(20_000));
        let streamed: Vec<Request> = s
            .synthetic_source(lengths.as_ref())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(streamed.len(), 20_000);
        assert_eq!(streamed, whole);
        assert!(
            whole.iter().any(|r| r.input_tokens > 100_000),
            "some turned long"
        );

        let mut windowed = w.clone();
        windowed.workload.max_requests = Some(10);
        let e = Scenario::from_wire(&windowed)
            .unwrap()
            .synthetic_input_lengths()
            .unwrap_err();
        assert!(e.to_string().contains("max_requests"), "{e}");
        let e = Scenario::default_scenario()
            .synthetic_source(None)
            .err()
            .unwrap();
        assert!(e.to_string().contains("synthetic source"), "{e}");
    }

    /// Rate scale, window, truncation and the long-input transform, streamed, build the
    /// requests the whole-trace path builds, draw for draw.
    #[test]
    fn a_streamed_workload_is_the_whole_trace_workload() {
        let mut text = String::from("arrival_s,input_tokens,output_tokens\n");
        for i in 0..3_000u32 {
            let input = 50 + (i * 7_919) % 4_000;
            text.push_str(&format!("{:.3},{input},{}\n", i as f64 * 0.35, 1 + i % 300));
        }
        let mut w = Scenario::default_scenario().to_wire();
        w.workload.source = crate::scenario::wire::SourceWire::File {
            name: "t.csv".into(),
            format: "plain".into(),
        };
        w.workload.rate_scale = 2.5;
        w.workload.window_s = Some((100.0, 900.0));
        w.workload.max_requests = Some(2_000);
        let s = Scenario::from_wire(&w).unwrap();
        let whole = s.requests(Some(&text)).unwrap();
        // First pass: the kept requests' input lengths.
        let mut lengths = InputLengths::default();
        let mut reader = TraceReader::new(TraceFormat::PlainCsv).keeping(s.stream_keep());
        reader.push_text(&text).unwrap();
        for r in reader.drain_kept() {
            lengths.add(r.input_tokens);
        }
        // Second pass: one request at a time.
        let mut t = s.stream_transform(Some(&lengths)).unwrap();
        let mut reader = TraceReader::new(TraceFormat::PlainCsv).keeping(s.stream_keep());
        let mut streamed = Vec::new();
        for line in text.split('\n') {
            reader.push_line(line).unwrap();
            for r in reader.drain_kept().collect::<Vec<_>>() {
                streamed.push(t.apply(r).unwrap());
            }
        }
        assert_eq!(streamed.len(), whole.len());
        if let Some(i) = (0..whole.len()).find(|&i| streamed[i] != whole[i]) {
            panic!(
                "request {i}: streamed {:?}, whole {:?}",
                streamed[i], whole[i]
            );
        }
        assert!(whole.iter().any(|r| r.input_tokens >= 100_000));
        assert!(s.stream_transform(None).is_err());
    }

    #[test]
    fn percentiles_from_counts_match_the_sorted_values() {
        let values = [5u32, 1, 9, 9, 3, 7, 7, 7, 2, 100];
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let mut l = InputLengths::default();
        for v in values {
            l.add(v);
        }
        for p in [0.0, 1.0, 10.0, 33.3, 50.0, 90.0, 95.0, 99.0, 100.0] {
            assert_eq!(
                l.nearest_rank(p),
                crate::stats::nearest_rank(&sorted, p),
                "p{p}"
            );
        }
        assert_eq!(InputLengths::default().nearest_rank(50.0), None);
    }
}
