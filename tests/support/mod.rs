//! What the wasm browser tests share: the element defined through the package's own
//! `element.js`, and waiting for its events.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement, ShadowRoot};

#[wasm_bindgen(module = "/pkg-template/element.js")]
extern "C" {
    fn define(load: &js_sys::Function, name: &str) -> JsValue;
}

/// Defines `<referrer-dashboard>` once per test page, with the wasm already loaded.
pub fn define_element() {
    thread_local!(static DEFINED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if DEFINED.with(|d| d.replace(true)) {
        return;
    }
    let create = Closure::<dyn Fn(HtmlElement, ShadowRoot) -> JsValue>::new(|host, root| {
        JsValue::from(referrer_dashboard::create(host, root, None, None))
    });
    let exports = Object::new();
    Reflect::set(&exports, &"create".into(), create.as_ref()).unwrap();
    create.forget(); // lives as long as the test page
    let load = Closure::<dyn Fn() -> Promise>::new(move || {
        Promise::resolve(&JsValue::from(exports.clone()))
    });
    define(load.as_ref().unchecked_ref(), "referrer-dashboard");
    load.forget();
}

/// The test page's document.
pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Resolves with the next `name` event on `target`.
pub fn next_event(
    target: &Element,
    name: &str,
) -> impl std::future::Future<Output = web_sys::CustomEvent> {
    // The listener is registered now, not when the future is first polled, so an event fired
    // synchronously right after this call is not missed.
    let promise = Promise::new(&mut |resolve, _| {
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        target
            .add_event_listener_with_callback_and_add_event_listener_options(
                name, &resolve, &options,
            )
            .unwrap();
    });
    let event = JsFuture::from(promise);
    async move { event.await.unwrap().unchecked_into() }
}
