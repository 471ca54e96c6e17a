//! The `?` next to a field or a row: the same explanation as the hover tooltip, reachable
//! without a mouse. Tapping or clicking it (which focuses it) or reaching it with Tab shows
//! the text; leaving it hides it again (CSS `:focus`, so no state to keep in sync).

use yew::prelude::*;

/// Props of [`Help`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// What the help is about (the button's accessible name says "Help: label").
    pub label: AttrValue,
    /// The explanation.
    pub tip: AttrValue,
}

/// A focusable `?` button with its explanation.
#[component]
pub fn Help(p: &Props) -> Html {
    html! {
        <span class="help-wrap">
            <button type="button" class="help" aria-label={format!("Help: {}", p.label)}>{ "?" }</button>
            <span class="tip" role="tooltip">{ p.tip.clone() }</span>
        </span>
    }
}
