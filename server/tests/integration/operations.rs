//! Running it as a service, in-process: `/readyz`, `/metrics` read with a Prometheus
//! text-format parser while the traffic a test sends moves its counters, the metrics token, and
//! a JWT secret rotated without a restart (the previous one accepted beside the current one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{SECRET, get_session, http, now, start, token, token_with};
use prometheus_parse::{Scrape, Value};
use serde_json::json;

/// The metrics at `base`, parsed (a scrape that does not parse fails the test).
async fn scrape(base: &str, token: Option<&str>) -> Scrape {
    let mut request = http().get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

/// The value of the sample `name` whose labels include `labels` (0 when there is none yet:
/// a counter appears with its first increment).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => panic!("{name} is a summary"),
        })
        .sum()
}

#[tokio::test]
async fn readyz_answers_ready_when_the_store_answers() {
    let server = start(&[]).await;
    let response = http()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"status": "ready", "store": "reachable"}));
}

#[tokio::test]
async fn metrics_parse_and_their_counters_move_with_the_traffic() {
    let server = start(&[]).await;
    let base = &server.base;
    let before = scrape(base, None).await;
    // A new user (fresh, built from the platform), the same user again (cached), and a bad
    // token (refused).
    let grace = token("u-metrics-grace", "grace.metrics@example.com");
    assert_eq!(get_session(base, Some(&grace), "").await.0, 200);
    assert_eq!(get_session(base, Some(&grace), "").await.0, 200);
    assert_eq!(get_session(base, Some("not-a-token"), "").await.0, 401);
    let after = scrape(base, None).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };

    assert!(moved("referrer_dashboard_sessions_total", &[("outcome", "fresh")]) >= 1.0);
    assert!(
        moved(
            "referrer_dashboard_sessions_total",
            &[("outcome", "cached")]
        ) >= 1.0
    );
    assert!(
        moved(
            "referrer_dashboard_sessions_total",
            &[("outcome", "refused"), ("type", "authentication")]
        ) >= 1.0
    );
    assert!(
        moved(
            "referrer_dashboard_cache_lookups_total",
            &[("result", "miss")]
        ) >= 1.0
    );
    assert!(
        moved(
            "referrer_dashboard_cache_lookups_total",
            &[("result", "hit")]
        ) >= 1.0
    );
    // A new user costs a search, a create and the reads: at least two calls answered 200/201.
    let upstream = moved("referrer_dashboard_upstream_requests_total", &[]);
    assert!(upstream >= 2.0, "{upstream}");
    // Each attempt had a slot of the budget (other tests of this binary count too, so no
    // equality).
    assert!(moved("referrer_dashboard_upstream_budget_granted_total", &[]) >= 2.0);
    assert!(
        moved(
            "referrer_dashboard_upstream_requests_total",
            &[("route", "/users/search"), ("status", "200")]
        ) >= 1.0
    );
    // Three answers of the session endpoint in the latency histogram: two 200s, one 401.
    let route = ("route", "/api/referral-dashboard");
    let latency = "referrer_dashboard_http_request_duration_seconds_count";
    assert!(moved(latency, &[route, ("status", "200")]) >= 2.0);
    assert!(moved(latency, &[route, ("status", "401")]) >= 1.0);
    assert_eq!(
        value(
            &after,
            "referrer_dashboard_dependency_up",
            &[("dependency", "store")]
        ),
        1.0
    );
    assert!(value(&after, "referrer_dashboard_upstream_budget_limit", &[]) >= 1.0);
    // Labels are routes, statuses and outcomes: no user, email or token anywhere.
    for sample in &after.samples {
        for (_, label) in sample.labels.iter() {
            assert!(!label.contains("grace") && !label.contains('@'), "{label}");
        }
    }
}

#[tokio::test]
async fn with_a_metrics_token_metrics_answer_only_to_it() {
    let server = start(&["--metrics-token", "scrape-me-0123456789"]).await;
    let url = format!("{}/metrics", server.base);
    let anonymous = http().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert!(
        !anonymous
            .text()
            .await
            .unwrap()
            .contains("referrer_dashboard_")
    );
    let wrong = http()
        .get(&url)
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let scraped = scrape(&server.base, Some("scrape-me-0123456789")).await;
    assert!(!scraped.samples.is_empty());
}

/// The secret the host signed with before its rotation.
const PREVIOUS: &str = "the-previous-integration-secret-0123456789";

#[tokio::test]
async fn a_token_signed_with_the_previous_secret_is_accepted_and_one_with_neither_refused() {
    let server = start(&["--jwt-secret-previous", PREVIOUS]).await;
    let claims = |sub: &str| {
        json!({"sub": sub, "email": format!("{sub}@example.com"), "email_verified": true,
            "exp": now() + 60})
    };
    let current = token_with(SECRET, claims("u-rot-current"));
    let previous = token_with(PREVIOUS, claims("u-rot-previous"));
    let neither = token_with(
        "a-third-secret-nobody-configured-0123456789",
        claims("u-rot-x"),
    );
    assert_eq!(get_session(&server.base, Some(&current), "").await.0, 200);
    assert_eq!(get_session(&server.base, Some(&previous), "").await.0, 200);
    let (status, _, body) = get_session(&server.base, Some(&neither), "").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["type"], "authentication");
    // Without the previous secret configured, its tokens are refused.
    let plain = start(&[]).await;
    assert_eq!(get_session(&plain.base, Some(&previous), "").await.0, 401);
}

#[tokio::test]
async fn a_database_that_refuses_connections_is_named_as_such_at_start() {
    use referrer_dashboard_server::store::{Database, Store};
    // Nothing listens on port 1 of loopback.
    let url = "postgres://rd:s3cret-password@127.0.0.1:1/rd";
    let error = Store::connect(&Database::parse(url))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.to_lowercase().contains("refused"), "{error}");
    assert!(!error.contains("s3cret-password"), "{error}");
}

#[tokio::test]
async fn a_database_url_that_does_not_parse_is_named_once_without_the_url() {
    use referrer_dashboard_server::store::{Database, Store};
    for (url, why) in [
        (
            "postgres://rd:s3cret-password@127.0.0.1/rd?sslmode=bogus",
            "database URL parse failed: unknown value \"bogus\" for `ssl_mode`",
        ),
        (
            "postgres://rd:s3cret-password@127.0.0.1:99999/rd",
            "database URL parse failed: invalid port number",
        ),
    ] {
        let error = Store::connect(&Database::parse(url))
            .await
            .err()
            .unwrap()
            .to_string();
        assert_eq!(error, why);
    }
}
