//! Per-request records spooled to disk as a streamed run hands them on: a fixed-size binary
//! row per record in an anonymous temporary file (removed by the OS when closed, even if the
//! process dies), read back in order for the run's summary. A run of tens of millions of
//! requests then holds none of its records in memory. Every field is kept exactly.

use anyhow::{Context, Result};
use pecsched_core::metrics::{Class, RecordSink, Records, Rejection, RequestRecord};
use pecsched_core::time::SimTime;
use std::cell::RefCell;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Bytes per spooled record.
const ROW: usize = 73;
/// I/O buffer size.
const BUF: usize = 1 << 20;

/// A [`RecordSink`] writing each record to a temporary file; [`RecordSpool::finish`] gives
/// the records back as [`Records`].
pub struct RecordSpool {
    out: Option<BufWriter<File>>,
    written: u64,
    /// The first write error (a full disk): reported by [`RecordSpool::finish`].
    error: Option<std::io::Error>,
}

impl RecordSpool {
    /// A spool in the system's temporary directory.
    pub fn new() -> Result<RecordSpool> {
        let dir = std::env::temp_dir();
        let file = tempfile::tempfile_in(&dir).with_context(|| {
            format!(
                "creating a temporary file in {} to spool request records (set TMPDIR to another directory)",
                dir.display()
            )
        })?;
        Ok(RecordSpool {
            out: Some(BufWriter::with_capacity(BUF, file)),
            written: 0,
            error: None,
        })
    }

    /// Flushes the spool and opens it for reading; the first write error, if any.
    pub fn finish(mut self) -> Result<SpooledRecords> {
        let dir = std::env::temp_dir();
        let what = || {
            format!(
                "spooling request records to a temporary file in {} (set TMPDIR to a directory with more room)",
                dir.display()
            )
        };
        if let Some(e) = self.error.take() {
            return Err(e).with_context(what);
        }
        let out = self.out.take().expect("a spool is finished once");
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(what)?;
        Ok(SpooledRecords {
            file,
            count: self.written,
            error: RefCell::new(None),
        })
    }
}

impl RecordSink for RecordSpool {
    fn push(&mut self, r: RequestRecord) {
        if self.error.is_some() {
            return;
        }
        let Some(out) = self.out.as_mut() else {
            return;
        };
        match out.write_all(&encode(&r)) {
            Ok(()) => self.written += 1,
            Err(e) => self.error = Some(e),
        }
    }
}

/// The spooled records, read back in the order they were written.
pub struct SpooledRecords {
    file: File,
    count: u64,
    /// The first read error of a pass (checked by [`SpooledRecords::check`]).
    error: RefCell<Option<std::io::Error>>,
}

impl SpooledRecords {
    /// Fails with the first read error any pass met (a pass that met one ended early).
    pub fn check(&self) -> Result<()> {
        match self.error.borrow_mut().take() {
            Some(e) => Err(e).context("reading spooled request records back"),
            None => Ok(()),
        }
    }

    fn fail(&self, e: std::io::Error) {
        self.error.borrow_mut().get_or_insert(e);
    }
}

impl Records for SpooledRecords {
    fn each(&self) -> Box<dyn Iterator<Item = RequestRecord> + '_> {
        let reader = self
            .file
            .try_clone()
            .and_then(|mut f| f.seek(SeekFrom::Start(0)).map(|_| f));
        let mut reader = match reader {
            Ok(f) => BufReader::with_capacity(BUF, f),
            Err(e) => {
                self.fail(e);
                return Box::new(std::iter::empty());
            }
        };
        let mut left = self.count;
        Box::new(std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            let mut row = [0u8; ROW];
            match reader.read_exact(&mut row) {
                Ok(()) => {
                    left -= 1;
                    Some(decode(&row))
                }
                Err(e) => {
                    self.fail(e);
                    left = 0;
                    None
                }
            }
        }))
    }
}

/// The row of `r`: six u32 (id, lengths, preemptions, replicas, cached tokens), the arrival
/// and four optional instants as u64, a flag byte, and the rejection's two u32.
fn encode(r: &RequestRecord) -> [u8; ROW] {
    let mut b = [0u8; ROW];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        b[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    for v in [
        r.id,
        r.input_tokens,
        r.output_tokens,
        r.preemptions,
        r.replicas,
        r.cached_tokens,
    ] {
        put(&v.to_le_bytes());
    }
    put(&r.arrival.0.to_le_bytes());
    let times = [r.dispatched, r.prefill_start, r.first_token, r.completion];
    let mut flags = u8::from(r.class == Class::Long);
    for (i, t) in times.iter().enumerate() {
        put(&t.map_or(0, |t| t.0).to_le_bytes());
        flags |= u8::from(t.is_some()) << (1 + i);
    }
    flags |= u8::from(r.rejected) << 5;
    let why = r.rejected_reason;
    flags |= u8::from(why.is_some()) << 6;
    flags |= u8::from(why.is_some_and(|w| w.reserved_pool)) << 7;
    put(&[flags]);
    put(&why.map_or(0, |w| w.needs_replicas).to_le_bytes());
    put(&why.map_or(0, |w| w.prefill_replicas).to_le_bytes());
    debug_assert_eq!(at, ROW);
    b
}

fn decode(b: &[u8; ROW]) -> RequestRecord {
    let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let flags = b[64];
    let time = |i: usize| (flags & (1 << (1 + i)) != 0).then(|| SimTime(u64_at(32 + 8 * i)));
    let why = (flags & (1 << 6) != 0).then(|| Rejection {
        needs_replicas: u32_at(65),
        prefill_replicas: u32_at(69),
        reserved_pool: flags & (1 << 7) != 0,
    });
    let mut r = RequestRecord::new(
        u32_at(0),
        if flags & 1 != 0 {
            Class::Long
        } else {
            Class::Short
        },
        u32_at(4),
        u32_at(8),
        SimTime(u64_at(24)),
    );
    r.preemptions = u32_at(12);
    r.replicas = u32_at(16);
    r.cached_tokens = u32_at(20);
    r.dispatched = time(0);
    r.prefill_start = time(1);
    r.first_token = time(2);
    r.completion = time(3);
    r.rejected = flags & (1 << 5) != 0;
    r.rejected_reason = why;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field comes back as written, through the file, for every pass.
    #[test]
    fn records_come_back_exactly_in_order() {
        let mut a = RequestRecord::new(7, Class::Long, 300_000, 512, SimTime(123_456_789));
        a.dispatched = Some(SimTime(123_456_790));
        a.prefill_start = Some(SimTime(u64::MAX));
        a.first_token = Some(SimTime(0));
        a.preemptions = 3;
        a.replicas = 16;
        a.cached_tokens = 4096;
        let mut b = RequestRecord::new(8, Class::Short, 10, 1, SimTime(5));
        b.rejected = true;
        b.rejected_reason = Some(Rejection {
            needs_replicas: 40,
            prefill_replicas: 32,
            reserved_pool: true,
        });
        let mut spool = RecordSpool::new().unwrap();
        spool.push(a);
        spool.push(b);
        assert_eq!(spool.written, 2);
        let back = spool.finish().unwrap();
        for _ in 0..2 {
            let got: Vec<_> = back.each().collect();
            assert_eq!(got, vec![a, b]);
        }
        back.check().unwrap();
        assert_eq!(back.count, 2);
    }
}
