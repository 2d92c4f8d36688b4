//! The referral link field and its copy button.

use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Clipboard, HtmlInputElement};
use yew::prelude::*;

use super::actions::Action;
use crate::i18n::{Msg, Texts};

/// How long the button says "Copied" before it reads "Copy" again.
pub const COPIED_FOR_MS: u32 = 2_000;

/// What the copy button last achieved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Copy {
    /// Nothing yet (or long enough ago).
    #[default]
    Idle,
    /// The link is on the clipboard.
    Copied,
    /// The clipboard was unavailable or refused; the link text is selected instead.
    Selected,
}

/// Props of [`link_field`].
pub struct LinkFieldProps {
    /// The referral link (validated `http:`/`https:`).
    pub link: AttrValue,
    /// Texts.
    pub texts: Rc<Texts>,
    /// What the last copy achieved.
    pub copy: Copy,
}

/// The read-only link field and the copy button, with a live region that says what the copy
/// did.
pub fn link_field(props: &LinkFieldProps) -> Html {
    let texts = &props.texts;
    let label = if props.copy == Copy::Copied {
        texts.get(Msg::Copied)
    } else {
        texts.get(Msg::Copy)
    };
    let announcement = match props.copy {
        Copy::Idle => "",
        Copy::Copied => texts.get(Msg::Copied),
        Copy::Selected => texts.get(Msg::CopyFallback),
    };
    html! {
        <div class="link">
            <label for="rd-link" class="label">{ texts.get(Msg::LinkLabel) }</label>
            <div class="link-row">
                <input id="rd-link" part="link" type="text" readonly=true dir="ltr"
                    value={props.link.clone()} spellcheck="false" />
                <button part="copy-button" type="button" class="primary" data-action={Action::COPY}
                    data-state={if props.copy == Copy::Copied { "copied" } else { "idle" }}>
                    { label }
                </button>
            </div>
            // Literal classes: a computed one would pull Yew's class-list parser into the wasm.
            if props.copy == Copy::Selected {
                <p class="hint" role="status" aria-live="polite">{ announcement }</p>
            } else {
                <p class="sr-only" role="status" aria-live="polite">{ announcement }</p>
            }
        </div>
    }
}

/// Copies `link` to the clipboard; the future says whether it worked (not where the Clipboard
/// API is missing, in an insecure context, or refuses). The write starts now, before anything
/// is awaited: it must happen inside the click, which gives the page the right to write.
pub fn write(link: &str) -> impl Future<Output = bool> + use<> {
    let write = clipboard().map(|c| JsFuture::from(c.write_text(link)));
    async move {
        match write {
            Some(write) => write.await.is_ok(),
            None => false,
        }
    }
}

/// The fallback when the clipboard refuses: the field (the link's or a coupon code's) focused
/// and selected, so that the user's own Ctrl/⌘+C copies it.
pub fn select(field: &HtmlInputElement) {
    let _ = field.focus();
    field.select();
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
