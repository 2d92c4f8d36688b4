//! Shared helpers: real servers on loopback in front of a sandbox, identity tokens, and the
//! sandbox's test controls (faults, seeding, call counts), driven over HTTP.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use referrer_dashboard_server::config::Config;
use referrer_dashboard_server::sandbox::{self, Sandbox};
use referrer_dashboard_server::{Limits, Overrides};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The JWT secret the test servers use.
pub const SECRET: &str = "integration-test-secret-0123456789abcdef";

/// A recognisable fake master key: it must never show up where it should not.
pub const KEY: &str = "rf_live_TEST_KEY_do_not_leak_6a1f93";

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The sandbox behind it.
    pub sandbox: Sandbox,
}

/// `extra` with rewards off unless it says otherwise: the tests that count calls count the
/// referral path's (what rewards cost is measured in `rewards.rs`, which turns them on).
fn rewards_off_unless_asked<'a>(args: &mut Vec<&'a str>, extra: &[&'a str]) {
    if !extra.contains(&"--rewards") {
        args.extend_from_slice(&["--rewards", "off"]);
    }
}

/// Starts the full application in sandbox mode with `extra` flags.
pub async fn start(extra: &[&str]) -> TestServer {
    start_with(extra, Overrides::default()).await
}

/// [`start`] with `overrides`.
pub async fn start_with(extra: &[&str], overrides: Overrides) -> TestServer {
    let mut args = vec!["server", "--sandbox", "--jwt-secret", SECRET];
    rewards_off_unless_asked(&mut args, extra);
    args.extend_from_slice(extra);
    let config = Config::try_parse_from(args).unwrap();
    let limits = overrides.limits.clone();
    let app = referrer_dashboard_server::build_with(&config, overrides)
        .await
        .unwrap();
    TestServer {
        base: serve(app.router, limits).await,
        sandbox: app.sandbox.unwrap(),
    }
}

/// The full application in sandbox mode with `extra` flags, built but not served: for handler
/// checks that need no socket ([`ask`], `Router::oneshot`). The sandbox behind it is served.
pub async fn app(extra: &[&str], overrides: Overrides) -> referrer_dashboard_server::App {
    let mut args = vec!["server", "--sandbox", "--jwt-secret", SECRET];
    rewards_off_unless_asked(&mut args, extra);
    args.extend_from_slice(extra);
    let config = Config::try_parse_from(args).unwrap();
    referrer_dashboard_server::build_with(&config, overrides)
        .await
        .unwrap()
}

/// `request` answered by `router` without a socket: status, headers and the body as JSON
/// (`null` when it is not).
pub async fn ask_with(
    router: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (u16, axum::http::HeaderMap, Value) {
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

/// GET the session endpoint of `router` without a socket, as [`get_session`] does over one.
pub async fn ask(
    router: &axum::Router,
    token: Option<&str>,
    query: &str,
) -> (u16, axum::http::HeaderMap, Value) {
    let mut request = axum::http::Request::get(format!("/api/referral-dashboard{query}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    ask_with(router, request.body(axum::body::Body::empty()).unwrap()).await
}

/// A sandbox of its own on loopback, accepting [`KEY`], with the demo referrers.
pub async fn sandbox() -> Sandbox {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = sandbox::Options {
        key: KEY.to_owned(),
        campaign_id: 1,
        seeds: sandbox::data::demo_seeds(),
    };
    Sandbox::spawn(listener, options).await.unwrap()
}

/// A server configured with [`KEY`] in front of `sandbox`, with `extra` flags.
pub async fn server_for(sandbox: &Sandbox, extra: &[&str], overrides: Overrides) -> String {
    let limits = overrides.limits.clone();
    let app = keyed_app(sandbox, extra, overrides).await;
    serve(app.router, limits).await
}

/// The application configured with [`KEY`] in front of `sandbox`, with `extra` flags, built but
/// not served: for [`ask`], and for what the session builder counts.
pub async fn app_for(sandbox: &Sandbox, extra: &[&str]) -> referrer_dashboard_server::App {
    keyed_app(sandbox, extra, Overrides::default()).await
}

async fn keyed_app(
    sandbox: &Sandbox,
    extra: &[&str],
    overrides: Overrides,
) -> referrer_dashboard_server::App {
    let url = sandbox.api_url().to_string();
    let mut args = vec![
        "server",
        "--api-key",
        KEY,
        "--api-url",
        &url,
        "--campaign-id",
        "1",
        "--jwt-secret",
        SECRET,
    ];
    if !extra.contains(&"--db") {
        args.extend_from_slice(&["--db", ":memory:"]);
    }
    rewards_off_unless_asked(&mut args, extra);
    args.extend_from_slice(extra);
    let config = Config::try_parse_from(args).unwrap();
    referrer_dashboard_server::build_with(&config, overrides)
        .await
        .unwrap()
}

/// Serves `router` the way the binary does (header timeout, client addresses).
async fn serve(router: axum::Router, limits: Limits) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        referrer_dashboard_server::serve_with(listener, router, std::future::pending(), limits)
            .await
            .unwrap();
    });
    base
}

/// An HTTP client for the tests. reqwest is built without a default TLS crypto provider (the
/// server installs one when it builds its own client); install it here too, so a test that
/// starts no server in-process can still make requests.
///
/// One client for the whole test binary: building one takes about 30 ms (it loads the system's
/// certificates), which a test that pages through 10,000 referrals would pay 400 times. It keeps
/// no idle connections, so no connection outlives the test (and the runtime) that opened it.
pub fn http() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap()
        })
        .clone()
}

/// `GET url` with [`http`].
pub async fn http_get(url: impl reqwest::IntoUrl) -> reqwest::Response {
    http().get(url).send().await.unwrap()
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token with `claims`, signed with `secret`.
pub fn token_with(secret: &str, claims: Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// A valid token for `sub`/`email` signed with [`SECRET`], from a host that verifies emails.
pub fn token(sub: &str, email: &str) -> String {
    token_with(
        SECRET,
        json!({"sub": sub, "email": email, "name": "Test User", "email_verified": true,
            "exp": now() + 60}),
    )
}

/// A valid token whose email the host has not verified.
pub fn unverified_token(sub: &str, email: &str) -> String {
    token_with(
        SECRET,
        json!({"sub": sub, "email": email, "name": "Test User", "exp": now() + 60}),
    )
}

/// GET the session endpoint; returns status, headers and JSON body.
pub async fn get_session(
    base: &str,
    token: Option<&str>,
    query: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = http();
    let mut request = client.get(format!("{base}/api/referral-dashboard{query}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// Every page of `who`'s referrals, following cursors; returns the ids, newest first.
pub async fn all_referral_ids(base: &str, token: &str) -> Vec<String> {
    let (status, _, body) = get_session(base, Some(token), "").await;
    assert_eq!(status, 200, "{body}");
    let mut ids: Vec<String> = items(&body);
    let mut next = body["referrals"]["next"].as_str().map(str::to_owned);
    while let Some(cursor) = next {
        let query = format!("?cursor={}", urlencode(&cursor));
        let (status, _, page) = get_session(base, Some(token), &query).await;
        assert_eq!(status, 200, "{page}");
        ids.extend(items(&page));
        next = page["referrals"]["next"].as_str().map(str::to_owned);
    }
    ids
}

fn items(body: &Value) -> Vec<String> {
    body["referrals"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A request to the sandbox's control route `path` (under `/__sandbox/`), with its key.
pub fn control(sandbox: &Sandbox, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    http()
        .request(
            method,
            format!("http://{}/__sandbox/{path}", sandbox.addr()),
        )
        .bearer_auth(sandbox.key())
}

/// `GET /__sandbox/{path}` with the sandbox's key, as JSON.
pub async fn control_get(sandbox: &Sandbox, path: &str) -> Value {
    control(sandbox, reqwest::Method::GET, path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits until the sandbox has delivered `n` webhooks; returns their statuses.
pub async fn delivered(sandbox: &Sandbox, n: usize) -> Vec<u64> {
    loop {
        let log = control_get(sandbox, "webhooks").await;
        let statuses: Vec<u64> = log["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["status"].as_u64().unwrap())
            .collect();
        if statuses.len() >= n {
            return statuses;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Sets the sandbox's fault switches.
pub async fn faults(sandbox: &Sandbox, faults: Value) {
    let response = control(sandbox, reqwest::Method::POST, "faults")
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
}

/// Sets the sandbox's dialect (how it pages, orders, filters and answers duplicates).
pub async fn dialect(sandbox: &Sandbox, dialect: Value) {
    let response = control(sandbox, reqwest::Method::POST, "dialect")
        .json(&dialect)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
}

/// Clears the sandbox's call log.
pub async fn reset_calls(sandbox: &Sandbox) {
    control(sandbox, reqwest::Method::DELETE, "calls")
        .send()
        .await
        .unwrap();
}

/// The API calls the sandbox received, in order, as its call log lists them.
async fn call_log(sandbox: &Sandbox) -> Vec<Value> {
    let body = control_get(sandbox, "calls").await;
    body["calls"].as_array().unwrap().clone()
}

/// The routes of the API calls the sandbox received, in order.
pub async fn calls(sandbox: &Sandbox) -> Vec<String> {
    call_log(sandbox)
        .await
        .iter()
        .map(|c| c["route"].as_str().unwrap().to_owned())
        .collect()
}

/// Arrival times (ms) of the API calls the sandbox received.
pub async fn call_times(sandbox: &Sandbox) -> Vec<f64> {
    call_log(sandbox)
        .await
        .iter()
        .map(|c| c["at_ms"].as_f64().unwrap())
        .collect()
}

/// Creates a referrer with `referrals` referrals (`qualified` of them qualified); returns its id.
pub async fn seed(sandbox: &Sandbox, email: &str, referrals: u64, qualified: u64) -> u64 {
    let body = json!({"first_name": "Big", "last_name": "Referrer", "email": email, "reach": 5, "referrals": referrals, "qualified": qualified});
    let response = control(sandbox, reqwest::Method::POST, "referrers")
        .json(&body)
        .send()
        .await
        .unwrap();
    let created: Value = response.json().await.unwrap();
    created["id"].as_u64().unwrap()
}

/// Adds a referral named `first_name` to referrer `referrer_id`, as if someone signed up through
/// their link just now.
pub async fn add_referral(sandbox: &Sandbox, referrer_id: u64, first_name: &str) {
    let path = format!("referrers/{referrer_id}/referrals");
    let response = control(sandbox, reqwest::Method::POST, &path)
        .json(&json!({"first_name": first_name, "last_name": "Later"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
}

/// The referral ids of a session or page body, in order.
pub fn referral_ids(body: &Value) -> Vec<String> {
    items(body)
}

pub mod engines;
pub mod fleet;

/// A TCP connection to `addr` from the loopback address `local` (`127.0.0.2`, ...): another
/// client as far as the server can tell, since Linux answers for all of 127.0.0.0/8.
pub async fn connect_from(local: &str, addr: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(std::net::SocketAddr::new(local.parse().unwrap(), 0))
        .unwrap();
    socket.connect(addr.parse().unwrap()).await.unwrap()
}
