#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! The panic hook (its own test page: the hook is page-wide). A real panic ends a
//! wasm-bindgen test, so the hook's effect is checked through `panic::report`, the function
//! the hook calls, and the hook's installation through a `should_panic` test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use js_sys::Reflect;
use wasm_bindgen_test::*;
use web_sys::ShadowRoot;

mod support;
use support::{define_element, document, next_event};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_panic_report_becomes_rd_error_and_an_error_state() {
    define_element();
    let document = document();
    let el = document.create_element("referrer-dashboard").unwrap();
    el.set_attribute("demo", "").unwrap();
    let loaded = next_event(&el, "rd-load");
    document.body().unwrap().append_child(&el).unwrap();
    loaded.await;

    let errored = next_event(&el, "rd-error");
    referrer_dashboard::panic::report("boom for the test");
    let detail = errored.await.detail();
    assert_eq!(
        Reflect::get(&detail, &"type".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("invalid_response")
    );
    let message = Reflect::get(&detail, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(message.contains("boom for the test"), "{message}");
    let root: ShadowRoot = el.shadow_root().unwrap();
    assert!(
        root.query_selector("[part=error]").unwrap().is_some(),
        "an error state is shown"
    );
    assert!(
        root.query_selector("[part=link]").unwrap().is_none(),
        "the broken app's content is gone"
    );
    el.remove();
}

/// Passes only if the panic still reaches the hook installed before ours (the harness's), that
/// is, if installing ours chained it instead of replacing it.
#[wasm_bindgen_test]
#[should_panic(expected = "still visible after install")]
fn the_hook_keeps_the_previous_one() {
    referrer_dashboard::panic::install();
    panic!("still visible after install");
}
