//! The attacks tried against the reference backend, and how each is refused. Each test here is
//! one attack; the few tried elsewhere are named with their file.
//!
//! Identity and linking (SPEC §6):
//! - forged, expired, unsigned, algorithm-confused and wrongly-signed tokens: 401;
//! - a token with the victim's email, unverified, for an account that exists: 403, no data;
//! - the same email in another case, or another subject with the same verified email: 403, the
//!   account belongs to its first subject, and the attempt is logged with hashes, not emails;
//! - a cursor used by another user, after its user was re-linked, or after it expired: 400;
//! - an unverified token with the owner's email, signing up first so an account is made and
//!   linked to it before the owner comes: the owner (verified) takes the link over; the first
//!   subject gets 403 from then on, session or cursor, also where its session is still cached,
//!   and the takeover is logged with hashes; a verified link is never taken over, nor is a link
//!   from before the store recorded verification (here and `linking.rs`, `store_contract.rs`,
//!   issue 23);
//! - overlong claims, tokens not valid yet, wrong audience or issuer: `identity` unit tests;
//! - a NUL or other control character in `sub`: 401, not 500; a token naming `crit` header
//!   parameters: 401 (RFC 7515) (`identity` unit tests, issue 23);
//! - a create that hands back an account that already existed (200 or 201, with or without a
//!   missed search, in every duplicate dialect) taken for a new one, so an unverified token gets
//!   it: 403 (`linking.rs`, issue 23);
//! - `\u{212A}im@…` (KELVIN SIGN) for `kim@…`'s account: emails fold in ASCII only
//!   (`personal::tests::emails_fold_in_ascii_only_so_a_kelvin_sign_claims_no_one_elses_address`,
//!   issue 23);
//! - a cached session handing out a cursor that expires before it: cursors outlive the cache
//!   (`dashboard::referrals` unit tests, issue 23).
//!
//! Draining the budget every user shares:
//! - one identity whose requests always fail: its failure is remembered, 30 requests cost ≤ 6
//!   calls;
//! - a name the platform would refuse (300 characters): shaped before it is sent;
//! - a flood of new identities: its own rate, returning users keep getting fresh sessions;
//! - one identity asking for more than its share: `budget` unit tests;
//! - a hostile `Retry-After`: capped (`upstream.rs`);
//! - Redis losing the budget's log (`FLUSHALL`, or the logs evicted with the marker kept) and an
//!   instance that never reserved calling first: everyone paused a window, the same pause on
//!   every instance (`budget_lost.rs`, issue 23).
//!
//! Configuration (`startup.rs`): no key and no `--sandbox` refuses to start; `--sandbox` with a
//! key refuses to start; demo tokens are signed with a secret of their process only; plain
//! `http://` to a non-loopback API is refused.
//!
//! HTTP (`http_limits.rs`): slow and half-open connections, floods of unauthenticated
//! requests, oversized bodies, more requests at once than the server takes, CORS.
//!
//! Behind a proxy and at the edges (issue 23):
//! - 30 bad tokens through the site's reverse proxy locking every user out with 429, forged
//!   `X-Forwarded-For` / `Forwarded` to escape the limit, directly or through the proxy:
//!   `proxies.rs` (`DASHBOARD_TRUSTED_PROXIES`);
//! - 620 junk webhook calls locking out the genuine webhook (directly: `webhooks.rs`; through
//!   the proxy: `proxies.rs`): the secret is checked first and only failures count;
//! - `/.env`, `/.git/config`, a symlink to a file or folder outside the site, a `.br` twin that
//!   links out, `%2e` and `%2f` tricks: 404 (`static_files.rs`);
//! - a long or strange `x-request-id` carried into logs and answers: replaced (`hardening.rs`);
//! - request heads that never end, each buffered up to ~400 KB: 32 KB, then 431 and closed
//!   (`read_buffer.rs`); a soft open-file limit of 256 and 400 idle sockets stopping `/healthz`:
//!   the limit is raised at start (`file_limit.rs`);
//! - 1,000 idle sockets from one address under `ulimit -n 1024` taking every descriptor, so no
//!   one else's `/healthz` answered: past its cap (`DASHBOARD_MAX_CONNECTIONS_PER_ADDRESS`) or
//!   the global one (`DASHBOARD_MAX_CONNECTIONS`, below the open-file limit) a connection is
//!   closed at once (`file_limit.rs`, `connections.rs`);
//! - the sandbox's control routes (`/__sandbox/`, its port printed in the log) faking calls,
//!   faults and referrers, or pointing the webhooks (and their secret) elsewhere, without the
//!   sandbox's key: 401, nothing changed, and no control route shows a webhook's secret (below);
//! - a webhook naming a referrer by the platform's email after the host's address changed:
//!   found and refreshed; a webhook naming an email that two links carry (the platform gave the
//!   address to another account, the old link keeps its hash until its subject is next seen):
//!   every linked subject refreshed, not only the first row's, so the account it was about never
//!   stays stale (`webhook_email.rs`, `store_contract.rs`); `GET /__sandbox/webhooks` showing
//!   the webhook's secret: `***` (`webhook_email.rs`).
//!
//! Each runs on tokio's paused clock: a session's lifetime runs out when the test advances it.
//!
//! And what a careless log could leak: the key (a recognisable fake) appears in no response
//! body, header or log line, and no email appears in the log either, even at TRACE level and
//! through upstream failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{
    KEY, SECRET, calls, control, control_get, faults, get_session, http, now, reset_calls, sandbox,
    server_for, token, token_with, unverified_token,
};
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

#[tokio::test(start_paused = true)]
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

#[tokio::test(start_paused = true)]
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

#[tokio::test(start_paused = true)]
async fn the_key_is_in_no_answer_and_no_log_line_and_no_email_is_logged() {
    let log = captured_log();
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let client = common::http();
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
    // Anyone can send a bad token; those refusals are summarised per reason, with the count
    // of those left out (crate::telemetry::access), never a line each.
    let unauthenticated: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("unauthenticated"))
        .collect();
    assert!(!unauthenticated.is_empty(), "the refusals were logged");
    assert!(
        unauthenticated.iter().all(|l| l.contains("left_out=")),
        "{unauthenticated:?}"
    );
    assert!(!log.contains("@example."), "an email is in the log");
}

/// The answer of a refused request carries nothing of the account it was refused.
fn assert_no_account_data(body: &Value) {
    assert!(
        body.get("referrer").is_none() && body.get("stats").is_none(),
        "{body}"
    );
    let text = body.to_string();
    for leak in ["Ada", "Lovelace", "/r/", "ada@"] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_unverified_email_cannot_claim_an_existing_account() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    // A host that does not verify emails: someone signs up with Ada's address.
    let attacker = unverified_token("u-attacker", "ada@example.com");
    let (status, _, body) = get_session(&base, Some(&attacker), "").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "authentication");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("verified"),
        "{body}"
    );
    assert_no_account_data(&body);
    assert_eq!(
        calls(&sandbox).await,
        ["search"],
        "the account was not even read"
    );
}

#[tokio::test(start_paused = true)]
async fn a_verified_first_adoption_links_the_account() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let (status, _, body) = get_session(&base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
}

#[tokio::test(start_paused = true)]
async fn an_unverified_new_user_gets_an_account_created_for_them_and_only_they_keep_it() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let newcomer = unverified_token("u-new", "brand.new@example.org");
    let (status, _, body) = get_session(&base, Some(&newcomer), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(calls(&sandbox).await, ["search", "create"]);
    // Another instance without the mapping finds an existing account: not theirs to take on an
    // unverified email.
    let again = server_for(&sandbox, &[], Overrides::default()).await;
    assert_eq!(get_session(&again, Some(&newcomer), "").await.0, 403);
}

#[tokio::test(start_paused = true)]
async fn the_same_email_in_another_case_cannot_take_a_linked_account() {
    let log = captured_log();
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    assert_eq!(
        get_session(&base, Some(&token("u-ada", "ada@example.com")), "")
            .await
            .0,
        200
    );
    reset_calls(&sandbox).await;
    // Verified, even: a second host account whose email differs only in case and spaces.
    let twin = token("u-ada-twin", "  ADA@Example.COM ");
    let (status, _, body) = get_session(&base, Some(&twin), "").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "authentication");
    assert_eq!(
        body["error"]["message"],
        "this referral account belongs to another user"
    );
    assert_no_account_data(&body);
    assert_eq!(
        calls(&sandbox).await,
        ["search"],
        "found, refused, not read"
    );
    let (ada, twin) = (
        referrer_dashboard_server::personal::subject_hash("u-ada"),
        referrer_dashboard_server::personal::subject_hash("u-ada-twin"),
    );
    // The log is the whole test binary's: other tests' refusals are in it too.
    let log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    let line = log
        .lines()
        .find(|l| l.contains("belongs to another") && l.contains(&twin))
        .expect("the refusal is logged");
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains(&ada), "{line}");
    assert!(!line.to_lowercase().contains("ada@example.com"), "{line}");
}

#[tokio::test(start_paused = true)]
async fn a_second_subject_cannot_take_a_linked_account_on_any_instance() {
    let sandbox = sandbox().await;
    let dir = std::env::temp_dir().join(format!("rd-second-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("map.sqlite3").to_string_lossy().into_owned();
    let first = server_for(&sandbox, &["--db", &db], Overrides::default()).await;
    let second = server_for(&sandbox, &["--db", &db], Overrides::default()).await;
    let grace = token("u-grace", "grace@example.com");
    assert_eq!(get_session(&first, Some(&grace), "").await.0, 200);
    let impostor = token("u-impostor", "grace@example.com");
    let (status, _, body) = get_session(&second, Some(&impostor), "").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["error"]["message"],
        "this referral account belongs to another user"
    );
    // The owner keeps working from either instance.
    assert_eq!(get_session(&second, Some(&grace), "").await.0, 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_unverified_subject_that_signed_up_first_loses_the_account_to_its_verified_owner() {
    use referrer_dashboard_server::personal::subject_hash;
    use referrer_dashboard_server::session::{Cursor, CursorKey};
    let log = captured_log();
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let email = "rightful@example.org";
    let squatter = unverified_token("u-squatter", email);
    assert_eq!(get_session(&base, Some(&squatter), "").await.0, 200);
    let owner = token("u-rightful", email);
    let (status, _, body) = get_session(&base, Some(&owner), "").await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = get_session(&base, Some(&squatter), "").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "authentication");
    assert_no_account_data(&body);
    assert!(!body.to_string().contains("/r/"), "{body}");
    // A cursor it was given (signed right, for it) is refused the same way, not as a bad cursor.
    let cursor = CursorKey::derive(SECRET.as_bytes()).sign(
        "u-squatter",
        Cursor {
            referrer_id: 1,
            offset: 25,
            total: 260,
            expires: now() + 300,
        },
    );
    let query = format!("?cursor={}", cursor.replace('.', "%2E"));
    let (status, _, body) = get_session(&base, Some(&squatter), &query).await;
    assert_eq!(status, 403, "{body}");
    assert_no_account_data(&body);

    let log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    let line = log
        .lines()
        .find(|l| l.contains("took over"))
        .expect("the takeover is logged");
    assert!(line.contains("WARN"), "{line}");
    let (rightful, squatter) = (subject_hash("u-rightful"), subject_hash("u-squatter"));
    assert!(
        line.contains(&rightful) && line.contains(&squatter),
        "{line}"
    );
    assert!(
        !line.contains("rightful@") && !line.contains("u-squatter"),
        "{line}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cursor_is_refused_after_its_user_is_linked_elsewhere_or_it_expires() {
    use referrer_dashboard_server::session::{Cursor, CursorKey};
    let sandbox = sandbox().await;
    let dir = std::env::temp_dir().join(format!("rd-cursor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_path = dir.join("map.sqlite3");
    let db = db_path.to_string_lossy().into_owned();
    let base = server_for(&sandbox, &["--db", &db], Overrides::default()).await;
    let linus = token("u-linus", "linus@example.com");
    let (status, _, body) = get_session(&base, Some(&linus), "").await;
    assert_eq!(status, 200, "{body}");
    let cursor = body["referrals"]["next"].as_str().unwrap().to_owned();
    let query = |cursor: &str| format!("?cursor={}", cursor.replace('.', "%2E"));
    assert_eq!(
        get_session(&base, Some(&linus), &query(&cursor)).await.0,
        200
    );
    // A cursor signed with the right key for the right user, but expired.
    let key = CursorKey::derive(SECRET.as_bytes());
    let (payload, _) = cursor.split_once('.').unwrap();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let referrer_id: u64 = payload.split('.').next().unwrap().parse().unwrap();
    let at = |expires| Cursor {
        referrer_id,
        offset: 25,
        total: 260,
        expires,
    };
    let fresh = key.sign("u-linus", at(now() + 300));
    assert_eq!(
        get_session(&base, Some(&linus), &query(&fresh)).await.0,
        200,
        "signed right"
    );
    let expired = key.sign("u-linus", at(now() - 1));
    let (status, _, body) = get_session(&base, Some(&linus), &query(&expired)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request");
    // The subject is linked to another platform user (its account was deleted and it signed
    // up again, say): the old cursors no longer work.
    let conn = rusqlite::Connection::open(&db_path).unwrap();
    conn.execute(
        "UPDATE referrers SET platform_id = platform_id + 100000 WHERE subject = 'u-linus'",
        [],
    )
    .unwrap();
    let (status, _, _) = get_session(&base, Some(&linus), &query(&cursor)).await;
    assert_eq!(status, 400);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_always_failing_identity_costs_at_most_six_calls_for_thirty_requests() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    // Every create is refused, as if this host's user could never be valid upstream.
    faults(
        &sandbox,
        json!({"status": 422, "count": 1000, "routes": ["create"]}),
    )
    .await;
    let doomed = token("u-doomed", "doomed@example.org");
    let mut answers = Vec::new();
    for _ in 0..30 {
        let (status, headers, body) = get_session(&base, Some(&doomed), "").await;
        let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        answers.push((status, body["error"]["type"].clone(), retry_after));
    }
    assert!(
        answers.iter().all(|(s, t, _)| *s == 502 && t == "server"),
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|(_, _, r)| (1..=60).contains(r)),
        "{answers:?}"
    );
    let spent = calls(&sandbox).await.len();
    assert!(spent <= 6, "{spent} upstream calls");
}

#[tokio::test(start_paused = true)]
async fn a_name_the_platform_would_refuse_is_shaped_before_it_is_sent() {
    use clap::Parser;
    use referrer_dashboard_server::config::Config;
    use referrer_dashboard_server::identity::Identity;
    let sandbox = sandbox().await;
    let url = sandbox.api_url().to_string();
    let config = Config::try_parse_from([
        "server",
        "--api-key",
        KEY,
        "--api-url",
        &url,
        "--campaign-id",
        "1",
        "--jwt-secret",
        SECRET,
        "--db",
        ":memory:",
        "--rewards",
        "off",
    ])
    .unwrap();
    let sessions = referrer_dashboard_server::backend(&config, Overrides::default())
        .await
        .unwrap()
        .sessions;
    // A Rust host's own identity provider may hand over any name; the sandbox refuses first
    // names over 255 characters, like the platform's validation.
    let who = Identity {
        subject: "u-long".into(),
        email: "long@example.org".into(),
        name: Some(format!("{} Smith", "N".repeat(300))),
        email_verified: false,
    };
    let session = sessions.session(&who).await.unwrap();
    assert!(session.referrer.is_some());
    assert_eq!(calls(&sandbox).await, ["search", "create"]);
}

#[tokio::test(start_paused = true)]
async fn during_a_flood_of_new_identities_returning_users_keep_getting_fresh_sessions() {
    use std::time::Duration;
    let sandbox = sandbox().await;
    let ttl = Duration::from_millis(300);
    let base = server_for(
        &sandbox,
        &[
            "--upstream-budget-per-min",
            "40",
            "--new-users-per-min",
            "5",
            "--requests-per-min",
            "100000",
        ],
        Overrides {
            ttl: Some(ttl),
            ..Overrides::default()
        },
    )
    .await;
    // Three returning users: linked, then their cached sessions run out.
    let returning: Vec<String> = ["ada", "grace", "linus"]
        .iter()
        .map(|name| token(&format!("u-{name}"), &format!("{name}@example.com")))
        .collect();
    for user in &returning {
        assert_eq!(get_session(&base, Some(user), "").await.0, 200);
    }
    tokio::time::advance(ttl).await;
    // A hundred new identities at once, and the returning users in the middle of them.
    let flood: Vec<_> = (0..100)
        .map(|n| {
            let base = base.clone();
            tokio::spawn(async move {
                let who = token(&format!("u-flood-{n}"), &format!("flood{n}@example.org"));
                get_session(&base, Some(&who), "").await.0
            })
        })
        .collect();
    let mut fresh = 0;
    for user in &returning {
        let (status, _, body) = get_session(&base, Some(user), "").await;
        assert_eq!(status, 200, "{body}");
        if body.get("stale").is_none() {
            fresh += 1;
        }
    }
    let mut statuses = Vec::new();
    for task in flood {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        fresh,
        returning.len(),
        "every returning user got fresh data"
    );
    let admitted = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        (1..=10).contains(&admitted),
        "{admitted} new users admitted"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

/// Every control route of the sandbox, with a body it would accept.
fn control_routes() -> Vec<(reqwest::Method, &'static str, Value)> {
    use reqwest::Method;
    vec![
        (Method::GET, "calls", Value::Null),
        (Method::DELETE, "calls", Value::Null),
        (Method::POST, "faults", json!({"status": 500, "count": 1})),
        (Method::DELETE, "faults", Value::Null),
        (Method::GET, "dialect", Value::Null),
        (Method::POST, "dialect", json!({})),
        (Method::DELETE, "dialect", Value::Null),
        (
            Method::POST,
            "referrers",
            json!({"first_name": "Eve", "email": "eve@example.com"}),
        ),
        (
            Method::POST,
            "referrers/1/referrals",
            json!({"first_name": "Eve"}),
        ),
        (Method::POST, "referrals/2/qualify", json!({})),
        (Method::GET, "webhooks", Value::Null),
        (
            Method::POST,
            "webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "headers": {"X-Secret": "eve-wants-this"}}),
        ),
        (Method::DELETE, "webhooks", Value::Null),
        (Method::POST, "campaign", json!({"status": "live"})),
        (Method::POST, "rewards/definitions", json!([])),
        (Method::POST, "rewards/due", json!({})),
        (Method::POST, "rewards/1/issue", json!({})),
    ]
}

#[tokio::test(start_paused = true)]
async fn the_sandbox_control_routes_refuse_callers_without_its_key_and_show_no_webhook_secret() {
    const HOOK_SECRET: &str = "webhook-secret-webhook-secret-0123456789";
    let sandbox = sandbox().await;
    let hook = json!({
        "url": "http://127.0.0.1:9/api/referral-factory/webhook",
        "headers": {"X-Dashboard-Webhook-Secret": HOOK_SECRET},
    });
    let configured = control(&sandbox, reqwest::Method::POST, "webhooks")
        .json(&hook)
        .send()
        .await
        .unwrap();
    assert_eq!(configured.status(), 204);
    let url = |path: &str| format!("http://{}/__sandbox/{path}", sandbox.addr());
    for (method, path, body) in control_routes() {
        for key in [None, Some("rf_live_wrong_key"), Some(&KEY[..KEY.len() - 1])] {
            let mut request = http().request(method.clone(), url(path));
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            if !body.is_null() {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with {key:?}");
            let answer: Value = response.json().await.unwrap();
            assert_eq!(
                answer,
                json!({"code": 401, "message": "Unauthenticated."}),
                "the sandbox's own answer to a bad key"
            );
        }
    }
    // Nothing changed: the webhooks still go where they were pointed, no fault is on.
    let shown = control_get(&sandbox, "webhooks").await;
    assert_eq!(shown["config"]["url"], hook["url"], "{shown}");
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    assert_eq!(
        get_session(&base, Some(&token("u-ada", "ada@example.com")), "")
            .await
            .0,
        200
    );
    // With the key, every route answers, and none of them shows the webhook's secret.
    for (method, path, body) in control_routes() {
        if path == "webhooks" && method != reqwest::Method::GET {
            continue;
        }
        let mut request = control(&sandbox, method.clone(), path);
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        // Past the gate: answered, or its body refused (a body made up for the gate).
        assert!(
            status != 401 && !status.is_server_error(),
            "{method} {path} with the key: {status} {text}"
        );
        assert!(!text.contains(HOOK_SECRET), "{method} {path}: {text}");
    }
    for path in ["calls", "dialect", "webhooks"] {
        let response = control(&sandbox, reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path} with the key");
    }
}
