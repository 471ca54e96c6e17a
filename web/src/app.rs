//! The root component.

use pecsched_core::model::ModelKind;
use yew::prelude::*;

/// The explorer's root component: for now, the title and the model catalog of the core.
#[component]
pub fn App() -> Html {
    html! {
        <main>
            <h1>{ "PecSched explorer" }</h1>
            <p>{ "Under construction. Models in the catalog:" }</p>
            <ul id="models">
                { for ModelKind::ALL.iter().map(|m| html! {
                    <li key={m.id()}>{ m.spec().name }</li>
                }) }
            </ul>
        </main>
    }
}
