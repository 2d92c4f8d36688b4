//! Starting the binary: the sandbox only when asked for, never with a key; the key from the
//! environment or a file and never printed; demo tokens worth nothing to any other process;
//! two processes starting on one new database both coming up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{KEY, SECRET, get_session, now, sandbox, start, token_with};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_referrer-dashboard-server");

/// The binary with only `env` set (and PATH), on a free port.
fn command(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Runs the binary to its end; returns its exit code and everything it printed.
fn refused(env: &[(&str, &str)]) -> (i32, String) {
    let output = command(env).output().unwrap();
    let text = [output.stdout, output.stderr].concat();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&text).into_owned(),
    )
}

/// A running server process; killed when dropped.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and waits for its "listening on" line.
fn spawn(env: &[(&str, &str)]) -> Running {
    let mut child = command(env).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("listening on ") {
                    break url.to_owned();
                }
            }
            _ => {
                let mut err = String::new();
                use std::io::Read;
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("the server exited before listening: {err}");
            }
        }
    };
    // Keep reading its output so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Running { child, base }
}

#[test]
fn without_a_key_or_the_sandbox_flag_the_server_refuses_and_names_both_ways() {
    let (code, text) = refused(&[]);
    assert_eq!(code, 2, "{text}");
    for needle in [
        "REFERRAL_FACTORY_API_KEY",
        "REFERRAL_FACTORY_API_KEY_FILE",
        "--sandbox",
        "DASHBOARD_SANDBOX=true",
    ] {
        assert!(text.contains(needle), "{needle} missing from: {text}");
    }
}

#[test]
fn the_sandbox_flag_is_refused_together_with_a_key_and_the_key_is_not_printed() {
    let (code, text) = refused(&[
        ("DASHBOARD_SANDBOX", "true"),
        ("REFERRAL_FACTORY_API_KEY", KEY),
        ("REFERRAL_FACTORY_CAMPAIGN_ID", "1"),
        ("DASHBOARD_JWT_SECRET", SECRET),
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("DASHBOARD_SANDBOX"), "{text}");
    assert!(!text.contains(KEY), "{text}");
}

#[test]
fn plain_http_to_a_remote_api_is_refused() {
    let (code, text) = refused(&[
        ("REFERRAL_FACTORY_API_KEY", KEY),
        (
            "REFERRAL_FACTORY_API_URL",
            "http://referral-factory.com/api/v2",
        ),
        ("REFERRAL_FACTORY_CAMPAIGN_ID", "1"),
        ("DASHBOARD_JWT_SECRET", SECRET),
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("REFERRAL_FACTORY_API_URL"), "{text}");
}

#[tokio::test]
async fn the_key_can_come_from_a_mounted_file() {
    let sandbox = sandbox().await;
    let dir = std::env::temp_dir().join(format!("rd-keyfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("api-key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let url = sandbox.api_url().to_string();
    let server = spawn(&[
        ("REFERRAL_FACTORY_API_KEY_FILE", &file.to_string_lossy()),
        ("REFERRAL_FACTORY_API_URL", &url),
        ("REFERRAL_FACTORY_CAMPAIGN_ID", "1"),
        ("DASHBOARD_JWT_SECRET", SECRET),
        ("DASHBOARD_DB", ":memory:"),
    ]);
    let ada = common::token("u-ada", "ada@example.com");
    let (status, _, body) = get_session(&server.base, Some(&ada), "").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !sandbox.calls().is_empty() && sandbox.calls().iter().all(|c| c.status == 200),
        "the sandbox accepted the key from the file"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn demo_tokens_are_signed_with_a_secret_of_their_own_process() {
    let first = start(&[]).await;
    let second = start(&[]).await;
    let demo: Value = common::http_get(format!("{}/demo/token?user=ada", first.base))
        .await
        .json()
        .await
        .unwrap();
    let demo = demo["token"].as_str().unwrap().to_owned();
    assert_eq!(get_session(&first.base, Some(&demo), "").await.0, 200);
    // Useless anywhere else, even where the same DASHBOARD_JWT_SECRET is configured.
    assert_eq!(get_session(&second.base, Some(&demo), "").await.0, 401);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    let with_configured = jsonwebtoken::decode::<Value>(
        &demo,
        &jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()),
        &validation,
    );
    assert!(
        with_configured.is_err(),
        "not signed with the configured secret"
    );
    // A host's own token, signed with the configured secret, works in sandbox mode too (what
    // a host tries locally before it has a key).
    let hosts = token_with(
        SECRET,
        json!({"sub": "host-1", "email": "host-user@example.org", "exp": now() + 60}),
    );
    assert_eq!(get_session(&second.base, Some(&hosts), "").await.0, 200);
}

#[tokio::test]
async fn two_processes_starting_on_one_new_database_both_come_up() {
    let dir = std::env::temp_dir().join(format!("rd-two-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for round in 0..3 {
        let db = dir.join(format!("shared-{round}.sqlite3"));
        let db = db.to_string_lossy().into_owned();
        let env = [("DASHBOARD_SANDBOX", "true"), ("DASHBOARD_DB", db.as_str())];
        // Started together: both create, migrate and open the same file at once.
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| spawn(&env));
            let b = scope.spawn(|| spawn(&env));
            (a.join().unwrap(), b.join().unwrap())
        });
        for server in [&a, &b] {
            let health = common::http_get(format!("{}/healthz", server.base)).await;
            assert_eq!(health.status(), 200);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
