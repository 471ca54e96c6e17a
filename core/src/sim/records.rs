//! The engine's per-request records, compact: a run of the Azure 2024 conversation week holds
//! 27.3 M of them for its whole length, and a full [`RequestRecord`] is 112 bytes (3.06 GB).
//! The store keeps only what the request itself (its [`Request`], held anyway) and its class do
//! not: the four instants as 48-bit nanosecond offsets from the arrival (24 bytes; an offset
//! of 78 hours or more, or before the arrival, goes to a side map), and the rare fields
//! (preemptions, cached tokens, a group's replica count, a rejection) in ordered side maps.
//! Every value is kept exactly: a record read back is the one the engine wrote.

use super::window::IdWindow;
use crate::metrics::{Class, Records, Rejection, RequestRecord};
use crate::time::SimTime;
use crate::workload::Request;
use std::collections::BTreeMap;

/// One of a request's recorded instants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stamp {
    /// Sent to a replica or group.
    Dispatched = 0,
    /// First prefill work executed.
    PrefillStart = 1,
    /// First output token.
    FirstToken = 2,
    /// Last output token.
    Completion = 3,
}

/// Bytes per offset.
const WIDTH: usize = 6;
/// The offset meaning "not yet".
const UNSET: u64 = (1 << 48) - 1;
/// The offset meaning "in the side map".
const FAR: u64 = (1 << 48) - 2;

/// Per-request records of a run, compact (see the module doc).
#[derive(Clone, Debug, Default)]
pub(crate) struct RecordStore {
    times: IdWindow<[u8; 4 * WIDTH]>,
    far: BTreeMap<(u32, Stamp), SimTime>,
    /// Replicas that served a dispatched request's prefill, where not 1.
    replicas: BTreeMap<u32, u32>,
    preemptions: BTreeMap<u32, u32>,
    cached: BTreeMap<u32, u32>,
    rejected: BTreeMap<u32, Rejection>,
}

impl RecordStore {
    /// Fresh records for `n` requests: nothing happened yet.
    #[cfg(test)]
    pub fn new(n: usize) -> Self {
        let mut s = RecordStore::with_capacity(n);
        for _ in 0..n {
            s.push_blank();
        }
        s
    }

    /// No record yet, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        RecordStore {
            times: IdWindow::with_capacity(n),
            ..RecordStore::default()
        }
    }

    /// Adds the record of the next request id: nothing happened yet.
    pub fn push_blank(&mut self) {
        const BLANK: [u8; 4 * WIDTH] = {
            let unset = UNSET.to_le_bytes();
            let mut b = [0u8; 4 * WIDTH];
            let mut i = 0;
            while i < 4 * WIDTH {
                b[i] = unset[i % WIDTH];
                i += 1;
            }
            b
        };
        self.times.push(BLANK);
    }

    /// Drops the record of request `id`, the first held (a streamed run hands it on first).
    pub fn evict_first(&mut self, id: u32) {
        debug_assert_eq!(id, self.times.first());
        self.times.evict_first();
        while self.far.first_key_value().is_some_and(|(k, _)| k.0 <= id) {
            self.far.pop_first();
        }
        for m in [&mut self.replicas, &mut self.preemptions, &mut self.cached] {
            while m.first_key_value().is_some_and(|(&k, _)| k <= id) {
                m.pop_first();
            }
        }
        while self
            .rejected
            .first_key_value()
            .is_some_and(|(&k, _)| k <= id)
        {
            self.rejected.pop_first();
        }
    }

    /// Instant `s` of request `id` that arrived at `arrival`, if recorded.
    pub fn time(&self, id: u32, s: Stamp, arrival: SimTime) -> Option<SimTime> {
        let at = s as usize * WIDTH;
        let mut b = [0u8; 8];
        b[..WIDTH].copy_from_slice(&self.times[id as usize][at..at + WIDTH]);
        match u64::from_le_bytes(b) {
            UNSET => None,
            FAR => self.far.get(&(id, s)).copied(),
            d => Some(SimTime(arrival.0 + d)),
        }
    }

    /// Records instant `s` of request `id` (arrived at `arrival`) as `t`.
    pub fn set_time(&mut self, id: u32, s: Stamp, arrival: SimTime, t: SimTime) {
        let d = match t.0.checked_sub(arrival.0) {
            Some(d) if d < FAR => d,
            _ => {
                self.far.insert((id, s), t);
                FAR
            }
        };
        let at = s as usize * WIDTH;
        self.times[id as usize][at..at + WIDTH].copy_from_slice(&d.to_le_bytes()[..WIDTH]);
    }

    /// Sets the replicas that serve request `id`'s prefill (recorded with its dispatch).
    pub fn set_replicas(&mut self, id: u32, k: u32) {
        if k == 1 {
            self.replicas.remove(&id);
        } else {
            self.replicas.insert(id, k);
        }
    }

    /// Counts one more preemption of request `id`.
    pub fn preempted(&mut self, id: u32) {
        *self.preemptions.entry(id).or_insert(0) += 1;
    }

    /// Sets the prompt tokens request `id` found cached.
    pub fn set_cached(&mut self, id: u32, tokens: u32) {
        if tokens == 0 {
            self.cached.remove(&id);
        } else {
            self.cached.insert(id, tokens);
        }
    }

    /// Marks request `id` as never servable, for `why`.
    pub fn reject(&mut self, id: u32, why: Rejection) {
        self.rejected.insert(id, why);
    }

    /// Whether request `id` was rejected.
    pub fn rejected(&self, id: u32) -> bool {
        self.rejected.contains_key(&id)
    }

    /// The full record of request `r` (of `class`).
    pub fn get(&self, r: &Request, class: Class) -> RequestRecord {
        let id = r.id;
        let t = |s| self.time(id, s, r.arrival);
        let dispatched = t(Stamp::Dispatched);
        let reason = self.rejected.get(&id).copied();
        RequestRecord {
            id,
            class,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            arrival: r.arrival,
            dispatched,
            prefill_start: t(Stamp::PrefillStart),
            first_token: t(Stamp::FirstToken),
            completion: t(Stamp::Completion),
            preemptions: self.preemptions.get(&id).copied().unwrap_or(0),
            replicas: match dispatched {
                None => 0,
                Some(_) => self.replicas.get(&id).copied().unwrap_or(1),
            },
            rejected: reason.is_some(),
            rejected_reason: reason,
            cached_tokens: self.cached.get(&id).copied().unwrap_or(0),
        }
    }
}

/// A run's records as [`Records`]: the store with the requests and classes it completes.
#[derive(Debug)]
pub(crate) struct StoreView<'a> {
    /// The compact records.
    pub store: &'a RecordStore,
    /// The run's requests.
    pub reqs: &'a [Request],
    /// Their classes.
    pub classes: &'a [Class],
}

impl Records for StoreView<'_> {
    fn each(&self) -> Box<dyn Iterator<Item = RequestRecord> + '_> {
        Box::new(
            self.reqs
                .iter()
                .zip(self.classes)
                .map(|(r, &c)| self.store.get(r, c)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field written comes back as written, near and far offsets alike.
    #[test]
    fn a_record_reads_back_as_written() {
        let reqs: Vec<Request> = (0..3)
            .map(|i| Request {
                id: i,
                arrival: SimTime(1_000 + i as u64),
                input_tokens: 10 + i,
                output_tokens: 5,
                prefix: crate::workload::PrefixGroup::NONE,
            })
            .collect();
        let mut s = RecordStore::new(3);
        let blank = s.get(&reqs[0], Class::Short);
        assert_eq!(
            blank,
            RequestRecord::new(0, Class::Short, 10, 5, SimTime(1_000))
        );
        s.set_time(1, Stamp::Dispatched, reqs[1].arrival, SimTime(2_000));
        s.set_time(1, Stamp::PrefillStart, reqs[1].arrival, SimTime(1 << 50));
        s.set_time(1, Stamp::FirstToken, reqs[1].arrival, SimTime(5));
        s.set_time(1, Stamp::Completion, reqs[1].arrival, SimTime(u64::MAX));
        s.set_replicas(1, 4);
        s.preempted(1);
        s.preempted(1);
        s.set_cached(1, 7);
        let why = Rejection {
            needs_replicas: 9,
            prefill_replicas: 8,
            reserved_pool: false,
        };
        s.reject(2, why);
        let mut want = RequestRecord::new(1, Class::Long, 11, 5, SimTime(1_001));
        want.dispatched = Some(SimTime(2_000));
        want.prefill_start = Some(SimTime(1 << 50));
        want.first_token = Some(SimTime(5));
        want.completion = Some(SimTime(u64::MAX));
        want.replicas = 4;
        want.preemptions = 2;
        want.cached_tokens = 7;
        assert_eq!(s.get(&reqs[1], Class::Long), want);
        let got = s.get(&reqs[2], Class::Long);
        assert!(got.rejected && s.rejected(2) && !s.rejected(1));
        assert_eq!(got.rejected_reason, Some(why));
        s.set_time(0, Stamp::Dispatched, reqs[0].arrival, SimTime(1_003));
        assert_eq!(s.get(&reqs[0], Class::Short).replicas, 1);
        let view = StoreView {
            store: &s,
            reqs: &reqs,
            classes: &[Class::Short, Class::Long, Class::Long],
        };
        assert_eq!(view.each().nth(1), Some(want));
        assert_eq!(view.each().count(), 3);
    }
}
