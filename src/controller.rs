//! The browser edge of one element's session lifecycle. It turns DOM callbacks, timers and
//! answers into [`Input`]s for the pure [`Lifecycle`] and carries out its [`Command`]s:
//! requests, timers, renders, events and `refresh()` promises. The rules are all in
//! [`crate::lifecycle`]; what is here is how the browser does each thing.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{AbortController, AbortSignal, HtmlElement};
use yew::Callback;

use crate::config::{ATTRIBUTES, Config};
use crate::events;
use crate::fetch::{self, ErrorKind, WidgetError};
use crate::i18n::{self, Texts};
use crate::lifecycle::{Answer, Clock, Command, Event, Fetch, Input, Kind, Lifecycle, Ticket};
use crate::session;
use crate::share::Channel;
use crate::state::{State, View};

/// How long a session or page request may take before it counts as a `network` failure.
/// Long enough for a slow mobile link, short enough that a stalled endpoint is reported.
const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// The session request the loader started while the wasm was still loading.
pub struct Early {
    /// The pending `fetch()`.
    pub response: Promise,
    /// Aborts it.
    pub abort: AbortController,
    /// The loader's object; its `tokenAsked` says whether the request was sent after asking
    /// `getAuthToken` or `token-url` (then a refusal is the host's answer, not asked again).
    pub loader: JsValue,
}

/// The request in flight: aborting cancels the fetch; the timer aborts it after
/// [`REQUEST_TIMEOUT_MS`].
struct InFlight {
    ticket: Ticket,
    abort: AbortController,
    _timeout: Timeout,
}

/// One element's lifecycle, in the browser.
pub struct Controller {
    host: HtmlElement,
    /// The loader's `tokenFromUrl`, which asks the `token-url` for a token.
    ask_url: Option<Function>,
    /// The loader's `catalogue(language)`: the language's texts (message id → text), `null` for
    /// none (English, or a language without a catalogue), or `undefined` while they download
    /// (the loader then sets the strings again once they are in).
    ask_catalogue: Option<Function>,
    lifecycle: RefCell<Lifecycle<JsValue>>,
    texts: RefCell<Rc<Texts>>,
    /// Whether `texts` follow the configuration yet (an English placeholder until then).
    texts_set: std::cell::Cell<bool>,
    overrides: RefCell<Vec<(String, String)>>,
    /// The Yew app's re-render callback, while mounted.
    listener: RefCell<Option<Callback<()>>>,
    /// Mounts the app, the first time there is something to show while none is subscribed.
    mount: RefCell<Option<Callback<()>>>,
    request: RefCell<Option<InFlight>>,
    /// The loader's early request, until the first session request adopts it.
    early: RefCell<Option<Early>>,
    /// `refresh()` promises waiting for [`Command::Settle`].
    waiters: RefCell<Vec<Function>>,
    timer: RefCell<Option<Timeout>>,
    /// Listens for the page's visibility, while connected.
    visibility: RefCell<Option<EventListener>>,
}

impl Controller {
    /// A controller for `host`, configured from its current attributes; `ask_url` asks the
    /// `token-url` for a token, `ask_catalogue` for a language's texts.
    pub fn new(
        host: HtmlElement,
        ask_url: Option<Function>,
        ask_catalogue: Option<Function>,
    ) -> Rc<Self> {
        let mut config = Config::default();
        for name in ATTRIBUTES {
            config.set(name, host.get_attribute(name).as_deref());
        }
        let overrides = i18n::read_overrides(
            &js_sys::Reflect::get(&host, &JsValue::from_str("strings")).unwrap_or_default(),
        );
        let controller = Rc::new(Self {
            host,
            ask_url,
            ask_catalogue,
            lifecycle: RefCell::new(Lifecycle::new(config)),
            texts: RefCell::new(Rc::new(Texts::new("en", Vec::new()))),
            texts_set: std::cell::Cell::new(false),
            overrides: RefCell::new(overrides),
            listener: RefCell::new(None),
            mount: RefCell::new(None),
            request: RefCell::new(None),
            early: RefCell::new(None),
            waiters: RefCell::new(Vec::new()),
            timer: RefCell::new(None),
            visibility: RefCell::new(None),
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
        self.lifecycle.borrow().state()
    }

    /// The texts and formatters to render with.
    pub fn texts(&self) -> Rc<Texts> {
        self.texts.borrow().clone()
    }

    /// The share actions to show.
    pub fn channels(&self) -> Vec<Channel> {
        self.lifecycle.borrow().config().channels.clone()
    }

    /// The parts of the card to show.
    pub fn sections(&self) -> crate::config::Sections {
        self.lifecycle.borrow().config().sections
    }

    /// The element's `session` property: the last valid session as received, or `null`.
    pub fn raw_session(&self) -> JsValue {
        let lifecycle = self.lifecycle.borrow();
        lifecycle.received().cloned().unwrap_or(JsValue::NULL)
    }

    /// Sets (or clears) the callback that re-renders the Yew app.
    pub fn subscribe(&self, listener: Option<Callback<()>>) {
        *self.listener.borrow_mut() = listener;
    }

    /// Sets (or clears) what mounts the app once the state has something to show (a session or
    /// an error): [`crate::element::Core::connect`] with the loader's early request.
    pub fn mount_when_shown(&self, mount: Option<Callback<()>>) {
        *self.mount.borrow_mut() = mount;
    }

    /// The element was connected: watch visibility and start, adopting `early` (the loader's
    /// request) as the first session request if one is made.
    pub fn start(self: &Rc<Self>, early: Option<Early>) {
        let weak = Rc::downgrade(self);
        let listener = web_sys::window()
            .and_then(|w| w.document())
            .map(|document| {
                EventListener::new(&document, "visibilitychange", move |_| {
                    if let Some(this) = weak.upgrade() {
                        this.send(Input::Visibility {
                            visible: is_visible(),
                        });
                    }
                })
            });
        *self.visibility.borrow_mut() = listener;
        *self.early.borrow_mut() = early;
        self.send(Input::Connected {
            visible: is_visible(),
        });
        // No session request adopted it: the element had its data already.
        let unused = self.early.borrow_mut().take();
        if let Some(early) = unused {
            early.abort.abort();
        }
    }

    /// The element was removed.
    pub fn stop(self: &Rc<Self>) {
        self.visibility.borrow_mut().take();
        self.send(Input::Disconnected);
    }

    /// An observed attribute changed.
    pub fn attribute_changed(self: &Rc<Self>, name: &str, value: Option<String>) {
        self.send(Input::Attribute {
            name: name.to_owned(),
            value,
        });
    }

    /// The `strings` property was set.
    pub fn set_strings(&self, value: &JsValue) {
        *self.overrides.borrow_mut() = i18n::read_overrides(value);
        self.update_texts();
        self.render();
    }

    /// `refresh()`: resolves once the session request it started or joined has settled.
    pub fn refresh(self: &Rc<Self>) -> Promise {
        let this = self.clone();
        Promise::new(&mut move |resolve, _reject| {
            this.waiters.borrow_mut().push(resolve);
            this.send(Input::Refresh);
        })
    }

    /// The error state's retry button.
    pub fn retry(self: &Rc<Self>) {
        self.send(Input::Retry);
    }

    /// "Show more".
    pub fn show_more(self: &Rc<Self>) {
        self.send(Input::ShowMore);
    }

    /// The app rendered a newly loaded session.
    pub fn rendered(self: &Rc<Self>) {
        self.send(Input::Rendered);
    }

    /// The link (`what` is `link`) or a coupon code (`coupon`) was copied to the clipboard.
    pub fn copied(&self, what: &str, text: &str) {
        events::copy(&self.host, what, text);
    }

    /// A share action was taken; `false` when the host cancelled `rd-share` to handle it.
    pub fn share(&self, channel: Channel, link: &str) -> bool {
        events::share(&self.host, channel.id(), link)
    }

    /// Hands `input` to the lifecycle and carries out what it says. The lifecycle is not
    /// borrowed while commands run, so a listener may call back in (an `rd-error` handler that
    /// calls `refresh()`).
    fn send(self: &Rc<Self>, input: Input<JsValue>) {
        let clock = Clock {
            now: js_sys::Date::now(),
            random: js_sys::Math::random(),
        };
        let commands = {
            let mut lifecycle = self.lifecycle.borrow_mut();
            lifecycle.set_auth_property(has_token_source(&self.host));
            lifecycle.handle(input, clock)
        };
        for command in commands {
            self.run(command);
        }
    }

    fn run(self: &Rc<Self>, command: Command) {
        match command {
            Command::Fetch(fetch) => self.fetch(fetch),
            Command::Cancel => {
                if let Some(request) = self.request.borrow_mut().take() {
                    request.abort.abort();
                }
            }
            Command::SetTimer(delay) => {
                let weak = Rc::downgrade(self);
                let millis = delay.clamp(0.0, f64::from(i32::MAX)) as u32;
                let timeout = Timeout::new(millis, move || {
                    if let Some(this) = weak.upgrade() {
                        this.timer.borrow_mut().take();
                        this.send(Input::TimerFired);
                    }
                });
                *self.timer.borrow_mut() = Some(timeout);
            }
            Command::ClearTimer => drop(self.timer.borrow_mut().take()),
            Command::Render => self.render(),
            Command::UpdateTexts => self.update_texts(),
            Command::Dispatch(Event::Load(stats)) => events::load(&self.host, &stats),
            Command::Dispatch(Event::Error(error)) => events::error(&self.host, &error),
            Command::Settle => {
                let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
                for resolve in waiters {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
        }
    }

    /// Makes the one request of `fetch` (adopting the loader's early request for a session)
    /// and hands its decoded answer back to the lifecycle, which drops it if it is stale.
    fn fetch(self: &Rc<Self>, fetch: Fetch) {
        let early = match fetch.kind {
            Kind::Session => self.early.borrow_mut().take(),
            Kind::Page => None,
        };
        let (abort, early) = match early {
            Some(Early {
                response,
                abort,
                loader,
            }) => (abort, Some((response, loader))),
            None => match AbortController::new() {
                Ok(abort) => (abort, None),
                Err(_) => {
                    let failed = WidgetError::new(ErrorKind::Network, "the session request failed");
                    return self.send(Input::Answer {
                        ticket: fetch.ticket,
                        answer: Err(failed),
                    });
                }
            },
        };
        let signal = abort.signal();
        let on_timeout = abort.clone();
        *self.request.borrow_mut() = Some(InFlight {
            ticket: fetch.ticket,
            abort,
            _timeout: Timeout::new(REQUEST_TIMEOUT_MS, move || on_timeout.abort()),
        });
        let weak = Rc::downgrade(self);
        let (host, ask_url) = (self.host.clone(), self.ask_url.clone());
        spawn_local(async move {
            let body = request(&host, ask_url.as_ref(), &fetch, early, &signal).await;
            let Some(this) = weak.upgrade() else {
                return;
            };
            {
                let mut current = this.request.borrow_mut();
                if current.as_ref().is_some_and(|r| r.ticket == fetch.ticket) {
                    current.take();
                }
            }
            let answer = body
                .map_err(|e| timed_out(e, &signal))
                .and_then(|raw| decode(fetch.kind, raw));
            this.send(Input::Answer {
                ticket: fetch.ticket,
                answer,
            });
        });
    }

    fn render(&self) {
        let listener = self.listener.borrow().clone();
        if let Some(listener) = listener {
            listener.emit(());
        } else if self.state().view() != View::Loading {
            let mount = self.mount.borrow_mut().take();
            if let Some(mount) = mount {
                mount.emit(());
            }
        }
    }

    /// Rebuilds the texts for the current locale, its catalogue and the host's overrides. While
    /// the catalogue downloads, the texts shown so far stay (a new element's: English) until
    /// the loader sets the strings again.
    fn update_texts(&self) {
        let locale = self.lifecycle.borrow().config().locale.clone();
        let locale = locale.unwrap_or_else(|| inherited_locale(&self.host));
        let overrides = self.overrides.borrow().clone();
        let texts = Texts::new(&locale, overrides).with_formatters();
        let language = JsValue::from_str(&i18n::primary_language(texts.locale()));
        let catalogue = self.ask_catalogue.as_ref().map_or(JsValue::NULL, |ask| {
            ask.call1(&JsValue::NULL, &language)
                .unwrap_or(JsValue::NULL)
        });
        if catalogue.is_undefined() && self.texts_set.get() {
            return;
        }
        let catalogue = i18n::read_overrides(&catalogue);
        *self.texts.borrow_mut() = Rc::new(texts.with_catalogue(catalogue));
        self.texts_set.set(true);
    }
}

/// Token, then `GET` (or the loader's early request when one is adopted): the body of a 2xx
/// answer, or the failure as an `rd-error` type.
async fn request(
    host: &HtmlElement,
    ask_url: Option<&Function>,
    fetch: &Fetch,
    early: Option<(Promise, JsValue)>,
    signal: &AbortSignal,
) -> Result<JsValue, WidgetError> {
    if let Some((response, loader)) = early {
        let answer = fetch::read_early(response).await;
        // Read once the request has gone out: set when it was sent.
        let token_asked = js_sys::Reflect::get(&loader, &JsValue::from_str("tokenAsked"))
            .is_ok_and(|asked| asked.is_truthy());
        match answer {
            // The loader left it to us (getAuthToken failed or gave no string).
            None => {}
            // Sent before the host set getAuthToken (it usually does right after adding the
            // element): ask again, with the token. Sent with it, a refusal stands.
            Some(Err(e))
                if e.kind == ErrorKind::Authentication
                    && !token_asked
                    && has_token_source(host) => {}
            Some(answer) => return answer,
        }
    }
    let token = match fetch::ask_token(host, fetch.token_url.as_deref(), ask_url, signal)? {
        Some((promise, own)) => fetch::token_answer(JsFuture::from(promise).await, own)?,
        None => None,
    };
    let cursor = fetch.cursor.as_deref();
    fetch::get_json(&fetch.endpoint, cursor, fetch.credentials, token, signal).await
}

/// The body decoded as what `kind` asked for.
fn decode(kind: Kind, raw: JsValue) -> Result<Answer<JsValue>, WidgetError> {
    let decoded = match kind {
        Kind::Session => session::decode_session(&raw).map(|s| Answer::Session(s, raw)),
        Kind::Page => session::decode_page(&raw).map(Answer::Page),
    };
    decoded.map_err(|invalid| WidgetError::new(ErrorKind::InvalidResponse, &invalid.message()))
}

/// Whether the host has set `getAuthToken`.
fn has_token_source(host: &HtmlElement) -> bool {
    js_sys::Reflect::get(host, &JsValue::from_str("getAuthToken")).is_ok_and(|f| f.is_function())
}

fn is_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// A fetch aborted by the timeout reads as "timed out" rather than a generic failure.
fn timed_out(error: WidgetError, signal: &AbortSignal) -> WidgetError {
    if error.kind == ErrorKind::Network && signal.aborted() {
        WidgetError::new(ErrorKind::Network, "the session request timed out")
    } else {
        error
    }
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
