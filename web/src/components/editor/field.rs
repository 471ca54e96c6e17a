//! Labelled form fields: every field shows its unit and explains itself (a tooltip on hover,
//! and a `?` button that shows the same text on click, tap or keyboard focus).
//!
//! A number field keeps exactly what the user typed until they commit it (Enter or leaving
//! the field), whatever re-renders the page in the meantime (progress of a run or a sweep):
//! the typed text lives in the field's own state, and the scenario's value replaces it only
//! when that value changes. A committed text that is not a number in range is refused at the
//! field, with the reason, and never reaches the scenario.

use crate::components::Help;
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
    /// Smallest value accepted.
    #[prop_or_default]
    pub min: Option<f64>,
    /// Largest value accepted.
    #[prop_or_default]
    pub max: Option<f64>,
    /// Why the largest value is what it is (shown when a larger one is refused).
    #[prop_or_default]
    pub max_reason: Option<AttrValue>,
    /// Whole numbers only.
    #[prop_or_default]
    pub integer: bool,
    /// Greyed out.
    #[prop_or_default]
    pub disabled: bool,
    /// Called with the new value when the user commits it (Enter or leaving the field).
    #[prop_or_default]
    pub onchange: Callback<f64>,
    /// Called instead with the raw text, for values an `f64` cannot hold exactly (seeds);
    /// returns why the text is refused, if it is.
    #[prop_or_default]
    pub ontext: Option<Callback<String, Option<String>>>,
}

/// Why `text` is not an acceptable value of the field, or the value.
pub fn parse_number(
    text: &str,
    min: Option<f64>,
    max: Option<f64>,
    integer: bool,
) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("enter a number".into());
    }
    let v: f64 = t.parse().map_err(|_| format!("“{t}” is not a number"))?;
    if !v.is_finite() {
        return Err(format!("“{t}” is not a finite number"));
    }
    if integer && v.fract() != 0.0 {
        return Err(format!("{t} is not a whole number"));
    }
    let range = match (min, max) {
        (Some(a), Some(b)) => format!("between {} and {}", show(a), show(b)),
        (Some(a), None) => format!("at least {}", show(a)),
        (None, Some(b)) => format!("at most {}", show(b)),
        (None, None) => String::new(),
    };
    if min.is_some_and(|a| v < a) || max.is_some_and(|b| v > b) {
        return Err(format!("{t} is out of range: enter a number {range}"));
    }
    Ok(v)
}

/// A bound as people read it: `4096`, `0.001`, `1e7` → `10000000`.
fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A number input with label, unit and explanation. Emits on commit only, so typing a
/// multi-digit number starts one run, not one per keystroke.
#[component]
pub fn NumberField(p: &NumberProps) -> Html {
    // The user's uncommitted (or refused) text; `None` shows the scenario's value.
    let typed = use_state_eq(|| None::<String>);
    let error = use_state_eq(|| None::<String>);
    {
        // A new value from the scenario (a commit, Reset, a followed link) replaces the text.
        let (typed, error) = (typed.clone(), error.clone());
        use_effect_with(p.value.clone(), move |_| {
            typed.set(None);
            error.set(None);
        });
    }
    let oninput = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = crate::browser::event_target::<HtmlInputElement>(&e) {
                typed.set(Some(input.value()));
            }
        })
    };
    let onchange = {
        let (cb, text_cb) = (p.onchange.clone(), p.ontext.clone());
        let (min, max, integer) = (p.min, p.max, p.integer);
        let reason = p.max_reason.clone();
        let (typed, error) = (typed.clone(), error.clone());
        Callback::from(move |e: Event| {
            let Some(input) = crate::browser::event_target::<HtmlInputElement>(&e) else {
                return;
            };
            let value = input.value();
            typed.set(Some(value.clone()));
            let refused = match &text_cb {
                Some(t) => t.emit(value.trim().to_string()),
                None => match parse_number(&value, min, max, integer) {
                    Ok(v) => {
                        cb.emit(v);
                        None
                    }
                    Err(m) => Some(match (&reason, max) {
                        (Some(r), Some(b)) if value.trim().parse::<f64>().is_ok_and(|v| v > b) => {
                            format!("{m} ({r})")
                        }
                        _ => m,
                    }),
                },
            };
            error.set(refused);
        })
    };
    let err_id = format!("{}-error", p.id);
    let value = typed.as_ref().map_or(p.value.clone(), |t| t.clone().into());
    let mode = if p.integer { "numeric" } else { "decimal" };
    html! {
        <div class={classes!("field", error.is_some().then_some("invalid"))} title={p.tip.clone()}>
            <span class="name"><label for={p.id.clone()}>{ p.label.clone() }</label>
                <Help label={p.label.clone()} tip={p.tip.clone()} /></span>
            <span class="control">
                <input type="text" inputmode={mode} id={p.id.clone()} {value} autocomplete="off"
                    spellcheck="false" disabled={p.disabled} {oninput} {onchange}
                    aria-invalid={error.is_some().then_some("true")}
                    aria-describedby={error.is_some().then(|| err_id.clone())} />
                <span class="unit">{ p.unit.clone() }</span>
            </span>
            if let Some(m) = &*error {
                <span class="field-error" id={err_id} role="alert">{ m.clone() }</span>
            }
        </div>
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
        <div class="field" title={p.tip.clone()}>
            <span class="name"><label for={p.id.clone()}>{ p.label.clone() }</label>
                <Help label={p.label.clone()} tip={p.tip.clone()} /></span>
            <span class="control">
                <select id={p.id.clone()} disabled={p.disabled} {onchange}>
                    { for p.options.iter().map(|(v, l)| html! {
                        <option value={v.clone()} selected={*v == p.selected}>{ l.clone() }</option>
                    }) }
                </select>
            </span>
        </div>
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
        <div class="check" title={p.tip.clone()}>
            <input type="checkbox" id={p.id.clone()} checked={p.checked} {onchange} />
            <label for={p.id.clone()}>{ p.label.clone() }</label>
            <Help label={p.label.clone()} tip={p.tip.clone()} />
        </div>
    }
}

/// A number as an input shows it: integers without a decimal point, others as Rust prints
/// them (shortest exact form).
pub fn num(v: f64) -> AttrValue {
    AttrValue::from(format!("{v}"))
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn refuses_what_is_not_a_number_in_range() {
        assert_eq!(parse_number(" 1024 ", Some(0.0), None, true), Ok(1024.0));
        assert_eq!(
            parse_number("0.05", Some(0.001), Some(1000.0), false),
            Ok(0.05)
        );
        let e = parse_number("600", Some(1.0), Some(512.0), true).unwrap_err();
        assert!(e.contains("between 1 and 512"), "{e}");
        assert!(
            parse_number("1.5", None, None, true)
                .unwrap_err()
                .contains("whole")
        );
        assert!(
            parse_number("abc", None, None, false)
                .unwrap_err()
                .contains("not a number")
        );
        assert!(parse_number("", None, None, false).is_err());
        assert!(parse_number("inf", None, None, false).is_err());
        assert!(
            parse_number("1e300", None, Some(1e7), false)
                .unwrap_err()
                .contains("10000000")
        );
    }
}
