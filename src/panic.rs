//! Turning a panic into an `rd-error` and a visible error state instead of a dead widget.
//!
//! The release build aborts on panic (no unwinding code in the wasm), so after a panic the
//! instance's state cannot be trusted and Yew cannot render any more. The hook therefore works
//! without Yew: it reports the panic on every live element and replaces its content with a
//! static error notice built with plain DOM calls.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsValue;
use web_sys::Element;

use crate::controller::Controller;
use crate::events;
use crate::fetch::{ErrorKind, WidgetError};
use crate::i18n::Msg;

thread_local! {
    /// Connected elements: their controller and the node their app is mounted in.
    static LIVE: RefCell<Vec<(Weak<Controller>, Element)>> = const { RefCell::new(Vec::new()) };
}

/// Installs the hook (once per page).
///
/// The hook formats nothing: it reports the panic's message as the panic carries it (a literal,
/// or the text `panic!` already formatted), without its location. Formatting the `PanicHookInfo`
/// and calling std's default hook, which writes to a standard error that wasm32 does not have,
/// cost 2.8 KB gzip (BENCHMARKS.md). In debug builds (the browser tests) the hook that was
/// there before, the test harness's, still runs afterwards so a test sees its panics.
///
/// Installed through Yew: a Yew app replaces any panic hook not set with
/// `yew::set_custom_panic_hook` when it first renders, which would silence this one.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(debug_assertions)]
        let previous = std::panic::take_hook();
        yew::set_custom_panic_hook(Box::new(move |info| {
            report(info.payload_as_str().unwrap_or("panic"));
            #[cfg(debug_assertions)]
            previous(info);
        }));
    });
}

/// Tracks a connected element.
pub fn register(controller: &Rc<Controller>, mount: &Element) {
    LIVE.with(|live| {
        let mut live = live.borrow_mut();
        live.retain(|(c, _)| c.strong_count() > 0);
        live.push((Rc::downgrade(controller), mount.clone()));
    });
}

/// Stops tracking an element that left the document.
pub fn unregister(controller: &Rc<Controller>) {
    LIVE.with(|live| {
        live.borrow_mut()
            .retain(|(c, _)| c.upgrade().is_some_and(|c| !Rc::ptr_eq(&c, controller)));
    });
}

/// What the hook does with a panic's message: log it, fire `rd-error` on every connected
/// element and replace its content with an error notice.
pub fn report(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(message));
    let mut text = String::from("internal error: ");
    text.push_str(message);
    // A type from SPEC §4's fixed list: a widget panic is almost always provoked by data it did
    // not expect, and the message says what happened.
    let error = WidgetError::new(ErrorKind::InvalidResponse, &text);
    LIVE.with(|live| {
        // The panic may have happened while this list was borrowed; then nothing can be done.
        let Ok(live) = live.try_borrow() else {
            return;
        };
        for (controller, mount) in live.iter() {
            let Some(controller) = controller.upgrade() else {
                continue;
            };
            events::error(controller.host(), &error);
            show_notice(mount, &controller);
        }
    });
}

fn show_notice(mount: &Element, controller: &Controller) {
    let Some(document) = mount.owner_document() else {
        return;
    };
    let (Ok(card), Ok(notice), Ok(paragraph)) = (
        document.create_element("section"),
        document.create_element("div"),
        document.create_element("p"),
    ) else {
        return;
    };
    let _ = card.set_attribute("part", "card");
    card.set_class_name("card");
    let _ = notice.set_attribute("part", "error");
    let _ = notice.set_attribute("role", "alert");
    notice.set_class_name("error");
    let title = controller
        .try_texts()
        .map(|t| t.get(Msg::ErrorTitle).to_owned())
        .unwrap_or_else(|| "We couldn't load your referral dashboard.".to_owned());
    paragraph.set_text_content(Some(&title));
    let _ = notice.append_child(&paragraph);
    let _ = card.append_child(&notice);
    mount.set_text_content(None);
    let _ = mount.append_child(&card);
}
