//! A running hash of everything the engine did, to test determinism directly: two runs of the
//! same scenario must give the same hash, natively and in wasm.

use crate::hash::Fnv1a64;

/// What an event-log record says happened. The discriminants are mixed into the hash: they are
/// fixed, so that the golden event-log hashes stay valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LogTag {
    /// A request arrived: `[time, request, 0, 0]`.
    Arrival = 1,
    /// A short request was sent to a replica: `[time, request, replica, 0]`.
    ShortDispatched = 2,
    /// A long request was given a group: `[time, request, group size, first replica]`.
    LongDispatched = 3,
    /// A handed-over KV arrived at its decode replica: `[time, request, replica, 0]`.
    KvArrived = 4,
    /// A replica's iteration (or decode run) ended: `[time, replica, steps, prefill chunks]`.
    IterationEnd = 5,
    /// A short request completed: `[time, request, replica, 0]`.
    ShortCompleted = 6,
    /// A long prefill started: `[time, request, job, SP plan code]`.
    LongPrefillStart = 7,
    /// A paused long prefill resumed: `[time, job, prefill work done (ns), 0]`.
    LongPrefillResume = 8,
    /// A long prefill finished (first token): `[time, request, 0, 0]`.
    LongFirstToken = 9,
    /// A long prefill or decode was paused: `[time, request, prefill work done (ns), 0]`.
    LongPaused = 10,
    /// A long request completed: `[time, request, job, 0]`.
    LongCompleted = 11,
    /// A long job started moving to its decode group: `[time, request, new group size, first
    /// new member]`.
    LongMoved = 12,
}

/// FNV-1a (64-bit, [`crate::hash`]) over a stream of records: unlike std's hashers, the value
/// is stable across targets and toolchain versions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventLogHash {
    hash: Fnv1a64,
    events: u64,
}

impl EventLogHash {
    /// Mixes one record (a tag and up to four integers) into the hash.
    pub fn record(&mut self, tag: LogTag, values: [u64; 4]) {
        self.events += 1;
        self.hash.write_u8(tag as u8);
        for v in values {
            self.hash.write(&v.to_le_bytes());
        }
    }

    /// The hash so far.
    pub fn value(&self) -> u64 {
        self.hash.finish()
    }

    /// Number of records mixed in.
    pub fn records(&self) -> u64 {
        self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_content_change_the_hash() {
        use LogTag::{Arrival, ShortDispatched};
        let mut a = EventLogHash::default();
        a.record(Arrival, [1, 2, 3, 4]);
        a.record(ShortDispatched, [5, 6, 7, 8]);
        let mut b = EventLogHash::default();
        b.record(ShortDispatched, [5, 6, 7, 8]);
        b.record(Arrival, [1, 2, 3, 4]);
        assert_ne!(a.value(), b.value());
        let mut c = EventLogHash::default();
        c.record(Arrival, [1, 2, 3, 4]);
        c.record(ShortDispatched, [5, 6, 7, 8]);
        assert_eq!(a, c);
        assert_eq!(a.records(), 2);
    }

    #[test]
    fn tags_keep_the_values_the_golden_hashes_were_made_with() {
        use LogTag::*;
        let tags = [
            Arrival,
            ShortDispatched,
            LongDispatched,
            KvArrived,
            IterationEnd,
            ShortCompleted,
            LongPrefillStart,
            LongPrefillResume,
            LongFirstToken,
            LongPaused,
            LongCompleted,
            LongMoved,
        ];
        assert_eq!(
            tags.map(|t| t as u8),
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        );
    }
}
