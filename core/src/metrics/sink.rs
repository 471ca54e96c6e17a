//! Where per-request records go once a run is over: a [`RecordSink`] takes them one at a time,
//! so a shell can stream them to disk (the CLI's `--requests-csv`) and drop each as it is
//! written instead of holding every policy's records until the end. The core does no I/O: a
//! sink that writes lives in the shell. The default, [`Vec`], keeps them in memory.

use super::RequestRecord;

/// A consumer of per-request records, in request-id order.
pub trait RecordSink {
    /// Takes the next record.
    fn push(&mut self, record: RequestRecord);
}

/// Keeps every record (today's in-memory behaviour).
impl RecordSink for Vec<RequestRecord> {
    fn push(&mut self, record: RequestRecord) {
        Vec::push(self, record);
    }
}

/// Hands every record to both sinks, the first first (e.g. a spool for the summary and a
/// CSV writer).
impl<A: RecordSink, B: RecordSink> RecordSink for (A, B) {
    fn push(&mut self, record: RequestRecord) {
        self.0.push(record);
        self.1.push(record);
    }
}

/// A sink that may be absent (`None` drops every record).
impl<S: RecordSink> RecordSink for Option<S> {
    fn push(&mut self, record: RequestRecord) {
        if let Some(s) = self {
            s.push(record);
        }
    }
}

/// Drops every record: for runs where only the summary is wanted.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiscardRecords;

impl RecordSink for DiscardRecords {
    fn push(&mut self, _record: RequestRecord) {}
}
