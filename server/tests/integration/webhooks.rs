//! The platform's webhooks drop exactly the cached data that changed: the sandbox, pointed at
//! the backend's webhook, sends its events itself when leads arrive or are qualified, over real
//! HTTP; a session shows the change after the webhook and not before (the cache lives 15
//! minutes), every documented field name identifies the referrer, and a wrong secret changes
//! nothing.
//!
//! In-process tests run on tokio's paused clock (a flood of calls is limited however slowly the
//! machine sends it, and the budget's windows are the sandbox's own time); the ones with
//! instances of the binary run on the real clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{
    KEY, calls, control, delivered, get_session, http, reset_calls, sandbox, server_for, token,
};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::sandbox::Sandbox;
use serde_json::{Value, json};

const HOOK_SECRET: &str = "webhook-secret-webhook-secret-0123456789";

/// Ada, the sandbox's first demo referrer (37 referrals, 12 qualified).
const ADA_ID: u64 = 1;

fn ada() -> String {
    token("u-ada", "ada@example.com")
}

/// A server with webhooks on (so its cache lives 15 minutes) in front of `sandbox`.
async fn hooked(sandbox: &Sandbox) -> String {
    server_for(
        sandbox,
        &["--webhook-secret", HOOK_SECRET],
        Overrides::default(),
    )
    .await
}

/// Points the sandbox's webhook at `base` with `config` on top (fields, headers, form).
async fn point(sandbox: &Sandbox, base: &str, config: Value) {
    let mut body = json!({
        "url": format!("{base}/api/referral-factory/webhook"),
        "headers": {"X-Dashboard-Webhook-Secret": HOOK_SECRET},
    });
    for (k, v) in config.as_object().unwrap() {
        body[k] = v.clone();
    }
    let response = control(sandbox, reqwest::Method::POST, "webhooks")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
}

/// A new lead for Ada, as if someone signed up through her link.
async fn new_lead(sandbox: &Sandbox, name: &str) {
    let response = control(
        sandbox,
        reqwest::Method::POST,
        &format!("referrers/{ADA_ID}/referrals"),
    )
    .json(&json!({"first_name": name, "last_name": "Newman"}))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
}

/// Posts a webhook to `base` by hand.
async fn post_hook(base: &str, secret: Option<&str>, body: Body) -> (u16, Value) {
    let mut request = http().post(format!("{base}/api/referral-factory/webhook"));
    if let Some(secret) = secret {
        request = request.header("X-Dashboard-Webhook-Secret", secret);
    }
    request = match body {
        Body::Json(value) => request.json(&value),
        Body::Form(text) => request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(text),
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

enum Body {
    Json(Value),
    Form(String),
}

/// Whether Ada's next session is built anew (costs upstream calls) or served from the cache.
async fn rebuilt(sandbox: &Sandbox, base: &str) -> bool {
    reset_calls(sandbox).await;
    assert_eq!(get_session(base, Some(&ada()), "").await.0, 200);
    !calls(sandbox).await.is_empty()
}

#[tokio::test(start_paused = true)]
async fn a_new_lead_shows_in_the_next_session_after_its_webhook_and_not_before() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    let (_, _, first) = get_session(&base, Some(&ada()), "").await;
    assert_eq!(first["stats"]["referrals"], 37);
    // Without a webhook the platform's change stays unseen: the cache lives 15 minutes.
    new_lead(&sandbox, "Quiet").await;
    let (_, _, cached) = get_session(&base, Some(&ada()), "").await;
    assert_eq!(cached["stats"]["referrals"], 37);
    assert!(!rebuilt(&sandbox, &base).await, "served from the cache");
    // With it, the next session has both new leads, the newest first.
    point(
        &sandbox,
        &base,
        json!({"fields": {"referrer_id": "referrer_id", "event": "event"}}),
    )
    .await;
    new_lead(&sandbox, "Loud").await;
    assert_eq!(delivered(&sandbox, 1).await, [202]);
    let (_, _, fresh) = get_session(&base, Some(&ada()), "").await;
    assert_eq!(fresh["stats"]["referrals"], 39);
    assert_eq!(fresh["referrals"]["items"][0]["name"], "Loud N.");
    // Sessions keep their short lifetime while the data is cached for long.
    let expires = time::OffsetDateTime::parse(
        fresh["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires - time::OffsetDateTime::now_utc() <= time::Duration::seconds(61));
}

/// Qualifies lead `id` the way a business does through the API (`PUT /users/qualification`).
async fn qualify(sandbox: &Sandbox, id: &str) -> reqwest::StatusCode {
    http()
        .put(format!("{}/users/qualification", sandbox.api_url()))
        .bearer_auth(KEY)
        .json(&json!({"qualified": true, "id": id}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(start_paused = true)]
async fn a_lead_qualified_through_the_platform_shows_after_its_webhook() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    point(&sandbox, &base, json!({"fields": {"referrer_code": "ref"}})).await;
    // The business's own form names the field "ref": the backend is told to look for it as
    // referrer_code, so this one goes unrecognised (400) and nothing changes...
    let (_, _, before) = get_session(&base, Some(&ada()), "").await;
    let pending = before["referrals"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "pending")
        .unwrap()["id"]
        .as_str()
        .unwrap()[2..]
        .to_owned();
    assert_eq!(qualify(&sandbox, &pending).await, 200);
    assert_eq!(delivered(&sandbox, 1).await, [400]);
    assert_eq!(
        get_session(&base, Some(&ada()), "").await.2["stats"],
        before["stats"]
    );
    // ...and with the field named as documented, it is.
    point(
        &sandbox,
        &base,
        json!({"fields": {"referrer_code": "referrer_code"}}),
    )
    .await;
    let another = before["referrals"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "pending")
        .nth(1)
        .unwrap()["id"]
        .as_str()
        .unwrap()[2..]
        .to_owned();
    assert_eq!(qualify(&sandbox, &another).await, 200);
    let statuses = delivered(&sandbox, 2).await;
    assert_eq!(statuses[1], 202);
    let (_, _, after) = get_session(&base, Some(&ada()), "").await;
    assert_eq!(
        after["stats"]["qualified"], 14,
        "both qualifications now seen"
    );
}

#[tokio::test(start_paused = true)]
async fn every_documented_field_name_identifies_the_referrer_in_json_and_in_a_form() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    let (_, _, session) = get_session(&base, Some(&ada()), "").await;
    let code = session["referrer"]["code"].as_str().unwrap().to_owned();
    let variants = [
        ("referrer_id", json!(ADA_ID)),
        ("referrer_code", json!(code)),
        ("referrer_email", json!(" ADA@example.com ")),
        ("id", json!(ADA_ID.to_string())),
        ("code", json!(code)),
        ("email", json!("ada@example.com")),
    ];
    for (field, value) in variants {
        assert!(
            !rebuilt(&sandbox, &base).await,
            "{field}: cached before the webhook"
        );
        let (status, body) = post_hook(
            &base,
            Some(HOOK_SECRET),
            Body::Json(json!({field: value.clone()})),
        )
        .await;
        assert_eq!(
            (status, body),
            (202, json!({"status": "accepted"})),
            "{field}"
        );
        assert!(
            rebuilt(&sandbox, &base).await,
            "{field}: built anew after it"
        );
        let text = match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(field, &text)
            .append_pair("event", "new_lead")
            .finish();
        let (status, _) = post_hook(&base, Some(HOOK_SECRET), Body::Form(form)).await;
        assert_eq!(status, 202, "{field} as a form");
        assert!(
            rebuilt(&sandbox, &base).await,
            "{field}: built anew after the form"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_wrong_or_missing_secret_is_401_and_the_cached_session_stays() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    assert_eq!(get_session(&base, Some(&ada()), "").await.0, 200);
    let body = || Body::Json(json!({"referrer_id": ADA_ID}));
    for secret in [
        None,
        Some("wrong"),
        Some(&HOOK_SECRET[..HOOK_SECRET.len() - 1]),
    ] {
        let (status, answer) = post_hook(&base, secret, body()).await;
        assert_eq!(status, 401, "{secret:?}");
        assert_eq!(answer["error"]["type"], "authentication");
    }
    assert!(!rebuilt(&sandbox, &base).await, "nothing was dropped");
}

#[tokio::test(start_paused = true)]
async fn an_unknown_referrer_is_acknowledged_like_a_known_one() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    assert_eq!(get_session(&base, Some(&ada()), "").await.0, 200);
    let known = post_hook(
        &base,
        Some(HOOK_SECRET),
        Body::Json(json!({"email": "ada@example.com"})),
    )
    .await;
    let unknown = post_hook(
        &base,
        Some(HOOK_SECRET),
        Body::Json(json!({"email": "nobody@example.org"})),
    )
    .await;
    let unknown_id = post_hook(
        &base,
        Some(HOOK_SECRET),
        Body::Json(json!({"referrer_id": 999_999})),
    )
    .await;
    assert_eq!(known, unknown);
    assert_eq!(known, unknown_id);
    // A body that names no one is the business's configuration to fix: said plainly.
    let (status, answer) = post_hook(
        &base,
        Some(HOOK_SECRET),
        Body::Json(json!({"first_name": "Jo"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("referrer_id")
    );
}

#[tokio::test(start_paused = true)]
async fn the_same_event_twice_does_no_more_than_once() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    assert_eq!(get_session(&base, Some(&ada()), "").await.0, 200);
    for _ in 0..2 {
        let (status, _) = post_hook(
            &base,
            Some(HOOK_SECRET),
            Body::Json(json!({"referrer_id": ADA_ID})),
        )
        .await;
        assert_eq!(status, 202);
    }
    reset_calls(&sandbox).await;
    assert_eq!(get_session(&base, Some(&ada()), "").await.0, 200);
    let once = calls(&sandbox).await.len();
    assert_eq!(
        once, 2,
        "one rebuild (the user and one page of referrals) for two events"
    );
}

/// Issue 23 (4): the secret is checked before any limit, and only failed calls count. Before,
/// 620 junk calls from the platform's (or the proxy's) address made the genuine one a 429.
#[tokio::test(start_paused = true)]
async fn a_flood_of_wrong_secrets_is_limited_and_never_locks_out_the_genuine_webhook() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    let limit = referrer_dashboard_server::webhook::CALLS_PER_MIN as usize;
    let mut statuses = Vec::new();
    for i in 0..limit + 100 {
        let secret = (i % 2 == 0).then_some("not-the-secret");
        let (status, _) =
            post_hook(&base, secret, Body::Json(json!({"referrer_id": ADA_ID}))).await;
        statuses.push(status);
    }
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(refused >= 50, "junk is limited: {refused} refused");
    for _ in 0..3 {
        let (status, body) = post_hook(
            &base,
            Some(HOOK_SECRET),
            Body::Json(json!({"referrer_id": ADA_ID})),
        )
        .await;
        assert_eq!(
            status, 202,
            "the genuine webhook from the same address: {body}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_storm_of_webhooks_cannot_take_the_rebuilds_over_the_budget() {
    use common::fleet::busiest_window;
    use referrer_dashboard_server::budget::{Budget, Window};
    // A budget of 6 calls a second: three rebuilds of Ada's session (user and referrals).
    const LIMIT: usize = 6;
    const SPAN: Duration = Duration::from_secs(1);
    let sandbox = sandbox().await;
    let overrides = Overrides {
        budget: Some(Budget::new(
            Window::new(LIMIT as u32, SPAN, Duration::ZERO),
            Duration::from_millis(300),
        )),
        ..Overrides::default()
    };
    let base = server_for(
        &sandbox,
        &[
            "--webhook-secret",
            HOOK_SECRET,
            "--upstream-per-user-per-min",
            "1000000",
            "--requests-per-min",
            "1000000",
        ],
        overrides,
    )
    .await;
    let mut answers = Vec::new();
    // Every request follows a webhook that drops Ada's cached session.
    for _ in 0..20 {
        let (status, _) = post_hook(
            &base,
            Some(HOOK_SECRET),
            Body::Json(json!({"referrer_id": ADA_ID})),
        )
        .await;
        assert_eq!(status, 202);
        let (status, _, body) = get_session(&base, Some(&ada()), "").await;
        answers.push((status, body["stale"] == true));
    }
    let times: Vec<f64> = sandbox.calls().iter().map(|c| c.at_ms).collect();
    let busiest = busiest_window(times, SPAN.as_secs_f64() * 1000.0);
    assert!(
        busiest <= LIMIT,
        "{busiest} calls in one window, budget {LIMIT}"
    );
    // Each answer is a session, a stale one, or `rate_limit`; the budget held some back.
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == 200 || *status == 429),
        "{answers:?}"
    );
    let held = answers
        .iter()
        .filter(|(status, stale)| *status == 429 || *stale)
        .count();
    assert!(held > 0, "the storm reached the budget: {answers:?}");
}

#[tokio::test(start_paused = true)]
async fn without_a_secret_configured_there_is_no_webhook() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let (status, _) = post_hook(
        &base,
        Some(HOOK_SECRET),
        Body::Json(json!({"referrer_id": ADA_ID})),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_three_instances_on_redis_a_webhook_to_one_reaches_all() {
    use common::fleet::Fleet;
    let fleet = Fleet::start(3, &[("DASHBOARD_WEBHOOK_SECRET", HOOK_SECRET)]);
    // Every instance has Ada's session, from Redis or its own copy.
    for n in 0..3 {
        let (status, _, body) = fleet.get_on(n, &ada()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["stats"]["referrals"], 37);
    }
    // A new lead on the platform, and its webhook delivered to the first instance only.
    let added = fleet
        .control(
            reqwest::Method::POST,
            &format!("referrers/{ADA_ID}/referrals"),
        )
        .json(&json!({"first_name": "Wide"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let (status, _) = post_hook(
        &fleet.instances[0].base,
        Some(HOOK_SECRET),
        Body::Json(json!({"referrer_id": ADA_ID})),
    )
    .await;
    assert_eq!(status, 202);
    let sent = std::time::Instant::now();
    // Every instance shows it within a second (each may keep its own copy for half of one).
    for n in [1, 2, 0] {
        loop {
            let (_, _, body) = fleet.get_on(n, &ada()).await;
            if body["stats"]["referrals"] == 38 {
                break;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(1),
                "instance {n} still shows {} a second after the webhook",
                body["stats"]["referrals"]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn in_sandbox_mode_the_sandbox_sends_its_webhooks_to_the_server_itself() {
    use common::fleet::Process;
    let server = Process::spawn(
        &[],
        &[
            ("DASHBOARD_SANDBOX", "true"),
            ("DASHBOARD_JWT_SECRET", common::SECRET),
            ("DASHBOARD_WEBHOOK_SECRET", HOOK_SECRET),
            ("RUST_LOG", "info"),
        ],
        "listening on ",
    );
    // The sandbox's address and key, from the line the server logs about them.
    let field = |line: &str, name: &str| {
        let at = line.find(&format!(" {name}="))? + name.len() + 2;
        let value = line[at..].split_whitespace().next()?;
        Some(value.trim_matches('"').to_owned())
    };
    let (sandbox, key) = loop {
        let lines = server.lines.lock().unwrap().clone();
        let found = lines
            .iter()
            .find_map(|line| Some((field(line, "sandbox")?, field(line, "sandbox_key")?)));
        if let Some(found) = found {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (_, _, before) = get_session(&server.base, Some(&ada()), "").await;
    assert_eq!(before["stats"]["referrals"], 37);
    let added = http()
        .post(format!(
            "http://{sandbox}/__sandbox/referrers/{ADA_ID}/referrals"
        ))
        .bearer_auth(&key)
        .json(&json!({"first_name": "Demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let log = format!("http://{sandbox}/__sandbox/webhooks");
    loop {
        let log: Value = http()
            .get(&log)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(delivery) = log["deliveries"].get(0) {
            assert_eq!(delivery["status"], 202);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, _, after) = get_session(&server.base, Some(&ada()), "").await;
    assert_eq!(after["stats"]["referrals"], 38);
}
