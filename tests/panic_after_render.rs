#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! A real panic after an element has rendered makes the wasm trap, and the loader turns the
//! trap into `rd-error` and its error state. (Its own test page: the trap ends this wasm
//! instance.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

mod support;
use support::{define_element, document, next_event};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_trap_after_the_first_render_becomes_rd_error_and_the_error_state() {
    define_element();
    let el = document().create_element("referrer-dashboard").unwrap();
    el.set_attribute("demo", "").unwrap();
    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    // Rendering is when Yew installs its own panic hook, unless one was set through it.
    loaded.await;

    let errored = next_event(&el, "rd-error");
    // Panics in a callback of its own, as a panic in an event handler or timer would: the
    // abort traps, and the trap reaches the window's `error` event, not any call of the loader.
    let boom = Closure::once_into_js(|| -> () { panic!("boom after render") });
    web_sys::window()
        .unwrap()
        .set_timeout_with_callback_and_timeout_and_arguments_0(boom.unchecked_ref(), 0)
        .unwrap();
    let detail = errored.await.detail();
    let field = |name: &str| {
        Reflect::get(&detail, &name.into())
            .unwrap()
            .as_string()
            .unwrap()
    };
    assert_eq!(field("type"), "invalid_response");
    assert!(field("message").contains("stopped"), "{}", field("message"));
    let root = el.shadow_root().unwrap();
    assert!(root.query_selector("[part=error]").unwrap().is_some());
    assert!(
        root.query_selector("[part=link]").unwrap().is_none(),
        "the dead app's content is gone"
    );
    assert!(
        root.query_selector("[part=retry-button]")
            .unwrap()
            .is_none(),
        "no retry: the instance cannot run again"
    );
    // The element keeps answering its host without calling into the dead wasm.
    el.set_attribute("theme", "dark").unwrap();
    assert!(
        Reflect::get(&el, &"session".into()).unwrap().is_null(),
        "no session from a dead core"
    );
}
