//! The simulation state and its event handlers for arrivals, replica iterations, KV hand-over
//! and dispatch. Long-job transitions live in `jobs.rs`.

use super::config::EngineConfig;
use super::decode_run::DecodeRun;
use super::event::{Event, EventQueue};
use super::intake::Intake;
use super::job::{JobPhase, LongJob};
use super::log::{EventLogHash, LogTag};
use super::oracle::IterationOracle;
use super::records::{RecordStore, Stamp, StoreView};
use super::replica::{Admission, Applied, InFlight, Replica, Seq};
use super::timeline::{Span, SpanKind, Timeline};
use super::window::IdWindow;
use crate::hardware::ClusterSpec;
use crate::metrics::{
    Class, MetricsWindow, PrefixSummary, Records, RequestRecord, RunEnd, Slo, StallCheck,
    StopReason, Summary,
};
use crate::model::ModelSpec;
use crate::perf::{OpCache, PerfModel};
use crate::sched::{
    Decision, EngineRules, LongDecode, LongFreeIndex, LongPrefill, LongStatus, Policy, ReplicaInfo,
    ReplicaSource, Sizing, StatusIndex, View, ViewParts,
};
use crate::time::{SimDuration, SimTime};
use crate::workload::Request;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Why a simulation could not be set up.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SimulationError {
    /// The tensor-parallel size does not divide the GPUs of a node.
    #[error("tensor parallelism {tp} does not divide the {gpus_per_node} GPUs of a node")]
    TpDoesNotDivideNode {
        /// TP size.
        tp: u32,
        /// GPUs per node.
        gpus_per_node: u32,
    },
    /// No replica can hold even one short request's KV.
    #[error("a replica has no room for KV cache (capacity {0} tokens)")]
    NoKvRoom(u64),
    /// The policy wants more decode-only replicas than leave any for prefill.
    #[error("{decode} decode-only replicas leave no prefill replica out of {total}")]
    TooManyDecodeReplicas {
        /// Decode-only replicas asked for.
        decode: u32,
        /// Replicas in the cluster.
        total: u32,
    },
    /// Requests must be sorted by arrival with ids 0..n.
    #[error("request {index} is out of order (ids must be 0..n in arrival order)")]
    UnsortedRequests {
        /// Position of the offending request.
        index: u32,
    },
}

/// Mutable state of a run (everything but the policy).
pub(crate) struct State {
    /// The requests held (every one of the run, or in a streamed run those from the oldest
    /// unfinished to the next to arrive), by id.
    pub reqs: IdWindow<Request>,
    /// Their classes.
    pub classes: IdWindow<Class>,
    /// Replicas each long request needs (0 for short ones).
    pub sp_degree: IdWindow<u32>,
    pub records: RecordStore,
    /// Where a streamed run's requests come from ([`super::intake`]); idle for a run given
    /// its requests up front.
    pub intake: Intake,
    pub replicas: Vec<Replica>,
    pub jobs: Vec<LongJob>,
    /// The global queue, one FIFO per class (short, long); ids are in arrival order.
    pub global: [VecDeque<u32>; 2],
    pub events: EventQueue,
    pub now: SimTime,
    pub horizon: SimTime,
    /// The window the run's metrics cover: the arrivals' span and the drain limit after it
    /// (its horizon is `horizon`). Busy time is counted only inside its rate span.
    pub window: MetricsWindow,
    /// `window.rate_span()` as instants (read per iteration; the window keeps seconds).
    pub rate_span: (SimTime, SimTime),
    pub perf: PerfModel,
    /// Memoised op times of `perf` (the decode-run hot path).
    pub op_cache: OpCache,
    /// What the last iteration applied, kept for its storage.
    pub applied: Applied,
    pub cfg: EngineConfig,
    pub rules: EngineRules,
    /// The classification and group-size rule (the engine's knobs, the model, KV capacity).
    pub sizing: Sizing,
    pub model: ModelSpec,
    pub tp: u32,
    pub log: EventLogHash,
    pub next_arrival: u32,
    /// KV hand-overs in flight: request → (sequence, destination replica).
    pub in_transit: BTreeMap<u32, (Seq, u32)>,
    /// Short requests whose prefill finished but whose decode replica had no room yet:
    /// (request, prefill replica).
    pub transfer_wait: VecDeque<(u32, u32)>,
    /// Long jobs waiting for room in the decode pool, in the order they first tried
    /// (`sim/long_move.rs`).
    pub long_move_wait: VecDeque<u32>,
    pub events_processed: u64,
    pub dirty: bool,
    pub timeline: Timeline,
    /// The run stops after this many events (a scenario-size limit).
    pub event_limit: u64,
    /// Why the run stopped before its end, if it did.
    pub stopped: Option<StopReason>,
    /// Replicas whose state changed outside their own events (a finished prefill left for a
    /// decode replica): woken once the current event is handled.
    pub wake: Vec<u32>,
    /// Next instant the liveness watchdog looks for idle replicas or jobs with work.
    pub next_watch: SimTime,
    /// Since when the watchdog has seen the cluster quiet with requests in the global queue.
    pub quiet_since: Option<SimTime>,
    /// Hardware in the loop: times iterations instead of the model when set.
    pub oracle: Option<Box<dyn IterationOracle>>,
    /// Replicas hosting no long request (and not decode-only), by load, overall and per node:
    /// lets policies find the least-loaded long-free replica, or a node's, in O(log R).
    pub long_free: LongFreeIndex,
    /// Replicas that may take short work by long status and load (for every policy's short
    /// placement), brought up to date before each dispatch from the replicas and jobs touched
    /// since the last one ([`State::refresh_by_status`]).
    pub by_status: StatusIndex,
    /// Replicas whose queue or long status may have changed since the last refresh.
    pub touched: Vec<u32>,
    /// Whether each replica is in `touched`.
    pub touched_flag: Vec<bool>,
    /// Jobs whose phase may have changed since the last refresh (their members are re-filed).
    pub touched_jobs: Vec<u32>,
    /// Decode-only replicas by free KV, most first, lowest id on ties: where a finished short
    /// prefill's KV goes (`handover.rs`), found without scanning the decode pool.
    pub decode_free: BTreeSet<(std::cmp::Reverse<u64>, u32)>,
    /// The free KV each decode-only replica is filed under in `decode_free`.
    pub decode_key: Vec<Option<u64>>,
    /// When each paused job was paused (job → instant), for timeline spans.
    pub paused_since: BTreeMap<u32, SimTime>,
    /// Whether replicas cache prompt prefixes (`sim/prefix.rs`).
    pub prefix_caching: bool,
}

/// A steppable simulation of one policy on one workload.
pub struct Simulation {
    pub(crate) st: State,
    policy: Box<dyn Policy>,
    scratch: Vec<Decision>,
    /// The SLOs the summary judges requests against ([`Simulation::set_slo`]).
    slo: Slo,
}

/// Everything a run's summary needs but its per-request records: what the engine knows of
/// the run as a whole when it ends ([`Ending::summary`]).
#[derive(Clone, Debug)]
pub(crate) struct Ending {
    policy: crate::policy_kind::PolicyKind,
    window: MetricsWindow,
    gpus: u64,
    busy_gpu_ns: u128,
    end: SimTime,
    events: u64,
    log_hash: String,
    stopped: Option<StopReason>,
    slo: Slo,
    /// Evicted blocks and block size of the replicas' prefix caches, with prefix caching.
    prefix: Option<(u64, u32)>,
}

impl Ending {
    /// Why the run ended before serving everything, if it did.
    pub fn stopped(&self) -> Option<&StopReason> {
        self.stopped.as_ref()
    }

    /// The run's summary over `records` (every request of the run, in id order).
    pub fn summary<R: Records + ?Sized>(&self, records: &R) -> Summary {
        let mut summary = Summary::of(RunEnd {
            policy: self.policy,
            records,
            window: self.window,
            gpus: self.gpus,
            busy_gpu_ns: self.busy_gpu_ns,
            end: self.end,
            events: self.events,
            log_hash: self.log_hash.clone(),
            stopped: self.stopped.clone(),
            slo: self.slo,
        });
        summary.prefix = self
            .prefix
            .map(|(evictions, block_tokens)| PrefixSummary::of(records, evictions, block_tokens));
        summary
    }
}

impl Simulation {
    /// Sets up a run. `requests` must be in arrival order with ids `0..n`.
    pub fn new(
        cluster: ClusterSpec,
        model: ModelSpec,
        perf: PerfModel,
        tp: u32,
        cfg: EngineConfig,
        policy: Box<dyn Policy>,
        requests: Vec<Request>,
    ) -> Result<Simulation, SimulationError> {
        for (i, r) in requests.iter().enumerate() {
            let ordered = i == 0 || requests[i - 1].arrival <= r.arrival;
            if r.id != i as u32 || !ordered {
                return Err(SimulationError::UnsortedRequests { index: i as u32 });
            }
        }
        let mut st = State::blank(cluster, model, perf, tp, cfg, &*policy, requests.len())?;
        st.horizon = requests.last().map_or(SimTime::ZERO, |r| r.arrival) + cfg.drain_limit;
        st.set_window(MetricsWindow::of_arrivals(
            requests.iter().map(|r| r.arrival),
            cfg.drain_limit,
        ));
        for r in requests {
            st.admit(r);
        }
        st.schedule_next_arrival();
        let mut sim = Simulation::start(st, policy);
        // Long requests needing more replicas than the policy can give are rejected now that
        // it has said how many ([`Policy::long_group_limit`], read after `init`).
        let st = &mut sim.st;
        st.intake.long_group_limit = sim.policy.long_group_limit();
        for id in 0..st.reqs.end() {
            st.reject_if_beyond_pool(id);
        }
        Ok(sim)
    }

    /// The simulation of `st` under `policy`, the indexes filed, the policy prepared and
    /// initialised.
    fn start(mut st: State, policy: Box<dyn Policy>) -> Simulation {
        st.refresh_by_status();
        let mut sim = Simulation {
            st,
            policy,
            scratch: Vec::new(),
            slo: Slo::DEFAULT,
        };
        sim.policy.prepare(&sim.st.perf);
        let view = sim.st.view();
        sim.policy.init(&view);
        sim
    }

    /// Sets up a streamed run: requests are read from `source` one at a time, each when the
    /// one before it arrives, so no copy of the whole workload is ever held (the engine keeps
    /// the requests from the oldest unfinished one on; [`super::StreamedRun`] hands finished
    /// ones on). They must come in arrival order with ids `0, 1, 2, …`; an `Err` from the
    /// source, or a request out of order, ends the run with that error
    /// ([`super::StreamError::Input`] when it finishes).
    pub(crate) fn streamed(
        cluster: ClusterSpec,
        model: ModelSpec,
        perf: PerfModel,
        tp: u32,
        cfg: EngineConfig,
        policy: Box<dyn Policy>,
        source: Box<dyn Iterator<Item = Result<Request, String>>>,
    ) -> Result<Simulation, SimulationError> {
        let mut st = State::blank(cluster, model, perf, tp, cfg, &*policy, 0)?;
        st.intake.stream_from(source);
        // Until the source runs dry, no last arrival is known: the run has no horizon yet and
        // its metrics window is open-ended (busy time is only ever counted up to now).
        st.horizon = SimTime(u64::MAX);
        st.set_window(MetricsWindow::new(
            SimTime::ZERO,
            crate::limits::MAX_ARRIVAL,
            cfg.drain_limit,
        ));
        let mut sim = Simulation::start(st, policy);
        sim.st.intake.long_group_limit = sim.policy.long_group_limit();
        sim.st.schedule_next_arrival();
        Ok(sim)
    }

    /// Simulated time now.
    pub fn now(&self) -> SimTime {
        self.st.now
    }

    /// The instant the run stops at if work remains (last arrival + drain limit).
    pub fn horizon(&self) -> SimTime {
        self.st.horizon
    }

    /// Whether no event remains before the horizon.
    pub fn finished(&self) -> bool {
        self.st
            .events
            .peek_time()
            .is_none_or(|t| t > self.st.horizon)
    }

    /// Processes the next event; returns `false` once the run is over.
    pub fn step(&mut self) -> bool {
        let Some(t) = self.st.events.peek_time() else {
            return false;
        };
        if self.st.stopped.is_some() || self.st.intake.error.is_some() {
            return false;
        }
        if self.st.events_processed >= self.st.event_limit {
            self.st.stopped = Some(StopReason::EventLimit {
                events: self.st.events_processed,
                at_s: self.st.now.as_secs_f64(),
            });
            return false;
        }
        if t > self.st.horizon {
            return false;
        }
        if let Some(stall) = self.st.quiet_too_long(t) {
            self.st.stopped = Some(stall);
            return false;
        }
        let (t, ev) = self.st.events.pop().expect("peeked");
        assert!(
            t >= self.st.now,
            "simulated time went back from {} to {}",
            self.st.now,
            t
        );
        self.st.now = t;
        self.st.events_processed += 1;
        self.st.handle(ev);
        self.st.wake_touched();
        if self.st.dirty && self.st.global.iter().any(|q| !q.is_empty()) {
            self.dispatch();
        }
        self.st.dirty = false;
        self.st.note_quiet();
        if self.st.now >= self.st.next_watch {
            self.st.next_watch = self.st.now + super::config::WATCH_INTERVAL;
            if let Some(stall) = self.st.watchdog() {
                self.st.stopped = Some(stall);
                return false;
            }
        }
        true
    }

    /// Processes every event up to and including instant `t` (or the end of the run).
    pub fn run_until(&mut self, t: SimTime) {
        while self.st.events.peek_time().is_some_and(|e| e <= t) && self.step() {}
    }

    /// Runs to the end and returns the summary.
    pub fn run(mut self) -> (Summary, Vec<RequestRecord>) {
        while self.step() {}
        self.finish()
    }

    /// Fraction of requests that have arrived so far (for progress bars).
    pub fn progress(&self) -> f64 {
        let total = self.st.reqs.end() as u64 + self.st.intake.remaining_hint.unwrap_or(0);
        if total == 0 {
            1.0
        } else {
            self.st.next_arrival as f64 / total as f64
        }
    }

    /// Stops the run after `events` events (default [`EngineConfig::max_events`]); the
    /// summary then says the results are partial.
    pub fn set_event_limit(&mut self, events: u64) {
        self.st.event_limit = events;
    }

    /// Times every iteration with `oracle` (e.g. real GPU kernels) instead of the performance
    /// model. Decode runs are then stepped one iteration at a time.
    pub fn set_oracle(&mut self, oracle: Box<dyn IterationOracle>) {
        self.st.oracle = Some(oracle);
    }

    /// Takes the oracle back (to read what it measured).
    pub fn take_oracle(&mut self) -> Option<Box<dyn IterationOracle>> {
        self.st.oracle.take()
    }

    /// Records up to `max_spans` timeline spans from now on (for Gantt charts).
    pub fn record_timeline(&mut self, max_spans: u32) {
        self.st.timeline.cap = max_spans;
    }

    /// Records up to `max_spans` timeline spans, and as many instant events (preemptions, KV
    /// hand-overs) and queue/KV samples, from now on (for trace-event export).
    pub fn record_timeline_detail(&mut self, max_spans: u32) {
        self.st.timeline.cap = max_spans;
        self.st.timeline.detail = true;
    }

    /// The spans recorded so far.
    pub fn timeline(&self) -> &Timeline {
        &self.st.timeline
    }

    /// Per-request records so far (rebuilt from the engine's compact store: a copy).
    pub fn records(&self) -> Vec<RequestRecord> {
        self.st.records_view().each().collect()
    }

    /// Why the run ends here, if it does not end having served (or rejected) every request:
    /// a stop already recorded, a stall (no event left with work unserved: an engine bug), the
    /// drain horizon (an overloaded scenario), or an early end asked for by the caller.
    pub fn stop_reason(&self) -> Option<StopReason> {
        let st = &self.st;
        if st.stopped.is_some() {
            return st.stopped.clone();
        }
        match st.events.peek_time() {
            None => {
                let stall = st.stalled(StallCheck::EventQueueEmpty);
                match &stall {
                    StopReason::Stalled { stranded_count, .. } if *stranded_count > 0 => {
                        Some(stall)
                    }
                    _ => None,
                }
            }
            Some(t) if t > st.horizon => {
                let unserved = st.unserved_count();
                (unserved > 0).then(|| StopReason::DrainHorizon {
                    at_s: st.horizon.as_secs_f64(),
                    unserved,
                })
            }
            Some(_) => Some(StopReason::EndedEarly {
                at_s: st.now.as_secs_f64(),
            }),
        }
    }

    /// Judges the run's requests against `slo` in its summary (default [`Slo::DEFAULT`]).
    pub fn set_slo(&mut self, slo: Slo) {
        self.slo = slo;
    }

    /// Ends the run now and summarises it.
    pub fn finish(self) -> (Summary, Vec<RequestRecord>) {
        let (summary, st) = self.end();
        let records = st.records_view().each().collect();
        (summary, records)
    }

    /// Ends the run now: its summary (computed from the compact records, none copied) and the
    /// state the records are read from.
    pub(super) fn end(self) -> (Summary, State) {
        let (ending, st) = self.ending();
        let summary = ending.summary(&st.records_view());
        (summary, st)
    }

    /// Ends the run now: everything its summary needs but the records, and the state.
    pub(super) fn ending(self) -> (Ending, State) {
        let stopped = self.stop_reason();
        let mut st = self.st;
        st.stopped = stopped;
        let end = st.now;
        // Work inside the window's rate span, as far as the run got: finished iterations and
        // segments were counted when they ended, those in flight up to now.
        let w = st.window;
        let mut busy: u128 = 0;
        for r in &st.replicas {
            let mut b = r.busy_ns;
            if let Some(it) = &r.iter {
                b += w.rate_span_overlap_ns(it.start, it.end.min(end));
            }
            busy += b as u128 * st.tp as u128;
        }
        for j in &st.jobs {
            if let Some(seg) = j.running {
                let b = w.rate_span_overlap_ns(seg.start.min(end), seg.end.min(end));
                busy += b as u128 * st.tp as u128 * j.members.len() as u128;
            }
        }
        let ending = Ending {
            policy: self.policy.kind(),
            window: w,
            gpus: st.replicas.len() as u64 * st.tp as u64,
            busy_gpu_ns: busy,
            end,
            events: st.events_processed,
            log_hash: format!("{:016x}", st.log.value()),
            stopped: st.stopped.clone(),
            slo: self.slo,
            prefix: st.prefix_counters(),
        };
        (ending, st)
    }

    fn dispatch(&mut self) {
        self.st.refresh_by_status();
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        {
            let view = self.st.view();
            self.policy.dispatch(&view, &mut out);
        }
        for d in out.drain(..) {
            self.st.apply_decision(d);
        }
        self.scratch = out;
    }
}

/// Policies read replicas through the engine's state: each snapshot is built on demand from the
/// replica and its long job.
impl ReplicaSource for State {
    fn replica_count(&self) -> u32 {
        self.replicas.len() as u32
    }

    fn cached_prefix_tokens(&self, id: u32, req: &Request) -> u64 {
        self.replicas[id as usize].cached_prefix_tokens(req)
    }

    fn replica(&self, id: u32) -> ReplicaInfo {
        let r = &self.replicas[id as usize];
        let long = match r.job {
            None => LongStatus::Free,
            Some(j) => {
                let job = &self.jobs[j as usize];
                match (job.phase, job.running.is_some()) {
                    (JobPhase::Pending, _) => LongStatus::Pending,
                    (JobPhase::Prefill, true) => LongStatus::PrefillRunning,
                    (JobPhase::Prefill, false) => LongStatus::PrefillPaused,
                    (JobPhase::Decode, true) => LongStatus::Decoding,
                    (JobPhase::Decode, false) => LongStatus::DecodePaused,
                    (JobPhase::Done, _) => LongStatus::Free,
                }
            }
        };
        ReplicaInfo {
            id,
            node: r.node,
            decode_only: r.decode_only,
            queued_tokens: r.queued_tokens,
            kv_free: r.kv_free(),
            kv_capacity: r.kv_capacity,
            running: (r.seqs.len() + r.incoming.len()) as u32,
            has_prefill_work: r.has_prefill_work(),
            long,
            job: r.job,
            long_waiting: r.long_queue.len() as u32,
            long_tokens: r.long_tokens,
        }
    }
}

impl State {
    /// Sets the metrics window (and the rate span busy time is counted over).
    pub(crate) fn set_window(&mut self, w: MetricsWindow) {
        self.window = w;
        self.rate_span = w.rate_span();
    }

    /// Nanoseconds of `[from, to)` inside the rate span:
    /// [`MetricsWindow::rate_span_overlap_ns`] without converting the window's seconds.
    #[inline]
    pub(crate) fn busy_in_span_ns(&self, from: SimTime, to: SimTime) -> u64 {
        let (start, end) = self.rate_span;
        to.min(end).0.saturating_sub(from.max(start).0)
    }

    /// A state with no request yet (room for `n`): replicas built, indexes filed, nothing
    /// scheduled. The horizon and metrics window are the caller's to set.
    fn blank(
        cluster: ClusterSpec,
        model: ModelSpec,
        perf: PerfModel,
        tp: u32,
        cfg: EngineConfig,
        policy: &dyn Policy,
        n: usize,
    ) -> Result<State, SimulationError> {
        if tp == 0 || !cluster.gpus_per_node.is_multiple_of(tp) {
            return Err(SimulationError::TpDoesNotDivideNode {
                tp,
                gpus_per_node: cluster.gpus_per_node,
            });
        }
        let rules = policy.rules();
        let per_node = cluster.gpus_per_node / tp;
        let total = per_node * cluster.nodes;
        let decode = rules.decode_replicas();
        if decode >= total {
            return Err(SimulationError::TooManyDecodeReplicas { decode, total });
        }
        let capacity = perf.kv_capacity_tokens();
        if capacity == 0 {
            return Err(SimulationError::NoKvRoom(capacity));
        }
        // Decode-only replicas are the last ones (highest node).
        let replicas: Vec<Replica> = (0..total)
            .map(|i| {
                let decode_only = i >= total - decode;
                Replica::new(
                    i / per_node,
                    decode_only,
                    rules.disaggregated() && !decode_only,
                    capacity,
                )
            })
            .collect();
        let sizing = cfg.sizing(model, capacity);
        let mut st = State {
            reqs: IdWindow::with_capacity(n),
            classes: IdWindow::with_capacity(n),
            sp_degree: IdWindow::with_capacity(n),
            records: RecordStore::with_capacity(n),
            intake: Intake::up_front(total - decode),
            replicas,
            jobs: Vec::new(),
            global: [VecDeque::new(), VecDeque::new()],
            events: EventQueue::default(),
            now: SimTime::ZERO,
            horizon: SimTime::ZERO,
            window: MetricsWindow::default(),
            rate_span: (SimTime::ZERO, SimTime::ZERO),
            perf,
            op_cache: OpCache::default(),
            applied: Applied::default(),
            cfg,
            rules,
            sizing,
            model,
            tp,
            log: EventLogHash::default(),
            next_arrival: 0,
            in_transit: BTreeMap::new(),
            transfer_wait: VecDeque::new(),
            long_move_wait: VecDeque::new(),
            events_processed: 0,
            dirty: false,
            timeline: Timeline::default(),
            event_limit: cfg.max_events,
            stopped: None,
            wake: Vec::new(),
            next_watch: SimTime::ZERO + super::config::WATCH_INTERVAL,
            quiet_since: None,
            oracle: None,
            long_free: LongFreeIndex::new(cluster.nodes, total),
            by_status: StatusIndex::new(total),
            touched: Vec::new(),
            touched_flag: vec![false; total as usize],
            touched_jobs: Vec::new(),
            decode_free: BTreeSet::new(),
            decode_key: vec![None; total as usize],
            paused_since: BTreeMap::new(),
            prefix_caching: false,
        };
        for r in 0..total {
            st.sync_index(r);
        }
        Ok(st)
    }

    /// Records instant `s` of request `id` as `t`.
    pub(crate) fn stamp(&mut self, id: u32, s: Stamp, t: SimTime) {
        let arrival = self.reqs[id as usize].arrival;
        self.records.set_time(id, s, arrival, t);
    }

    /// Records instant `s` of request `id` as `t` unless it is recorded already.
    pub(crate) fn stamp_once(&mut self, id: u32, s: Stamp, t: SimTime) {
        if self.stamped(id, s).is_none() {
            self.stamp(id, s, t);
        }
    }

    /// Instant `s` of request `id`, if recorded.
    pub(crate) fn stamped(&self, id: u32, s: Stamp) -> Option<SimTime> {
        self.records.time(id, s, self.reqs[id as usize].arrival)
    }

    /// The full record of request `id`.
    pub(crate) fn record(&self, id: u32) -> RequestRecord {
        self.records
            .get(&self.reqs[id as usize], self.classes[id as usize])
    }

    /// Every request's record, rebuilt as read.
    pub(crate) fn records_view(&self) -> StoreView<'_> {
        StoreView {
            store: &self.records,
            reqs: self.reqs.as_slice(),
            classes: self.classes.as_slice(),
        }
    }

    /// What the policy sees now.
    pub(crate) fn view(&self) -> View<'_> {
        View::new(ViewParts {
            replicas: self,
            first_id: self.reqs.first(),
            requests: self.reqs.as_slice(),
            classes: self.classes.as_slice(),
            sp_degree: self.sp_degree.as_slice(),
            short_queue: &self.global[class_index(Class::Short)],
            long_queue: &self.global[class_index(Class::Long)],
            long_free: &self.long_free,
            by_status: &self.by_status,
            rules: &self.rules,
            sizing: &self.sizing,
            local_queue_cap_tokens: self.cfg.local_queue_cap_tokens as u64,
        })
    }

    /// Samples replica `r`'s queue length and KV use into the timeline (when recording).
    pub(crate) fn sample(&mut self, r: u32) {
        if self.timeline.on() {
            let rep = &self.replicas[r as usize];
            let (queued, kv) = (rep.queue.len() as u32, rep.kv_used);
            self.timeline.sample(r, self.now, queued, kv);
        }
    }

    /// The key replica `r` belongs under in the long-free index: its queued tokens if it hosts
    /// no long request and is not decode-only.
    pub(crate) fn long_free_key(&self, r: u32) -> Option<u64> {
        let rep = &self.replicas[r as usize];
        (rep.job.is_none() && !rep.decode_only).then_some(rep.queued_tokens)
    }

    /// Notes that replica `r`'s queue or long-job status changed: it is re-filed in the
    /// long-free and status indexes at the next [`State::refresh_by_status`] (before the policy
    /// next looks: a key that changes and changes back in between costs nothing), and in the
    /// decode pool's free-KV index now.
    pub(crate) fn sync_index(&mut self, r: u32) {
        self.touch(r);
        self.refile_decode_kv(r);
    }

    /// Re-files decode-only replica `r` in `decode_free` after its KV use may have changed
    /// (nothing for other replicas).
    pub(crate) fn refile_decode_kv(&mut self, r: u32) {
        let rep = &self.replicas[r as usize];
        if !rep.decode_only {
            return;
        }
        let free = rep.kv_free();
        let slot = &mut self.decode_key[r as usize];
        if *slot == Some(free) {
            return;
        }
        if let Some(old) = slot.replace(free) {
            self.decode_free.remove(&(std::cmp::Reverse(old), r));
        }
        self.decode_free.insert((std::cmp::Reverse(free), r));
    }

    /// Notes that replica `r`'s queue or long status may have changed.
    pub(crate) fn touch(&mut self, r: u32) {
        if !std::mem::replace(&mut self.touched_flag[r as usize], true) {
            self.touched.push(r);
        }
    }

    /// Re-files in the long-free and status indexes every replica touched since the last
    /// refresh, and the members of every job touched. Runs before every look of the policy
    /// ([`State::view`] is only built after it). In debug builds, checks both whole indexes
    /// against the replicas (a missed touch would change decisions).
    pub(crate) fn refresh_by_status(&mut self) {
        for j in std::mem::take(&mut self.touched_jobs) {
            for i in 0..self.jobs[j as usize].members.len() {
                self.touch(self.jobs[j as usize].members[i]);
            }
        }
        let mut touched = std::mem::take(&mut self.touched);
        for &r in &touched {
            self.touched_flag[r as usize] = false;
            let key = self.long_free_key(r);
            self.long_free.file(r, self.replicas[r as usize].node, key);
            let info = self.replica(r);
            self.by_status.file(&info, key);
        }
        touched.clear();
        self.touched = touched;
        #[cfg(debug_assertions)]
        for r in 0..self.replicas.len() as u32 {
            assert_eq!(
                self.by_status.key(r),
                StatusIndex::key_of(&self.replica(r)),
                "status index out of date for replica {r}"
            );
            assert_eq!(
                self.long_free.key(r),
                self.long_free_key(r),
                "long-free index out of date for replica {r}"
            );
        }
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Arrival(id) => self.on_arrival(id),
            Event::ReplicaIterEnd {
                replica,
                generation,
            } => {
                if self.replicas[replica as usize].generation == generation {
                    self.on_iteration_end(replica);
                }
            }
            Event::JobIterEnd { job, generation } => {
                if self.jobs[job as usize].generation == generation {
                    self.touched_jobs.push(job);
                    self.on_job_step_end(job);
                }
            }
            Event::KvArrived { req, replica } => {
                self.log.record(
                    LogTag::KvArrived,
                    [self.now.0, req as u64, replica as u64, 0],
                );
                let (seq, _) = self
                    .in_transit
                    .remove(&req)
                    .expect("a KV hand-over in flight");
                self.replicas[replica as usize].incoming.push(seq);
                self.timeline.mark(
                    replica,
                    self.now,
                    super::timeline::MarkKind::HandoverIn { req },
                );
                self.cut(replica);
                self.maybe_start(replica);
            }
            Event::JobMoved { job } => self.on_job_moved(job),
        }
    }

    /// How replica `r` may admit work in its own loop.
    pub(crate) fn admission(&self, r: u32, job_step: bool) -> Admission {
        let rep = &self.replicas[r as usize];
        let mut adm = Admission {
            admit: !rep.decode_only,
            reserve_output: !self.rules.disaggregated() || rep.decode_only,
            token_budget: self.cfg.max_batched_tokens,
            prefill_cap: u32::MAX,
            max_seqs: self.cfg.max_num_seqs,
            multi_step: !job_step,
            max_admits: u32::MAX,
        };
        if let Some(j) = rep.job {
            let job = &self.jobs[j as usize];
            if let (
                true,
                JobPhase::Prefill,
                LongPrefill::Chunked {
                    tokens_per_member, ..
                },
            ) = (job_step, job.phase, self.rules.long_prefill)
            {
                // A chunked long-prefill step: short work rides in it under the iteration's
                // budget less the chunk (Sarathi-Serve's stall-free batching).
                adm.admit = true;
                adm.token_budget = adm.token_budget.saturating_sub(tokens_per_member);
            } else if job_step {
                // A long-decode step: short work is batched in only under `Batch` (colocation),
                // up to its per-GPU cap.
                match self.rules.long_decode {
                    LongDecode::Batch { .. } => {
                        adm.admit = true;
                        if let Some(cap) = job.colocation_cap_tokens_per_gpu {
                            adm.prefill_cap = cap.saturating_mul(self.tp);
                        }
                    }
                    LongDecode::Exclusive | LongDecode::Yield => adm.admit = false,
                }
            } else if job.phase == JobPhase::Pending {
                match self.rules.long_prefill {
                    // The replica drains for the long request: only what was queued before
                    // runs (no policy sends short work to a pending replica under this rule).
                    LongPrefill::Exclusive => adm.admit = true,
                    // The long request waits only for the short prefills already running
                    // (docs/paper.md §2.3); queued ones preempt it once it runs (§2.4). While
                    // it still waits behind another long request on some member it is not
                    // about to start, and short work here runs as usual.
                    // Batched with the short work: the replica serves it as usual.
                    LongPrefill::Chunked { .. } => {}
                    LongPrefill::Yield => {
                        if job
                            .members
                            .iter()
                            .all(|&m| self.replicas[m as usize].job == Some(j))
                        {
                            adm.max_admits = 0;
                        }
                    }
                }
            } else if let Some(n) = rep.pause_admits {
                // A paused job: only the batch of short requests present at the pause runs
                // (docs/paper.md §2.4).
                adm.max_admits = n;
            }
        }
        adm
    }

    /// Starts replica `r`'s next iteration if it is free to run its own loop and has work.
    pub(crate) fn maybe_start(&mut self, r: u32) {
        let rep = &self.replicas[r as usize];
        if rep.iter.is_some() || rep.hold {
            return;
        }
        if let Some(j) = rep.job
            && self.jobs[j as usize].running.is_some()
        {
            return; // driven by its long job
        }
        let mut adm = self.admission(r, false);
        adm.multi_step &= self.oracle.is_none();
        let batch = self.replicas[r as usize].form_batch(&self.reqs, adm);
        if let Some(n) = self.replicas[r as usize].pause_admits.as_mut() {
            *n -= batch.started.len() as u32;
        }
        self.sync_index(r);
        if batch.is_empty() {
            self.replicas[r as usize].recycle(batch);
            return;
        }
        for &id in &batch.started {
            self.stamp_once(id, Stamp::PrefillStart, self.now);
        }
        self.note_cached(r, &batch);
        let run = DecodeRun::new(
            &self.perf,
            &mut self.op_cache,
            &batch.shape,
            batch.decodes,
            batch.steps,
        );
        let mut dur = run.elapsed(batch.steps);
        let mut run = Some((batch.steps, run));
        if let Some(oracle) = self.oracle.as_mut() {
            run = None;
            let detail = self.replicas[r as usize].detail(r, &batch, None);
            dur = oracle
                .time(&detail, detail.kind(false), dur)
                .max(SimDuration(1));
        }
        let end = self.now + dur;
        self.sample(r);
        let rep = &mut self.replicas[r as usize];
        rep.iter = Some(InFlight {
            start: self.now,
            end,
            batch,
            run,
        });
        self.events.push(
            end,
            Event::ReplicaIterEnd {
                replica: r,
                generation: rep.generation,
            },
        );
    }

    /// Cuts replica `r`'s multi-step decode run at the next step boundary, so that new work can
    /// join at that boundary.
    pub(crate) fn cut(&mut self, r: u32) {
        let now = self.now;
        let rep = &mut self.replicas[r as usize];
        let Some(it) = rep.iter.as_mut() else { return };
        if it.batch.steps <= 1 {
            return;
        }
        let run = match it.run {
            Some((steps, run)) if steps == it.batch.steps => run,
            _ => {
                let run = DecodeRun::new(
                    &self.perf,
                    &mut self.op_cache,
                    &it.batch.shape,
                    it.batch.decodes,
                    it.batch.steps,
                );
                it.run = Some((it.batch.steps, run));
                run
            }
        };
        let steps = run.steps_to_reach(now.saturating_since(it.start));
        let t = it.start + run.elapsed(steps);
        if steps < it.batch.steps {
            it.batch.steps = steps;
            it.end = t;
            rep.generation += 1;
            self.events.push(
                t,
                Event::ReplicaIterEnd {
                    replica: r,
                    generation: rep.generation,
                },
            );
        }
    }

    fn on_iteration_end(&mut self, r: u32) {
        let it = self.replicas[r as usize]
            .iter
            .take()
            .expect("an iteration in flight");
        self.replicas[r as usize].busy_ns += self.busy_in_span_ns(it.start, it.end);
        self.log.record(
            LogTag::IterationEnd,
            [
                self.now.0,
                r as u64,
                it.batch.steps as u64,
                it.batch.chunks.len() as u64,
            ],
        );
        let kind = match (it.batch.chunks.is_empty(), it.batch.decodes) {
            (true, _) => SpanKind::ShortDecode,
            (false, 0) => SpanKind::ShortPrefill,
            (false, _) => SpanKind::Mixed,
        };
        let tokens = it.batch.chunks.iter().map(|c| c.1).sum();
        self.timeline.push(Span {
            replica: r,
            start: it.start,
            end: it.end,
            kind,
            req: None,
            tokens,
        });
        let mut out = std::mem::take(&mut self.applied);
        out.prefill_done.clear();
        out.finished.clear();
        self.replicas[r as usize].apply(&it.batch, it.batch.steps, &mut out);
        self.replicas[r as usize].recycle(it.batch);
        self.refile_decode_kv(r);
        self.after_batch(r, &out, it.end.0 - it.start.0);
        self.applied = out;
        self.sample(r);
        self.dirty = true;
        if let Some(j) = self.replicas[r as usize].job {
            self.reconsider_job(j);
        }
        self.maybe_start(r);
    }
}

/// Index of a class's global queue.
pub(crate) fn class_index(c: Class) -> usize {
    match c {
        Class::Short => 0,
        Class::Long => 1,
    }
}
