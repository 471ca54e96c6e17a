//! Which requests are long and how many replicas a long request gets (paper §2.1, §3.4): the
//! engine classifies every request with it, and a policy sizes hypothetical requests with it
//! (Reservation's pool).

use crate::metrics::Class;
use crate::model::{BYTES_PER_ELEMENT, ModelSpec};

/// The classification and group-size rule, with the engine's knobs it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizing {
    /// Requests with more input tokens than this are long.
    pub long_threshold_tokens: u32,
    /// A request is also long if its KV (input + output) needs more than this share of one
    /// replica's KV capacity, in per mille.
    pub max_short_kv_permille: u32,
    /// A long request gets at least `ceil(input / this)` replicas.
    pub sp_tokens_per_replica: u32,
    /// KV capacity of one replica, in tokens.
    pub kv_capacity_tokens: u64,
    /// The model served (its KV and activation sizes).
    pub model: ModelSpec,
}

impl Sizing {
    /// Long if the input exceeds the threshold or the KV needs more than the allowed share of
    /// one replica.
    pub fn class(&self, input_tokens: u32, output_tokens: u32) -> Class {
        let kv = input_tokens as u64 + output_tokens as u64;
        let long = input_tokens > self.long_threshold_tokens
            || kv * 1000 > self.kv_capacity_tokens * self.max_short_kv_permille as u64;
        if long { Class::Long } else { Class::Short }
    }

    /// Replicas a long request gets: at least 2, at least `ceil(input / sp_tokens_per_replica)`,
    /// and at least what its KV (plus one layer's activation as pause state) needs.
    pub fn group_size(&self, input_tokens: u32, output_tokens: u32) -> u32 {
        let by_compute = (input_tokens as u64).div_ceil(self.sp_tokens_per_replica.max(1) as u64);
        let mut k = by_compute.max(2);
        while k < 4096
            && self.kv_per_member(input_tokens, output_tokens, k) > self.kv_capacity_tokens
        {
            k += 1;
        }
        k as u32
    }

    /// Replicas a long request decodes on when its group may change after the prefill (a
    /// decode-pool hand-over, LoongServe's scale-in): the fewest, at least 1, whose KV share
    /// per member ([`Sizing::kv_per_member`], the pause-state term included so that the
    /// reservation has one formula) fits one replica — `group_size`'s KV rule without its
    /// compute floors.
    pub fn decode_group_size(&self, input_tokens: u32, output_tokens: u32) -> u32 {
        let mut k = 1u64;
        while k < 4096
            && self.kv_per_member(input_tokens, output_tokens, k) > self.kv_capacity_tokens
        {
            k += 1;
        }
        k as u32
    }

    /// KV tokens one member of a `k`-replica group reserves for a long request: its share of
    /// the KV plus the pause state (one layer's hidden states of its segment, in KV-token
    /// units).
    pub fn kv_per_member(&self, input_tokens: u32, output_tokens: u32, k: u64) -> u64 {
        let total = input_tokens as u64 + output_tokens as u64;
        let share = total.div_ceil(k);
        let seg = (input_tokens as u64).div_ceil(k);
        let activation_bytes = seg * self.model.hidden as u64 * BYTES_PER_ELEMENT;
        share + activation_bytes.div_ceil(self.model.kv_bytes_per_token())
    }
}
