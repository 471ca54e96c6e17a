//! What a scenario's workload asks of its cluster: which requests are long (the engine's
//! rule), how many replicas each gets, and the offered load of the long prefills.

use super::{Scenario, ScenarioError};
use crate::metrics::Class;
use crate::perf::{SpGroup, SpMode};
use crate::sched::Sizing;
use crate::workload::Request;

impl Scenario {
    /// The engine's classification and group-size rule on this scenario's cluster and model.
    pub fn sizing(&self) -> Result<Sizing, ScenarioError> {
        let e = self.engine();
        Ok(Sizing {
            long_threshold_tokens: e.long_threshold_tokens,
            max_short_kv_permille: e.max_short_kv_permille,
            sp_tokens_per_replica: e.sp_tokens_per_replica,
            kv_capacity_tokens: self.perf_model()?.kv_capacity_tokens(),
            model: self.model().spec(),
        })
    }

    /// Replicas a long request of these lengths gets (the engine's rule), on this cluster.
    pub fn sp_degree_for(
        &self,
        input_tokens: u32,
        output_tokens: u32,
    ) -> Result<u32, ScenarioError> {
        Ok(self.sizing()?.group_size(input_tokens, output_tokens))
    }

    /// The share of the cluster's replica-time that the long requests' prefills would take at
    /// ring-attention speed, each on a group of its size packed same node first, over the span
    /// of `requests`' arrivals (at least 1 s). A value of 1 means the long prefills alone
    /// would keep every replica busy.
    pub fn long_prefill_load(&self, requests: &[Request]) -> Result<f64, ScenarioError> {
        let sizing = self.sizing()?;
        let perf = self.perf_model()?;
        let per_node = self.cluster().gpus_per_node / self.tp();
        let span = requests
            .last()
            .map_or(1.0, |r| r.arrival.as_secs_f64())
            .max(1.0);
        let mut replica_seconds = 0.0;
        for r in requests {
            if sizing.class(r.input_tokens, r.output_tokens) != Class::Long {
                continue;
            }
            let k = sizing.group_size(r.input_tokens, r.output_tokens);
            let t = perf
                .sp_prefill(
                    r.input_tokens as u64,
                    &SpGroup::packed(k, per_node),
                    SpMode::RingOnly,
                )
                .time;
            replica_seconds += k as f64 * t.as_secs_f64();
        }
        Ok(replica_seconds / span / self.replicas() as f64)
    }

    /// How many of `requests` the engine serves as long requests.
    pub fn long_count(&self, requests: &[Request]) -> Result<usize, ScenarioError> {
        let sizing = self.sizing()?;
        Ok(requests
            .iter()
            .filter(|r| sizing.class(r.input_tokens, r.output_tokens) == Class::Long)
            .count())
    }
}
