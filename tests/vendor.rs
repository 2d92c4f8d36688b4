#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! The patched serde-wasm-bindgen (vendor/serde-wasm-bindgen/PATCH.md): a value of the wrong
//! type is named by its kind, never by its value, and decoding is otherwise unchanged. The
//! patched Yew (vendor/yew/PATCH.md): a listener kind still names its DOM event and clones to
//! itself, the scheduler's queues still render parents before children and run children's
//! effects first, a keyed list still keeps its elements and their listeners when reordered, and
//! the small maps kept as lists still find listeners, attributes and cached tags.
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

/// Renders `C` into a new `div` at the end of the page's body: the document, that root and the
/// app (to destroy at the end of the test, before removing the root).
fn mount<C>() -> (web_sys::Document, web_sys::Element, yew::AppHandle<C>)
where
    C: yew::BaseComponent,
    C::Properties: Default,
{
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<C>::with_root(root.clone()).render();
    (document, root, app)
}

/// Resolves on the next task (a zero-delay timeout), after Yew's scheduled renders have run.
async fn next_task() {
    let tick = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_scheduler_renders_parents_first_and_runs_children_effects_first() {
    let (_, root, app) = mount::<Parent>();
    // Yew's scheduler runs on microtasks: one task later, every render and effect has run.
    next_task().await;
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
    let (document, root, app) = mount::<Keyed>();
    next_task().await;
    let element = |k: u32| document.get_element_by_id(&format!("k{k}")).unwrap();
    let before: Vec<web_sys::Element> = (1..=40).map(element).collect();
    // Reversed, then the middle rotated: neither end of the list matches its old keys.
    let mut order: Vec<u32> = (1..=40).rev().collect();
    order[5..35].rotate_left(7);
    REORDER.with(|r| r.borrow().as_ref().unwrap().set(order.clone()));
    next_task().await;
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

thread_local! {
    static FLIP: std::cell::RefCell<Option<yew::UseStateSetter<bool>>> =
        const { std::cell::RefCell::new(None) };
    static EVENTS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn event<E: 'static>(name: &str) -> yew::Callback<E> {
    let name = name.to_owned();
    yew::Callback::from(move |_| EVENTS.with(|e| e.borrow_mut().push(name.clone())))
}

/// One button with two event types, then other handlers; one paragraph whose attributes change
/// between a literal set and a computed one (Yew diffs those two shapes through its maps).
#[yew::function_component]
fn Flip() -> yew::Html {
    let flipped = yew::use_state(|| false);
    FLIP.with(|f| *f.borrow_mut() = Some(flipped.setter()));
    let title = String::from("computed");
    if *flipped {
        yew::html! {
            <div>
                <button id="b" onclick={event("click 2")} onfocus={event("focus 2")}
                    onmouseover={event("over 2")}>{ "b" }</button>
                <p id="p" class="second" data-x={title}>{ "p" }</p>
            </div>
        }
    } else {
        yew::html! {
            <div>
                <button id="b" onclick={event("click 1")} onfocus={event("focus 1")}>{ "b" }</button>
                <p id="p" class="first" title="literal" lang="en">{ "p" }</p>
            </div>
        }
    }
}

/// The small maps and sets as lists (vendor/yew/PATCH.md, change 6): an element's listeners of
/// two event types each reach their own handler, and the handlers of a new render replace the
/// old ones; attributes that change shape are set, changed and removed; elements made from the
/// tag cache are new elements of their tag.
#[wasm_bindgen_test]
async fn listeners_attributes_and_cached_tags_behave_as_with_maps() {
    let (document, root, app) = mount::<Flip>();
    let fire = |kind: &str| {
        let button = document.get_element_by_id("b").unwrap();
        let event = web_sys::Event::new_with_event_init_dict(kind, &{
            let init = web_sys::EventInit::new();
            init.set_bubbles(true);
            init
        })
        .unwrap();
        button.dispatch_event(&event).unwrap();
    };
    let attributes = || {
        let p = document.get_element_by_id("p").unwrap();
        let mut names: Vec<String> = p
            .get_attribute_names()
            .iter()
            .map(|name| name.as_string().unwrap())
            .map(|name| format!("{name}={}", p.get_attribute(&name).unwrap()))
            .collect();
        names.sort();
        names
    };
    next_task().await;
    fire("click");
    fire("focus");
    assert_eq!(
        attributes(),
        ["class=first", "id=p", "lang=en", "title=literal"]
    );
    let paragraph = document.get_element_by_id("p").unwrap();
    assert_eq!(paragraph.tag_name(), "P");
    FLIP.with(|f| f.borrow().as_ref().unwrap().set(true));
    next_task().await;
    fire("click");
    fire("focus");
    fire("mouseover");
    assert_eq!(attributes(), ["class=second", "data-x=computed", "id=p"]);
    FLIP.with(|f| f.borrow().as_ref().unwrap().set(false));
    next_task().await;
    fire("mouseover");
    fire("click");
    assert_eq!(
        attributes(),
        ["class=first", "id=p", "lang=en", "title=literal"]
    );
    assert_eq!(
        EVENTS.with(|e| e.borrow().clone()),
        [
            "click 1", "focus 1", "click 2", "focus 2", "over 2", "click 1"
        ]
    );
    assert_eq!(
        document.get_element_by_id("b").unwrap().tag_name(),
        "BUTTON"
    );
    app.destroy();
    root.remove();
}
