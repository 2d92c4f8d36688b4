#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! The patched serde-wasm-bindgen (vendor/serde-wasm-bindgen/PATCH.md): a value of the wrong
//! type is named by its kind, never by its value, and decoding is otherwise unchanged. The
//! patched Yew (vendor/yew/PATCH.md): a listener kind still names its DOM event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn message(error: serde_wasm_bindgen::Error) -> String {
    js_sys::Error::from(JsValue::from(error))
        .message()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn a_wrong_type_is_named_by_its_kind() {
    let float = serde_wasm_bindgen::from_value::<String>(JsValue::from_f64(1.5)).unwrap_err();
    assert_eq!(message(float), "invalid type: number, expected a string");
    let text = serde_wasm_bindgen::from_value::<bool>(JsValue::from_str("yes")).unwrap_err();
    assert_eq!(message(text), "invalid type: string, expected a boolean");
    let null = serde_wasm_bindgen::from_value::<u32>(JsValue::NULL).unwrap_err();
    assert_eq!(message(null), "invalid type: null, expected u32");
}

#[wasm_bindgen_test]
fn valid_values_decode_as_before() {
    assert_eq!(
        serde_wasm_bindgen::from_value::<f64>(JsValue::from_f64(1.5)).unwrap(),
        1.5
    );
    assert_eq!(
        serde_wasm_bindgen::from_value::<String>(JsValue::from_str("ok")).unwrap(),
        "ok"
    );
}

#[wasm_bindgen_test]
fn listener_kinds_name_their_dom_events() {
    use yew::virtual_dom::ListenerKind;
    assert_eq!(ListenerKind::onclick.type_name(), "click");
    assert_eq!(ListenerKind::onauxclick.type_name(), "auxclick");
    assert_eq!(ListenerKind::onkeydown.type_name(), "keydown");
    assert_eq!(ListenerKind::ontransitionend.type_name(), "transitionend");
    let custom = ListenerKind::other("rd-copy".into());
    assert_eq!(custom.type_name(), "rd-copy");
}
