//! The message above the page: a link that could not be opened, or an uploaded trace the
//! scenario needs.

use crate::state::{Action, Notice};
use yew::prelude::*;

/// Props of [`NoticeBar`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The notice, if any.
    pub notice: Option<Notice>,
    /// Dispatches to the state.
    pub dispatch: Callback<Action>,
}

/// The notice bar.
#[component]
pub fn NoticeBar(p: &Props) -> Html {
    let Some(n) = &p.notice else { return html! {} };
    let (class, text) = match n {
        Notice::BadLink(m) => (
            "notice error",
            format!("This link could not be opened: {m}. Showing the default scenario instead."),
        ),
        Notice::UploadNeeded(name) => (
            "notice",
            format!(
                "This scenario reads the uploaded trace {name}, which links do not carry. Upload that file under Workload to run it, or pick an embedded trace."
            ),
        ),
    };
    let dismiss = p.dispatch.reform(|_| Action::DismissNotice);
    html! {
        <div class={class} id="notice" role="alert">
            <span>{ text }</span>
            <button class="small" onclick={dismiss} title="Hide this message">{ "×" }</button>
        </div>
    }
}
