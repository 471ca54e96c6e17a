//! The event queue: events ordered by `(time, sequence number)`, so that events at equal times
//! pop in the order they were scheduled (stable ties, hence deterministic runs).

use crate::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Something that happens at an instant of simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// Request `0` (its id) arrives at the global queue.
    Arrival(u32),
    /// The iteration in flight on replica `replica` ends (ignored unless `generation` is the
    /// replica's current one: a cut iteration is rescheduled under a new generation).
    ReplicaIterEnd {
        /// Replica index.
        replica: u32,
        /// Generation the event was scheduled under.
        generation: u64,
    },
    /// The step in flight of long job `job` ends (same generation rule).
    JobIterEnd {
        /// Long-job index.
        job: u32,
        /// Generation the event was scheduled under.
        generation: u64,
    },
    /// The KV cache of short request `req` has reached decode replica `replica`.
    KvArrived {
        /// Request id.
        req: u32,
        /// Destination decode replica.
        replica: u32,
    },
    /// Long job `job`'s KV has reached the new group it decodes on (a decode-pool hand-over
    /// or an elastic scale-in, `sim/long_move.rs`).
    JobMoved {
        /// Long-job index.
        job: u32,
    },
}

/// A min-queue of events with stable ordering of equal times. The next arrival (the engine
/// schedules one at a time) waits in a slot beside the heap rather than in it: every request
/// would otherwise cost a push and a pop of the whole heap. Events still come out in (time,
/// scheduling order), exactly as from one heap.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<(SimTime, u64, Event)>>,
    /// One pending arrival: (time, scheduling order, request).
    arrival: Option<(SimTime, u64, u32)>,
    next_seq: u64,
}

impl EventQueue {
    /// Schedules `event` at `at`.
    pub fn push(&mut self, at: SimTime, event: Event) {
        match event {
            Event::Arrival(id) if self.arrival.is_none() => {
                self.arrival = Some((at, self.next_seq, id));
            }
            _ => self.heap.push(Reverse((at, self.next_seq, event))),
        }
        self.next_seq += 1;
    }

    /// Whether the pending arrival comes before the heap's earliest event.
    fn arrival_first(&self) -> bool {
        match (self.arrival, self.heap.peek()) {
            (Some((t, seq, _)), Some(Reverse((ht, hseq, _)))) => (t, seq) < (*ht, *hseq),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Removes and returns the earliest event (earliest scheduled first among equal times).
    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        if self.arrival_first() {
            return self
                .arrival
                .take()
                .map(|(t, _, id)| (t, Event::Arrival(id)));
        }
        self.heap.pop().map(|Reverse((t, _, e))| (t, e))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        let heap = self.heap.peek().map(|Reverse((t, _, _))| *t);
        match (self.arrival.map(|a| a.0), heap) {
            (Some(a), Some(h)) => Some(a.min(h)),
            (a, h) => a.or(h),
        }
    }

    /// Whether nothing but arrivals is pending (nothing runs in the cluster: no iteration,
    /// long-job step or KV transfer is scheduled).
    pub fn only_arrivals(&self) -> bool {
        self.heap
            .iter()
            .all(|Reverse((_, _, e))| matches!(e, Event::Arrival(_)))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.arrival.is_some())
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::default();
        q.push(SimTime(5), Event::Arrival(2));
        q.push(SimTime(5), Event::Arrival(1));
        q.push(SimTime(3), Event::Arrival(9));
        q.push(SimTime(5), Event::Arrival(0));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (SimTime(3), Event::Arrival(9)),
                (SimTime(5), Event::Arrival(2)),
                (SimTime(5), Event::Arrival(1)),
                (SimTime(5), Event::Arrival(0)),
            ]
        );
    }

    proptest::proptest! {
        /// Any mix of arrivals and other events comes out in (time, scheduling order), as from
        /// one heap, with pushes interleaved between pops.
        #[test]
        fn pops_in_time_then_scheduling_order(
            ops in proptest::collection::vec((0u64..20, 0u8..3, proptest::bool::ANY), 1..200),
        ) {
            let mut q = EventQueue::default();
            let mut model: Vec<(SimTime, u64, Event)> = Vec::new();
            for (i, (t, kind, pop)) in ops.into_iter().enumerate() {
                let e = match kind {
                    0 => Event::Arrival(i as u32),
                    1 => Event::ReplicaIterEnd { replica: i as u32, generation: 0 },
                    _ => Event::JobMoved { job: i as u32 },
                };
                q.push(SimTime(t), e);
                model.push((SimTime(t), i as u64, e));
                proptest::prop_assert_eq!(q.len(), model.len());
                if pop {
                    model.sort_by_key(|m| (m.0, m.1));
                    let want = model.remove(0);
                    proptest::prop_assert_eq!(q.peek_time(), Some(want.0));
                    proptest::prop_assert_eq!(q.pop(), Some((want.0, want.2)));
                }
            }
            model.sort_by_key(|m| (m.0, m.1));
            for m in model {
                proptest::prop_assert_eq!(q.pop(), Some((m.0, m.2)));
            }
            proptest::prop_assert!(q.is_empty() && q.pop().is_none());
        }
    }
}
