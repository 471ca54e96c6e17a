//! The SLO fields of the editor (docs/metrics.md, "SLOs and goodput"): per class, the TTFT
//! limit (a base and an allowance per 1000 input tokens) and the TBT limit. The results table
//! shows attainment and goodput against them; the load sweep plots attainment.

use super::field::{NumberField, num};
use crate::state::{Edit, SloEdit, SloField};
use pecsched_core::metrics::Class;
use pecsched_core::scenario::extra_wire::MAX_SLO_S;
use pecsched_core::scenario::wire::SloWire;
use yew::prelude::*;

/// Props of [`SloEditor`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The draft's SLOs (`None`: the defaults).
    pub slo: Option<SloWire>,
    /// Edits.
    pub edit: Callback<Edit>,
}

/// The SLO fields.
#[component]
pub fn SloEditor(p: &Props) -> Html {
    let s = p.slo.unwrap_or_default();
    let field = |class: Class, f: SloField| {
        p.edit.reform(move |value: f64| {
            Edit::Slo(SloEdit {
                class,
                field: f,
                value,
            })
        })
    };
    let class = |class: Class,
                 name: &'static str,
                 c: pecsched_core::scenario::wire::ClassSloWire| {
        let id = |k: &str| format!("f-slo-{}-{k}", name.to_lowercase());
        // One field per row, under a heading per class: three fields side by side do not fit
        // the editor column.
        html! {
            <>
                <h4 class="knob-group">{ format!("{name} requests") }</h4>
                <NumberField id={id("ttft")} label="TTFT" unit="s" min={0.001} max={MAX_SLO_S}
                    tip="Time to first token allowed before the input allowance."
                    value={num(c.ttft_s)} onchange={field(class, SloField::Ttft)} />
                <NumberField id={id("ttft-1k")} label="+ per 1K input" unit="s" min={0.0} max={MAX_SLO_S}
                    tip="Time to first token allowed on top, per 1000 input tokens (the TTFT limit grows with the prompt)."
                    value={num(c.ttft_per_1k_input_s)} onchange={field(class, SloField::TtftPer1k)} />
                <NumberField id={id("tbt")} label="TBT" unit="s" min={0.001} max={MAX_SLO_S}
                    tip="Mean time between output tokens allowed per request."
                    value={num(c.tbt_s)} onchange={field(class, SloField::Tbt)} />
            </>
        }
    };
    html! {
        <fieldset class="section" id="slo">
            <legend>{ "SLOs" }</legend>
            { class(Class::Short, "Short", s.short) }
            { class(Class::Long, "Long", s.long) }
        </fieldset>
    }
}
