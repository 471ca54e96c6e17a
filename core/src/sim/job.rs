//! A long request served by sequence parallelism over a group of replicas.

use super::replica::Batch;
use crate::perf::SpPlan;
use crate::time::{SimDuration, SimTime};

/// Phase of a long job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobPhase {
    /// Dispatched; waiting for its replicas (in-flight short prefills, KV room).
    Pending,
    /// Prefill over the group.
    Prefill,
    /// Decode in place, one token per step.
    Decode,
    /// Finished; replicas released.
    Done,
}

/// A running segment of the job (the job drives its replicas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: SimTime,
    pub end: SimTime,
    /// Prefill work this segment completes (zero for decode steps).
    pub work: SimDuration,
    /// Prompt tokens a chunked prefill step completes (`LongPrefill::Chunked`; zero otherwise).
    pub tokens: u32,
}

/// A long request and the replicas serving it.
#[derive(Clone, Debug)]
pub(crate) struct LongJob {
    pub req: u32,
    pub members: Vec<u32>,
    pub phase: JobPhase,
    /// The segment in flight, if the job drives its replicas now.
    pub running: Option<Segment>,
    /// A pause was requested: the segment in flight ends at the next kernel boundary.
    pub pausing: bool,
    pub generation: u64,
    /// Uninterrupted prefill time of the whole request over this group.
    pub prefill_total: SimDuration,
    /// Prefill work done so far (sum of completed segments).
    pub prefill_done: SimDuration,
    /// Prompt tokens a chunked prefill has processed (`LongPrefill::Chunked`; zero otherwise).
    pub prefill_tokens_done: u32,
    /// Pause points are multiples of this.
    pub kernel_slice: SimDuration,
    /// KV tokens reserved on each member (input + output spread evenly, plus pause state).
    pub kv_per_member: u64,
    /// Output tokens produced.
    pub generated: u32,
    pub output: u32,
    pub input: u32,
    pub preemptions: u32,
    pub plan: SpPlan,
    /// Short-prefill tokens colocated with this job's decode steps (all members).
    pub colocated_tokens: u64,
    /// The colocation cap of this job's decode steps, tokens per GPU, resolved when its decode
    /// starts (`None`: no cap, or not decoding yet).
    pub colocation_cap_tokens_per_gpu: Option<u32>,
    /// The members' short batches inside the decode step in flight (same order as members).
    pub step_batches: Vec<Batch>,
    /// Its KV is on the way to a new decode group (`sim/long_move.rs`): the job does not run
    /// until it arrives.
    pub moving: bool,
    /// It decodes where it is until it finishes: it has moved, or never may.
    pub settled: bool,
}

impl LongJob {
    /// Prefill work left.
    pub fn prefill_left(&self) -> SimDuration {
        self.prefill_total - self.prefill_done
    }

    /// The first pause point at or after `done + elapsed` of work, as work done.
    pub fn next_boundary(&self, work_done: SimDuration) -> SimDuration {
        let g = self.kernel_slice.0.max(1);
        let b = work_done.0.div_ceil(g) * g;
        SimDuration(b.min(self.prefill_total.0))
    }
}
