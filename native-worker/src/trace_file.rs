//! Reading a trace file from disk without holding it whole: lines go one at a time
//! through a buffer to the core's [`TraceReader`], which stops as soon as it has what the
//! scenario keeps (its window, `--max-requests`) and fails at the first row past the most
//! requests a run takes. Large files show a progress bar on a terminal.

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pecsched_core::scenario::stream::StreamTransform;
use pecsched_core::workload::{
    Flow, Keep, Request, TraceError, TraceFormat, TraceRead, TraceReader,
};
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};

/// Files at least this large show a progress bar while read (when stderr is a terminal).
const PROGRESS_FROM_BYTES: u64 = 64 << 20;

/// A trace file and its format.
#[derive(Clone, Debug)]
pub struct TraceFile {
    /// Its path, as given.
    pub path: PathBuf,
    /// Its format (given, or detected from its first non-blank line).
    pub format: TraceFormat,
}

/// Calls `each(line_number, text)` for the lines of `path` (each with its line end) until it
/// returns `false`; a line that is not UTF-8 is an error naming it.
fn for_each_line(
    path: &Path,
    bar: &ProgressBar,
    mut each: impl FnMut(u32, &str) -> Result<bool>,
) -> Result<()> {
    let shown = path.display();
    let file = File::open(path).with_context(|| format!("reading trace {shown}"))?;
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut number = 0u32;
    let mut bytes = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("reading trace {shown}"))?;
        if n == 0 {
            return Ok(());
        }
        number = number.saturating_add(1);
        bytes += n as u64;
        if number.is_multiple_of(1 << 16) {
            bar.set_position(bytes);
        }
        let text = std::str::from_utf8(&buf).map_err(|e| {
            anyhow::anyhow!(
                "line {number} is not UTF-8 text (byte {} of the line is invalid); save the trace as UTF-8",
                e.valid_up_to() + 1
            )
        });
        let text = text.with_context(|| format!("reading trace {shown}"))?;
        if !each(number, text)? {
            return Ok(());
        }
    }
}

/// The format of `path`: `given` when set, else detected from its first non-blank line.
pub fn format_of(path: &Path, given: Option<TraceFormat>) -> Result<TraceFormat> {
    if let Some(f) = given {
        // Still fail early on a missing file, before anything else is done.
        File::open(path).with_context(|| format!("reading trace {}", path.display()))?;
        return Ok(f);
    }
    let mut first: Option<String> = None;
    for_each_line(path, &ProgressBar::hidden(), |_, text| {
        let blank = text.trim().trim_start_matches('\u{feff}').trim().is_empty();
        if !blank {
            first = Some(text.to_string());
        }
        Ok(blank)
    })?;
    let Some(first) = first else {
        bail!(
            "reading trace {}: the trace is empty: it has no non-blank line",
            path.display()
        );
    };
    TraceFormat::detect(&first).with_context(|| {
        format!(
            "cannot tell the format of {} from its first line; pass --format",
            path.display()
        )
    })
}

/// Reads `trace`, keeping what `keep` says; a progress bar on stderr for a large file unless
/// `quiet` or stderr is not a terminal.
pub fn read(trace: &TraceFile, keep: Keep, quiet: bool) -> Result<TraceRead> {
    let size = std::fs::metadata(&trace.path).map_or(0, |m| m.len());
    let bar = if quiet || size < PROGRESS_FROM_BYTES || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "reading trace [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )?
            .progress_chars("=> "),
        );
        bar
    };
    let mut reader = TraceReader::new(trace.format).keeping(keep);
    let path = trace.path.display();
    // The row errors name their line already; past the limit, also say which flags help.
    let hint = |e: TraceError| match e {
        TraceError::TooMany { .. } => anyhow::Error::from(e).context(format!(
            "reading trace {path}: --max-requests N or --window START:END read a part of it"
        )),
        e => anyhow::Error::from(e),
    };
    for_each_line(&trace.path, &bar, |_, text| {
        Ok(reader.push_line(text).map_err(hint)? == Flow::More)
    })?;
    bar.finish_and_clear();
    reader.finish().map_err(hint)
}

/// A trace file read one request at a time for a streamed run: lines go through the core's
/// [`TraceReader`] (keeping the scenario's window and request limit) and each kept request
/// through the scenario's [`StreamTransform`] as the engine asks for it; nothing but the
/// current line is held. Errors come out as items, naming the file and line.
pub struct TraceStream {
    path: PathBuf,
    input: BufReader<File>,
    buf: Vec<u8>,
    line: u32,
    reader: TraceReader,
    transform: Option<StreamTransform>,
    pending: std::collections::VecDeque<Request>,
    done: bool,
    /// BurstGPT rows with no response (failed requests) skipped so far, shared with the caller.
    pub failed_skipped: std::rc::Rc<std::cell::Cell<u32>>,
}

impl TraceStream {
    /// Opens `trace` to read what `keep` keeps, each request through `transform` (`None`: as
    /// read, for a first pass).
    pub fn open(trace: &TraceFile, keep: Keep, transform: Option<StreamTransform>) -> Result<Self> {
        let file = File::open(&trace.path)
            .with_context(|| format!("reading trace {}", trace.path.display()))?;
        Ok(TraceStream {
            path: trace.path.clone(),
            input: BufReader::with_capacity(1 << 20, file),
            buf: Vec::new(),
            line: 0,
            reader: TraceReader::new(trace.format).keeping(keep),
            transform,
            pending: Default::default(),
            done: false,
            failed_skipped: Default::default(),
        })
    }

    fn fail(&mut self, why: String) -> Option<std::result::Result<Request, String>> {
        self.done = true;
        self.pending.clear();
        Some(Err(format!("trace {}: {why}", self.path.display())))
    }
}

impl Iterator for TraceStream {
    type Item = std::result::Result<Request, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return match self.transform.as_mut().map(|t| t.apply(r)) {
                    None => Some(Ok(r)),
                    Some(Ok(r)) => Some(Ok(r)),
                    Some(Err(e)) => self.fail(e.to_string()),
                };
            }
            if self.done {
                return None;
            }
            self.buf.clear();
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    continue;
                }
                Ok(_) => {}
                Err(e) => return self.fail(e.to_string()),
            }
            self.line = self.line.saturating_add(1);
            let text = match std::str::from_utf8(&self.buf) {
                Ok(t) => t,
                Err(e) => {
                    let why = format!(
                        "line {} is not UTF-8 text (byte {} of the line is invalid); save the trace as UTF-8",
                        self.line,
                        e.valid_up_to() + 1
                    );
                    return self.fail(why);
                }
            };
            match self.reader.push_line(text) {
                Ok(flow) => {
                    self.done = flow == Flow::Done;
                    self.pending.extend(self.reader.drain_kept());
                    self.failed_skipped.set(self.reader.failed_skipped());
                }
                Err(e) => return self.fail(e.to_string()),
            }
        }
    }
}
