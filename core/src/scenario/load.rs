//! What a scenario's workload asks of its cluster: which requests are long (the engine's
//! rule), how many replicas each gets, the offered load of the long prefills, the short
//! requests' capacity at full batching, and the demand of each class in replica-seconds.

use super::{Scenario, ScenarioError};
use crate::metrics::{Capacity, Class, Demand, ShortCapacity};
use crate::perf::{BatchShape, SpGroup, SpMode};
use crate::sched::Sizing;
use crate::workload::Request;

impl Scenario {
    /// The engine's classification and group-size rule on this scenario's cluster and model.
    pub fn sizing(&self) -> Result<Sizing, ScenarioError> {
        let capacity = self.perf_model()?.kv_capacity_tokens();
        Ok(self.engine().sizing(self.model().spec(), capacity))
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
        let available = arrival_span_s(requests) * self.replicas() as f64;
        Ok(self.long_prefill_replica_s(requests)? / available)
    }

    /// Replica-seconds of the long requests' prefills at ring-attention speed, each on a group
    /// of its size packed same node first.
    fn long_prefill_replica_s(&self, requests: &[Request]) -> Result<f64, ScenarioError> {
        let sizing = self.sizing()?;
        let perf = self.perf_model()?;
        let per_node = self.cluster().gpus_per_node / self.tp();
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
        Ok(replica_seconds)
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

impl Scenario {
    /// What the short requests of `requests` get from the cluster at full batching, from the
    /// performance model: one replica runs vLLM-like iterations in a steady state where as many
    /// requests start as finish. `D` sequences decode (the least of `max_num_seqs`, the KV
    /// capacity over `mean_input + mean_output` tokens reserved each, and the token budget's
    /// share `max_batched_tokens · mean_output / (mean_input + mean_output)`), each at mean
    /// context `mean_input + mean_output / 2`; `D / mean_output` requests start per
    /// iteration, so `D · mean_input / mean_output` prefill tokens run beside them, with the
    /// causal attention pairs of the workload's own input lengths. Capacity = requests
    /// started per iteration / the iteration's time. Every replica counts as prefilling and
    /// decoding (the common engine, no decode pool). `None` when there is no short request.
    pub fn short_capacity(
        &self,
        requests: &[Request],
    ) -> Result<Option<ShortCapacity>, ScenarioError> {
        let sizing = self.sizing()?;
        let perf = self.perf_model()?;
        let e = self.engine();
        let (mut n, mut input, mut output, mut pairs) = (0u64, 0u128, 0u128, 0u128);
        for r in requests {
            if sizing.class(r.input_tokens, r.output_tokens) != Class::Short {
                continue;
            }
            let i = r.input_tokens as u128;
            n += 1;
            input += i;
            output += r.output_tokens.max(1) as u128;
            pairs += i * (i + 1) / 2;
        }
        if n == 0 {
            return Ok(None);
        }
        let nf = n as f64;
        let (mean_input, mean_output) = (input as f64 / nf, output as f64 / nf);
        let mean_pairs = pairs as f64 / nf;
        let by_kv = perf.kv_capacity_tokens() as f64 / (mean_input + mean_output);
        let by_budget = e.max_batched_tokens as f64 * mean_output / (mean_input + mean_output);
        let decode_seqs = (e.max_num_seqs as f64).min(by_kv).min(by_budget);
        let starts = decode_seqs / mean_output;
        let prefill_tokens = starts * mean_input;
        let round = |x: f64| libm::round(x).max(1.0);
        let batch = BatchShape {
            prefill_seqs: round(starts) as u32,
            prefill_tokens: round(prefill_tokens) as u64,
            prefill_attn_pairs: round(starts * mean_pairs) as u64,
            prefill_prefix_tokens: 0,
            decode_seqs: round(decode_seqs) as u32,
            decode_kv_tokens: round(decode_seqs * (mean_input + mean_output / 2.0)) as u64,
        };
        let iteration_s = perf.iteration_time(&batch).as_secs_f64();
        let per_replica_rps = starts / iteration_s;
        Ok(Some(ShortCapacity {
            requests: n,
            mean_input,
            mean_output,
            decode_seqs,
            prefill_tokens,
            iteration_s,
            per_replica_rps,
            replicas: self.replicas(),
            cluster_rps: per_replica_rps * self.replicas() as f64,
        }))
    }

    /// The short requests of `requests` per second at which they alone would keep `share` of
    /// the cluster busy ([`Scenario::short_capacity`] × `share`); `None` without short
    /// requests.
    pub fn short_capacity_rps(
        &self,
        requests: &[Request],
        share: f64,
    ) -> Result<Option<f64>, ScenarioError> {
        Ok(self
            .short_capacity(requests)?
            .map(|c| c.cluster_rps * share))
    }

    /// The rate scale at which the short requests of `requests` (read at rate ×1) would alone
    /// keep `share` of the cluster busy: `share × capacity / (short requests / span)`. `None`
    /// without short requests.
    pub fn short_load_scale(
        &self,
        requests: &[Request],
        share: f64,
    ) -> Result<Option<f64>, ScenarioError> {
        let Some(d) = self.demand(requests)? else {
            return Ok(None);
        };
        Ok((d.short_replica_s > 0.0).then(|| share * d.available_replica_s / d.short_replica_s))
    }

    /// What `requests` ask of the cluster over the span of their arrivals: the short requests
    /// at full batching ([`Scenario::short_capacity`]) and the long prefills at
    /// ring-attention speed ([`Scenario::long_prefill_load`]). `None` when `requests` is
    /// empty.
    pub fn demand(&self, requests: &[Request]) -> Result<Option<Demand>, ScenarioError> {
        if requests.is_empty() {
            return Ok(None);
        }
        let span_s = arrival_span_s(requests);
        let available_replica_s = span_s * self.replicas() as f64;
        let cap = self.short_capacity(requests)?;
        let long_requests = self.long_count(requests)? as u64;
        Ok(Some(Demand {
            span_s,
            available_replica_s,
            short_requests: cap.map_or(0, |c| c.requests),
            short_replica_s: cap.map_or(0.0, |c| c.requests as f64 / c.per_replica_rps),
            long_requests,
            long_prefill_replica_s: self.long_prefill_replica_s(requests)?,
        }))
    }

    /// The arrival rate at which the mix of `requests` (their lengths; arrival times do not
    /// matter) keeps every replica of this scenario's cluster busy: `requests × replicas /
    /// (short replica-seconds + long prefill replica-seconds)` ([`Scenario::demand`]); `scale`
    /// runs at this rate. `None` when `requests` is empty or asks for no replica time.
    pub fn capacity(&self, requests: &[Request]) -> Result<Option<Capacity>, ScenarioError> {
        let Some(d) = self.demand(requests)? else {
            return Ok(None);
        };
        let n = d.short_requests + d.long_requests;
        let replica_s = d.short_replica_s + d.long_prefill_replica_s;
        if n == 0 || replica_s.is_nan() || replica_s <= 0.0 {
            return Ok(None);
        }
        let per_request = replica_s / n as f64;
        let replicas = self.replicas();
        Ok(Some(Capacity {
            requests: n,
            long_requests: d.long_requests,
            replica_s_per_request: per_request,
            long_share: d.long_share(),
            replicas,
            rps: replicas as f64 / per_request,
        }))
    }
}

/// Seconds from the first to the last arrival of `requests` (arrivals are relative to the
/// first), at least 1 s.
fn arrival_span_s(requests: &[Request]) -> f64 {
    requests
        .last()
        .map_or(1.0, |r| r.arrival.as_secs_f64())
        .max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short capacity is the steady state it describes: the iteration holds what the
    /// knobs allow, as many requests start as finish, and the rate is starts per iteration
    /// time; the demand adds up.
    #[test]
    fn short_capacity_and_demand_of_the_default_workload() {
        let s = Scenario::default_scenario();
        let reqs = s.requests(None).unwrap();
        let c = s.short_capacity(&reqs).unwrap().unwrap();
        let e = s.engine();
        assert!(c.decode_seqs <= e.max_num_seqs as f64);
        assert!(c.prefill_tokens + c.decode_seqs <= e.max_batched_tokens as f64 + 1e-9);
        let starts = c.decode_seqs / c.mean_output;
        assert!((c.prefill_tokens - starts * c.mean_input).abs() < 1e-6);
        assert_eq!(c.per_replica_rps, starts / c.iteration_s);
        assert_eq!(c.cluster_rps, c.per_replica_rps * s.replicas() as f64);
        let d = s.demand(&reqs).unwrap().unwrap();
        assert_eq!(d.short_requests + d.long_requests, reqs.len() as u64);
        assert_eq!(
            d.short_replica_s,
            d.short_requests as f64 / c.per_replica_rps
        );
        let long = s.long_prefill_load(&reqs).unwrap();
        assert!((d.long_prefill_replica_s / d.available_replica_s - long).abs() < 1e-12);
        // The rate scale that loads the cluster to a share with short requests alone.
        let x = s.short_load_scale(&reqs, 0.8).unwrap().unwrap();
        assert!((x * d.short_replica_s / d.available_replica_s - 0.8).abs() < 1e-12);
        assert_eq!(s.short_capacity(&[]).unwrap(), None);
        assert_eq!(s.demand(&[]).unwrap(), None);
        eprintln!(
            "{c:?}\n{d:?}\nlong share {:.4}, scale for 0.8: {x}",
            d.long_share()
        );
    }

    /// At the capacity rate the demand over the arrivals' span is the whole cluster: the
    /// default workload's load, scaled by capacity ÷ its rate, is 1.
    #[test]
    fn capacity_rate_loads_the_cluster_fully() {
        let s = Scenario::default_scenario();
        let reqs = s.requests(None).unwrap();
        let c = s.capacity(&reqs).unwrap().unwrap();
        assert_eq!(c.requests, reqs.len() as u64);
        assert_eq!(c.replicas, s.replicas());
        let d = s.demand(&reqs).unwrap().unwrap();
        let offered_rps = reqs.len() as f64 / d.span_s;
        let at_capacity = d.load() * c.rps / offered_rps;
        assert!((at_capacity - 1.0).abs() < 1e-9, "{at_capacity}");
        assert_eq!(c.long_share, d.long_share());
        assert_eq!(s.capacity(&[]).unwrap(), None);
    }
}
