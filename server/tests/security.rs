//! What an attacker or a careless log could get: nothing. Forged, expired, unsigned and
//! algorithm-confused tokens are refused; a cursor works only for its owner; the key (a
//! recognisable fake) appears in no response body, header or log line, and no email appears
//! in the log either, even at TRACE level and through upstream failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{KEY, SECRET, faults, get_session, now, sandbox, server_for, token, token_with};
use hmac::{Hmac, Mac};
use referrer_dashboard_server::Overrides;
use serde_json::{Value, json};
use sha2::Sha256;

/// Every log line of this test binary, at TRACE level.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Writer(sink.clone()))
            .init();
        log
    })
    .clone()
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let body = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(body.as_bytes());
    format!(
        "{body}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[tokio::test]
async fn forged_expired_unsigned_and_confused_tokens_are_refused() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let claims = json!({"sub": "u-ada", "email": "ada@example.com", "exp": now() + 60});

    let good = token("u-ada", "ada@example.com");
    // Tampered: the payload swapped for another user's, the signature kept.
    let mut parts: Vec<&str> = good.split('.').collect();
    let other = URL_SAFE_NO_PAD.encode(
        json!({"sub": "u-grace", "email": "grace@example.com", "exp": now() + 60}).to_string(),
    );
    parts[1] = &other;
    let tampered = parts.join(".");
    let expired = token_with(
        SECRET,
        json!({"sub": "u-ada", "email": "ada@example.com", "exp": now() - 120}),
    );
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // Algorithm confusion: claims RS256 but is an HMAC made with the secret.
    let confused = sign_hs256(
        &json!({"alg": "RS256", "typ": "JWT"}),
        &claims,
        SECRET.as_bytes(),
    );
    let hs512 = {
        use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
        encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    };
    for (name, forged) in [
        ("tampered", tampered),
        ("expired", expired),
        ("alg none", unsigned),
        ("RS256-confused", confused),
        ("HS512", hs512),
        ("garbage", "not.a.token".to_owned()),
    ] {
        let (status, _, body) = get_session(&base, Some(&forged), "").await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["error"]["type"], "authentication", "{name}");
    }
    // And the genuine one works, so the refusals above are not a broken server.
    assert_eq!(get_session(&base, Some(&good), "").await.0, 200);
    assert!(
        common::calls(&sandbox).await.len() <= 3,
        "refused requests cost no upstream call"
    );
}

#[tokio::test]
async fn a_cursor_works_only_for_the_user_it_was_issued_to() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let (_, _, linus) = get_session(&base, Some(&token("u-linus", "linus@example.com")), "").await;
    let cursor = linus["referrals"]["next"].as_str().unwrap().to_owned();
    let query = format!("?cursor={}", cursor.replace('.', "%2E"));
    let (status, _, page) =
        get_session(&base, Some(&token("u-linus", "linus@example.com")), &query).await;
    assert_eq!(status, 200, "{page}");
    let (status, _, body) =
        get_session(&base, Some(&token("u-grace", "grace@example.com")), &query).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request");
}

#[tokio::test]
async fn the_key_is_in_no_answer_and_no_log_line_and_no_email_is_logged() {
    let log = captured_log();
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    let mut fetch = async |path: &str, token: Option<&str>| {
        let mut request = client.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let headers = format!("{:?}", response.headers());
        let body = response.text().await.unwrap();
        seen.push(format!("{path}\n{headers}\n{body}"));
    };
    let ada = token("u-ada", "ada@example.com");
    fetch("/api/referral-dashboard", Some(&ada)).await;
    fetch("/api/referral-dashboard", None).await;
    fetch("/api/referral-dashboard", Some("bogus")).await;
    fetch("/api/referral-dashboard?cursor=forged.x", Some(&ada)).await;
    fetch("/healthz", None).await;
    // Upstream failures of every kind, for a user not yet cached.
    for (n, fault) in [
        json!({"status": 401, "count": 1}),
        json!({"status": 500, "count": 3}),
        json!({"status": 429, "retry_after": 1, "count": 1}),
        json!({"malformed": 3}),
        json!({"status": 422, "count": 1, "routes": ["search"]}),
    ]
    .into_iter()
    .enumerate()
    {
        faults(&sandbox, fault).await;
        let who = token(&format!("u-{n}"), &format!("person{n}@example.com"));
        fetch("/api/referral-dashboard", Some(&who)).await;
    }
    for answer in &seen {
        assert!(
            !answer.contains(KEY),
            "the key leaked in an answer:\n{answer}"
        );
    }
    let log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(
        log.len() > 1_000,
        "the log captured the traffic ({} bytes)",
        log.len()
    );
    assert!(!log.contains(KEY), "the key is in the log");
    assert!(!log.contains("@example."), "an email is in the log");
}
