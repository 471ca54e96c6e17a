//! The share box: the link that reproduces the page's scenario, and a Copy button.

use crate::browser;
use yew::prelude::*;

/// Props of [`SharePanel`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The full URL of the scenario, if the draft is valid.
    pub url: Option<String>,
    /// The uploaded trace the scenario reads (links carry only its name).
    pub upload_name: Option<String>,
}

/// The link and the Copy button.
#[component]
pub fn SharePanel(p: &Props) -> Html {
    let copied = use_state(|| None::<Result<(), String>>);
    let onclick = {
        let (url, copied) = (p.url.clone(), copied.clone());
        Callback::from(move |_| {
            let Some(url) = url.clone() else { return };
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                copied.set(Some(browser::copy(&url).await));
            });
        })
    };
    {
        let copied = copied.clone();
        use_effect_with(p.url.clone(), move |_| copied.set(None));
    }
    let feedback = match &*copied {
        Some(Ok(())) => html! { <span class="ok" id="copy-feedback">{ "Copied." }</span> },
        Some(Err(_)) => {
            html! { <span class="error" id="copy-feedback">{ "The browser refused the clipboard: select the link and copy it." }</span> }
        }
        None => html! {},
    };
    html! {
        <section class="share" id="share">
            <label for="share-link" title="This URL holds the whole scenario (versioned, compact); opening it reproduces exactly these numbers.">{ "Link to this scenario" }</label>
            <div class="row">
                <input id="share-link" type="text" readonly=true value={p.url.clone().unwrap_or_default()}
                    placeholder="(fix the scenario to get a link)" />
                <button id="copy-link" disabled={p.url.is_none()} {onclick}>{ "Copy link" }</button>
                { feedback }
            </div>
            if let Some(name) = &p.upload_name {
                <p class="note">{ format!("The link names the uploaded trace {name} but does not contain it: whoever opens it is asked to upload the same file.") }</p>
            }
        </section>
    }
}
