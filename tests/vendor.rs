#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! The patched serde-wasm-bindgen (vendor/serde-wasm-bindgen/PATCH.md): a value of the wrong
//! type is named by its kind, never by its value, and decoding is otherwise unchanged. The
//! patched Yew (vendor/yew/PATCH.md): a listener kind still names its DOM event and clones to
//! itself, the scheduler's queues still render parents before children and run children's
//! effects first, and a keyed list still keeps its elements and their listeners when reordered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use wasm_bindgen::{JsCast, JsValue};
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

/// The patched `Clone` of `ListenerKind` (a copy of the tag, a clone of an `other` name).
#[wasm_bindgen_test]
fn listener_kinds_clone_to_equal_kinds_and_names_to_their_own_copies() {
    use std::borrow::Cow;
    use yew::virtual_dom::ListenerKind;
    let kinds = [
        ListenerKind::onabort,
        ListenerKind::onclick,
        ListenerKind::ontransitionend,
        ListenerKind::other(Cow::Borrowed("rd-copy")),
        ListenerKind::other(Cow::Owned(String::from("rd-load"))),
    ];
    for kind in &kinds {
        let copy = kind.clone();
        assert_eq!(&copy, kind);
        assert_eq!(copy.type_name(), kind.type_name());
    }
    let owned = &kinds[4];
    let copy = owned.clone();
    let (ListenerKind::other(Cow::Owned(a)), ListenerKind::other(Cow::Owned(b))) = (&copy, owned)
    else {
        panic!("an owned name stays owned: {copy:?}");
    };
    assert_ne!(a.as_ptr(), b.as_ptr(), "the clone has a name of its own");
    assert!(ListenerKind::onclick.clone() != ListenerKind::onkeydown);
}

thread_local! {
    static LOG: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn log(line: String) {
    LOG.with(|log| log.borrow_mut().push(line));
}

/// Asserts that `first` and `then` are both in `log`, in that order.
fn assert_before(log: &[String], first: &str, then: &str) {
    let at = |line: &str| {
        log.iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line:?} not in {log:?}"))
    };
    assert!(at(first) < at(then), "{first:?} before {then:?}: {log:?}");
}

#[derive(yew::Properties, PartialEq)]
struct ChildProps {
    name: &'static str,
    poke: yew::Callback<()>,
}

/// Renders its name and round; child `b`, once mounted, asks for a render of itself and then
/// of its parent, so the two wait in the render queue child first.
#[yew::function_component]
fn Child(props: &ChildProps) -> yew::Html {
    let round = yew::use_state(|| 0);
    log(format!("render {} {}", props.name, *round));
    let name = props.name;
    let poke = props.poke.clone();
    let again = round.clone();
    yew::use_effect_with((), move |_| {
        log(format!("effect {name}"));
        if name == "b" {
            again.set(1);
            poke.emit(());
        }
    });
    yew::html! { <i>{ name }</i> }
}

#[yew::function_component]
fn Parent() -> yew::Html {
    let round = yew::use_state(|| 0);
    log(format!("render parent {}", *round));
    let again = round.clone();
    let poke = yew::Callback::from(move |()| again.set(1));
    yew::use_effect_with((), |_| log("effect parent".to_owned()));
    yew::html! { <><Child name="a" poke={poke.clone()} /><Child name="b" {poke} /></> }
}

#[wasm_bindgen_test]
async fn the_scheduler_renders_parents_first_and_runs_children_effects_first() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<Parent>::with_root(root.clone()).render();
    // Yew's scheduler runs on microtasks: one task later, every render and effect has run.
    let tick = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
    let log = LOG.with(|log| log.borrow().clone());
    assert_eq!(log[0], "render parent 0", "{log:?}");
    assert_before(&log, "render a 0", "effect a");
    assert_before(&log, "effect a", "effect parent");
    assert_before(&log, "effect b", "effect parent");
    // `b` queued its own render before its parent's: the parent still renders first.
    assert_before(&log, "render parent 1", "render b 1");
    assert_eq!(root.text_content().unwrap(), "ab");
    app.destroy();
    root.remove();
}

thread_local! {
    static REORDER: std::cell::RefCell<Option<yew::UseStateSetter<Vec<u32>>>> =
        const { std::cell::RefCell::new(None) };
    static CLICKS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A keyed list of 40 items, each with a click listener; its order set from outside.
#[yew::function_component]
fn Keyed() -> yew::Html {
    let order = yew::use_state(|| (1..=40).collect::<Vec<u32>>());
    REORDER.with(|r| *r.borrow_mut() = Some(order.setter()));
    yew::html! {
        <ul>
            { for order.iter().map(|&k| yew::html! {
                <li key={k} id={format!("k{k}")} onclick={move |_| CLICKS.with(|c| c.borrow_mut().push(k))}>
                    { k }
                </li>
            }) }
        </ul>
    }
}

/// The bundles' maps and sets (vendor/yew/PATCH.md, their hasher): a keyed list reordered keeps
/// every element (matched by key through the set of spare bundles) and each element's own
/// listener (found through the listener registry's maps).
#[wasm_bindgen_test]
async fn a_reordered_keyed_list_keeps_its_elements_and_their_listeners() {
    let window = web_sys::window().unwrap();
    let document = window.document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<Keyed>::with_root(root.clone()).render();
    let tick = || {
        let window = window.clone();
        async move {
            let tick = js_sys::Promise::new(&mut |resolve, _| {
                window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
                    .unwrap();
            });
            wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
        }
    };
    tick().await;
    let element = |k: u32| document.get_element_by_id(&format!("k{k}")).unwrap();
    let before: Vec<web_sys::Element> = (1..=40).map(element).collect();
    // Reversed, then the middle rotated: neither end of the list matches its old keys.
    let mut order: Vec<u32> = (1..=40).rev().collect();
    order[5..35].rotate_left(7);
    REORDER.with(|r| r.borrow().as_ref().unwrap().set(order.clone()));
    tick().await;
    let shown: Vec<String> = (0..40)
        .map(|i| root.query_selector_all("li").unwrap().item(i).unwrap())
        .map(|li| li.text_content().unwrap())
        .collect();
    let wanted: Vec<String> = order.iter().map(u32::to_string).collect();
    assert_eq!(shown, wanted);
    for (k, old) in (1..=40).zip(&before) {
        assert!(
            element(k).is_same_node(Some(old)),
            "item {k} kept its element"
        );
    }
    for k in [1, 17, 40] {
        element(k).unchecked_into::<web_sys::HtmlElement>().click();
    }
    assert_eq!(CLICKS.with(|c| c.borrow().clone()), [1, 17, 40]);
    app.destroy();
    root.remove();
}
