//! The referral link field and its copy button.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Clipboard, HtmlInputElement};
use yew::prelude::*;

use super::listen::use_event;
use crate::i18n::{Msg, Texts};

/// How long the button says "Copied" before it reads "Copy" again.
const COPIED_FOR_MS: u32 = 2_000;

/// Props of [`LinkField`].
#[derive(Properties, PartialEq)]
pub struct LinkFieldProps {
    /// The referral link (validated `http:`/`https:`).
    pub link: AttrValue,
    /// Texts.
    pub texts: Rc<Texts>,
    /// Called after a successful copy.
    pub on_copied: Callback<()>,
}

/// What the copy button last achieved.
#[derive(Clone, Copy, PartialEq)]
enum Copy {
    Idle,
    Copied,
    /// The clipboard was unavailable or refused; the link text is selected instead.
    Selected,
}

/// The read-only link field and the copy button.
#[component]
pub fn LinkField(props: &LinkFieldProps) -> Html {
    let input = use_node_ref();
    let copy = use_state(|| Copy::Idle);
    let reset = use_mut_ref(|| None::<Timeout>);
    let button = use_node_ref();
    let on_click = {
        let input = input.clone();
        let copy = copy.clone();
        let link = props.link.clone();
        let on_copied = props.on_copied.clone();
        Callback::from(move |_| {
            let input = input.clone();
            let copy = copy.clone();
            let link = link.clone();
            let on_copied = on_copied.clone();
            let reset = reset.clone();
            // The clipboard call must start inside the click (user activation), so it is made
            // before the first await.
            let write = clipboard().map(|c| JsFuture::from(c.write_text(&link)));
            spawn_local(async move {
                let ok = match write {
                    Some(write) => write.await.is_ok(),
                    None => false,
                };
                if ok {
                    copy.set(Copy::Copied);
                    on_copied.emit(());
                    let copy = copy.clone();
                    *reset.borrow_mut() =
                        Some(Timeout::new(COPIED_FOR_MS, move || copy.set(Copy::Idle)));
                } else {
                    if let Some(field) = input.cast::<HtmlInputElement>() {
                        let _ = field.focus();
                        field.select();
                    }
                    copy.set(Copy::Selected);
                }
            });
        })
    };
    use_event(&button, "click", on_click);
    let texts = &props.texts;
    let label = if *copy == Copy::Copied {
        texts.get(Msg::Copied)
    } else {
        texts.get(Msg::Copy)
    };
    let announcement = match *copy {
        Copy::Idle => "",
        Copy::Copied => texts.get(Msg::Copied),
        Copy::Selected => texts.get(Msg::CopyFallback),
    };
    html! {
        <div class="link">
            <label for="rd-link" class="label">{ texts.get(Msg::LinkLabel) }</label>
            <div class="link-row">
                <input id="rd-link" part="link" type="text" readonly=true ref={input} dir="ltr"
                    value={props.link.clone()} spellcheck="false" />
                <button part="copy-button" type="button" class="primary" ref={button}
                    data-state={if *copy == Copy::Copied { "copied" } else { "idle" }}>
                    { label }
                </button>
            </div>
            <p class={if *copy == Copy::Selected { "hint" } else { "sr-only" }}
                role="status" aria-live="polite">{ announcement }</p>
        </div>
    }
}

/// The async Clipboard API, where the page may use it (secure context, API present).
fn clipboard() -> Option<Clipboard> {
    let window = web_sys::window()?;
    if !window.is_secure_context() {
        return None;
    }
    let clipboard = Reflect::get(&window.navigator(), &JsValue::from_str("clipboard")).ok()?;
    clipboard.dyn_into::<Clipboard>().ok()
}
