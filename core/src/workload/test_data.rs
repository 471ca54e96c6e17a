//! The embedded Azure 2023 traces, for tests.

/// The 2023 conversation trace (19,366 requests).
pub(crate) const AZURE_CONV: &str = include_str!("../../../data/AzureLLMInferenceTrace_conv.csv");
/// The 2023 coding trace (8,819 requests).
pub(crate) const AZURE_CODE: &str = include_str!("../../../data/AzureLLMInferenceTrace_code.csv");
