#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! The element in real headless Chromium, defined through the same `element.js` class the
//! package ships, fed sessions from `data:` URLs (no server needed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement, ShadowRoot};

mod support;
use support::{define_element, document, next_event};

wasm_bindgen_test_configure!(run_in_browser);

fn session_url(link: &str, reach: u32, names: &[&str]) -> String {
    let items: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(r#"{{"id":"r{i}","name":"{name}","status":"pending","joined_at":"2026-11-20T10:00:00Z"}}"#)
        })
        .collect();
    let json = format!(
        r#"{{"version":1,"expires_at":"2099-01-01T00:00:00Z","referrer":{{"link":"{link}"}},
        "stats":{{"reach":{reach},"referrals":{n},"qualified":0}},
        "referrals":{{"items":[{items}],"next":null}}}}"#,
        n = names.len(),
        items = items.join(",")
    );
    format!(
        "data:application/json,{}",
        String::from(js_sys::encode_uri_component(&json))
    )
}

fn element(endpoint: &str) -> Element {
    define_element();
    let el = document().create_element("referrer-dashboard").unwrap();
    el.set_attribute("endpoint", endpoint).unwrap();
    el.set_attribute("locale", "en-US").unwrap();
    el
}

fn shadow(el: &Element) -> ShadowRoot {
    el.shadow_root().expect("an open shadow root")
}

fn texts(root: &ShadowRoot, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.text_content())
        .collect()
}

#[wasm_bindgen_test]
async fn element_renders_the_session_into_its_shadow_root() {
    let el = element(&session_url(
        "https://example.com/r/ADA",
        1234567,
        &["Jo D.", "Sam K."],
    ));
    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    let event = loaded.await;
    let reach = Reflect::get(
        &Reflect::get(&event.detail(), &"stats".into()).unwrap(),
        &"reach".into(),
    )
    .unwrap();
    assert_eq!(reach.as_f64(), Some(1234567.0));

    let root = shadow(&el);
    let link: HtmlInputElement = root
        .query_selector("[part=link]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(link.value(), "https://example.com/r/ADA");
    // A large Reach is compact, with the exact count as its tooltip.
    assert_eq!(texts(&root, "[part=stat-value]"), ["1.2M", "2", "0"]);
    let reach_tile = root.query_selector("[part=stat-value]").unwrap().unwrap();
    assert_eq!(
        reach_tile.get_attribute("title").as_deref(),
        Some("1,234,567")
    );
    assert_eq!(texts(&root, "[part=referral] .name"), ["Jo D.", "Sam K."]);
    assert!(root.query_selector("[part=copy-button]").unwrap().is_some());
    el.remove();
}

#[wasm_bindgen_test]
async fn changing_the_endpoint_shows_the_new_session() {
    let el = element(&session_url("https://example.com/r/ONE", 1, &[]));
    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    loaded.await;
    let root = shadow(&el);
    assert_eq!(
        texts(&root, "[part=empty]").len(),
        1,
        "no referrals: the empty state"
    );

    let loaded = next_event(&el, "rd-load");
    el.set_attribute(
        "endpoint",
        &session_url("https://example.com/r/TWO", 2, &["Ann B."]),
    )
    .unwrap();
    loaded.await;
    let link: HtmlInputElement = root
        .query_selector("[part=link]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(link.value(), "https://example.com/r/TWO");
    assert_eq!(texts(&root, "[part=referral] .name"), ["Ann B."]);
    el.remove();
}

#[wasm_bindgen_test]
async fn a_missing_endpoint_is_a_configuration_error() {
    define_element();
    let el = document().create_element("referrer-dashboard").unwrap();
    let failed = next_event(&el, "rd-error");
    document().body().unwrap().append_child(&el).unwrap();
    let detail = failed.await.detail();
    assert_eq!(
        Reflect::get(&detail, &"type".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("configuration")
    );
    // rd-error fires as the failure happens; the error state renders in the same turn, once
    // the queued microtasks have run.
    next_task().await;
    let root = shadow(&el);
    assert!(
        root.query_selector("[part=retry-button]")
            .unwrap()
            .is_some(),
        "error state with retry"
    );
    el.remove();
}

/// Resolves after every queued microtask and one task have run.
async fn next_task() {
    let promise = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn two_instances_render_their_own_sessions() {
    let one = element(&session_url("https://example.com/r/ONE", 1, &["A B."]));
    let two = element(&session_url(
        "https://example.com/r/TWO",
        2,
        &["C D.", "E F."],
    ));
    let (l1, l2) = (next_event(&one, "rd-load"), next_event(&two, "rd-load"));
    let body = document().body().unwrap();
    body.append_child(&one).unwrap();
    body.append_child(&two).unwrap();
    l1.await;
    l2.await;
    assert_eq!(texts(&shadow(&one), "[part=referral] .name"), ["A B."]);
    assert_eq!(
        texts(&shadow(&two), "[part=referral] .name"),
        ["C D.", "E F."]
    );
    one.remove();
    next_task().await;
    assert_eq!(
        texts(&shadow(&two), "[part=stat-value]"),
        ["2", "2", "0"],
        "removing one leaves the other"
    );
    two.remove();
}

#[wasm_bindgen_test]
async fn removal_unmounts_the_app_and_reinsertion_renders_again() {
    let el = element(&session_url("https://example.com/r/RE", 5, &["A B."]));
    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    loaded.await;
    let root = shadow(&el);
    el.remove();
    next_task().await;
    let mount = root.query_selector("div.root").unwrap().unwrap();
    assert_eq!(mount.child_element_count(), 0, "the Yew app was destroyed");

    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    loaded.await;
    assert_eq!(
        root.query_selector_all("div.root").unwrap().length(),
        1,
        "one mount point, reused"
    );
    assert_eq!(texts(&root, "[part=stat-value]"), ["5", "1", "0"]);
    el.remove();
}
