//! LLM architecture catalog, from the models' public `config.json` files.
//!
//! All five are decoder-only transformers with grouped-query attention, a SwiGLU MLP
//! (three matrices of `hidden × intermediate`) and untied input/output embeddings; weights and
//! KV cache are bf16 (2 bytes per element).

use serde::{Deserialize, Serialize};

/// Models the simulator knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ModelKind {
    /// mistralai/Mistral-7B-Instruct-v0.3.
    Mistral7B,
    /// microsoft/Phi-3-medium-128k-instruct (14B).
    Phi3Medium14B,
    /// 01-ai/Yi-34B-200K.
    Yi34B,
    /// meta-llama/Llama-3.1-70B.
    Llama31_70B,
    /// meta-llama/Llama-3.1-8B.
    Llama31_8B,
}

/// Architecture hyper-parameters of one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ModelSpec {
    /// Which model this is.
    pub kind: ModelKind,
    /// Human-readable name.
    pub name: &'static str,
    /// Transformer layers (N_l).
    pub layers: u32,
    /// Model dimension (d).
    pub hidden: u32,
    /// Query heads (N_h).
    pub heads: u32,
    /// Key/value heads (N_h^KV).
    pub kv_heads: u32,
    /// Head dimension (d_h).
    pub head_dim: u32,
    /// SwiGLU intermediate size.
    pub intermediate: u32,
    /// Vocabulary size.
    pub vocab: u32,
}

/// Bytes per element of weights, activations and KV cache (bf16).
pub const BYTES_PER_ELEMENT: u64 = 2;

impl ModelKind {
    /// Every model in the catalog, in display order.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::Mistral7B,
        ModelKind::Phi3Medium14B,
        ModelKind::Yi34B,
        ModelKind::Llama31_70B,
        ModelKind::Llama31_8B,
    ];

    /// Architecture of this model (values from each model's Hugging Face `config.json`).
    pub fn spec(self) -> ModelSpec {
        let (name, layers, hidden, heads, kv_heads, intermediate, vocab) = match self {
            ModelKind::Mistral7B => ("Mistral-7B-v0.3", 32, 4096, 32, 8, 14336, 32768),
            ModelKind::Phi3Medium14B => ("Phi-3-medium-128k (14B)", 40, 5120, 40, 10, 17920, 32064),
            ModelKind::Yi34B => ("Yi-34B-200K", 60, 7168, 56, 8, 20480, 64000),
            ModelKind::Llama31_70B => ("Llama-3.1-70B", 80, 8192, 64, 8, 28672, 128256),
            ModelKind::Llama31_8B => ("Llama-3.1-8B", 32, 4096, 32, 8, 14336, 128256),
        };
        ModelSpec {
            kind: self,
            name,
            layers,
            hidden,
            heads,
            kv_heads,
            head_dim: hidden / heads,
            intermediate,
            vocab,
        }
    }

    /// Short stable identifier used in scenario files and links.
    pub fn id(self) -> &'static str {
        match self {
            ModelKind::Mistral7B => "mistral-7b",
            ModelKind::Phi3Medium14B => "phi3-14b",
            ModelKind::Yi34B => "yi-34b",
            ModelKind::Llama31_70B => "llama3.1-70b",
            ModelKind::Llama31_8B => "llama3.1-8b",
        }
    }

    /// Parses [`ModelKind::id`]; `None` for an unknown name.
    pub fn from_id(id: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|m| m.id() == id)
    }
}

impl ModelSpec {
    /// Parameters of one layer's attention projections (Q, K, V, O).
    pub fn attn_params_per_layer(&self) -> u64 {
        let d = self.hidden as u64;
        let q = (self.heads * self.head_dim) as u64;
        let kv = (self.kv_heads * self.head_dim) as u64;
        d * q + 2 * d * kv + q * d
    }

    /// Parameters of one layer's SwiGLU MLP (gate, up, down).
    pub fn mlp_params_per_layer(&self) -> u64 {
        3 * self.hidden as u64 * self.intermediate as u64
    }

    /// All parameters: layers plus input and output embeddings (norms are negligible and
    /// counted as `2·d` per layer).
    pub fn params(&self) -> u64 {
        let per_layer =
            self.attn_params_per_layer() + self.mlp_params_per_layer() + 2 * self.hidden as u64;
        self.layers as u64 * per_layer + 2 * self.vocab as u64 * self.hidden as u64
    }

    /// Bytes of all weights in bf16.
    pub fn weight_bytes(&self) -> u64 {
        self.params() * BYTES_PER_ELEMENT
    }

    /// KV-cache bytes one token occupies over all layers: `2 · N_l · N_kv · d_h · 2 bytes`.
    pub fn kv_bytes_per_token(&self) -> u64 {
        2 * self.layers as u64 * self.kv_heads as u64 * self.head_dim as u64 * BYTES_PER_ELEMENT
    }

    /// KV-cache bytes one token occupies in one layer.
    pub fn kv_bytes_per_token_per_layer(&self) -> u64 {
        self.kv_bytes_per_token() / self.layers as u64
    }

    /// Bytes of one token's hidden state in one layer (`hidden · 2 bytes`): what a paused long
    /// prefill keeps per token of its segment (the pause state, docs/paper.md §2.4).
    pub fn pause_state_bytes_per_token(&self) -> u64 {
        self.hidden as u64 * BYTES_PER_ELEMENT
    }

    /// The pause state as a share of the same tokens' KV (all layers).
    pub fn pause_state_share(&self) -> f64 {
        self.pause_state_bytes_per_token() as f64 / self.kv_bytes_per_token() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_bytes_match_the_papers_model_table() {
        // Digest §3.2: KV/token 128 KiB, 200 KiB, 240 KiB, 320 KiB.
        assert_eq!(ModelKind::Mistral7B.spec().kv_bytes_per_token(), 128 * 1024);
        assert_eq!(
            ModelKind::Phi3Medium14B.spec().kv_bytes_per_token(),
            200 * 1024
        );
        assert_eq!(ModelKind::Yi34B.spec().kv_bytes_per_token(), 240 * 1024);
        assert_eq!(
            ModelKind::Llama31_70B.spec().kv_bytes_per_token(),
            320 * 1024
        );
    }

    #[test]
    fn parameter_counts_match_published_sizes() {
        let billions = |m: ModelKind| m.spec().params() as f64 / 1e9;
        assert!((billions(ModelKind::Mistral7B) - 7.25).abs() < 0.05);
        assert!((billions(ModelKind::Phi3Medium14B) - 13.96).abs() < 0.1);
        assert!((billions(ModelKind::Yi34B) - 34.39).abs() < 0.1);
        assert!((billions(ModelKind::Llama31_70B) - 70.55).abs() < 0.1);
        assert!((billions(ModelKind::Llama31_8B) - 8.03).abs() < 0.05);
    }

    #[test]
    fn pause_state_is_one_layer_of_hidden_states() {
        // Llama-3.1-70B: hidden 8192, 80 layers, 8 KV heads of 128: 16 KiB vs 320 KiB a token.
        let m = ModelKind::Llama31_70B.spec();
        assert_eq!(m.pause_state_bytes_per_token(), 16_384);
        assert_eq!(m.kv_bytes_per_token(), 327_680);
        assert_eq!(m.pause_state_share(), 0.05);
    }

    #[test]
    fn ids_round_trip() {
        for m in ModelKind::ALL {
            assert_eq!(ModelKind::from_id(m.id()), Some(m));
        }
    }
}
