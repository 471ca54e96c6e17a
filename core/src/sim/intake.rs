//! How requests enter the engine: all at once (a run given its workload as a vector), or one
//! at a time from a source (a streamed run), each read when the one before it arrives. A
//! streamed run also lets finished requests go: the oldest ones, once completed or rejected,
//! are handed to a [`RecordSink`] and dropped, so the engine holds only the requests from the
//! oldest unfinished one to the next to arrive.

use super::engine::{State, class_index};
use super::event::Event;
use super::log::LogTag;
use super::records::Stamp;
use crate::metrics::{Class, MetricsWindow, RecordSink, Rejection};
use crate::time::SimTime;
use crate::workload::Request;

/// Where a run's requests come from, and what it knows of them so far.
pub(crate) struct Intake {
    /// The rest of a streamed run's requests (`None`: every request was given up front, or
    /// the source is exhausted).
    source: Option<Box<dyn Iterator<Item = Result<Request, String>>>>,
    /// Whether this run reads its requests from a source.
    pub streamed: bool,
    /// Why the source stopped the run (a source error, a request out of order).
    pub error: Option<String>,
    /// The first arrival read.
    first_arrival: Option<SimTime>,
    /// The last arrival read.
    last_arrival: SimTime,
    /// Requests the source says it still has, when it knows (for progress).
    pub remaining_hint: Option<u64>,
    /// Prefill replicas: a long request needing more is rejected.
    prefill_replicas: u32,
    /// The most replicas the policy gives one long request (read after its `init`): a long
    /// request needing more is rejected. A streamed run applies it as each request is read; a
    /// run given its requests up front to all of them after `init`.
    pub long_group_limit: Option<u32>,
    /// Records handed on so far (evicted).
    pub handed_on: u64,
    /// Most requests held at once.
    pub peak_held: u64,
}

impl Intake {
    /// A run given every request up front.
    pub fn up_front(prefill_replicas: u32) -> Intake {
        Intake {
            source: None,
            streamed: false,
            error: None,
            first_arrival: None,
            last_arrival: SimTime::ZERO,
            remaining_hint: Some(0),
            prefill_replicas,
            long_group_limit: None,
            handed_on: 0,
            peak_held: 0,
        }
    }

    /// Reads the run's requests from `source` from now on.
    pub fn stream_from(&mut self, source: Box<dyn Iterator<Item = Result<Request, String>>>) {
        let (lo, hi) = source.size_hint();
        self.remaining_hint = (Some(lo) == hi).then_some(lo as u64);
        self.source = Some(source);
        self.streamed = true;
    }
}

impl State {
    /// Takes request `r` (the next id): classifies it, rejects it with a reason if no group
    /// can ever hold it, and makes room for its record.
    pub(crate) fn admit(&mut self, r: Request) {
        let class = self.sizing.class(r.input_tokens, r.output_tokens);
        let long = class == Class::Long;
        let k = if long {
            self.sizing.group_size(r.input_tokens, r.output_tokens)
        } else {
            0
        };
        self.records.push_blank();
        let prefill_replicas = self.intake.prefill_replicas;
        if long && k > prefill_replicas {
            self.records.reject(
                r.id,
                Rejection {
                    needs_replicas: k,
                    prefill_replicas,
                    reserved_pool: false,
                },
            );
        }
        let id = r.id;
        self.reqs.push(r);
        self.classes.push(class);
        self.sp_degree.push(k);
        self.reject_if_beyond_pool(id);
        self.intake.peak_held = self.intake.peak_held.max(self.reqs.len() as u64);
    }

    /// Rejects request `id` if it is long and needs more replicas than the policy can ever
    /// give one long request ([`Intake::long_group_limit`], once known) and was not rejected
    /// already.
    pub(crate) fn reject_if_beyond_pool(&mut self, id: u32) {
        let Some(limit) = self.intake.long_group_limit else {
            return;
        };
        let k = self.sp_degree[id as usize];
        if self.classes[id as usize] == Class::Long && !self.records.rejected(id) && k > limit {
            self.records.reject(
                id,
                Rejection {
                    needs_replicas: k,
                    prefill_replicas: limit,
                    reserved_pool: true,
                },
            );
        }
    }

    /// Schedules the next request's arrival, reading it from the source first in a streamed
    /// run.
    pub(crate) fn schedule_next_arrival(&mut self) {
        if self.next_arrival == self.reqs.end() {
            self.read_next();
        }
        if let Some(r) = self.reqs.get(self.next_arrival as usize) {
            self.events.push(r.arrival, Event::Arrival(r.id));
        }
    }

    /// Reads the next request of a streamed run, or learns that there is none: the last
    /// arrival is then known, and with it the horizon and the metrics window.
    fn read_next(&mut self) {
        let Some(source) = self.intake.source.as_mut() else {
            return;
        };
        let next = source.next();
        if let Some(n) = self.intake.remaining_hint.as_mut() {
            *n = n.saturating_sub(1);
        }
        let id = self.reqs.end();
        match next {
            Some(Ok(r)) => {
                let why = if r.id != id {
                    Some(format!(
                        "request {} came where request {id} was expected (ids must be 0, 1, 2, … in arrival order)",
                        r.id
                    ))
                } else if r.arrival < self.intake.last_arrival {
                    Some(format!(
                        "request {id} arrives at {:.6} s, before request {} at {:.6} s (requests must come in arrival order)",
                        r.arrival.as_secs_f64(),
                        id.saturating_sub(1),
                        self.intake.last_arrival.as_secs_f64()
                    ))
                } else if r.arrival > crate::limits::MAX_ARRIVAL {
                    Some(format!(
                        "request {id} arrives at {:.0} s, past the limit of {} s",
                        r.arrival.as_secs_f64(),
                        crate::limits::MAX_ARRIVAL_S
                    ))
                } else {
                    None
                };
                if let Some(why) = why {
                    self.fail_intake(why);
                    return;
                }
                self.intake.first_arrival.get_or_insert(r.arrival);
                self.intake.last_arrival = r.arrival;
                self.admit(r);
            }
            Some(Err(why)) => self.fail_intake(why),
            None => {
                self.intake.source = None;
                self.intake.remaining_hint = Some(0);
                let drain = self.cfg.drain_limit;
                let first = self.intake.first_arrival.unwrap_or(SimTime::ZERO);
                self.set_window(MetricsWindow::new(first, self.intake.last_arrival, drain));
                self.horizon = self.intake.last_arrival + drain;
            }
        }
    }

    /// Ends a streamed run's input with an error: the run stops at this event.
    fn fail_intake(&mut self, why: String) {
        self.intake.source = None;
        self.intake.error = Some(why);
        // What was read is what the run covers (for a summary of the partial run).
        let first = self.intake.first_arrival.unwrap_or(SimTime::ZERO);
        self.set_window(MetricsWindow::new(
            first,
            self.intake.last_arrival,
            self.cfg.drain_limit,
        ));
    }

    /// Handles the arrival of request `id`.
    pub(crate) fn on_arrival(&mut self, id: u32) {
        self.log
            .record(LogTag::Arrival, [self.now.0, id as u64, 0, 0]);
        self.next_arrival += 1;
        self.schedule_next_arrival();
        if !self.records.rejected(id) {
            self.global[class_index(self.classes[id as usize])].push_back(id);
            self.dirty = true;
        }
    }

    /// Hands the oldest held requests that are over (completed or rejected, and arrived) to
    /// `sink`, in id order, and drops them.
    pub(crate) fn hand_on_finished(&mut self, sink: &mut dyn RecordSink) {
        loop {
            let id = self.reqs.first();
            if id >= self.next_arrival {
                return;
            }
            let done = self.records.rejected(id) || self.stamped(id, Stamp::Completion).is_some();
            if !done {
                return;
            }
            self.hand_on_first(sink);
        }
    }

    /// Hands every held request's record to `sink` (the end of a streamed run).
    pub(crate) fn hand_on_all(&mut self, sink: &mut dyn RecordSink) {
        while !self.reqs.is_empty() {
            self.hand_on_first(sink);
        }
    }

    fn hand_on_first(&mut self, sink: &mut dyn RecordSink) {
        let id = self.reqs.first();
        sink.push(self.record(id));
        self.reqs.evict_first();
        self.classes.evict_first();
        self.sp_degree.evict_first();
        self.records.evict_first(id);
        self.intake.handed_on += 1;
    }
}
