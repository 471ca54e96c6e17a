//! Edits of the scenario's SLOs (docs/metrics.md, "SLOs and goodput"): one limit of one class.
//! The field is written only when it differs from the defaults, so a link stays as short as
//! before unless the SLOs were changed.

use pecsched_core::metrics::Class;
use pecsched_core::scenario::wire::{ScenarioWire, SloWire};

/// Which limit of a class an edit changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SloField {
    /// TTFT allowed before the input allowance, seconds.
    Ttft,
    /// TTFT allowed on top per 1000 input tokens, seconds.
    TtftPer1k,
    /// Mean time between tokens allowed, seconds.
    Tbt,
}

/// One edit of the SLOs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SloEdit {
    /// The class.
    pub class: Class,
    /// The limit.
    pub field: SloField,
    /// Its new value, seconds.
    pub value: f64,
}

impl SloEdit {
    /// Applies the edit to `w` (`slo` = `None` again when every limit is back to its default).
    pub fn apply(self, w: &mut ScenarioWire) {
        let mut s = w.slo.unwrap_or_default();
        let c = match self.class {
            Class::Short => &mut s.short,
            Class::Long => &mut s.long,
        };
        match self.field {
            SloField::Ttft => c.ttft_s = self.value,
            SloField::TtftPer1k => c.ttft_per_1k_input_s = self.value,
            SloField::Tbt => c.tbt_s = self.value,
        }
        w.slo = (s != SloWire::default()).then_some(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pecsched_core::scenario::Scenario;

    #[test]
    fn an_edit_writes_the_field_and_the_default_removes_it() {
        let mut w = Scenario::default_scenario().to_wire();
        let edit = |value| SloEdit {
            class: Class::Long,
            field: SloField::Tbt,
            value,
        };
        edit(0.5).apply(&mut w);
        assert_eq!(w.slo.map(|s| s.long.tbt_s), Some(0.5));
        assert_eq!(w.slo.map(|s| s.short), Some(SloWire::default().short));
        assert_eq!(
            Scenario::from_wire(&w).unwrap().slo().long.tbt.0,
            500_000_000
        );
        edit(SloWire::default().long.tbt_s).apply(&mut w);
        assert_eq!(w.slo, None);
    }
}
