//! A running hash of everything the engine did, to test determinism directly: two runs of the
//! same scenario must give the same hash, natively and in wasm.

/// FNV-1a (64-bit) over a stream of integers. The algorithm is fixed here, unlike std's
/// hashers, so the value is stable across targets and toolchain versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventLogHash {
    state: u64,
    events: u64,
}

impl Default for EventLogHash {
    fn default() -> Self {
        EventLogHash {
            state: 0xcbf2_9ce4_8422_2325,
            events: 0,
        }
    }
}

impl EventLogHash {
    /// Mixes one record (a tag and up to four integers) into the hash.
    pub fn record(&mut self, tag: u8, values: [u64; 4]) {
        self.events += 1;
        self.mix_byte(tag);
        for v in values {
            for b in v.to_le_bytes() {
                self.mix_byte(b);
            }
        }
    }

    fn mix_byte(&mut self, b: u8) {
        self.state ^= b as u64;
        self.state = self.state.wrapping_mul(0x0000_0100_0000_01b3);
    }

    /// The hash so far.
    pub fn value(&self) -> u64 {
        self.state
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
        let mut a = EventLogHash::default();
        a.record(1, [1, 2, 3, 4]);
        a.record(2, [5, 6, 7, 8]);
        let mut b = EventLogHash::default();
        b.record(2, [5, 6, 7, 8]);
        b.record(1, [1, 2, 3, 4]);
        assert_ne!(a.value(), b.value());
        let mut c = EventLogHash::default();
        c.record(1, [1, 2, 3, 4]);
        c.record(2, [5, 6, 7, 8]);
        assert_eq!(a, c);
        assert_eq!(a.records(), 2);
    }
}
