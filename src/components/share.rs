//! Share actions: the browser's share sheet where supported, and links to the networks'
//! public share pages. Each fires the cancelable `rd-share` first; a host that cancels it
//! handles the share itself and the widget does nothing else.

use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::listen::use_event;
use crate::i18n::{Msg, Texts};
use crate::share::{self, Channel};

/// Props of [`ShareBar`].
pub struct ShareBarProps {
    /// The actions to show, in order.
    pub channels: Vec<Channel>,
    /// The referral link.
    pub link: AttrValue,
    /// Share text (from the session, else the catalogue).
    pub message: AttrValue,
    /// Email subject (from the session, else the catalogue).
    pub subject: AttrValue,
    /// Texts.
    pub texts: Rc<Texts>,
    /// Fires `rd-share`; returns `false` when the host cancelled it.
    pub on_share: Callback<Channel, bool>,
}

/// The row of share actions.
pub fn share_bar(props: &ShareBarProps) -> Html {
    let native = native_share_supported();
    let items = props
        .channels
        .iter()
        .copied()
        .filter(|c| *c != Channel::Native || native)
        .map(|channel| action(props, channel));
    if props.channels.iter().all(|c| *c == Channel::Native) && !native {
        return Html::default();
    }
    html! {
        <div part="share" class="share" role="group" aria-label={props.texts.get(Msg::ShareGroup).to_owned()}>
            { for items }
        </div>
    }
}

fn label(texts: &Texts, channel: Channel) -> String {
    match channel {
        Channel::Native => texts.get(Msg::ShareNative).to_owned(),
        Channel::Email => texts.get(Msg::ShareEmail).to_owned(),
        Channel::Sms => texts.get(Msg::ShareSms).to_owned(),
        other => other.brand().unwrap_or_default().to_owned(),
    }
}

fn action(props: &ShareBarProps, channel: Channel) -> Html {
    html! {
        <ShareAction {channel} label={label(&props.texts, channel)} link={props.link.clone()}
            message={props.message.clone()} subject={props.subject.clone()}
            on_share={props.on_share.clone()} />
    }
}

/// Props of [`ShareAction`].
#[derive(Properties, PartialEq)]
pub struct ShareActionProps {
    /// Which action.
    pub channel: Channel,
    /// Its text.
    pub label: AttrValue,
    /// The referral link.
    pub link: AttrValue,
    /// Share text.
    pub message: AttrValue,
    /// Email subject.
    pub subject: AttrValue,
    /// Fires `rd-share`; `false` when cancelled.
    pub on_share: Callback<Channel, bool>,
}

/// One share action: a button for the share sheet, a link otherwise.
#[component]
pub fn ShareAction(props: &ShareActionProps) -> Html {
    let node = use_node_ref();
    let channel = props.channel;
    let on_click = {
        let (on_share, link, message, subject) = (
            props.on_share.clone(),
            props.link.clone(),
            props.message.clone(),
            props.subject.clone(),
        );
        Callback::from(move |event: web_sys::Event| {
            if !on_share.emit(channel) {
                // The host handles it: the link must not open.
                event.prevent_default();
            } else if channel == Channel::Native {
                open_share_sheet(&link, &message, &subject);
            }
        })
    };
    use_event(&node, "click", on_click);
    if channel == Channel::Native {
        return html! {
            <button type="button" class="share-action" data-channel="native" ref={node}>
                { props.label.clone() }
            </button>
        };
    }
    let href =
        share::share_url(channel, &props.link, &props.message, &props.subject).unwrap_or_default();
    let target = channel.is_web().then_some("_blank");
    html! {
        <a class="share-action" data-channel={channel.id()} href={href} target={target}
            rel="noopener noreferrer" ref={node}>{ props.label.clone() }</a>
    }
}

fn native_share_supported() -> bool {
    web_sys::window()
        .map(|w| Reflect::has(&w.navigator(), &JsValue::from_str("share")).unwrap_or(false))
        .unwrap_or(false)
}

/// `navigator.share({title, text, url})`. A dismissed sheet rejects with `AbortError`, which is
/// the user's choice, not a failure, so the result is ignored.
fn open_share_sheet(link: &str, message: &str, subject: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let data = Object::new();
    let _ = Reflect::set(&data, &"title".into(), &subject.into());
    let _ = Reflect::set(&data, &"text".into(), &message.into());
    let _ = Reflect::set(&data, &"url".into(), &link.into());
    let navigator = window.navigator();
    let Ok(share) = Reflect::get(&navigator, &"share".into()) else {
        return;
    };
    let Some(share) = share.dyn_ref::<js_sys::Function>() else {
        return;
    };
    if let Ok(promise) = share.call1(&navigator, &data) {
        let promise = js_sys::Promise::resolve(&promise);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
}
