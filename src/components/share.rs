//! Share actions: the browser's share sheet where supported, and links to the networks'
//! public share pages. A click on one fires the cancelable `rd-share` first (see
//! [`super::actions`]); a host that cancels it handles the share itself and the widget does
//! nothing else.

use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::actions::Action;
use crate::i18n::{Msg, Texts};
use crate::share::{self, Channel};

/// Props of [`share_bar`].
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
}

/// The row of share actions: a button for the share sheet, a link for each network.
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
    let label = label(&props.texts, channel);
    if channel == Channel::Native {
        return html! {
            <button type="button" class="share-action" data-action={Action::SHARE}
                data-channel="native">{ label }</button>
        };
    }
    let href =
        share::share_url(channel, &props.link, &props.message, &props.subject).unwrap_or_default();
    let target = channel.is_web().then_some("_blank");
    html! {
        <a class="share-action" data-action={Action::SHARE} data-channel={channel.id()} href={href}
            target={target} rel="noopener noreferrer">{ label }</a>
    }
}

fn native_share_supported() -> bool {
    web_sys::window()
        .map(|w| Reflect::has(&w.navigator(), &JsValue::from_str("share")).unwrap_or(false))
        .unwrap_or(false)
}

/// `navigator.share({title, text, url})`. A dismissed sheet rejects with `AbortError`, which is
/// the user's choice, not a failure, so the result is ignored.
pub fn open_share_sheet(link: &str, message: &str, subject: &str) {
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
