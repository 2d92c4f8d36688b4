//! Shared helpers: a real server (and its in-process sandbox) on loopback, and identity tokens.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use referrer_dashboard_server::config::Config;
use referrer_dashboard_server::sandbox::Sandbox;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The JWT secret the test servers use.
pub const SECRET: &str = "integration-test-secret-0123456789abcdef";

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The sandbox behind it.
    pub sandbox: Sandbox,
}

/// Starts the full application (sandbox mode) with `extra` flags.
pub async fn start(extra: &[&str]) -> TestServer {
    let mut args = vec!["server", "--db", ":memory:", "--jwt-secret", SECRET];
    args.extend_from_slice(extra);
    let config = Config::try_parse_from(args).unwrap();
    let app = referrer_dashboard_server::build(&config).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app.router).await.unwrap() });
    TestServer {
        base,
        sandbox: app.sandbox.unwrap(),
    }
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

/// A valid token for `sub`/`email` signed with [`SECRET`].
pub fn token(sub: &str, email: &str) -> String {
    token_with(
        SECRET,
        json!({"sub": sub, "email": email, "name": "Test", "exp": now() + 60}),
    )
}

/// GET the session endpoint; returns status, headers and JSON body.
pub async fn get_session(
    base: &str,
    token: Option<&str>,
    query: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
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
