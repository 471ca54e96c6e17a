//! Labelled form fields: every field shows its unit and explains itself (tooltip and `?`).

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Props of [`NumberField`].
#[derive(Properties, PartialEq)]
pub struct NumberProps {
    /// Element id (for labels and tests).
    pub id: AttrValue,
    /// Field name.
    pub label: AttrValue,
    /// Unit shown after the input (empty for none).
    #[prop_or_default]
    pub unit: AttrValue,
    /// What the field means, with its range.
    pub tip: AttrValue,
    /// Current value, as text.
    pub value: AttrValue,
    /// Smallest value the input offers.
    #[prop_or_default]
    pub min: Option<f64>,
    /// Largest value the input offers.
    #[prop_or_default]
    pub max: Option<f64>,
    /// Step of the input's arrows.
    #[prop_or(AttrValue::Static("any"))]
    pub step: AttrValue,
    /// Greyed out.
    #[prop_or_default]
    pub disabled: bool,
    /// Called with the new value when the user commits it (Enter or leaving the field).
    #[prop_or_default]
    pub onchange: Callback<f64>,
    /// Called instead with the raw text, for values an `f64` cannot hold exactly (seeds).
    #[prop_or_default]
    pub ontext: Option<Callback<String>>,
}

/// A number input with label, unit and explanation. Emits on commit only, so typing a
/// multi-digit number starts one run, not one per keystroke.
#[component]
pub fn NumberField(p: &NumberProps) -> Html {
    let onchange = {
        let cb = p.onchange.clone();
        let text = p.ontext.clone();
        Callback::from(move |e: Event| {
            let Some(input) = crate::browser::event_target::<HtmlInputElement>(&e) else {
                return;
            };
            let value = input.value().trim().to_string();
            match &text {
                Some(t) => t.emit(value),
                None => {
                    if let Ok(v) = value.parse::<f64>()
                        && v.is_finite()
                    {
                        cb.emit(v);
                    }
                }
            }
        })
    };
    html! {
        <label class="field" for={p.id.clone()} title={p.tip.clone()}>
            <span class="name">{ p.label.clone() }<span class="help" aria-hidden="true">{ "?" }</span></span>
            <span class="control">
                <input type="number" id={p.id.clone()} value={p.value.clone()}
                    min={p.min.map(|v| v.to_string())} max={p.max.map(|v| v.to_string())}
                    step={p.step.clone()} disabled={p.disabled} {onchange} />
                <span class="unit">{ p.unit.clone() }</span>
            </span>
        </label>
    }
}

/// Props of [`SelectField`].
#[derive(Properties, PartialEq)]
pub struct SelectProps {
    /// Element id.
    pub id: AttrValue,
    /// Field name.
    pub label: AttrValue,
    /// What the field means.
    pub tip: AttrValue,
    /// `(value, label)` of each option.
    pub options: Vec<(AttrValue, AttrValue)>,
    /// The selected value.
    pub selected: AttrValue,
    /// Greyed out.
    #[prop_or_default]
    pub disabled: bool,
    /// Called with the chosen value.
    pub onchange: Callback<String>,
}

/// A drop-down with label and explanation.
#[component]
pub fn SelectField(p: &SelectProps) -> Html {
    let onchange = {
        let cb = p.onchange.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = crate::browser::event_target::<HtmlSelectElement>(&e) {
                cb.emit(s.value());
            }
        })
    };
    html! {
        <label class="field" for={p.id.clone()} title={p.tip.clone()}>
            <span class="name">{ p.label.clone() }<span class="help" aria-hidden="true">{ "?" }</span></span>
            <span class="control">
                <select id={p.id.clone()} disabled={p.disabled} {onchange}>
                    { for p.options.iter().map(|(v, l)| html! {
                        <option value={v.clone()} selected={*v == p.selected}>{ l.clone() }</option>
                    }) }
                </select>
            </span>
        </label>
    }
}

/// Props of [`CheckField`].
#[derive(Properties, PartialEq)]
pub struct CheckProps {
    /// Element id.
    pub id: AttrValue,
    /// Field name.
    pub label: AttrValue,
    /// What the field means.
    pub tip: AttrValue,
    /// Ticked.
    pub checked: bool,
    /// Called with the new state.
    pub onchange: Callback<bool>,
}

/// A checkbox with label and explanation.
#[component]
pub fn CheckField(p: &CheckProps) -> Html {
    let onchange = {
        let cb = p.onchange.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = crate::browser::event_target::<HtmlInputElement>(&e) {
                cb.emit(i.checked());
            }
        })
    };
    html! {
        <label class="check" for={p.id.clone()} title={p.tip.clone()}>
            <input type="checkbox" id={p.id.clone()} checked={p.checked} {onchange} />
            <span>{ p.label.clone() }</span><span class="help" aria-hidden="true">{ "?" }</span>
        </label>
    }
}

/// A number as an input shows it: integers without a decimal point, others as Rust prints
/// them (shortest exact form).
pub fn num(v: f64) -> AttrValue {
    AttrValue::from(format!("{v}"))
}
