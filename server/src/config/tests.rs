//! The configuration's parsing, defaults and every rule of [`Config::validate`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use super::validate::MIN_SECRET_LEN;
use super::*;

fn parse(args: &[&str]) -> Config {
    let mut all = vec!["server"];
    all.extend_from_slice(args);
    Config::try_parse_from(all).unwrap()
}

const LONG_SECRET: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn a_key_requires_campaign_and_secret() {
    let err = parse(&["--api-key", "k"]).validate().unwrap_err();
    assert_eq!(err.variable, "REFERRAL_FACTORY_CAMPAIGN_ID");
    let err = parse(&["--api-key", "k", "--campaign-id", "3"])
        .validate()
        .unwrap_err();
    assert_eq!(err.variable, "DASHBOARD_JWT_SECRET");
    parse(&[
        "--api-key",
        "k",
        "--campaign-id",
        "3",
        "--jwt-secret",
        LONG_SECRET,
    ])
    .validate()
    .unwrap();
}

#[test]
fn without_a_key_or_the_sandbox_flag_the_server_refuses_and_names_both_ways() {
    let err = parse(&[]).validate().unwrap_err();
    assert_eq!(err.variable, "REFERRAL_FACTORY_API_KEY");
    let text = err.to_string();
    assert!(text.contains("REFERRAL_FACTORY_API_KEY_FILE"), "{text}");
    assert!(
        text.contains("--sandbox") && text.contains("DASHBOARD_SANDBOX=true"),
        "{text}"
    );
}

#[test]
fn the_sandbox_runs_only_when_asked_and_never_with_a_key() {
    let config = parse(&["--sandbox"]);
    assert!(config.sandbox());
    config.validate().unwrap();
    assert_eq!(config.db_path(), PathBuf::from(":memory:"));
    assert!(parse(&["--sandbox", "false"]).validate().is_err());
    let err = parse(&["--sandbox", "--api-key", "k", "--campaign-id", "1"])
        .validate()
        .unwrap_err();
    assert_eq!(err.variable, "DASHBOARD_SANDBOX");
    assert!(!err.to_string().contains("k\""));
}

#[test]
fn a_short_secret_is_refused_in_sandbox_mode_too() {
    let err = parse(&["--sandbox", "--jwt-secret", "short"])
        .validate()
        .unwrap_err();
    assert_eq!(err.variable, "DASHBOARD_JWT_SECRET");
}

#[test]
fn the_key_can_come_from_a_file_and_never_shows_in_errors() {
    let dir = std::env::temp_dir().join(format!("rd-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("key");
    std::fs::write(&file, "rf_live_from_file\n").unwrap();
    let path = file.to_string_lossy().into_owned();
    let config = parse(&[
        "--api-key-file",
        &path,
        "--campaign-id",
        "1",
        "--jwt-secret",
        LONG_SECRET,
    ]);
    config.validate().unwrap();
    assert_eq!(
        config.api_key().unwrap().as_deref(),
        Some("rf_live_from_file")
    );
    assert_eq!(config.db_path(), PathBuf::from(DEFAULT_DB));
    let both = parse(&["--api-key-file", &path, "--api-key", "k"]);
    assert_eq!(
        both.validate().unwrap_err().variable,
        "REFERRAL_FACTORY_API_KEY_FILE"
    );
    std::fs::write(&file, "  \n").unwrap();
    let err = config.api_key().unwrap_err();
    assert!(err.to_string().contains("empty"));
    let missing = parse(&["--api-key-file", "/nonexistent/rd-key"]);
    assert!(missing.api_key().is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_api_url_must_be_https_unless_loopback() {
    let with = |url: &str| {
        parse(&[
            "--api-key",
            "k",
            "--campaign-id",
            "1",
            "--jwt-secret",
            LONG_SECRET,
            "--api-url",
            url,
        ])
        .validate()
    };
    with("https://referral-factory.com/api/v2").unwrap();
    with("http://127.0.0.1:9000/api/v2").unwrap();
    with("http://localhost:9000/api/v2").unwrap();
    with("http://[::1]:9000/api/v2").unwrap();
    let err = with("http://referral-factory.com/api/v2").unwrap_err();
    assert_eq!(err.variable, "REFERRAL_FACTORY_API_URL");
    assert!(with("ftp://127.0.0.1/api").is_err());
}

#[test]
fn budget_above_the_platform_limit_is_refused() {
    let err = parse(&["--sandbox", "--upstream-budget-per-min", "601"])
        .validate()
        .unwrap_err();
    assert_eq!(err.variable, "DASHBOARD_UPSTREAM_BUDGET_PER_MIN");
}

#[test]
fn unparsable_values_name_the_variable() {
    let err = Config::try_parse_from(["server", "--port", "eighty"])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("PORT"), "{err}");
}

#[test]
fn cors_origins_must_be_bare_origins() {
    let err = parse(&["--sandbox", "--cors-origins", "https://a.example/path"])
        .validate()
        .unwrap_err();
    assert_eq!(err.variable, "DASHBOARD_CORS_ORIGINS");
    parse(&[
        "--sandbox",
        "--cors-origins",
        "https://a.example,http://localhost:3000",
    ])
    .validate()
    .unwrap();
}

#[test]
fn every_bound_is_refused_just_outside_and_accepted_at_its_edge() {
    let check = |flag: &str, value: &str| {
        parse(&["--sandbox", flag, value])
            .validate()
            .err()
            .map(|e| e.variable)
    };
    let secret = |n: usize| "s".repeat(n);
    for (flag, variable, refused, accepted) in [
        (
            "--upstream-budget-per-min",
            "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
            vec!["0", "601"],
            vec!["1", "600"],
        ),
        (
            "--requests-per-min",
            "DASHBOARD_REQUESTS_PER_MIN",
            vec!["0"],
            vec!["1"],
        ),
        (
            "--upstream-per-user-per-min",
            "DASHBOARD_UPSTREAM_PER_USER_PER_MIN",
            vec!["0"],
            vec!["1"],
        ),
        (
            "--new-users-per-min",
            "DASHBOARD_NEW_USERS_PER_MIN",
            vec!["0"],
            vec!["1"],
        ),
        (
            "--max-connections",
            "DASHBOARD_MAX_CONNECTIONS",
            vec!["0"],
            vec!["1"],
        ),
        (
            "--test-budget-window-ms",
            "DASHBOARD_TEST_BUDGET_WINDOW_MS",
            vec!["499"],
            vec!["500"],
        ),
        (
            "--cache-ttl-secs",
            "DASHBOARD_CACHE_TTL_SECS",
            vec!["4", "86401"],
            vec!["5", "86400"],
        ),
        (
            "--session-ttl-secs",
            "DASHBOARD_SESSION_TTL_SECS",
            vec!["4", "3601"],
            vec!["5", "3600"],
        ),
        (
            "--redis-url",
            "DASHBOARD_REDIS_URL",
            vec![
                "http://127.0.0.1:6379",
                "127.0.0.1:6379",
                "redis://[bad",
                "redis://127.0.0.1:6379/not-a-number",
            ],
            vec![
                "redis://127.0.0.1:6379",
                "rediss://r.example:6380",
                "unix:///run/redis.sock",
                "redis+unix:///run/redis.sock",
            ],
        ),
    ] {
        for value in refused {
            assert_eq!(check(flag, value), Some(variable), "{flag} {value}");
        }
        for value in accepted {
            assert_eq!(check(flag, value), None, "{flag} {value}");
        }
    }
    for (flag, variable) in [
        ("--jwt-secret", "DASHBOARD_JWT_SECRET"),
        ("--webhook-secret", "DASHBOARD_WEBHOOK_SECRET"),
    ] {
        assert_eq!(check(flag, &secret(MIN_SECRET_LEN - 1)), Some(variable));
        assert_eq!(check(flag, &secret(MIN_SECRET_LEN)), None);
    }
}

#[test]
fn the_cache_lives_longer_only_with_webhooks_or_when_told() {
    let plain = parse(&["--sandbox"]);
    assert_eq!(plain.cache_ttl(), plain.session_ttl());
    let hooked = parse(&["--sandbox", "--webhook-secret", LONG_SECRET]);
    hooked.validate().unwrap();
    assert_eq!(hooked.cache_ttl(), WEBHOOK_CACHE_TTL);
    let told = parse(&[
        "--sandbox",
        "--webhook-secret",
        LONG_SECRET,
        "--cache-ttl-secs",
        "120",
    ]);
    assert_eq!(told.cache_ttl(), Duration::from_secs(120));
    let short = parse(&["--sandbox", "--webhook-secret", "short"]);
    assert_eq!(
        short.validate().unwrap_err().variable,
        "DASHBOARD_WEBHOOK_SECRET"
    );
    let zero = parse(&["--sandbox", "--cache-ttl-secs", "0"]);
    assert_eq!(
        zero.validate().unwrap_err().variable,
        "DASHBOARD_CACHE_TTL_SECS"
    );
}

#[test]
fn connections_are_capped_by_default_and_zero_lifts_the_cap_per_address() {
    let default = parse(&["--sandbox"]);
    assert_eq!(default.max_connections(), 4096);
    assert_eq!(default.max_connections_per_address(), 256);
    let off = parse(&["--sandbox", "--max-connections-per-address", "0"]);
    off.validate().unwrap();
    assert_eq!(off.max_connections_per_address(), 0);
}

#[test]
fn an_unusable_redis_url_is_named_without_its_password_or_the_clients_error_kind() {
    let error = parse(&[
        "--sandbox",
        "--redis-url",
        "redis://user:hunter2-secret@127.0.0.1:6379/db-name",
    ])
    .validate()
    .unwrap_err();
    assert_eq!(error.variable, "DASHBOARD_REDIS_URL");
    let text = error.to_string();
    assert!(text.contains("is not a usable Redis URL"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("InvalidClientConfig"), "{text}");
}
