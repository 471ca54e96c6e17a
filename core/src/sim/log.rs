//! A running hash of everything the engine did, to test determinism directly: two runs of the
//! same scenario must give the same hash, natively and in wasm.

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

/// A word-wise multiply-rotate hash over a stream of records (five 64-bit words each: the tag
/// and four values), finished by a 64-bit avalanche. Integer-only, so the value is the same on
/// every target and toolchain; a record costs five multiplies (byte-wise FNV-1a, used before,
/// cost 33 dependent ones). It fingerprints the event sequence for determinism tests, nothing
/// adversarial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventLogHash {
    state: u64,
    events: u64,
}

impl Default for EventLogHash {
    fn default() -> EventLogHash {
        EventLogHash {
            state: SEED,
            events: 0,
        }
    }
}

/// The starting state (FNV-1a's 64-bit offset basis).
const SEED: u64 = 0xcbf2_9ce4_8422_2325;
/// An odd constant with well-spread bits (2⁶⁴ / φ, rounded to odd, as FxHash uses).
const MUL: u64 = 0x517c_c1b7_2722_0a95;

impl EventLogHash {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(MUL);
    }

    /// Mixes one record (a tag and up to four integers) into the hash.
    #[inline]
    pub fn record(&mut self, tag: LogTag, values: [u64; 4]) {
        self.events += 1;
        self.mix(tag as u64);
        for v in values {
            self.mix(v);
        }
    }

    /// The hash so far (the state after MurmurHash3's 64-bit finaliser, so that every input
    /// bit reaches every output bit).
    pub fn value(&self) -> u64 {
        let mut h = self.state ^ self.events;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
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
        // A change in any bit of any value, or of the tag, changes the hash.
        for word in 0..4 {
            for bit in [0, 17, 63] {
                let mut v = [5, 6, 7, 8];
                v[word] ^= 1 << bit;
                let mut d = EventLogHash::default();
                d.record(Arrival, [1, 2, 3, 4]);
                d.record(ShortDispatched, v);
                assert_ne!(a.value(), d.value(), "word {word} bit {bit}");
            }
        }
        let mut e = EventLogHash::default();
        e.record(Arrival, [1, 2, 3, 4]);
        e.record(LogTag::LongDispatched, [5, 6, 7, 8]);
        assert_ne!(a.value(), e.value());
        // The value is pinned: the same on every target (cross_target checks whole runs').
        assert_eq!(a.value(), 0x19f6_db02_6a3f_5de9);
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
