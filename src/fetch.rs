//! Requests to the host's session endpoint, and the mapping of every failure to one of the
//! `rd-error` types of SPEC §4.
//!
//! [`classify`], [`describe_status`] and [`is_header_value`] are pure; [`get_json`],
//! [`ask_token`] and [`token_answer`] are the thin browser edge (gloo-net, the host's functions) that moves bytes
//! and reports what happened. The `token-url` request itself is the loader's (`tokenFromUrl` in
//! `pkg-template/element.js`): its early request needs it before the wasm is there, and one
//! implementation in JS costs every page less than a second one here (measured: 1.0 KB gzip
//! of wasm against 0.3 KB of JS).

use gloo_net::http::{Request, Response};

use crate::config::Credentials;
use js_sys::{Function, JsString, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestCredentials};

/// The wire names of the error types, in [`ErrorKind`] order.
const NAMES: [&str; crate::surface::ERROR_TYPES.len()] = crate::surface::error_type_names();

/// The `type` of an `rd-error` (SPEC §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The element is set up wrongly (no `endpoint`, endpoint not found).
    Configuration,
    /// The request did not complete (offline, DNS, CORS, timeout).
    Network,
    /// The endpoint refused the user's identity (401, 403).
    Authentication,
    /// Too many requests (429).
    RateLimit,
    /// The endpoint failed (5xx and other unexpected statuses).
    Server,
    /// The answer was not a valid dashboard session.
    InvalidResponse,
}

impl ErrorKind {
    /// The wire name used in `rd-error`'s `detail.type` (`src/surface.rs` lists them).
    pub fn as_str(self) -> &'static str {
        NAMES[self as usize]
    }

    /// Every type, in declaration order (the order of their wire names).
    pub const ALL: [ErrorKind; NAMES.len()] = [
        ErrorKind::Configuration,
        ErrorKind::Network,
        ErrorKind::Authentication,
        ErrorKind::RateLimit,
        ErrorKind::Server,
        ErrorKind::InvalidResponse,
    ];

    /// The type whose wire name is `name`.
    pub fn named(name: &str) -> Option<Self> {
        NAMES.iter().position(|n| *n == name).map(|i| Self::ALL[i])
    }
}

/// A failure as the widget reports it: `rd-error`'s detail plus what retrying needs.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetError {
    /// Which of the SPEC §4 types.
    pub kind: ErrorKind,
    /// A sentence for developers (never shown verbatim to end users).
    pub message: String,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// How long the endpoint asked us to wait (`Retry-After`), in milliseconds.
    pub retry_after_ms: Option<f64>,
}

impl WidgetError {
    /// An error without an HTTP status.
    pub fn new(kind: ErrorKind, message: &str) -> Self {
        Self {
            kind,
            message: message.to_owned(),
            status: None,
            retry_after_ms: None,
        }
    }
}

/// Maps an HTTP status that is not 2xx to its error type.
///
/// 404 and 405 mean the `endpoint` attribute points at the wrong place, which is a
/// configuration problem rather than a server failure.
pub fn classify(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Authentication,
        429 => ErrorKind::RateLimit,
        404 | 405 => ErrorKind::Configuration,
        _ => ErrorKind::Server,
    }
}

/// The message for a failed status, preferring the endpoint's own `error.message`.
pub fn describe_status(status: u16, endpoint_message: Option<String>) -> String {
    if let Some(message) = endpoint_message.filter(|m| !m.is_empty()) {
        return message;
    }
    let mut out = String::from("the session endpoint answered HTTP ");
    crate::session::push_usize(&mut out, usize::from(status));
    out
}

/// Parses a `Retry-After` header given in seconds (the form our backend sends).
/// HTTP-date values are resolved by the caller, which has a clock.
pub fn parse_retry_after_seconds(value: &str) -> Option<f64> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > 9 {
        return None;
    }
    value.parse::<u32>().ok().map(|s| f64::from(s) * 1000.0)
}

/// The browser's value for a `credentials` mode.
fn credentials_mode(credentials: Credentials) -> RequestCredentials {
    match credentials {
        Credentials::SameOrigin => RequestCredentials::SameOrigin,
        Credentials::Include => RequestCredentials::Include,
        Credentials::Omit => RequestCredentials::Omit,
    }
}

/// Whether `value` may be sent as an HTTP header value: the browser refuses (with an
/// exception) characters beyond U+00FF and line breaks or NUL, so a token carrying them is the
/// host's configuration error, reported before anything is sent.
pub fn is_header_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| u32::from(c) <= 0xFF && !matches!(c, '\0' | '\n' | '\r'))
}

/// `GET url` (plus `?cursor=` for a page) through gloo-net, with the element's credentials mode,
/// `Accept: application/json`, the bearer `token` and `signal`; returns the body of a 2xx
/// answer as the browser's `JSON.parse` made it.
///
/// # Errors
/// Every failure mapped to its [`ErrorKind`]: a token that is no header value is
/// `configuration`, a rejected fetch is `network`, a non-2xx status goes through [`classify`], a
/// body that is not JSON is `invalid_response`.
pub async fn get_json(
    url: &str,
    cursor: Option<&str>,
    credentials: Credentials,
    token: Option<String>,
    signal: &AbortSignal,
) -> Result<JsValue, WidgetError> {
    let mut request = Request::get(url)
        .credentials(credentials_mode(credentials))
        .header("Accept", "application/json")
        .abort_signal(Some(signal));
    if let Some(cursor) = cursor {
        request = request.query([("cursor", cursor)]);
    }
    if let Some(token) = token {
        let mut value = String::from("Bearer ");
        value.push_str(&token);
        if !is_header_value(&value) {
            return Err(WidgetError::new(
                ErrorKind::Configuration,
                "the bearer token (from getAuthToken or token-url) is not a valid header value",
            ));
        }
        request = request.header("Authorization", &value);
    }
    let response = request.send().await.map_err(|_| network())?;
    read_response(response).await
}

fn network() -> WidgetError {
    WidgetError::new(ErrorKind::Network, "the session request failed")
}

/// The answer to the loader's early request (`pending` resolves to a `Response`), or `None`
/// when the loader left the request to the core: it does when `getAuthToken` throws or gives
/// something other than a string or null, so that the core asks again and reports exactly that.
/// A `token-url` that failed rejects with the failure ([`reported`]).
pub async fn read_early(pending: Promise) -> Option<Result<JsValue, WidgetError>> {
    match JsFuture::from(pending).await {
        Err(thrown) => Some(Err(reported(&thrown).unwrap_or_else(network))),
        Ok(value) => match value.dyn_into::<web_sys::Response>() {
            Ok(response) => Some(read_response(response.into()).await),
            Err(_) => None,
        },
    }
}

async fn read_response(response: Response) -> Result<JsValue, WidgetError> {
    let (ok, status) = (response.ok(), response.status());
    let retry_after = response.headers().get("Retry-After");
    // The body as `JSON.parse` makes it: serde-wasm-bindgen decodes that object directly.
    let raw = web_sys::Response::from(response);
    let body = match raw.json() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(error) => Err(error),
    };
    if ok {
        return body.map_err(|_| {
            WidgetError::new(ErrorKind::InvalidResponse, "the session is not valid JSON")
        });
    }
    let endpoint_message = body.ok().and_then(|b| {
        let error = Reflect::get(&b, &JsValue::from_str("error")).ok()?;
        Reflect::get(&error, &JsValue::from_str("message"))
            .ok()?
            .as_string()
    });
    let retry_after_ms = retry_after.and_then(|v| {
        parse_retry_after_seconds(&v).or_else(|| {
            let at = js_sys::Date::parse(&v);
            (at.is_finite()).then(|| (at - js_sys::Date::now()).max(0.0))
        })
    });
    Err(WidgetError {
        kind: classify(status),
        message: describe_status(status, endpoint_message),
        status: Some(status),
        retry_after_ms,
    })
}

/// The call that gives the bearer token for the next request, not yet awaited: the host's
/// `getAuthToken` when it is set (`true`: its answer is read by [`token_answer`] as the host's),
/// else `ask_url` (the loader's `tokenFromUrl`, see [`crate::element::create`]) asking
/// `token_url`, else `None` (no token). The caller awaits the promise: one `await` for either
/// source, in the request's own state machine (each `async fn` awaited there would add its own).
///
/// # Errors
/// `configuration` when `getAuthToken` is set to something other than a function;
/// `authentication` when it throws.
pub fn ask_token(
    host: &JsValue,
    token_url: Option<&str>,
    ask_url: Option<&Function>,
    signal: &AbortSignal,
) -> Result<Option<(Promise, bool)>, WidgetError> {
    let getter = Reflect::get(host, &JsValue::from_str("getAuthToken")).unwrap_or_default();
    let own = !(getter.is_null() || getter.is_undefined());
    let called = if own {
        let Some(getter) = getter.dyn_ref::<Function>() else {
            return Err(WidgetError::new(
                ErrorKind::Configuration,
                "getAuthToken must be a function returning a promise",
            ));
        };
        getter.call0(host)
    } else if let (Some(url), Some(ask)) = (token_url, ask_url) {
        ask.call2(&JsValue::NULL, &JsValue::from_str(url), signal)
    } else {
        return Ok(None);
    };
    match called {
        Ok(value) => Ok(Some((Promise::resolve(&value), own))),
        Err(thrown) => Err(token_failure(&thrown, own)),
    }
}

/// The token from the settled promise of [`ask_token`] (`own`: the host's `getAuthToken`).
///
/// # Errors
/// For `getAuthToken`: `authentication` when its promise rejects, `configuration` when it gives
/// no string or null. For `token-url`: the failure the loader rejects with ([`reported`]).
pub fn token_answer(
    settled: Result<JsValue, JsValue>,
    own: bool,
) -> Result<Option<String>, WidgetError> {
    let value = settled.map_err(|thrown| token_failure(&thrown, own))?;
    if !own || value.is_null() || value.is_undefined() {
        return Ok(value.as_string());
    }
    match value.dyn_into::<JsString>() {
        Ok(token) => Ok(Some(String::from(token))),
        Err(_) => Err(WidgetError::new(
            ErrorKind::Configuration,
            "getAuthToken must resolve to a string or null",
        )),
    }
}

fn token_failure(thrown: &JsValue, own: bool) -> WidgetError {
    if own {
        WidgetError::new(
            ErrorKind::Authentication,
            "getAuthToken failed to provide a token",
        )
    } else {
        reported(thrown).unwrap_or_else(network)
    }
}

/// A failure the loader rejected with, as its `type` (an `rd-error` type) and `message` say;
/// `None` for anything else (a `fetch` rejecting with a `TypeError`).
pub fn reported(thrown: &JsValue) -> Option<WidgetError> {
    let field = |name: &str| {
        Reflect::get(thrown, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    let kind = ErrorKind::named(&field("type")?)?;
    Some(WidgetError::new(
        kind,
        &field("message").unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_spec_error_types() {
        assert_eq!(classify(401), ErrorKind::Authentication);
        assert_eq!(classify(403), ErrorKind::Authentication);
        assert_eq!(classify(429), ErrorKind::RateLimit);
        assert_eq!(classify(500), ErrorKind::Server);
        assert_eq!(classify(503), ErrorKind::Server);
        assert_eq!(classify(404), ErrorKind::Configuration);
        assert_eq!(classify(400), ErrorKind::Server);
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after_seconds("7"), Some(7000.0));
        assert_eq!(parse_retry_after_seconds(" 0 "), Some(0.0));
        assert_eq!(parse_retry_after_seconds("-1"), None);
        assert_eq!(
            parse_retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"),
            None
        );
    }

    #[test]
    fn status_message_prefers_the_endpoints_words() {
        assert_eq!(
            describe_status(500, None),
            "the session endpoint answered HTTP 500"
        );
        assert_eq!(
            describe_status(401, Some("token expired".into())),
            "token expired"
        );
    }

    #[test]
    fn error_types_are_found_by_their_wire_names() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::named(kind.as_str()), Some(kind));
        }
        assert_eq!(ErrorKind::named("authentication "), None);
        assert_eq!(ErrorKind::named("oops"), None);
    }

    #[test]
    fn tokens_that_are_no_header_value_are_caught_before_sending() {
        assert!(is_header_value("Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"));
        assert!(is_header_value("Bearer café"), "Latin-1 is a byte string");
        assert!(!is_header_value("Bearer a\nb"));
        assert!(!is_header_value("Bearer a\rb"));
        assert!(!is_header_value("Bearer a\0b"));
        assert!(!is_header_value("Bearer 🔑"));
    }
}
