//! The session lifecycle of one element (SPEC §4) as a pure state machine: [`Input`]s in,
//! [`Command`]s out, time and randomness passed in as a [`Clock`]. The browser edge
//! ([`crate::controller`]) only turns DOM callbacks, timers and answers into inputs and carries
//! out the commands; every rule lives here and is tested on the host.
//!
//! The rules:
//! - at most one request in flight; a second trigger joins it (`refresh()` settles with it), and
//!   a session load asked for during a page request runs right after that request;
//! - a loaded session is re-fetched shortly before `expires_at` ([`timing::refresh_delay`]) while
//!   the page is visible; a load that falls due while hidden waits until the page is visible,
//!   and a page that becomes visible with an expired session re-fetches at once;
//! - transient failures (network, server, rate limit) retry by themselves with capped, jittered
//!   exponential backoff that honours `Retry-After` ([`timing::retry_delay`]); the last good data
//!   stays shown;
//! - an `authentication` failure asks again by itself only while the host gives a token source
//!   (`getAuthToken` or `token-url`): on a slow backoff ([`timing::auth_retry_delay`], a minute
//!   and more) and when the page is shown again ([`timing::may_ask_on_return`]); `refresh()` and
//!   the retry button always ask;
//! - every request carries a [`Ticket`]; an answer whose ticket is not the one in flight (the
//!   endpoint changed, the element was removed) is dropped;
//! - "Show more" reveals `page-size` more; a step that needs rows not held fetches the next
//!   pages, one at a time, until it has them ([`State::needs_page`]).
//!
//! The machine is generic over `R`, the session as received (a `JsValue` in the browser, `()` in
//! tests): it keeps the last accepted one for the element's `session` property without ever
//! looking into it.

use std::rc::Rc;

use crate::config::{Changed, Config, Credentials};
use crate::fetch::{ErrorKind, WidgetError};
use crate::session::{Page, Session, Stats};
use crate::state::{Action, State, reduce};
use crate::{demo, timing};

/// Identifies one request; answers carry it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u32);

/// What a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The session (`GET {endpoint}`).
    Session,
    /// A page of referrals (`GET {endpoint}?cursor=`).
    Page,
}

/// The moment an input happens, and a random number in `[0, 1)` for the backoff's jitter.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Milliseconds since the Unix epoch.
    pub now: f64,
    /// Uniform in `[0, 1)`.
    pub random: f64,
}

/// A request's successful answer, decoded.
#[derive(Clone, Debug)]
pub enum Answer<R> {
    /// A valid session, and the session as received.
    Session(Session, R),
    /// A valid page of referrals.
    Page(Page),
}

/// Everything that can happen to an element's lifecycle.
#[derive(Clone, Debug)]
pub enum Input<R> {
    /// The element entered the document; `visible` is the page's visibility.
    Connected {
        /// The page is visible.
        visible: bool,
    },
    /// The element left the document.
    Disconnected,
    /// An observed attribute changed (`None`: removed).
    Attribute {
        /// Its name.
        name: String,
        /// Its new value.
        value: Option<String>,
    },
    /// `refresh()`: load now, or join the load in flight; [`Command::Settle`] follows when the
    /// session request has settled.
    Refresh,
    /// The error state's retry button.
    Retry,
    /// "Show more".
    ShowMore,
    /// A request finished.
    Answer {
        /// The request's ticket.
        ticket: Ticket,
        /// What it brought.
        answer: Result<Answer<R>, WidgetError>,
    },
    /// The timer of [`Command::SetTimer`] fired.
    TimerFired,
    /// The page's visibility changed.
    Visibility {
        /// The page is visible now.
        visible: bool,
    },
    /// The app rendered a newly loaded session (time for `rd-load`).
    Rendered,
}

/// One request to make.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetch {
    /// Carried back by its [`Input::Answer`].
    pub ticket: Ticket,
    /// What it is for.
    pub kind: Kind,
    /// The `endpoint` attribute.
    pub endpoint: String,
    /// The page's cursor (`?cursor=`), for [`Kind::Page`].
    pub cursor: Option<String>,
    /// The `credentials` attribute.
    pub credentials: Credentials,
    /// The `token-url` attribute (used when `getAuthToken` is not set).
    pub token_url: Option<String>,
}

/// An `rd-*` event the lifecycle fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `rd-load`.
    Load(Stats),
    /// `rd-error`.
    Error(WidgetError),
}

/// What the edge must do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Start a request (with the host's token, if it has a token source).
    Fetch(Fetch),
    /// Abort the request in flight; its answer will be dropped anyway.
    Cancel,
    /// Fire [`Input::TimerFired`] after this many milliseconds, replacing any earlier timer.
    SetTimer(f64),
    /// Forget the timer.
    ClearTimer,
    /// The state changed: render it.
    Render,
    /// The locale or texts may have changed: rebuild them (then render).
    UpdateTexts,
    /// Fire an event on the element.
    Dispatch(Event),
    /// Resolve the `refresh()` promises waiting for the session request.
    Settle,
}

/// One element's lifecycle.
#[derive(Debug)]
pub struct Lifecycle<R> {
    config: Config,
    state: Rc<State>,
    /// The last accepted session as received.
    received: Option<R>,
    connected: bool,
    visible: bool,
    /// The request in flight.
    request: Option<(Ticket, Kind)>,
    next_ticket: u32,
    /// A session load was asked for while a page request was in flight.
    queued: bool,
    /// `refresh()` callers wait for the session request to settle.
    waiting: bool,
    /// When the scheduled load is due (ms since the epoch), if one is.
    timer: Option<f64>,
    /// The scheduled load fell due while the page was hidden.
    due: bool,
    /// Consecutive failed session loads (drives the backoff).
    failures: u32,
    /// Consecutive session loads refused as `authentication` (drives its slower backoff).
    auth_failures: u32,
    /// The host's `getAuthToken` is a function.
    auth_property: bool,
    /// When the last session request was sent (ms since the epoch).
    asked_at: f64,
    /// Commands of the input being handled.
    out: Vec<Command>,
}

impl<R> Lifecycle<R> {
    /// A lifecycle for an element configured by `config`, not yet connected.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            state: Rc::default(),
            received: None,
            connected: false,
            visible: true,
            request: None,
            next_ticket: 0,
            queued: false,
            waiting: false,
            timer: None,
            due: false,
            failures: 0,
            auth_failures: 0,
            auth_property: false,
            asked_at: f64::NEG_INFINITY,
            out: Vec::new(),
        }
    }

    /// The state to render.
    pub fn state(&self) -> Rc<State> {
        self.state.clone()
    }

    /// The element's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The last valid session as received, if any (the `session` property).
    pub fn received(&self) -> Option<&R> {
        self.received.as_ref()
    }

    /// Whether `ticket` is the request in flight (an answer for any other is dropped).
    pub fn is_current(&self, ticket: Ticket) -> bool {
        self.request.is_some_and(|(current, _)| current == ticket)
    }

    /// When the scheduled load is due, if one is.
    pub fn timer(&self) -> Option<f64> {
        self.timer
    }

    /// Whether the host's `getAuthToken` property is set to a function now (a property, not an
    /// attribute: the edge reads it before each input).
    pub fn set_auth_property(&mut self, set: bool) {
        self.auth_property = set;
    }

    /// Handles one input at `clock` and returns what the edge must do, in order.
    pub fn handle(&mut self, input: Input<R>, clock: Clock) -> Vec<Command> {
        match input {
            Input::Connected { visible } => {
                self.connected = true;
                self.visible = visible;
                self.start(clock);
            }
            Input::Disconnected => {
                self.connected = false;
                self.stop();
            }
            Input::Attribute { name, value } => self.attribute(&name, value.as_deref(), clock),
            Input::Refresh => {
                self.waiting = true;
                self.load(clock);
            }
            Input::Retry => self.load(clock),
            Input::ShowMore => {
                let page_size = self.config.page_size;
                self.apply(Action::Reveal { page_size });
                self.fetch_pages(clock);
            }
            Input::Answer { ticket, answer } => self.answer(ticket, answer, clock),
            Input::TimerFired => {
                self.timer = None;
                if self.visible {
                    self.load(clock);
                } else {
                    self.due = true;
                }
            }
            Input::Visibility { visible } => {
                self.visible = visible;
                let expired = self
                    .state
                    .session
                    .as_ref()
                    .is_some_and(|s| s.expires_at <= clock.now);
                let refused = self.auth_failures > 0
                    && self.has_token_source()
                    && timing::may_ask_on_return(self.asked_at, clock.now);
                if visible && (self.due || expired || refused) {
                    self.load(clock);
                }
            }
            Input::Rendered => {
                if let Some(session) = &self.state.session {
                    let stats = session.stats;
                    self.out.push(Command::Dispatch(Event::Load(stats)));
                }
            }
        }
        std::mem::take(&mut self.out)
    }

    /// Connected: fetch unless there is data; with data, keep it fresh from where it is.
    fn start(&mut self, clock: Clock) {
        let Some(session) = self.state.session.clone() else {
            if !self.state.loading {
                self.load(clock);
            }
            return;
        };
        if session.expires_at <= clock.now {
            self.load(clock);
        } else if self.timer.is_none() && self.request.is_none() {
            self.schedule(timing::refresh_delay(session.expires_at, clock.now), clock);
        }
    }

    /// Removed, or the source changed: cancel the request and the timer; answers in flight will
    /// be dropped, and waiting `refresh()` calls settle.
    fn stop(&mut self) {
        if self.request.take().is_some() {
            self.out.push(Command::Cancel);
        }
        if self.timer.take().is_some() {
            self.out.push(Command::ClearTimer);
        }
        self.queued = false;
        self.due = false;
        if self.state.loading || self.state.loading_more {
            // The answer will never be applied; leave a state a reconnect can start from.
            self.apply(Action::Cleared);
        }
        self.settle();
    }

    fn attribute(&mut self, name: &str, value: Option<&str>, clock: Clock) {
        match self.config.set(name, value) {
            Changed::Nothing => {}
            Changed::Display if name == "page-size" => {
                let page_size = self.config.page_size;
                self.apply(Action::Resize { page_size });
                self.fetch_pages(clock);
            }
            Changed::Display => {
                self.out.push(Command::UpdateTexts);
                self.render();
            }
            Changed::Source => {
                self.stop();
                self.received = None;
                self.failures = 0;
                self.auth_failures = 0;
                self.apply(Action::Cleared);
                self.out.push(Command::UpdateTexts);
                if self.connected {
                    self.start(clock);
                }
            }
        }
    }

    /// Loads the session now, unless a session request is in flight (this trigger joins it) or
    /// a page request is (the load follows it).
    fn load(&mut self, clock: Clock) {
        match self.request {
            Some((_, Kind::Session)) => return,
            Some((_, Kind::Page)) => {
                self.queued = true;
                return;
            }
            None => {}
        }
        if self.timer.take().is_some() {
            self.out.push(Command::ClearTimer);
        }
        self.due = false;
        if self.config.demo {
            let page_size = self.config.page_size;
            self.apply(Action::Loaded {
                session: demo::session(clock.now),
                page_size,
            });
            self.fetch_pages(clock);
            self.settle();
            return;
        }
        let Some(endpoint) = self.config.endpoint.clone() else {
            self.fail(WidgetError::new(
                ErrorKind::Configuration,
                "the endpoint attribute is missing",
            ));
            self.settle();
            return;
        };
        self.apply(Action::Requested);
        self.asked_at = clock.now;
        self.send(Kind::Session, endpoint, None);
    }

    /// Whether the host gives the element a token to send: `getAuthToken` or `token-url`.
    fn has_token_source(&self) -> bool {
        self.auth_property || self.config.token_url.is_some()
    }

    /// Fetches the next page when the state waits for rows that are not loaded, one request at
    /// a time: each answer comes back here until the waiting step has its rows.
    fn fetch_pages(&mut self, clock: Clock) {
        if self.config.demo {
            // The sample pages are computed; each one grows the list or ends it, so this ends.
            while self.state.needs_page() {
                let cursor = self.state.next.clone().unwrap_or_default();
                let page = demo::page(&cursor, clock.now).unwrap_or_default();
                self.apply(Action::PageLoaded(page));
            }
            return;
        }
        if !self.state.needs_page() || self.request.is_some() {
            return;
        }
        let (Some(cursor), Some(endpoint)) =
            (self.state.next.clone(), self.config.endpoint.clone())
        else {
            return;
        };
        self.apply(Action::PageRequested);
        self.send(Kind::Page, endpoint, Some(cursor));
    }

    fn send(&mut self, kind: Kind, endpoint: String, cursor: Option<String>) {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket = self.next_ticket.wrapping_add(1);
        self.request = Some((ticket, kind));
        self.out.push(Command::Fetch(Fetch {
            ticket,
            kind,
            endpoint,
            cursor,
            credentials: self.config.credentials,
            token_url: self.config.token_url.clone(),
        }));
    }

    fn answer(&mut self, ticket: Ticket, answer: Result<Answer<R>, WidgetError>, clock: Clock) {
        if !self.is_current(ticket) {
            return;
        }
        let Some((_, kind)) = self.request.take() else {
            return;
        };
        match (kind, answer) {
            (Kind::Session, Ok(Answer::Session(session, received))) => {
                self.received = Some(received);
                self.failures = 0;
                self.auth_failures = 0;
                let expires_at = session.expires_at;
                let page_size = self.config.page_size;
                // A malformed optional member was dropped: the card is drawn without it, and
                // the host is told why (SPEC §5).
                if let Some(invalid) = &session.dropped {
                    let error = WidgetError::new(ErrorKind::InvalidResponse, &invalid.message());
                    self.out.push(Command::Dispatch(Event::Error(error)));
                }
                // `rd-load` follows once the app has rendered it (`Input::Rendered`).
                self.apply(Action::Loaded { session, page_size });
                self.schedule(timing::refresh_delay(expires_at, clock.now), clock);
                self.fetch_pages(clock);
            }
            (Kind::Session, Err(error)) => {
                if timing::is_transient(&error) {
                    self.auth_failures = 0;
                    self.failures += 1;
                    let delay =
                        timing::retry_delay(self.failures, error.retry_after_ms, clock.random);
                    self.schedule(delay, clock);
                } else if error.kind == ErrorKind::Authentication {
                    self.auth_failures += 1;
                    if self.has_token_source() {
                        let delay = timing::auth_retry_delay(self.auth_failures, clock.random);
                        self.schedule(delay, clock);
                    }
                } else {
                    self.auth_failures = 0;
                }
                self.fail(error);
            }
            (Kind::Page, Ok(Answer::Page(page))) => self.apply(Action::PageLoaded(page)),
            (Kind::Page, Err(error)) => {
                // What is shown stays; the button can be pressed again.
                self.out
                    .push(Command::Dispatch(Event::Error(error.clone())));
                self.apply(Action::PageFailed(error));
            }
            // An answer of the other kind cannot come from the edge; nothing to apply.
            (Kind::Session, Ok(Answer::Page(_))) | (Kind::Page, Ok(Answer::Session(..))) => {}
        }
        match kind {
            Kind::Session => self.settle(),
            Kind::Page if self.queued => {
                // The session load asked for meanwhile; pages continue after it.
                self.queued = false;
                self.load(clock);
            }
            Kind::Page => self.fetch_pages(clock),
        }
    }

    fn schedule(&mut self, delay: f64, clock: Clock) {
        self.timer = Some(clock.now + delay);
        self.out.push(Command::SetTimer(delay));
    }

    fn fail(&mut self, error: WidgetError) {
        self.out
            .push(Command::Dispatch(Event::Error(error.clone())));
        self.apply(Action::Failed(error));
    }

    fn settle(&mut self) {
        if std::mem::take(&mut self.waiting) {
            self.out.push(Command::Settle);
        }
    }

    fn apply(&mut self, action: Action) {
        self.state = Rc::new(reduce(&self.state, action));
        self.render();
    }

    /// One render per input is enough: the app reads the state when it renders.
    fn render(&mut self) {
        if !self.out.contains(&Command::Render) {
            self.out.push(Command::Render);
        }
    }
}

#[cfg(test)]
mod tests;
