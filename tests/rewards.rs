#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! The rewards part in real headless Chromium, through the package's own `element.js`, fed
//! sessions from `data:` URLs (the end-to-end suite, tests/e2e/rewards.test.mjs, covers the
//! rest: copy, axe, languages, forced colours).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use js_sys::Reflect;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::{Element, ShadowRoot};

mod support;
use support::{define_element, document, next_event};

wasm_bindgen_test_configure!(run_in_browser);

const REWARDS: &str = r#"{"earned":[{"currency":"USD","amount":40}],
  "pending":[{"currency":"USD","amount":20}],
  "items":[
    {"id":"a","kind":"amount","status":"pending","amount":20,"currency":"USD"},
    {"id":"b","kind":"commission","status":"pending","amount":0,"currency":"USD"},
    {"id":"c","kind":"amount","status":"on_its_way","amount":20,"currency":"USD"},
    {"id":"d","kind":"coupon","status":"earned","coupon":"THANKS-7Q2K","at":"2026-11-22"},
    {"id":"e","kind":"custom","status":"failed"}]}"#;

fn element(rewards: &str, attributes: &[(&str, &str)]) -> Element {
    let json = format!(
        r#"{{"version":1,"expires_at":"2099-01-01T00:00:00Z",
        "referrer":{{"link":"https://example.com/r/ADA"}},
        "stats":{{"reach":1,"referrals":0,"qualified":0}},
        "referrals":{{"items":[],"next":null}},"rewards":{rewards},
        "program":{{"status":"ended","ends_at":null}}}}"#
    );
    let url = format!(
        "data:application/json,{}",
        String::from(js_sys::encode_uri_component(&json))
    );
    define_element();
    let el = document().create_element("referrer-dashboard").unwrap();
    el.set_attribute("endpoint", &url).unwrap();
    el.set_attribute("locale", "en-US").unwrap();
    for (name, value) in attributes {
        el.set_attribute(name, value).unwrap();
    }
    el
}

fn texts(root: &ShadowRoot, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| Some(list.item(i)?.text_content()?.trim().to_owned()))
        .collect()
}

#[wasm_bindgen_test]
async fn rewards_draw_each_status_in_words_with_totals_in_the_locale_and_a_banner() {
    let el = element(REWARDS, &[]);
    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    loaded.await;
    let root = el.shadow_root().unwrap();
    assert_eq!(
        texts(&root, "[part=reward] .status"),
        ["Pending", "Pending", "On its way", "Earned", "Not sent"]
    );
    assert_eq!(
        texts(&root, ".totals [part=reward-amount]"),
        ["$40.00", "$20.00"]
    );
    assert_eq!(
        texts(&root, "[part=program-status]"),
        ["The referral program has ended."]
    );
    assert_eq!(
        texts(&root, "[part=coupon-copy-button]"),
        ["Copy"],
        "one earned coupon"
    );
    el.remove();
}

#[wasm_bindgen_test]
async fn a_malformed_rewards_member_is_reported_and_the_rest_is_drawn() {
    let el = element(r#"{"earned":[{"currency":"dollars","amount":1}]}"#, &[]);
    let failed = next_event(&el, "rd-error");
    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    let detail = failed.await.detail();
    let field = |key: &str| Reflect::get(&detail, &JsValue::from_str(key)).unwrap();
    assert_eq!(
        field("type").as_string().as_deref(),
        Some("invalid_response")
    );
    assert_eq!(
        field("message").as_string().as_deref(),
        Some(
            "invalid session: rewards.earned.0.currency must be an ISO 4217 code (three capital letters)"
        )
    );
    loaded.await;
    let root = el.shadow_root().unwrap();
    assert!(root.query_selector("[part=rewards]").unwrap().is_none());
    assert!(root.query_selector("[part=stats]").unwrap().is_some());
    assert!(root.query_selector("[part=link]").unwrap().is_some());
    el.remove();
}

#[wasm_bindgen_test]
async fn sections_without_rewards_hide_the_part_of_a_credit_only_program() {
    let el = element(REWARDS, &[("sections", "link stats referrals")]);
    let loaded = next_event(&el, "rd-load");
    document().body().unwrap().append_child(&el).unwrap();
    loaded.await;
    let root = el.shadow_root().unwrap();
    assert!(root.query_selector("[part=rewards]").unwrap().is_none());
    assert!(root.query_selector("[part=stats]").unwrap().is_some());
    el.remove();
}
