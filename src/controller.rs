//! The session lifecycle of one element: when to fetch, what to do with the answer, and
//! which event to fire. It owns the [`State`] and tells the Yew app to render when it changes.
//!
//! Rules (SPEC §4, issue #3):
//! - at most one request in flight; a second trigger joins it (`refresh()` resolves with it),
//!   and a session refresh asked for during a page request runs right after it;
//! - a loaded session is re-fetched shortly before `expires_at` while the page is visible; a
//!   refresh that falls due while hidden waits for the page to become visible again;
//! - transient failures (network, server, rate limit) retry by themselves with capped,
//!   jittered exponential backoff that honours `Retry-After`; the last good data stays shown;
//! - async work holds only a `Weak` reference and every answer is checked against a generation
//!   counter, so answers for an old endpoint or a removed element are discarded.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{AbortController, HtmlElement};
use yew::{AppHandle, Callback};

use crate::components::app::App;

use crate::config::{ATTRIBUTES, Changed, Config};
use crate::fetch::{self, ErrorKind, WidgetError};
use crate::i18n::{self, Texts};
use crate::session::{self, Page, Session};
use crate::share::Channel;
use crate::state::{Action, State, reduce};
use crate::{demo, events, timing};

/// How long a session or page request may take before it counts as a `network` failure.
/// Long enough for a slow mobile link, short enough that a stalled endpoint is reported.
const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// What a request in flight is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Session,
    Page,
}

/// A request in flight: aborting it cancels the fetch; the timer enforces the timeout.
struct Request {
    kind: Kind,
    abort: AbortController,
    _timeout: Timeout,
}

impl Request {
    fn new(kind: Kind) -> Option<Self> {
        Some(Self::with(kind, AbortController::new().ok()?))
    }

    /// A request whose fetch was started elsewhere (the loader's early request) with `abort`.
    fn with(kind: Kind, abort: AbortController) -> Self {
        let on_timeout = abort.clone();
        let timeout = Timeout::new(REQUEST_TIMEOUT_MS, move || on_timeout.abort());
        Self {
            kind,
            abort,
            _timeout: timeout,
        }
    }
}

/// The session request the loader started while the wasm was still loading.
pub struct Early {
    /// The pending `fetch()`.
    pub response: Promise,
    /// Aborts it.
    pub abort: AbortController,
}

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
    /// The request in flight, if any.
    inflight: RefCell<Option<Request>>,
    /// A session request was asked for while a page request was in flight.
    queued: Cell<bool>,
    /// `refresh()` promises waiting for the session request in flight.
    waiters: RefCell<Vec<Function>>,
    /// Bumped whenever answers in flight must be ignored (source change, disconnect).
    generation: Cell<u32>,
    /// The next automatic load: the refresh before expiry, or a retry after a failure.
    timer: RefCell<Option<Timeout>>,
    /// Consecutive failed attempts since the last success (drives the backoff).
    failures: Cell<u32>,
    /// An automatic refresh fell due while the page was hidden.
    due: Cell<bool>,
    /// Listens for the page becoming visible again, while connected.
    visibility: RefCell<Option<EventListener>>,
    /// The app has rendered at least once.
    mounted: Cell<bool>,
    /// An app removed before its first render, destroyed once that render happens.
    orphan: RefCell<Option<AppHandle<App>>>,
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
            queued: Cell::new(false),
            waiters: RefCell::new(Vec::new()),
            generation: Cell::new(0),
            timer: RefCell::new(None),
            failures: Cell::new(0),
            due: Cell::new(false),
            visibility: RefCell::new(None),
            mounted: Cell::new(false),
            orphan: RefCell::new(None),
        });
        controller.update_texts();
        controller
    }

    /// The host element.
    pub fn host(&self) -> &HtmlElement {
        &self.host
    }

    /// The state to render.
    pub fn state(&self) -> Rc<State> {
        self.state.borrow().clone()
    }

    /// The texts and formatters to render with.
    pub fn texts(&self) -> Rc<Texts> {
        self.texts.borrow().clone()
    }

    /// The texts, unless they are being replaced right now (the panic hook must not block).
    pub fn try_texts(&self) -> Option<Rc<Texts>> {
        self.texts.try_borrow().ok().map(|t| t.clone())
    }

    /// The share actions to show.
    pub fn channels(&self) -> Vec<Channel> {
        self.config.borrow().channels.clone()
    }

    /// The element's `session` property: the last valid session as received, or `null`.
    pub fn raw_session(&self) -> JsValue {
        self.raw_session.borrow().clone()
    }

    /// Sets (or clears) the callback that re-renders the Yew app.
    pub fn subscribe(&self, listener: Option<Callback<()>>) {
        *self.listener.borrow_mut() = listener;
    }

    /// The element was connected: watch visibility, and fetch unless there is data already
    /// (adopting `early`, the loader's request, when it started one).
    pub fn start(self: &Rc<Self>, early: Option<Early>) {
        let weak = Rc::downgrade(self);
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .map(|document| {
                EventListener::new(&document, "visibilitychange", move |_| {
                    if let Some(this) = weak.upgrade() {
                        this.on_visibility();
                    }
                })
            });
        *self.visibility.borrow_mut() = listener;
        let state = self.state();
        if state.session.is_none() && !state.loading {
            self.fetch_session(early);
        } else if let Some(early) = early {
            early.abort.abort();
        }
    }

    /// The element was removed: cancel requests and timers and ignore late answers.
    pub fn stop(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        if let Some(request) = self.inflight.borrow_mut().take() {
            request.abort.abort();
        }
        self.timer.borrow_mut().take();
        self.visibility.borrow_mut().take();
        self.queued.set(false);
        let state = self.state();
        if state.loading || state.loading_more {
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
            Changed::Display if name == "page-size" => {
                let page_size = self.config.borrow().page_size;
                self.apply(Action::Resize { page_size });
                self.fetch_pages();
            }
            Changed::Display => {
                self.update_texts();
                self.render();
            }
            Changed::Source => {
                let connected = self.visibility.borrow().is_some();
                self.stop();
                *self.raw_session.borrow_mut() = JsValue::NULL;
                self.failures.set(0);
                self.apply(Action::Cleared);
                self.update_texts();
                if connected {
                    self.start(None);
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
        self.fetch_session(None);
    }

    fn fetch_session(self: &Rc<Self>, early: Option<Early>) {
        let busy = self.inflight.borrow().as_ref().map(|r| r.kind);
        match busy {
            Some(Kind::Session) => return,
            Some(Kind::Page) => {
                self.queued.set(true);
                return;
            }
            None => {}
        }
        self.timer.borrow_mut().take();
        self.due.set(false);
        let config = self.config.borrow().clone();
        if config.demo {
            let page_size = config.page_size;
            self.apply(Action::Loaded {
                session: demo::session(js_sys::Date::now()),
                page_size,
            });
            self.fetch_pages();
            self.resolve_waiters();
            return;
        }
        let Some(endpoint) = config.endpoint else {
            self.fail(WidgetError::new(
                ErrorKind::Configuration,
                "the endpoint attribute is missing",
            ));
            self.resolve_waiters();
            return;
        };
        let (request, early) = match early {
            Some(Early { response, abort }) => {
                (Request::with(Kind::Session, abort), Some(response))
            }
            None => match Request::new(Kind::Session) {
                Some(request) => (request, None),
                None => return,
            },
        };
        let signal = request.abort.signal();
        *self.inflight.borrow_mut() = Some(request);
        let generation = self.generation.get();
        self.apply(Action::Requested);
        let weak = Rc::downgrade(self);
        let host = self.host.clone();
        spawn_local(async move {
            let ask = async || {
                let token = fetch::auth_token(&host).await?;
                fetch::get_json(&endpoint, None, config.credentials, token, &signal).await
            };
            let answer = match early {
                Some(response) => match fetch::read_early(response).await {
                    // The loader left it to us (getAuthToken failed or gave no string).
                    None => ask().await,
                    // Sent before the host set getAuthToken (it usually does right after
                    // adding the element): ask again, with the token.
                    Some(Err(e))
                        if e.kind == ErrorKind::Authentication && has_token_source(&host) =>
                    {
                        ask().await
                    }
                    Some(answer) => answer,
                },
                None => ask().await,
            };
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
                    this.failures.set(0);
                    let expires_at = session.expires_at;
                    // `rd-load` follows once the app has rendered it (see `rendered`).
                    this.apply(Action::Loaded {
                        session,
                        page_size: config.page_size,
                    });
                    this.schedule(timing::refresh_delay(expires_at, js_sys::Date::now()));
                    this.fetch_pages();
                }
                Err(error) => {
                    if timing::is_transient(&error) {
                        let attempt = this.failures.get() + 1;
                        this.failures.set(attempt);
                        let delay = timing::retry_delay(
                            attempt,
                            error.retry_after_ms,
                            js_sys::Math::random(),
                        );
                        this.schedule(delay);
                    }
                    this.fail(error);
                }
            }
            this.resolve_waiters();
        });
    }

    /// "Show more": reveal `page-size` more, fetching the pages that hold them first when
    /// they are not loaded yet.
    pub fn show_more(self: &Rc<Self>) {
        let page_size = self.config.borrow().page_size;
        self.apply(Action::Reveal { page_size });
        self.fetch_pages();
    }

    /// Fetches the next page when the state waits for rows that are not loaded
    /// ([`State::needs_page`]), one request at a time: each answer calls this again until the
    /// waiting step has its rows. Runs after every change that can leave a step waiting.
    fn fetch_pages(self: &Rc<Self>) {
        let config = self.config.borrow().clone();
        if config.demo {
            // The sample pages are computed here; each one either grows the list or ends it,
            // so this loop ends.
            while self.state().needs_page() {
                let cursor = self.state().next.clone().unwrap_or_default();
                let page = demo::page(&cursor, js_sys::Date::now()).unwrap_or_default();
                self.apply(Action::PageLoaded(page));
            }
            return;
        }
        let state = self.state();
        if !state.needs_page() || self.inflight.borrow().is_some() {
            return;
        }
        let (Some(cursor), Some(endpoint)) = (state.next.clone(), config.endpoint.clone()) else {
            return;
        };
        let Some(request) = Request::new(Kind::Page) else {
            return;
        };
        let signal = request.abort.signal();
        *self.inflight.borrow_mut() = Some(request);
        let generation = self.generation.get();
        self.apply(Action::PageRequested);
        let weak = Rc::downgrade(self);
        let host = self.host.clone();
        spawn_local(async move {
            let answer = async {
                let token = fetch::auth_token(&host).await?;
                fetch::get_json(&endpoint, Some(&cursor), config.credentials, token, &signal).await
            }
            .await;
            let Some(this) = current(&weak, generation) else {
                return;
            };
            this.inflight.borrow_mut().take();
            match answer
                .map_err(|e| timed_out(e, &signal))
                .and_then(parse_page)
            {
                Ok(page) => this.apply(Action::PageLoaded(page)),
                Err(error) => {
                    // What is shown stays; the button can be pressed again.
                    events::error(&this.host, &error);
                    this.apply(Action::PageFailed(error));
                }
            }
            if this.queued.replace(false) {
                // The session request asked for meanwhile; pages continue after it.
                this.load();
            } else {
                this.fetch_pages();
            }
        });
    }

    /// Destroys `app` now, or right after its first render if it has not rendered yet.
    ///
    /// Yew queues destruction and runs queued destroys before queued creations, so destroying
    /// an app whose first render is still queued does nothing and the app is created anyway,
    /// detached and alive for good. Such an app is kept here until [`Controller::mounted`].
    pub fn destroy_app(&self, app: AppHandle<App>) {
        if self.mounted.get() {
            app.destroy();
        } else {
            *self.orphan.borrow_mut() = Some(app);
        }
    }

    /// The app has rendered for the first time.
    pub fn mounted(&self) {
        self.mounted.set(true);
        let orphan = self.orphan.borrow_mut().take();
        if let Some(app) = orphan {
            app.destroy();
        }
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

    /// A share action was taken; `false` when the host cancelled `rd-share` to handle it.
    pub fn share(&self, channel: Channel, link: &str) -> bool {
        events::share(&self.host, channel.id(), link)
    }

    /// Runs `load` after `delay_ms` (replacing any pending automatic load). When the time comes
    /// while the page is hidden, the load waits for it to be visible.
    fn schedule(self: &Rc<Self>, delay_ms: f64) {
        let weak = Rc::downgrade(self);
        let millis = delay_ms.clamp(0.0, f64::from(i32::MAX)) as u32;
        let timeout = Timeout::new(millis, move || {
            if let Some(this) = weak.upgrade() {
                this.timer.borrow_mut().take();
                if is_visible() {
                    this.load();
                } else {
                    this.due.set(true);
                }
            }
        });
        *self.timer.borrow_mut() = Some(timeout);
    }

    fn on_visibility(self: &Rc<Self>) {
        if !is_visible() {
            return;
        }
        let expired = self
            .state()
            .session
            .as_ref()
            .is_some_and(|s| s.expires_at <= js_sys::Date::now());
        if self.due.get() || expired {
            self.load();
        }
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

/// Whether the host has set `getAuthToken`.
fn has_token_source(host: &HtmlElement) -> bool {
    js_sys::Reflect::get(host, &JsValue::from_str("getAuthToken")).is_ok_and(|f| f.is_function())
}

/// The controller, if it still exists and nothing invalidated the answer in the meantime.
fn current(weak: &Weak<Controller>, generation: u32) -> Option<Rc<Controller>> {
    weak.upgrade().filter(|c| c.generation.get() == generation)
}

fn is_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
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
    let session = session::decode_session(&raw).map_err(invalid)?;
    Ok((raw, session))
}

fn parse_page(raw: JsValue) -> Result<Page, WidgetError> {
    session::decode_page(&raw).map_err(invalid)
}

fn invalid(invalid: session::Invalid) -> WidgetError {
    WidgetError::new(ErrorKind::InvalidResponse, &invalid.message())
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
