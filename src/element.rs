//! The element shell: what the JS loader's `HTMLElement` subclass calls into.
//!
//! The loader owns the element (wasm cannot subclass `HTMLElement`); it creates one [`Core`]
//! per element with [`create`] and forwards its lifecycle callbacks. The core owns the Yew app
//! mounted in the shadow root and hands everything else to the controller. The stylesheet is
//! the loader's: it adopts `src/styles/widget.css` on the shadow root before anything is drawn
//! there (one copy per page, not one in the wasm too).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, HtmlElement, ShadowRoot};
use yew::{AppHandle, Callback};

use crate::components::app::{App, AppProps};
use crate::controller::{Controller, Early};

/// One `<referrer-dashboard>` element's Rust side.
#[wasm_bindgen]
pub struct Core {
    controller: Rc<Controller>,
    view: Rc<View>,
}

/// The Yew app of one element and where it is mounted.
struct View {
    host: HtmlElement,
    root: ShadowRoot,
    app: RefCell<Option<AppHandle<App>>>,
    /// The app has rendered for the first time.
    mounted: Rc<Cell<bool>>,
    /// An app removed before its first render, destroyed once that render happens.
    ///
    /// Yew queues destruction and runs queued destroys before queued creations, so destroying
    /// an app whose first render is still queued does nothing and the app is created anyway,
    /// detached and alive for good. Such an app waits here for its first render.
    orphan: Rc<RefCell<Option<AppHandle<App>>>>,
}

/// Creates the Rust side of an element. Nothing is drawn until the app mounts (in
/// [`Core::connect`]) and nothing is fetched until then either. `token_from_url` is the
/// loader's `tokenFromUrl(url, signal)`, which asks a `token-url` for a token (see
/// [`crate::fetch`]); `catalogue` is its `catalogue(language)`, which hands over a language's
/// texts (see [`crate::i18n`]; without it, every text is English).
#[wasm_bindgen]
pub fn create(
    host: HtmlElement,
    root: ShadowRoot,
    token_from_url: Option<Function>,
    catalogue: Option<Function>,
) -> Core {
    crate::panic::install();
    Core {
        controller: Controller::new(host.clone(), token_from_url, catalogue),
        view: Rc::new(View {
            host,
            root,
            app: RefCell::new(None),
            mounted: Rc::new(Cell::new(false)),
            orphan: Rc::new(RefCell::new(None)),
        }),
    }
}

#[wasm_bindgen]
impl Core {
    /// `connectedCallback`: mount the app (once) and fetch the session if there is none.
    /// `early` is `{ response, abort, tokenAsked }` when the loader already started the session
    /// request (while the wasm was loading), else `null`.
    ///
    /// With an early request the app mounts once there is something to show (the session, or
    /// the error), not before: whatever the loader drew stays until then, and the app's first
    /// render is the dashboard, not a skeleton of its own that the session replaces a moment
    /// later (often the answer is already in and only its body is being read).
    pub fn connect(&mut self, early: JsValue) {
        let early = early_request(&early);
        if self.view.app.borrow().is_none() {
            if early.is_some() {
                let (view, controller) =
                    (Rc::downgrade(&self.view), Rc::downgrade(&self.controller));
                self.controller
                    .mount_when_shown(Some(Callback::from(move |()| {
                        if let (Some(view), Some(controller)) =
                            (view.upgrade(), controller.upgrade())
                        {
                            view.mount(&controller);
                        }
                    })));
            } else {
                self.view.mount(&self.controller);
            }
        }
        self.controller.start(early);
    }

    /// The element really left the document: cancel requests and timers and unmount the app
    /// (`AppHandle` has no `Drop`; without `destroy()` it would stay mounted and alive).
    pub fn disconnect(&mut self) {
        self.controller.mount_when_shown(None);
        self.controller.stop();
        self.view.unmount();
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

impl View {
    /// Mounts the app in a fresh mount point that replaces whatever the shadow root held (the
    /// loader's skeleton or error state) in one step; the app's first render follows in the
    /// same task, before the browser paints.
    fn mount(&self, controller: &Rc<Controller>) {
        if self.app.borrow().is_some() {
            return;
        }
        let created = || {
            let div = self.root.owner_document()?.create_element("div").ok()?;
            div.set_class_name("root");
            self.root.replace_children_with_node_1(&div);
            Some(div)
        };
        // Without a document there is nothing to render into; mount on the host itself.
        let mount = created().unwrap_or_else(|| self.host.clone().into());
        let (mounted, orphan) = (self.mounted.clone(), self.orphan.clone());
        let props = AppProps {
            controller: controller.clone(),
            on_mounted: Callback::from(move |()| {
                mounted.set(true);
                let app = orphan.borrow_mut().take();
                if let Some(app) = app {
                    app.destroy();
                }
            }),
        };
        *self.app.borrow_mut() =
            Some(yew::Renderer::<App>::with_root_and_props(mount, props).render());
    }

    fn unmount(&self) {
        let app = self.app.borrow_mut().take();
        if let Some(app) = app {
            if self.mounted.get() {
                app.destroy();
            } else {
                *self.orphan.borrow_mut() = Some(app);
            }
        }
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
