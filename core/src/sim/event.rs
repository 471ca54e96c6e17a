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

/// A min-queue of events with stable ordering of equal times.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<(SimTime, u64, Event)>>,
    next_seq: u64,
}

impl EventQueue {
    /// Schedules `event` at `at`.
    pub fn push(&mut self, at: SimTime, event: Event) {
        self.heap.push(Reverse((at, self.next_seq, event)));
        self.next_seq += 1;
    }

    /// Removes and returns the earliest event (earliest scheduled first among equal times).
    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        self.heap.pop().map(|Reverse((t, _, e))| (t, e))
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
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
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
}
