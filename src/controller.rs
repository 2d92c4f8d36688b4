//! The session lifecycle of one element: when to fetch, what to do with the answer, and
//! which event to fire. It owns the [`State`] and tells the Yew app to render when it changes.
//!
//! Async work holds only a `Weak` reference, and every answer is checked against a
//! generation counter, so an answer for an old endpoint or a removed element is discarded.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{AbortController, HtmlElement};
use yew::Callback;

use crate::config::{ATTRIBUTES, Changed, Config};
use crate::events;
use crate::fetch::{self, ErrorKind, WidgetError};
use crate::i18n::{self, Texts};
use crate::session::{self, Page, Session};
use crate::state::{Action, State, reduce};

/// How long a session or page request may take before it counts as a `network` failure.
/// Long enough for a slow mobile link, short enough that a stalled endpoint is reported.
const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// One element's session lifecycle.
pub struct Controller {
    host: HtmlElement,
    config: RefCell<Config>,
    state: RefCell<Rc<State>>,
    texts: RefCell<Rc<Texts>>,
    overrides: RefCell<Vec<(String, String)>>,
    /// The raw JSON of the last valid session (the element's `session` property).
    raw_session: RefCell<JsValue>,
    /// The Yew app's re-render callback, while mounted.
    listener: RefCell<Option<Callback<()>>>,
    /// The session request in flight, if any.
    inflight: RefCell<Option<Request>>,
    /// `refresh()` promises waiting for the request in flight.
    waiters: RefCell<Vec<Function>>,
    /// Bumped whenever answers in flight must be ignored (source change, disconnect).
    generation: Cell<u32>,
}

/// A request in flight: aborting it cancels the fetch; the timer enforces the timeout.
struct Request {
    abort: AbortController,
    _timeout: gloo_timers::callback::Timeout,
}

impl Request {
    fn new() -> Option<Self> {
        let abort = AbortController::new().ok()?;
        let on_timeout = abort.clone();
        let timeout =
            gloo_timers::callback::Timeout::new(REQUEST_TIMEOUT_MS, move || on_timeout.abort());
        Some(Self {
            abort,
            _timeout: timeout,
        })
    }
}

impl Controller {
    /// A controller for `host`, configured from its current attributes.
    pub fn new(host: HtmlElement) -> Rc<Self> {
        let mut config = Config::default();
        for name in ATTRIBUTES {
            config.set(name, host.get_attribute(name).as_deref());
        }
        let overrides = i18n::read_overrides(
            &js_sys::Reflect::get(&host, &JsValue::from_str("strings")).unwrap_or_default(),
        );
        let controller = Rc::new(Self {
            host,
            config: RefCell::new(config),
            state: RefCell::new(Rc::default()),
            texts: RefCell::new(Rc::new(Texts::new("en", Vec::new()))),
            overrides: RefCell::new(overrides),
            raw_session: RefCell::new(JsValue::NULL),
            listener: RefCell::new(None),
            inflight: RefCell::new(None),
            waiters: RefCell::new(Vec::new()),
            generation: Cell::new(0),
        });
        controller.update_texts();
        controller
    }

    /// The state to render.
    pub fn state(&self) -> Rc<State> {
        self.state.borrow().clone()
    }

    /// The texts and formatters to render with.
    pub fn texts(&self) -> Rc<Texts> {
        self.texts.borrow().clone()
    }

    /// The element's configuration.
    pub fn config(&self) -> Config {
        self.config.borrow().clone()
    }

    /// The element's `session` property: the last valid session as received, or `null`.
    pub fn raw_session(&self) -> JsValue {
        self.raw_session.borrow().clone()
    }

    /// Sets (or clears) the callback that re-renders the Yew app.
    pub fn subscribe(&self, listener: Option<Callback<()>>) {
        *self.listener.borrow_mut() = listener;
    }

    /// The element was connected: fetch unless there is data or a request already.
    pub fn start(self: &Rc<Self>) {
        let state = self.state();
        if state.session.is_none() && !state.loading {
            self.load();
        }
    }

    /// The element was removed: cancel what is in flight and ignore late answers.
    pub fn stop(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        if let Some(request) = self.inflight.borrow_mut().take() {
            request.abort.abort();
        }
        if self.state().loading || self.state().loading_more {
            // The answer will never be applied; leave a state a reconnect can start from.
            self.apply(Action::Cleared);
        }
        self.resolve_waiters();
    }

    /// An observed attribute changed.
    pub fn attribute_changed(self: &Rc<Self>, name: &str, value: Option<String>) {
        let changed = self.config.borrow_mut().set(name, value.as_deref());
        match changed {
            Changed::Nothing => {}
            Changed::Display => {
                self.update_texts();
                self.render();
            }
            Changed::Source => {
                self.stop();
                *self.raw_session.borrow_mut() = JsValue::NULL;
                self.apply(Action::Cleared);
                self.update_texts();
                if self.host.is_connected() {
                    self.load();
                }
            }
        }
    }

    /// The `strings` property was set.
    pub fn set_strings(&self, value: &JsValue) {
        *self.overrides.borrow_mut() = i18n::read_overrides(value);
        self.update_texts();
        self.render();
    }

    /// `refresh()`: fetch now (or join the request in flight); resolves when it has settled.
    pub fn refresh(self: &Rc<Self>) -> Promise {
        let this = self.clone();
        Promise::new(&mut move |resolve, _reject| {
            this.waiters.borrow_mut().push(resolve);
            this.load();
        })
    }

    /// Starts a session request unless one is in flight (a second trigger joins the first).
    pub fn load(self: &Rc<Self>) {
        if self.inflight.borrow().is_some() {
            return;
        }
        let config = self.config();
        let Some(endpoint) = config.endpoint else {
            self.fail(WidgetError::new(
                ErrorKind::Configuration,
                "the endpoint attribute is missing",
            ));
            self.resolve_waiters();
            return;
        };
        let Some(request) = Request::new() else {
            return;
        };
        let signal = request.abort.signal();
        *self.inflight.borrow_mut() = Some(request);
        let generation = self.generation.get();
        self.apply(Action::Requested);
        let weak = Rc::downgrade(self);
        let host = self.host.clone();
        spawn_local(async move {
            let answer = async {
                let token = fetch::auth_token(&host).await?;
                fetch::get_json(&endpoint, config.credentials, token, &signal).await
            }
            .await;
            let Some(this) = current(&weak, generation) else {
                return;
            };
            this.inflight.borrow_mut().take();
            match answer
                .map_err(|e| timed_out(e, &signal))
                .and_then(parse_session)
            {
                Ok((raw, session)) => {
                    *this.raw_session.borrow_mut() = raw;
                    let page_size = this.config.borrow().page_size;
                    // `rd-load` follows once the app has rendered it (see `rendered`).
                    this.apply(Action::Loaded { session, page_size });
                }
                Err(error) => this.fail(error),
            }
            this.resolve_waiters();
        });
    }

    /// "Show more": reveal what is loaded, or fetch the next page when all of it is shown.
    pub fn show_more(self: &Rc<Self>) {
        let state = self.state();
        let page_size = self.config.borrow().page_size;
        if !state.needs_page() {
            self.apply(Action::Reveal { page_size });
            return;
        }
        let (Some(cursor), Some(endpoint)) = (state.next.clone(), self.config().endpoint) else {
            return;
        };
        let Some(request) = Request::new() else {
            return;
        };
        let url = page_url(&endpoint, &cursor);
        let credentials = self.config.borrow().credentials;
        let generation = self.generation.get();
        self.apply(Action::PageRequested);
        let weak = Rc::downgrade(self);
        let host = self.host.clone();
        spawn_local(async move {
            let signal = request.abort.signal();
            let answer = async {
                let token = fetch::auth_token(&host).await?;
                fetch::get_json(&url, credentials, token, &signal).await
            }
            .await;
            drop(request);
            let Some(this) = current(&weak, generation) else {
                return;
            };
            match answer
                .map_err(|e| timed_out(e, &signal))
                .and_then(parse_page)
            {
                Ok(page) => {
                    let page_size = this.config.borrow().page_size;
                    this.apply(Action::PageLoaded { page, page_size });
                }
                Err(error) => {
                    events::error(&this.host, &error);
                    this.apply(Action::PageFailed(error));
                }
            }
        });
    }

    /// The app rendered a newly loaded session: fire `rd-load`.
    pub fn rendered(&self) {
        if let Some(session) = &self.state().session {
            events::load(&self.host, &session.stats);
        }
    }

    /// The link was copied to the clipboard.
    pub fn copied(&self, link: &str) {
        events::copy(&self.host, link);
    }

    fn fail(&self, error: WidgetError) {
        events::error(&self.host, &error);
        self.apply(Action::Failed(error));
    }

    fn apply(&self, action: Action) {
        let next = reduce(&self.state(), action);
        *self.state.borrow_mut() = Rc::new(next);
        self.render();
    }

    fn render(&self) {
        let listener = self.listener.borrow().clone();
        if let Some(listener) = listener {
            listener.emit(());
        }
    }

    fn resolve_waiters(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for resolve in waiters {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    fn update_texts(&self) {
        let locale = self
            .config
            .borrow()
            .locale
            .clone()
            .unwrap_or_else(|| inherited_locale(&self.host));
        let overrides = self.overrides.borrow().clone();
        *self.texts.borrow_mut() = Rc::new(Texts::new(&locale, overrides).with_formatters());
    }
}

/// The controller, if it still exists and nothing invalidated the answer in the meantime.
fn current(weak: &Weak<Controller>, generation: u32) -> Option<Rc<Controller>> {
    weak.upgrade().filter(|c| c.generation.get() == generation)
}

/// A fetch aborted by the timeout reads as "timed out" rather than a generic failure.
fn timed_out(error: WidgetError, signal: &web_sys::AbortSignal) -> WidgetError {
    if error.kind == ErrorKind::Network && signal.aborted() {
        WidgetError::new(ErrorKind::Network, "the session request timed out")
    } else {
        error
    }
}

fn parse_session(raw: JsValue) -> Result<(JsValue, Session), WidgetError> {
    let loose =
        session::decode(serde_wasm_bindgen::Deserializer::from(raw.clone())).map_err(invalid)?;
    let session = session::validate_session(loose).map_err(invalid)?;
    Ok((raw, session))
}

fn parse_page(raw: JsValue) -> Result<Page, WidgetError> {
    let loose = session::decode(serde_wasm_bindgen::Deserializer::from(raw)).map_err(invalid)?;
    session::validate_page_answer(loose).map_err(invalid)
}

fn invalid(invalid: session::Invalid) -> WidgetError {
    WidgetError::new(ErrorKind::InvalidResponse, &invalid.message())
}

/// `{endpoint}?cursor={next}` (or `&cursor=` when the endpoint has a query already).
fn page_url(endpoint: &str, cursor: &str) -> String {
    let mut url = String::from(endpoint);
    url.push(if endpoint.contains('?') { '&' } else { '?' });
    url.push_str("cursor=");
    url.push_str(&String::from(js_sys::encode_uri_component(cursor)));
    url
}

/// The nearest `lang` attribute above the element (crossing shadow roots), else the
/// browser's language, else English.
fn inherited_locale(host: &HtmlElement) -> String {
    let mut node: Option<web_sys::Element> = Some(host.clone().into());
    while let Some(element) = node {
        if let Some(lang) = element
            .get_attribute("lang")
            .filter(|l| !l.trim().is_empty())
        {
            return lang;
        }
        node = element.parent_element().or_else(|| {
            element
                .get_root_node()
                .dyn_into::<web_sys::ShadowRoot>()
                .ok()
                .map(|root| root.host())
        });
    }
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".to_owned())
}
