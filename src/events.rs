//! Every `rd-*` event the element dispatches (SPEC §4), from this one module.
//!
//! All events bubble and are composed, so they cross the shadow boundary and reach listeners
//! on the element and its ancestors.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

use crate::fetch::WidgetError;
use crate::session::Stats;

/// `rd-load`: a session was rendered. `detail: { stats }`.
pub fn load(host: &HtmlElement, stats: &Stats) {
    let inner = Object::new();
    set(&inner, "reach", &JsValue::from_f64(stats.reach));
    set(&inner, "referrals", &JsValue::from_f64(stats.referrals));
    set(&inner, "qualified", &JsValue::from_f64(stats.qualified));
    let detail = Object::new();
    set(&detail, "stats", &inner);
    dispatch(host, "rd-load", &detail, false);
}

/// `rd-copy`: the link or a coupon code was copied. `detail: { link }` or `{ coupon }`, as
/// `what` says.
pub fn copy(host: &HtmlElement, what: &str, text: &str) {
    let detail = Object::new();
    set(&detail, what, &JsValue::from_str(text));
    dispatch(host, "rd-copy", &detail, false);
}

/// `rd-share`: a share action was taken. Cancelable; returns `false` when the host called
/// `preventDefault()` and wants to handle the share itself.
pub fn share(host: &HtmlElement, channel: &str, link: &str) -> bool {
    let detail = Object::new();
    set(&detail, "channel", &JsValue::from_str(channel));
    set(&detail, "link", &JsValue::from_str(link));
    dispatch(host, "rd-share", &detail, true)
}

/// `rd-error`: a request failed or a session was invalid. `detail: { type, message, status? }`.
pub fn error(host: &HtmlElement, error: &WidgetError) {
    let detail = Object::new();
    set(&detail, "type", &JsValue::from_str(error.kind.as_str()));
    set(&detail, "message", &JsValue::from_str(&error.message));
    if let Some(status) = error.status {
        set(&detail, "status", &JsValue::from(status));
    }
    dispatch(host, "rd-error", &detail, false);
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// Dispatches the event; returns `false` if it was cancelable and a listener cancelled it.
fn dispatch(host: &HtmlElement, name: &str, detail: &Object, cancelable: bool) -> bool {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_cancelable(cancelable);
    init.set_detail(detail);
    match CustomEvent::new_with_event_init_dict(name, &init) {
        // A listener that throws is reported by the browser and does not stop the widget.
        Ok(event) => host.dispatch_event(&event).unwrap_or(true),
        Err(_) => true,
    }
}
