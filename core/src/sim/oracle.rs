//! Hardware in the loop: an optional oracle that times each iteration instead of the
//! performance model. The core stays pure — it only calls the trait; the native worker
//! implements it by launching real GPU kernels with the iteration's shapes.

use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

/// What kind of iteration is being timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum IterKind {
    /// Short prefill chunks only.
    Prefill,
    /// Decode steps only (short sequences, or a long request's decode share).
    Decode,
    /// Short prefill chunks batched with decodes.
    Mixed,
    /// A long request's decode step with short prefills colocated.
    Colocated,
}

/// The exact shapes of one iteration on one replica.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IterationDetail {
    /// Replica index.
    pub replica: u32,
    /// Prefill chunks: (new tokens, tokens already cached before the chunk).
    pub prefill: Vec<(u32, u32)>,
    /// Context length each decoding sequence attends to (a long request contributes its local
    /// KV share).
    pub decode: Vec<u32>,
}

impl IterationDetail {
    /// The kind of this iteration (`long_decode`: a long request's decode share is included).
    pub fn kind(&self, long_decode: bool) -> IterKind {
        match (self.prefill.is_empty(), self.decode.is_empty()) {
            (false, _) if long_decode => IterKind::Colocated,
            (false, true) => IterKind::Prefill,
            (false, false) => IterKind::Mixed,
            (true, _) => IterKind::Decode,
        }
    }
}

/// Times iterations; `predicted` is what the performance model says, for comparison.
pub trait IterationOracle {
    /// The duration the engine advances by for this iteration.
    fn time(
        &mut self,
        detail: &IterationDetail,
        kind: IterKind,
        predicted: SimDuration,
    ) -> SimDuration;
}
