//! The element shell: what the JS loader's `HTMLElement` subclass calls into.
//!
//! The loader owns the element (wasm cannot subclass `HTMLElement`); it creates one [`Core`]
//! per element with [`create`] and forwards its lifecycle callbacks. The core adopts the shared
//! stylesheet, owns the Yew app mounted in the shadow root, and hands everything else to the
//! controller.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, CssStyleSheet, Element, HtmlElement, ShadowRoot};
use yew::{AppHandle, Callback};

use crate::components::app::{App, AppProps};
use crate::controller::{Controller, Early};

/// The widget's stylesheet (`src/styles/widget.css`, minified by `build.rs`), compiled into the
/// wasm so the package is one request fewer.
const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

thread_local! {
    /// One constructable stylesheet shared by every element on the page: parsed once, and
    /// not subject to a CSP's inline-style rules.
    static SHEET: RefCell<Option<CssStyleSheet>> = const { RefCell::new(None) };
}

/// One `<referrer-dashboard>` element's Rust side.
#[wasm_bindgen]
pub struct Core {
    controller: Rc<Controller>,
    mount: Element,
    app: Option<AppHandle<App>>,
    /// The app has rendered for the first time.
    mounted: Rc<Cell<bool>>,
    /// An app removed before its first render, destroyed once that render happens.
    ///
    /// Yew queues destruction and runs queued destroys before queued creations, so destroying
    /// an app whose first render is still queued does nothing and the app is created anyway,
    /// detached and alive for good. Such an app waits here for its first render.
    orphan: Rc<RefCell<Option<AppHandle<App>>>>,
}

/// Creates the Rust side of an element: adopts the stylesheet into `root` and prepares the
/// mount point. Nothing is fetched until [`Core::connect`]. `token_from_url` is the loader's
/// `tokenFromUrl(url, signal)`, which asks a `token-url` for a token (see [`crate::fetch`]).
#[wasm_bindgen]
pub fn create(host: HtmlElement, root: ShadowRoot, token_from_url: Option<Function>) -> Core {
    crate::panic::install();
    adopt_stylesheet(&root);
    // An element removed and inserted again gets a new core but keeps its shadow root.
    let existing = root.query_selector("div.root").ok().flatten();
    let created = || {
        let div = root.owner_document()?.create_element("div").ok()?;
        div.set_class_name("root");
        root.append_child(&div).ok()?;
        Some(div)
    };
    // Without a document there is nothing to render into; mount on the host itself.
    let mount = existing
        .or_else(created)
        .unwrap_or_else(|| host.clone().into());
    Core {
        controller: Controller::new(host, token_from_url),
        mount,
        app: None,
        mounted: Rc::new(Cell::new(false)),
        orphan: Rc::new(RefCell::new(None)),
    }
}

#[wasm_bindgen]
impl Core {
    /// `connectedCallback`: mount the app (once) and fetch the session if there is none.
    /// `early` is `{ response, abort, tokenAsked }` when the loader already started the session
    /// request (while the wasm was loading), else `null`.
    pub fn connect(&mut self, early: JsValue) {
        if self.app.is_none() {
            let (mounted, orphan) = (self.mounted.clone(), self.orphan.clone());
            let props = AppProps {
                controller: self.controller.clone(),
                on_mounted: Callback::from(move |()| {
                    mounted.set(true);
                    let app = orphan.borrow_mut().take();
                    if let Some(app) = app {
                        app.destroy();
                    }
                }),
            };
            self.app =
                Some(yew::Renderer::<App>::with_root_and_props(self.mount.clone(), props).render());
        }
        self.controller.start(early_request(&early));
    }

    /// The element really left the document: cancel requests and timers and unmount the app
    /// (`AppHandle` has no `Drop`; without `destroy()` it would stay mounted and alive).
    pub fn disconnect(&mut self) {
        self.controller.stop();
        if let Some(app) = self.app.take() {
            if self.mounted.get() {
                app.destroy();
            } else {
                *self.orphan.borrow_mut() = Some(app);
            }
        }
    }

    /// `attributeChangedCallback`.
    #[wasm_bindgen(js_name = attributeChanged)]
    pub fn attribute_changed(&self, name: &str, value: Option<String>) {
        self.controller.attribute_changed(name, value);
    }

    /// The `strings` property was set.
    #[wasm_bindgen(js_name = setStrings)]
    pub fn set_strings(&self, value: JsValue) {
        self.controller.set_strings(&value);
    }

    /// `refresh()`: fetch a new session now.
    pub fn refresh(&self) -> Promise {
        self.controller.refresh()
    }

    /// The `session` property.
    pub fn session(&self) -> JsValue {
        self.controller.raw_session()
    }
}

/// The loader's `{ response, abort, tokenAsked }`, if it passed one.
fn early_request(early: &JsValue) -> Option<Early> {
    let field = |name: &str| Reflect::get(early, &JsValue::from_str(name)).ok();
    let response = field("response")?.dyn_into::<Promise>().ok()?;
    let abort = field("abort")?.dyn_into::<AbortController>().ok()?;
    Some(Early {
        response,
        abort,
        loader: early.clone(),
    })
}

fn adopt_stylesheet(root: &ShadowRoot) {
    let sheet = SHEET.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = CssStyleSheet::new().ok().inspect(|sheet| {
                let _ = sheet.replace_sync(CSS);
            });
        }
        slot.clone()
    });
    if let Some(sheet) = sheet {
        root.set_adopted_style_sheets(&Array::of1(&sheet));
    }
}
