//! A chart's card: title, controls, the SVG, a note on units, and an "SVG" download button
//! that saves exactly what is drawn.

use crate::browser;
use web_sys::Element;
use yew::prelude::*;

/// Props of [`ChartCard`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Element id (tests, anchors).
    pub id: AttrValue,
    /// Title.
    pub title: AttrValue,
    /// A line under the chart (what is plotted, units, caveats).
    #[prop_or_default]
    pub note: AttrValue,
    /// File name of the SVG download.
    pub file: AttrValue,
    /// Controls shown next to the title (selects, toggles).
    #[prop_or_default]
    pub controls: Html,
    /// The chart.
    pub children: Html,
}

/// A chart with its title, controls and SVG download.
#[component]
pub fn ChartCard(p: &Props) -> Html {
    let node = use_node_ref();
    let onclick = {
        let node = node.clone();
        let file = p.file.clone();
        Callback::from(move |_| {
            if let Some(el) = node.cast::<Element>()
                && let Ok(Some(svg)) = el.query_selector("svg")
            {
                let text = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
                    svg.outer_html()
                );
                browser::download(&file, "image/svg+xml", &text);
            }
        })
    };
    html! {
        <section class="card" id={p.id.clone()}>
            <header>
                <h3>{ p.title.clone() }</h3>
                <div class="controls">
                    { p.controls.clone() }
                    <button class="small" title="Download this chart as an SVG file" {onclick}>{ "⤓ SVG" }</button>
                </div>
            </header>
            <div class="plot" ref={node}>{ p.children.clone() }</div>
            if !p.note.is_empty() {
                <p class="note">{ p.note.clone() }</p>
            }
        </section>
    }
}
