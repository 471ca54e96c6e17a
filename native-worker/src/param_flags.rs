//! Flags of `simulate` (and `capacity`) for the parameters of issue 18's policies, each
//! written into the scenario's wire form (`policy_params`, `medha`, `elastic_sp`) and
//! validated there, naming the field: the same values a scenario file or an explorer link
//! carries.

use clap::Args;
use pecsched_core::scenario::Scenario;
use pecsched_core::scenario::param_edit::PolicyParam;
use pecsched_core::scenario::wire::ScenarioWire;

/// Parameters of the schedulers users compare with (docs/policies.md).
#[derive(Args, Debug, Clone, Default)]
pub struct PolicyParamArgs {
    /// Learning-to-rank (`ltr`): sigma of the log-normal error of its output-length estimate
    /// (0 = an oracle; default 1).
    #[arg(long, value_name = "SIGMA", allow_negative_numbers = true)]
    pub rank_noise: Option<f64>,
    /// Chunked prefill (`chunked-prefill`) and Medha's largest chunk: prompt tokens each
    /// member of a long request's group processes per step (default 2048).
    #[arg(long, value_name = "TOKENS")]
    pub chunk_tokens: Option<u32>,
    /// DistServe (`distserve`): the decode pool's share of the replicas, in (0, 1) (default
    /// 0.3).
    #[arg(long, value_name = "SHARE", allow_negative_numbers = true)]
    pub pd_decode_share: Option<f64>,
    /// Medha (`medha`): the longest a long-prefill step may take, seconds (default: the short
    /// class's TBT SLO).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub medha_step_target: Option<f64>,
    /// Medha: the smallest chunk a long-prefill step takes, prompt tokens per member
    /// (default 1).
    #[arg(long, value_name = "TOKENS")]
    pub medha_min_chunk: Option<u32>,
    /// LoongServe (`loongserve`): the largest group a long prefill scales out to, replicas
    /// (default 8).
    #[arg(long, value_name = "REPLICAS")]
    pub max_prefill_degree: Option<u32>,
}

impl PolicyParamArgs {
    /// Writes the flags given into `w` (the core's `ScenarioWire::set_policy_param`, as the
    /// explorer's fields do).
    pub fn apply(&self, w: &mut ScenarioWire) {
        let given = [
            (PolicyParam::RankNoiseSigma, self.rank_noise),
            (
                PolicyParam::ChunkTokensPerMember,
                self.chunk_tokens.map(f64::from),
            ),
            (PolicyParam::PdDecodeShare, self.pd_decode_share),
            (
                PolicyParam::MedhaMinChunkTokensPerMember,
                self.medha_min_chunk.map(f64::from),
            ),
            (
                PolicyParam::MaxPrefillDegree,
                self.max_prefill_degree.map(f64::from),
            ),
        ];
        for (param, value) in given {
            if let Some(v) = value {
                w.set_policy_param(param, v);
            }
        }
        // Written as given, even 0 or less (the explorer's 0 means the default): validation
        // then refuses it, naming the field.
        if let Some(v) = self.medha_step_target {
            w.medha.get_or_insert_with(Default::default).tbt_target_s = Some(v);
        }
    }
}

/// The parameters of the scenario's issue-18 policies that it runs, for the header (empty
/// when it runs none of them).
pub fn label(s: &Scenario) -> Vec<String> {
    use pecsched_core::policy::PolicyKind as P;
    let k = s.knobs();
    let runs = |p: P| s.policies().contains(&p);
    let mut out = Vec::new();
    if runs(P::LearnedRank) {
        out.push(format!(
            "ltr rank noise σ {}",
            f64::from(k.rank_noise_sigma_milli) / 1000.0
        ));
    }
    if runs(P::ChunkedPrefill) || runs(P::Medha) {
        out.push(format!("chunk {} tokens/member", k.chunk_tokens_per_member));
    }
    if runs(P::Disaggregated) {
        out.push(format!(
            "distserve decode share {}",
            f64::from(k.pd_decode_permille) / 1000.0
        ));
    }
    if runs(P::Medha) {
        let target = k.medha_tbt_target.map_or_else(
            || "the short TBT SLO".to_string(),
            |t| format!("{} s", t.as_secs_f64()),
        );
        out.push(format!(
            "medha step target {target}, min chunk {} tokens/member",
            k.medha_min_chunk_tokens_per_member
        ));
    }
    if runs(P::LoongServe) {
        out.push(format!(
            "loongserve max prefill degree {}",
            k.max_prefill_degree
        ));
    }
    out
}
