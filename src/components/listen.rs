//! DOM event listeners that are removed with their component.
//!
//! Yew's own `on*` props go through its event delegation, which registers one listener per
//! event type on each app's root and never drops it (the closure is `forget()`-ed and keeps
//! the app's subtree alive). A widget that is mounted and unmounted many times on one page
//! would leak every app that way, so components attach their listeners with this hook
//! instead: a gloo `EventListener` owned by the component, dropped when it unmounts.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use web_sys::Event;
use yew::prelude::*;

/// Calls `callback` for every `event` on the element behind `node` while the component is
/// mounted. The listener is attached once; it always calls the latest `callback`. It may call
/// `preventDefault()` (it is not passive).
#[hook]
pub fn use_event(node: &NodeRef, event: &'static str, callback: Callback<Event>) {
    let latest: Rc<RefCell<Callback<Event>>> = use_mut_ref(|| callback.clone());
    *latest.borrow_mut() = callback;
    let node = node.clone();
    use_effect_with((), move |()| {
        let listener = node.get().map(|target| {
            EventListener::new_with_options(
                &target,
                event,
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let callback = latest.borrow().clone();
                    callback.emit(event.clone());
                },
            )
        });
        move || drop(listener)
    });
}
