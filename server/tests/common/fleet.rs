//! Several instances of the real binary on one Redis and one PostgreSQL, in front of a sandbox
//! that runs as a process of its own, with requests spread round robin the way a load balancer
//! spreads them (and sent to the next instance when one does not answer).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::engines::{Postgres, Redis};
use super::{KEY, SECRET, http, http_get};

const BIN: &str = env!("CARGO_BIN_EXE_referrer-dashboard-server");

/// A process of the binary; killed when dropped. Its output is kept, line by line.
pub struct Process {
    child: Child,
    /// `http://127.0.0.1:port` (the sandbox's API base for a sandbox).
    pub base: String,
    /// Every line it printed.
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Runs the binary with `args` and only `env` (and PATH), and waits for the line starting
    /// with `ready` (the rest of it is the base URL).
    pub fn spawn(args: &[&str], env: &[(&str, &str)], ready: &str) -> Self {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PORT", "0")
            .env("RUST_LOG", "warn,referrer_dashboard_server::shared=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            match stdout.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix(ready) {
                        break url.trim().to_owned();
                    }
                    lines.lock().unwrap().push(line);
                }
                _ => {
                    let _ = child.wait();
                    panic!(
                        "the binary exited before it was ready: {:?}",
                        lines.lock().unwrap()
                    );
                }
            }
        };
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in stdout.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Self { child, base, lines }
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends it SIGTERM, as an orchestrator stopping it does, without waiting.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for it to end by itself; its exit status.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many lines it printed that contain `needle`.
    pub fn printed(&self, needle: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The sandbox as a process (`referrer-dashboard-server sandbox --key KEY`).
pub fn sandbox() -> Process {
    Process::spawn(&["sandbox", "--key", KEY], &[], "sandbox listening on ")
}

/// Redis, PostgreSQL, a sandbox, and instances of the server in front of them.
pub struct Fleet {
    /// The instances (index = round-robin position).
    pub instances: Vec<Process>,
    /// The shared Redis.
    pub redis: Redis,
    /// The shared PostgreSQL.
    pub postgres: Postgres,
    /// The sandbox.
    pub sandbox: Process,
    next: AtomicUsize,
}

impl Fleet {
    /// `count` instances, each with `env` on top of the key, the sandbox, Redis and PostgreSQL.
    /// They start together (and so migrate the new database together).
    pub fn start(count: usize, env: &[(&str, &str)]) -> Self {
        let redis = Redis::start();
        let postgres = Postgres::start();
        let sandbox = sandbox();
        let (redis_url, db_url) = (redis.url(), postgres.url());
        let mut all: Vec<(&str, &str)> = vec![
            ("REFERRAL_FACTORY_API_KEY", KEY),
            ("REFERRAL_FACTORY_API_URL", sandbox.base.as_str()),
            ("REFERRAL_FACTORY_CAMPAIGN_ID", "1"),
            ("DASHBOARD_JWT_SECRET", SECRET),
            ("DASHBOARD_DB", db_url.as_str()),
            ("DASHBOARD_REDIS_URL", redis_url.as_str()),
            // The fleet tests count the referral path's calls; `env` may turn rewards on.
            ("DASHBOARD_REWARDS", "off"),
        ];
        all.extend_from_slice(env);
        let instances = std::thread::scope(|scope| {
            let started: Vec<_> = (0..count)
                .map(|_| scope.spawn(|| Process::spawn(&[], &all, "listening on ")))
                .collect();
            started.into_iter().map(|s| s.join().unwrap()).collect()
        });
        Self {
            instances,
            redis,
            postgres,
            sandbox,
            next: AtomicUsize::new(0),
        }
    }

    /// GET the session endpoint on the next instance in turn; an instance that does not answer
    /// (killed) is skipped, as a load balancer would. Returns status, headers and body.
    pub async fn get(&self, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.instances.len() {
            let instance = &self.instances[(start + i) % self.instances.len()];
            let sent = http()
                .get(format!("{}/api/referral-dashboard", instance.base))
                .bearer_auth(token)
                .send()
                .await;
            if let Ok(response) = sent {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = response.json().await.unwrap_or(Value::Null);
                return (status, headers, body);
            }
        }
        panic!("no instance answered");
    }

    /// GET the session endpoint on instance `n`.
    pub async fn get_on(&self, n: usize, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        super::get_session(&self.instances[n].base, Some(token), "").await
    }

    /// A request to the sandbox's control route `path` (under `/__sandbox/`), with its key.
    pub fn control(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url = self
            .sandbox
            .base
            .replace("/api/v2", &format!("/__sandbox/{path}"));
        http().request(method, url).bearer_auth(KEY)
    }

    /// The calls the sandbox received: (route, arrival ms).
    pub async fn calls(&self) -> Vec<(String, f64)> {
        let calls = self.control(reqwest::Method::GET, "calls").send().await;
        let body: Value = calls.unwrap().json().await.unwrap();
        body["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["route"].as_str().unwrap().to_owned(),
                    c["at_ms"].as_f64().unwrap(),
                )
            })
            .collect()
    }

    /// The routes of the calls the sandbox received, in order.
    pub async fn routes(&self) -> Vec<String> {
        self.calls().await.into_iter().map(|(r, _)| r).collect()
    }

    /// Clears the sandbox's call log.
    pub async fn reset_calls(&self) {
        self.control(reqwest::Method::DELETE, "calls")
            .send()
            .await
            .unwrap();
    }

    /// `/healthz` of instance `n`: status and body.
    pub async fn health(&self, n: usize) -> (u16, Value) {
        let response = http_get(format!("{}/healthz", self.instances[n].base)).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// The most calls that arrived within any `window_ms`, from arrival times.
pub fn busiest_window(mut times: Vec<f64>, window_ms: f64) -> usize {
    times.sort_by(f64::total_cmp);
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|&&t| t < times[i] + window_ms)
                .count()
        })
        .max()
        .unwrap_or(0)
}
