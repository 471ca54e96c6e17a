//! Reading a trace line by line: the caller hands over one line at a time (the
//! command line reads a file through a buffer, never holding it whole), and the reader can stop
//! as soon as it has what the scenario keeps — the end of its time window, its request limit —
//! or fail at the first row past [`limits::MAX_REQUESTS`](crate::limits::MAX_REQUESTS)
//! instead of after reading everything.
//!
//! The `&str` parsers ([`parse_azure_csv`](super::parse_azure_csv) and the others) are thin
//! wrappers over this reader, so every format has one code path whichever way it is read.

use super::error::TraceError;
use super::format::TraceFormat;
use super::rows::{Clock, CsvHeader, Line, Timed};
use super::{BlockTable, PrefixGroup, Request};
use super::{azure, burstgpt, mooncake, plain};
use crate::time::SimTime;

/// What a reader keeps of a trace, so that it can stop early. Arrivals are relative to the
/// trace's first request, as in [`Scenario::window`](crate::scenario::Scenario::window).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Keep {
    /// Keep only arrivals in `[start, end)`; stop reading at the first row at or after `end`
    /// (rows are sorted by time).
    pub window: Option<(SimTime, SimTime)>,
    /// Stop after this many kept requests.
    pub max_requests: Option<u32>,
    /// Fail with [`TraceError::TooMany`] if more than this many requests would be kept.
    pub limit: Option<u32>,
}

/// Whether to go on reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Give the next line.
    More,
    /// The reader has everything it keeps: stop reading (further lines are ignored).
    Done,
}

/// The result of [`TraceReader::finish`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRead {
    /// The kept requests, ids `0..n` in file order, arrivals relative to the first request of
    /// the trace (not of the window).
    pub requests: Vec<Request>,
    /// BurstGPT rows with `Response tokens` = 0 (failed requests), skipped (0 for the other
    /// formats).
    pub failed_skipped: u32,
    /// Lines handed to the reader (blank ones included).
    pub lines: u32,
    /// The line at which the reader stopped early because it had what it keeps, if it did.
    pub stopped_at_line: Option<u32>,
    /// The kept requests' own prefix block ids (Mooncake `hash_ids`; empty for the other
    /// formats): a request with ids has its index here as its [`Request::prefix`].
    pub blocks: BlockTable,
}

/// A trace reader fed one line at a time: [`TraceReader::push_line`], then
/// [`TraceReader::finish`].
#[derive(Clone, Debug)]
pub struct TraceReader {
    format: TraceFormat,
    keep: Keep,
    /// Lines pushed so far (the next line's number is this + 1).
    line: u32,
    header: Option<CsvHeader>,
    clock: Clock,
    requests: Vec<Request>,
    /// Requests kept so far (those drained included).
    kept: u64,
    failed_skipped: u32,
    stopped_at_line: Option<u32>,
    blocks: BlockTable,
    /// The current row's block ids.
    hash_ids: Vec<u64>,
}

impl TraceReader {
    /// A reader of `format` that keeps every request.
    pub fn new(format: TraceFormat) -> TraceReader {
        let input_column = match format {
            TraceFormat::AzureCsv => super::format::AZURE_COLUMNS[1],
            TraceFormat::MooncakeJsonl => mooncake::INPUT,
            TraceFormat::BurstGptCsv => super::format::BURSTGPT_COLUMNS[1],
            TraceFormat::PlainCsv => super::format::PLAIN_COLUMNS[1],
        };
        TraceReader {
            format,
            keep: Keep::default(),
            line: 0,
            header: None,
            clock: Clock::new(format, input_column),
            requests: Vec::new(),
            kept: 0,
            failed_skipped: 0,
            stopped_at_line: None,
            blocks: BlockTable::default(),
            hash_ids: Vec::new(),
        }
    }

    /// This reader, keeping only what `keep` says.
    pub fn keeping(mut self, keep: Keep) -> TraceReader {
        self.keep = keep;
        self
    }

    /// The format being read.
    pub fn format(&self) -> TraceFormat {
        self.format
    }

    /// Requests kept so far (those drained included).
    pub fn kept(&self) -> usize {
        self.kept as usize
    }

    /// BurstGPT rows with `Response tokens` = 0 (failed requests) skipped so far.
    pub fn failed_skipped(&self) -> u32 {
        self.failed_skipped
    }

    /// Takes the requests kept since the last call: a caller that streams them (a streamed
    /// run reads a trace too large to hold) drains after each line, so the reader holds at
    /// most one. [`TraceReader::finish`] returns only those not drained.
    pub fn drain_kept(&mut self) -> std::vec::Drain<'_, Request> {
        self.requests.drain(..)
    }

    /// Reads the next line of the trace (with or without its `\n` or `\r\n`; the first line
    /// may start with a UTF-8 byte order mark). Lines are numbered as an editor numbers them,
    /// blank ones included. After [`Flow::Done`] further lines are ignored.
    pub fn push_line(&mut self, raw: &str) -> Result<Flow, TraceError> {
        if self.stopped_at_line.is_some() {
            return Ok(Flow::Done);
        }
        self.line = self.line.saturating_add(1);
        let mut text = raw.strip_suffix('\n').unwrap_or(raw);
        text = text.strip_suffix('\r').unwrap_or(text);
        if self.line == 1 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        if text.trim().is_empty() {
            return Ok(Flow::More);
        }
        let line = Line {
            number: self.line,
            text,
        };
        let format = self.format;
        let row = match format {
            TraceFormat::MooncakeJsonl => mooncake::row(&mut self.clock, line, &mut self.hash_ids)?,
            _ => {
                let Some(header) = &self.header else {
                    self.header = Some(CsvHeader::parse(format, format.required_columns(), line)?);
                    return Ok(Flow::More);
                };
                let (mut all, mut f) = (Vec::new(), Vec::new());
                header.pick(format, line, &mut all, &mut f)?;
                match format {
                    TraceFormat::AzureCsv => azure::row(&mut self.clock, line.number, &f)?,
                    TraceFormat::BurstGptCsv => burstgpt::row(&mut self.clock, line.number, &f)?,
                    _ => plain::row(&mut self.clock, line.number, &f)?,
                }
            }
        };
        match row {
            Some(t) => self.keep_row(t),
            None => {
                self.failed_skipped = self.failed_skipped.saturating_add(1);
                Ok(Flow::More)
            }
        }
    }

    fn keep_row(&mut self, t: Timed) -> Result<Flow, TraceError> {
        if let Some((start, end)) = self.keep.window {
            if t.arrival >= end {
                self.stopped_at_line = Some(self.line);
                return Ok(Flow::Done);
            }
            if t.arrival < start {
                return Ok(Flow::More);
            }
        }
        let n = self.kept;
        if let Some(limit) = self.keep.limit
            && n >= limit as u64
        {
            return Err(TraceError::TooMany {
                format: self.format,
                line: self.line,
                max: limit,
            });
        }
        self.requests.push(Request {
            // Below `limit`, or below 2^32 rows: a u32 holds it (checked here for readers
            // without a limit).
            id: u32::try_from(n).map_err(|_| TraceError::TooMany {
                format: self.format,
                line: self.line,
                max: u32::MAX,
            })?,
            arrival: t.arrival,
            input_tokens: t.input_tokens,
            output_tokens: t.output_tokens,
            prefix: if self.hash_ids.is_empty() {
                PrefixGroup::NONE
            } else {
                self.blocks.push(&self.hash_ids)
            },
        });
        self.kept += 1;
        if self
            .keep
            .max_requests
            .is_some_and(|m| self.kept >= m as u64)
        {
            self.stopped_at_line = Some(self.line);
            return Ok(Flow::Done);
        }
        Ok(Flow::More)
    }

    /// Reads every line of `text` (stopping early as [`Keep`] says).
    pub fn push_text(&mut self, text: &str) -> Result<Flow, TraceError> {
        for raw in text.split('\n') {
            if self.push_line(raw)? == Flow::Done {
                return Ok(Flow::Done);
            }
        }
        Ok(Flow::More)
    }

    /// The requests read, or [`TraceError::Empty`] if the trace held none (empty, blank, a
    /// header only, or only failed BurstGPT rows). A window that keeps none of a non-empty
    /// trace is not an error here: the scenario reports it.
    pub fn finish(self) -> Result<TraceRead, TraceError> {
        let read_any = self.clock_started();
        if self.requests.is_empty() && !read_any {
            return Err(TraceError::Empty {
                format: self.format,
            });
        }
        Ok(TraceRead {
            requests: self.requests,
            failed_skipped: self.failed_skipped,
            lines: self.line,
            stopped_at_line: self.stopped_at_line,
            blocks: self.blocks,
        })
    }

    /// Whether any request row was read (kept or not).
    fn clock_started(&self) -> bool {
        self.clock.started()
    }

    /// Reads all of `text` and returns its requests (the `&str` parsers).
    pub fn read_str(mut self, text: &str) -> Result<Vec<Request>, TraceError> {
        self.push_text(text)?;
        self.finish().map(|r| r.requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "arrival_s,input_tokens,output_tokens\n0,1,1\n1,2,2\n2,3,3\n3,4,4\n4,5,5\n";

    fn read(keep: Keep, text: &str) -> Result<TraceRead, TraceError> {
        let mut r = TraceReader::new(TraceFormat::PlainCsv).keeping(keep);
        r.push_text(text)?;
        r.finish()
    }

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn lines_may_come_one_at_a_time_with_their_line_ends() {
        let mut r = TraceReader::new(TraceFormat::PlainCsv);
        for l in [
            "\u{feff}arrival_s,input_tokens,output_tokens\r\n",
            "\n",
            "0,7,1\r\n",
            "2.5,8,0",
        ] {
            assert_eq!(r.push_line(l).unwrap(), Flow::More);
        }
        let read = r.finish().unwrap();
        assert_eq!(read.lines, 4);
        let got: Vec<_> = read
            .requests
            .iter()
            .map(|q| (q.id, q.arrival, q.input_tokens, q.output_tokens))
            .collect();
        assert_eq!(got, [(0, secs(0), 7, 1), (1, SimTime(2_500_000_000), 8, 1)]);
        let mut r = TraceReader::new(TraceFormat::PlainCsv);
        r.push_line("arrival_s,input_tokens,output_tokens").unwrap();
        r.push_line("").unwrap();
        let e = r.push_line("1x,1,1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "plain csv line 3, column arrival_s: \"1x\" is not a non-negative number of seconds (not a plain decimal number)"
        );
    }

    #[test]
    fn a_request_limit_stops_reading_at_the_nth_request() {
        let garbage_after = format!("{TRACE}not,a,row\n");
        let keep = Keep {
            max_requests: Some(2),
            ..Keep::default()
        };
        let read = read(keep, &garbage_after).unwrap();
        assert_eq!(read.requests.len(), 2);
        assert_eq!(
            read.stopped_at_line,
            Some(3),
            "line 3 holds the 2nd request"
        );
    }

    #[test]
    fn a_window_keeps_its_rows_and_stops_at_its_end() {
        let keep = Keep {
            window: Some((secs(1), secs(3))),
            ..Keep::default()
        };
        let read = read(keep, &format!("{TRACE}not,a,row\n")).unwrap();
        let arrivals: Vec<_> = read.requests.iter().map(|q| q.arrival).collect();
        assert_eq!(
            arrivals,
            [secs(1), secs(2)],
            "relative to the trace's first row"
        );
        assert_eq!(read.stopped_at_line, Some(5));
        // A window that keeps nothing is no error here (the scenario reports it).
        let late = Keep {
            window: Some((secs(100), secs(200))),
            ..Keep::default()
        };
        assert!(self::read(late, TRACE).unwrap().requests.is_empty());
    }

    #[test]
    fn the_request_limit_fails_at_the_first_row_past_it() {
        let keep = Keep {
            limit: Some(3),
            ..Keep::default()
        };
        let e = read(keep, &format!("{TRACE}never,read,row\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "plain csv line 5: the trace has more than 3 requests, the most one run takes; read a part of it (a time window or a request limit)"
        );
        // A request limit within it reads the first rows only.
        let keep = Keep {
            limit: Some(3),
            max_requests: Some(3),
            ..Keep::default()
        };
        assert_eq!(read(keep, TRACE).unwrap().requests.len(), 3);
    }
}
