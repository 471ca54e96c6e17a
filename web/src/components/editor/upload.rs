//! Uploading a trace file: the browser reads it, the worker parses it with the core and
//! answers with its format and size, or with the parser's error (line and value).

use crate::components::Help;
use crate::protocol::ToWorker;
use crate::runner::limits::MAX_TRACE_BYTES;
use crate::state::{Action, Upload, UploadStatus};
use web_sys::HtmlInputElement;
use yew::prelude::*;

const TIP: &str = "A request trace: Azure CSV (TIMESTAMP,ContextTokens,GeneratedTokens), Mooncake JSONL (timestamp ms, input_length, output_length), BurstGPT CSV, or plain CSV (arrival_s,input_tokens,output_tokens). The format is detected from the first line. The file stays in this tab: links carry only its name. An uploaded trace runs as recorded (whole file, rate ×1, no long-input transform) until you choose a transform below.";

/// Props of [`TraceUpload`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The trace the worker holds.
    pub upload: Option<Upload>,
    /// The last upload's status.
    pub status: UploadStatus,
    /// Posts to the worker.
    pub send: Callback<ToWorker>,
    /// Dispatches to the state.
    pub dispatch: Callback<Action>,
}

/// The file picker and what became of the last file.
#[component]
pub fn TraceUpload(p: &Props) -> Html {
    let onchange = {
        let send = p.send.clone();
        let dispatch = p.dispatch.clone();
        Callback::from(move |e: Event| {
            let Some(input) = crate::browser::event_target::<HtmlInputElement>(&e) else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let name = file.name();
            if file.size() > MAX_TRACE_BYTES as f64 {
                dispatch.emit(Action::UploadFailed {
                    name,
                    message: format!(
                        "the file is {:.0} MB; the explorer reads at most {} MB",
                        file.size() / 1048576.0,
                        MAX_TRACE_BYTES >> 20
                    ),
                });
                return;
            }
            dispatch.emit(Action::UploadStarted(name.clone()));
            let (send, dispatch) = (send.clone(), dispatch.clone());
            let file = gloo::file::File::from(file);
            wasm_bindgen_futures::spawn_local(async move {
                match gloo::file::futures::read_as_text(&file).await {
                    Ok(text) => send.emit(ToWorker::LoadTrace { name, text }),
                    Err(e) => dispatch.emit(Action::UploadFailed {
                        name,
                        message: e.to_string(),
                    }),
                }
            });
            input.set_value("");
        })
    };
    let status = match &p.status {
        UploadStatus::Idle => match &p.upload {
            Some(u) => html! {
                <p class="upload-ok" id="upload-status">
                    { format!("Loaded {}: {} requests ({} format). Links name this file but do not contain it.", u.name, u.requests, u.format) }
                </p>
            },
            None => html! { <p class="upload-none" id="upload-status">{ "No file loaded." }</p> },
        },
        UploadStatus::Reading(name) => html! {
            <p class="upload-busy" id="upload-status">{ format!("Reading {name}…") }</p>
        },
        UploadStatus::Failed { name, message } => html! {
            <p class="error" id="upload-error" role="alert">{ format!("{name}: {message}") }</p>
        },
    };
    html! {
        <div class="upload">
            <div class="field" title={TIP}>
                <span class="name"><label for="f-upload">{ "Upload a trace" }</label>
                    <Help label="Upload a trace" tip={TIP} /></span>
                <span class="control"><input type="file" id="f-upload" accept=".csv,.jsonl,.json,.txt"
                    aria-describedby="upload-status" {onchange} /></span>
            </div>
            { status }
        </div>
    }
}
