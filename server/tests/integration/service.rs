//! The binary run as a service: the drain on SIGTERM under load (no connection reset, every
//! request answered), access lines at `info`, `LOG_FORMAT=json` making every line JSON, and an
//! unknown log format refused at start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::fleet::Process;
use common::{SECRET, http, token};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_referrer-dashboard-server");

/// Concurrent keep-alive clients, as in the report this test answers (20 clients).
const CLIENTS: usize = 20;

/// How often the load balancer of the test probes `/readyz`.
const PROBE_EVERY: Duration = Duration::from_millis(200);

/// The server in sandbox mode with `env`, at `info`.
fn server(env: &[(&str, &str)]) -> Process {
    let mut all = vec![
        ("DASHBOARD_SANDBOX", "true"),
        ("DASHBOARD_JWT_SECRET", SECRET),
        ("DASHBOARD_REQUESTS_PER_MIN", "1000000"),
        ("RUST_LOG", "info"),
    ];
    all.extend_from_slice(env);
    Process::spawn(&[], &all, "listening on ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sigterm_under_load_drains_with_no_reset_and_every_request_answered() {
    // Installs the TLS provider the clients below need.
    let _ = http();
    let mut server = server(&[("DASHBOARD_DRAIN_SECS", "2")]);
    let base = server.base.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, closing) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    // Each client its own keep-alive connection, sending requests one after another until the
    // load balancer takes this instance out of rotation.
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (base, stop) = (base.clone(), stop.clone());
            let (answered, closing) = (answered.clone(), closing.clone());
            let token = token(&format!("u-drain-{i}"), &format!("drain{i}@example.com"));
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                while !stop.load(Ordering::SeqCst) {
                    let response = client
                        .get(format!("{base}/api/referral-dashboard"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap_or_else(|e| {
                            panic!("client {i}: a request was not answered: {e:?}")
                        });
                    assert_eq!(response.status(), 200, "client {i}");
                    if response
                        .headers()
                        .get("connection")
                        .is_some_and(|v| v == "close")
                    {
                        closing.fetch_add(1, Ordering::SeqCst);
                    }
                    response.bytes().await.unwrap();
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    // The load runs until every client has been answered a few times over.
    while answered.load(Ordering::SeqCst) < CLIENTS * 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = answered.load(Ordering::SeqCst);
    server.terminate();
    let signalled = Instant::now();
    // The load balancer: probes /readyz on a connection of its own, and takes the instance out
    // of rotation when it fails.
    let probe = reqwest::Client::new();
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let ready = probe.get(format!("{base}/readyz")).send().await.unwrap();
        if ready.status() == 503 {
            let body: Value = ready.json().await.unwrap();
            assert_eq!(body["status"], "draining");
            break;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(2),
            "/readyz never failed"
        );
    }
    let out_of_rotation = signalled.elapsed();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap();
    let stopped = signalled.elapsed();
    assert!(status.success(), "{status:?}");
    let total = answered.load(Ordering::SeqCst);
    let during_drain = total - before;
    eprintln!(
        "drain: {total} requests answered, {during_drain} after SIGTERM ({} with Connection: close), out of rotation after {out_of_rotation:?}, exited after {stopped:?}, 0 resets",
        closing.load(Ordering::SeqCst)
    );
    assert!(during_drain > 0, "no request was sent while draining");
    assert!(closing.load(Ordering::SeqCst) > 0);
    // The process stayed for the drain period, and stopped soon after it.
    assert!(
        stopped >= Duration::from_secs(2) && stopped < Duration::from_secs(10),
        "{stopped:?}"
    );
}

/// The binary with `LOG_FORMAT=json`, run until it is ready, sent `work`'s requests, then
/// stopped; every line it wrote on stdout and stderr.
async fn run_json(work: impl AsyncFnOnce(&str)) -> Vec<String> {
    let mut child = Stopped(
        Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs([
                ("PORT", "0"),
                ("LOG_FORMAT", "json"),
                ("DASHBOARD_SANDBOX", "true"),
                ("DASHBOARD_JWT_SECRET", SECRET),
                ("DASHBOARD_DRAIN_SECS", "0"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut child.0;
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut lines = Vec::new();
    let base = loop {
        let line = stdout.next().expect("exited before listening").unwrap();
        let json: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        lines.push(line);
        if let Some(url) = json["fields"]["message"]
            .as_str()
            .and_then(|m| m.strip_prefix("listening on "))
        {
            break url.to_owned();
        }
    };
    work(&base).await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    lines.extend(stdout.map_while(Result::ok));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    lines.extend(stderr.lines().map(str::to_owned));
    assert!(child.wait().unwrap().success());
    lines
}

/// A child process, killed if it is still running when dropped (a failed test).
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn with_log_format_json_every_line_is_json_and_each_request_has_an_access_line_at_info() {
    let ada = token("u-ada", "ada@example.com");
    let lines = run_json(async |base: &str| {
        let client = http();
        let url = format!("{base}/api/referral-dashboard");
        for _ in 0..3 {
            let response = client.get(&url).bearer_auth(&ada).send().await.unwrap();
            assert_eq!(response.status(), 200);
        }
        for _ in 0..50 {
            let response = client.get(&url).bearer_auth("forged").send().await.unwrap();
            // 401, then 429 once the address has failed too often.
            assert!([401, 429].contains(&response.status().as_u16()));
        }
    })
    .await;
    let parsed: Vec<Value> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let access: Vec<&Value> = parsed
        .iter()
        .filter(|l| l["fields"]["message"] == "answered")
        .collect();
    assert_eq!(access.len(), 3, "{lines:#?}");
    for line in &access {
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["fields"]["status"], 200);
        assert!(line["fields"]["latency_ms"].as_f64().is_some());
        assert_eq!(line["span"]["method"], "GET");
        assert_eq!(line["span"]["path"], "/api/referral-dashboard");
        assert!(line["span"]["id"].as_str().is_some_and(|id| id.len() >= 32));
    }
    // 50 forged tokens within a second or two: summarised, at most a line per reason (401,
    // and 429 when the address is limited) a second, not a line each.
    let refused: Vec<&Value> = parsed
        .iter()
        .filter(|l| l["fields"]["message"] == "refused")
        .collect();
    assert!((1..=6).contains(&refused.len()), "{refused:#?}");
    assert_eq!(refused[0]["fields"]["status"], 401);
    assert_eq!(refused[0]["fields"]["kind"], "authentication");
    // Start-up lines are JSON too (the ready line above was one), and nothing names a token or
    // an email.
    assert!(parsed.iter().any(|l| {
        l["level"] == "WARN"
            && l["fields"]["message"]
                .as_str()
                .unwrap()
                .contains("sandbox mode")
    }));
    for line in &lines {
        assert!(
            !line.contains(&ada) && !line.contains("ada@example.com"),
            "{line}"
        );
    }
}

#[test]
fn an_unknown_log_format_is_refused_at_start() {
    let output = Command::new(BIN)
        .env_clear()
        .envs([
            ("PORT", "0"),
            ("LOG_FORMAT", "jsn"),
            ("DASHBOARD_SANDBOX", "true"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    for needle in ["jsn", "LOG_FORMAT", "text", "json"] {
        assert!(text.contains(needle), "{needle} missing from: {text}");
    }
}

#[test]
fn a_short_previous_jwt_secret_is_refused_at_start() {
    let output = Command::new(BIN)
        .env_clear()
        .envs([
            ("PORT", "0"),
            ("DASHBOARD_SANDBOX", "true"),
            ("DASHBOARD_JWT_SECRET_PREVIOUS", "short"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("DASHBOARD_JWT_SECRET_PREVIOUS"), "{text}");
    assert!(!text.contains("short"), "{text}");
}

#[tokio::test]
async fn the_key_file_is_read_again_on_sighup_without_a_restart() {
    let sandbox = common::fleet::sandbox();
    let dir = std::env::temp_dir().join(format!("rd-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rf-key");
    // A key the platform does not know: the rotation has not reached this file yet.
    std::fs::write(&file, "rf_live_the_old_revoked_key\n").unwrap();
    let server = Process::spawn(
        &[],
        &[
            ("REFERRAL_FACTORY_API_KEY_FILE", file.to_str().unwrap()),
            ("REFERRAL_FACTORY_API_URL", &sandbox.base),
            ("REFERRAL_FACTORY_CAMPAIGN_ID", "1"),
            ("DASHBOARD_JWT_SECRET", SECRET),
            ("DASHBOARD_DB", ":memory:"),
            ("RUST_LOG", "info"),
        ],
        "listening on ",
    );
    let session = |who: &str| {
        let url = format!("{}/api/referral-dashboard", server.base);
        let token = token(who, &format!("{who}@example.com"));
        async move {
            http()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_ne!(session("u-before").await, 200);
    std::fs::write(&file, format!("{}\n", common::KEY)).unwrap();
    Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    let line = "its new key is used from the next upstream call";
    let asked = Instant::now();
    while server.printed(line) == 0 {
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "no line says the new key took effect"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(session("u-after").await, 200);
    // A second SIGHUP with the file unchanged says so.
    Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    while server.printed("the key is unchanged") == 0 {
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "no line says the key is unchanged"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.printed(common::KEY), 0, "the key is in the log");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_start_on_one_postgresql_database_logs_no_notice() {
    let postgres = common::engines::Postgres::start();
    let url = postgres.url();
    let env = [
        ("DASHBOARD_DB", url.as_str()),
        ("DASHBOARD_DRAIN_SECS", "0"),
    ];
    // The first start creates the schema; the second finds it (PostgreSQL's "relation ...
    // already exists, skipping" notice was logged at info at every start).
    for _ in 0..2 {
        let mut instance = server(&env);
        instance.terminate();
        assert!(instance.wait().success());
        let lines = instance.lines.lock().unwrap();
        assert!(lines.iter().any(|l| l.contains("stopped")), "{lines:#?}");
        assert!(
            !lines.iter().any(|l| l.contains("already exists")),
            "{lines:#?}"
        );
    }
}
