//! Traces shipped inside the binary (`data/` at the repository root, CC-BY 4.0, Microsoft
//! Azure LLM inference trace 2023 — Patel et al., "Splitwise", ISCA 2024).

/// The traces PecSched embeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EmbeddedTrace {
    /// Azure LLM inference trace 2023, conversation service (19,366 requests, ~1 hour).
    AzureConv2023,
    /// Azure LLM inference trace 2023, coding service (8,819 requests, ~1 hour).
    AzureCode2023,
}

impl EmbeddedTrace {
    /// Every embedded trace.
    pub const ALL: [EmbeddedTrace; 2] =
        [EmbeddedTrace::AzureConv2023, EmbeddedTrace::AzureCode2023];

    /// Stable identifier used in scenario files and links.
    pub fn id(self) -> &'static str {
        match self {
            EmbeddedTrace::AzureConv2023 => "azure-conv-2023",
            EmbeddedTrace::AzureCode2023 => "azure-code-2023",
        }
    }

    /// Parses [`EmbeddedTrace::id`].
    pub fn from_id(id: &str) -> Option<EmbeddedTrace> {
        EmbeddedTrace::ALL.into_iter().find(|t| t.id() == id)
    }

    /// Human-readable name.
    pub fn label(self) -> &'static str {
        match self {
            EmbeddedTrace::AzureConv2023 => "Azure 2023 conversation",
            EmbeddedTrace::AzureCode2023 => "Azure 2023 code",
        }
    }

    /// The CSV text (Azure format).
    pub fn text(self) -> &'static str {
        match self {
            EmbeddedTrace::AzureConv2023 => {
                include_str!("../../../data/AzureLLMInferenceTrace_conv.csv")
            }
            EmbeddedTrace::AzureCode2023 => {
                include_str!("../../../data/AzureLLMInferenceTrace_code.csv")
            }
        }
    }
}
