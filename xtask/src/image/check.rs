//! The `image` test stage: builds the image, then runs it as the production guide says (read-only
//! root filesystem, a tmpfs for `/data`, no capabilities) in sandbox mode on the host's network,
//! and checks what an ops engineer relies on: the probes and metrics answer, a session works end
//! to end, the process is not root and holds no capability, the root filesystem is read-only
//! while the database is written to `/data`, there is no shell, SIGTERM stops it cleanly as
//! PID 1, and every log line is JSON with `LOG_FORMAT=json`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Engine, Image, SIZE_LIMIT, USER, compose, megabytes};
use crate::{Result, fail, root, step, tools};

/// How long the container may take to answer `/healthz` after `docker run`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The drain period the container runs with: short, so that the stop check takes a second, not
/// the default five.
const DRAIN_SECS: u64 = 1;

/// `cargo xtask test image`.
///
/// # Errors
/// The first check that fails, saying what was expected and what was seen.
pub fn test() -> Result<()> {
    tools::ensure_image_tools()?;
    let engine = Engine::connect()?;
    // The test profile: the same code, built faster (see `Profile::Test`).
    let image = super::build(&engine, super::Profile::Test)?;
    step("image: its configuration (numeric non-root user, no HEALTHCHECK, listens on 0.0.0.0)");
    configuration(&engine, &image)?;
    step("image: compose.yaml names this image and only settings the server knows");
    compose::check(&engine, &image)?;
    step("image: run in sandbox mode, read-only root, tmpfs /data, no capabilities, host network");
    let port = free_port()?;
    let container = Container::run(&engine, &image, port)?;
    container.wait_ready(port)?;
    probes(port)?;
    session_end_to_end(port)?;
    container.runs_as_non_root()?;
    container.root_is_read_only()?;
    container.writes_only_data()?;
    container.has_no_shell()?;
    container.stops_on_sigterm()?;
    container.logs_are_json(port)?;
    drop(container);
    eprintln!(
        "\nimage {}: {} (limit {})",
        image.tag,
        megabytes(image.size),
        megabytes(SIZE_LIMIT)
    );
    if image.size > SIZE_LIMIT {
        return fail(format!(
            "the image is {}, over the limit of {}",
            megabytes(image.size),
            megabytes(SIZE_LIMIT)
        ));
    }
    Ok(())
}

/// The image's own configuration, as `docker image inspect` reports it.
fn configuration(engine: &Engine, image: &Image) -> Result<()> {
    let config: Value = serde_json::from_str(&engine.output(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config}}",
        &image.tag,
    ])?)?;
    let env: Vec<&str> = config["Env"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let checks = [
        (config["User"] == USER, format!("User is {USER}")),
        (
            config["Healthcheck"].is_null(),
            "there is no HEALTHCHECK".to_owned(),
        ),
        (
            config["Entrypoint"] == serde_json::json!(["/referrer-dashboard-server"]),
            "the entry point is the binary".to_owned(),
        ),
        (
            env.contains(&"BIND=0.0.0.0"),
            "BIND=0.0.0.0 is set".to_owned(),
        ),
        (
            config["WorkingDir"] == "/data" && config["Volumes"].get("/data").is_some(),
            "the working directory is the volume /data".to_owned(),
        ),
    ];
    for (ok, what) in checks {
        if !ok {
            return fail(format!(
                "image {}: expected {what}; config: {config}",
                image.tag
            ));
        }
    }
    Ok(())
}

/// `/healthz` says sandbox mode, `/readyz` is ready, `/metrics` is the Prometheus text format.
fn probes(port: u16) -> Result<()> {
    let health = get(port, "/healthz", &[])?.ok("/healthz")?;
    let body: Value = serde_json::from_str(&health.body)?;
    if body["status"] != "ok" || body["mode"] != "sandbox" {
        return fail(format!("/healthz: expected ok in sandbox mode, got {body}"));
    }
    get(port, "/readyz", &[])?.ok("/readyz")?;
    let metrics = get(port, "/metrics", &[])?.ok("/metrics")?;
    let content_type = metrics.header("content-type").unwrap_or_default();
    if !content_type.starts_with("text/plain") {
        return fail(format!(
            "/metrics: Content-Type {content_type}, not the text format"
        ));
    }
    if !metrics
        .body
        .contains("# TYPE referrer_dashboard_http_request_duration_seconds histogram")
    {
        return fail("/metrics has no request latency histogram");
    }
    eprintln!("  /healthz, /readyz and /metrics answer 200");
    Ok(())
}

/// A demo user's token, their session, and the session counted in `/metrics`.
fn session_end_to_end(port: u16) -> Result<()> {
    let token = get(port, "/demo/token?user=ada", &[])?.ok("/demo/token")?;
    let token: Value = serde_json::from_str(&token.body)?;
    let Some(token) = token["token"].as_str() else {
        return fail(format!("/demo/token: no token in {token}"));
    };
    let bearer = format!("Authorization: Bearer {token}");
    let session = get(port, "/api/referral-dashboard", &[&bearer])?.ok("the session")?;
    let session: Value = serde_json::from_str(&session.body)?;
    let link = session["referrer"]["link"].as_str().unwrap_or_default();
    if session["version"] != 1 || link.is_empty() || !session["stats"].is_object() {
        return fail(format!("the session is not SPEC §5's shape: {session}"));
    }
    let metrics = get(port, "/metrics", &[])?.ok("/metrics")?;
    let fresh = metrics.body.lines().any(|line| {
        line.starts_with("referrer_dashboard_sessions_total{")
            && line.contains("outcome=\"fresh\"")
            && line
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| v >= 1.0)
    });
    if !fresh {
        return fail("/metrics does not count the fresh session just served");
    }
    eprintln!("  a demo user's session ({link}) is served and counted");
    Ok(())
}

/// A free port on loopback (the container uses the host's network).
fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The test's container, removed when dropped (also when a check failed).
struct Container<'a> {
    engine: &'a Engine,
    name: String,
}

impl<'a> Container<'a> {
    fn run(engine: &'a Engine, image: &Image, port: u16) -> Result<Self> {
        let name = format!("rd-image-test-{}", std::process::id());
        let container = Container { engine, name };
        let port_env = format!("PORT={port}");
        let drain_env = format!("DASHBOARD_DRAIN_SECS={DRAIN_SECS}");
        engine.output(&[
            "run",
            "--detach",
            "--name",
            &container.name,
            "--read-only",
            "--tmpfs",
            "/data:rw,nosuid,nodev,noexec,size=16m,uid=65532,gid=65532,mode=0700",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--network",
            "host",
            // The host's network: loopback only, not every interface of this machine.
            "--env",
            "BIND=127.0.0.1",
            "--env",
            &port_env,
            "--env",
            "DASHBOARD_SANDBOX=true",
            // A file, not the sandbox's in-memory default: the write to /data is checked.
            "--env",
            "DASHBOARD_DB=/data/referrer-dashboard.sqlite3",
            "--env",
            &drain_env,
            "--env",
            "LOG_FORMAT=json",
            &image.tag,
        ])?;
        Ok(container)
    }

    fn inspect(&self, format: &str) -> Result<String> {
        self.engine
            .output(&["container", "inspect", "--format", format, &self.name])
    }

    fn wait_ready(&self, port: u16) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if get(port, "/healthz", &[]).is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            if self.inspect("{{.State.Running}}")? != "true" {
                return fail(format!("the container stopped:\n{}", self.logs()?));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        fail(format!(
            "no answer on port {port} within {START_TIMEOUT:?}:\n{}",
            self.logs()?
        ))
    }

    fn logs(&self) -> Result<String> {
        let out = self.engine.docker().args(["logs", &self.name]).output()?;
        Ok([out.stdout, out.stderr]
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .concat())
    }

    /// The process's `/proc` entry on the host.
    fn proc(&self) -> Result<std::path::PathBuf> {
        Ok(std::path::PathBuf::from("/proc").join(self.inspect("{{.State.Pid}}")?))
    }

    /// The configured user, and the user and capabilities the kernel reports for the process.
    fn runs_as_non_root(&self) -> Result<()> {
        let user = self.inspect("{{.Config.User}}")?;
        if user != USER {
            return fail(format!("the container's user is '{user}', not {USER}"));
        }
        let proc = self.proc()?;
        let status = std::fs::read_to_string(proc.join("status"))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.split_whitespace().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        // Real, effective, saved and filesystem ids: all of them, or a setuid could regain root.
        let (uids, gids) = (field("Uid:"), field("Gid:"));
        // Without a user namespace remapping ids, the host sees the image's uid itself.
        let identity = std::fs::read_to_string(proc.join("uid_map"))
            .is_ok_and(|m| m.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"]);
        let expected = if identity { "65532" } else { "" };
        let non_root = |ids: &[&str]| {
            ids.len() == 4
                && ids
                    .iter()
                    .all(|id| *id != "0" && (expected.is_empty() || *id == expected))
        };
        if !non_root(&uids) || !non_root(&gids) {
            return fail(format!(
                "the server runs as uid {uids:?}, gid {gids:?}; expected 65532 for every one"
            ));
        }
        let caps = field("CapEff:");
        if caps != ["0000000000000000"] {
            return fail(format!("the server holds capabilities: CapEff {caps:?}"));
        }
        eprintln!(
            "  the server runs as uid and gid {} with no capability",
            uids[0]
        );
        Ok(())
    }

    /// `ReadonlyRootfs`, and the process's own view: `/` mounted `ro`, `/data` a writable tmpfs.
    fn root_is_read_only(&self) -> Result<()> {
        if self.inspect("{{.HostConfig.ReadonlyRootfs}}")? != "true" {
            return fail("the container's HostConfig.ReadonlyRootfs is not true");
        }
        let mountinfo = std::fs::read_to_string(self.proc()?.join("mountinfo"))?;
        // Fields: id, parent, dev, root, mount point, options, ...
        let options = |point: &str| {
            mountinfo.lines().find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields.get(4) == Some(&point)).then(|| fields.get(5).copied().unwrap_or_default())
            })
        };
        let root_ro = options("/").is_some_and(|o| o.split(',').any(|o| o == "ro"));
        let data_rw = options("/data").is_some_and(|o| o.split(',').any(|o| o == "rw"));
        if !root_ro || !data_rw {
            return fail(format!(
                "expected / read-only and /data writable, the process sees / {:?} and /data {:?}",
                options("/"),
                options("/data")
            ));
        }
        eprintln!("  / is mounted read-only and the server still serves");
        Ok(())
    }

    /// The SQLite file was created in `/data`, owned by the server's user. Seen through the
    /// process's root, which only root on the host may read.
    fn writes_only_data(&self) -> Result<()> {
        if !tools::is_root() {
            eprintln!("  (the database file in /data is checked only as root)");
            return Ok(());
        }
        let file = self.proc()?.join("root/data/referrer-dashboard.sqlite3");
        match std::fs::metadata(&file) {
            Ok(meta) if meta.uid() == 65532 => {
                eprintln!("  the database is /data/referrer-dashboard.sqlite3, owned by 65532");
                Ok(())
            }
            Ok(meta) => fail(format!(
                "the database file is owned by uid {}, not 65532",
                meta.uid()
            )),
            Err(error) => fail(format!("no database file in /data: {error}")),
        }
    }

    /// The container's file system (`docker export`): the binary, the CA bundle and what the
    /// engine itself puts in every container; no `bin/`, so no shell.
    fn has_no_shell(&self) -> Result<()> {
        let archive = root().join("target/image/export.tar");
        self.engine
            .output(&["export", "--output", &archive.to_string_lossy(), &self.name])?;
        let listing = std::process::Command::new("tar")
            .arg("-tf")
            .arg(&archive)
            .output()?;
        let _ = std::fs::remove_file(&archive);
        let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
        // Created by the engine in every container (mount points, name resolution).
        const ENGINE: [&str; 6] = [
            ".dockerenv",
            "etc/hostname",
            "etc/hosts",
            "etc/mtab",
            "etc/resolv.conf",
            "dev/console",
        ];
        let unexpected: Vec<&str> = listing
            .lines()
            .filter(|entry| !entry.ends_with('/'))
            .filter(|entry| {
                !ENGINE.contains(entry)
                    && ![
                        "referrer-dashboard-server",
                        "etc/ssl/certs/ca-certificates.crt",
                    ]
                    .contains(entry)
            })
            .collect();
        if listing.lines().any(|e| e.starts_with("bin/")) || !unexpected.is_empty() {
            return fail(format!(
                "the image holds more than the binary and the CA bundle: {unexpected:?}"
            ));
        }
        eprintln!("  the image holds the binary and the CA bundle only (no shell)");
        Ok(())
    }

    /// `docker stop` (SIGTERM to PID 1): the drain, then exit 0, well before the engine's kill.
    fn stops_on_sigterm(&self) -> Result<()> {
        let started = Instant::now();
        self.engine.output(&["stop", "--time", "20", &self.name])?;
        let took = started.elapsed();
        let code = self.inspect("{{.State.ExitCode}}")?;
        if code != "0" || took >= Duration::from_secs(15) {
            return fail(format!(
                "SIGTERM: expected exit 0 after the {DRAIN_SECS} s drain, got exit {code} after {took:.1?}"
            ));
        }
        eprintln!("  SIGTERM: drained and exited 0 in {took:.1?}");
        Ok(())
    }

    /// With `LOG_FORMAT=json`, every line (start-up and shutdown included) is a JSON object.
    fn logs_are_json(&self, port: u16) -> Result<()> {
        let logs = self.logs()?;
        let mut lines = logs.lines().filter(|l| !l.trim().is_empty()).peekable();
        if lines.peek().is_none() {
            return fail("the container logged nothing");
        }
        for line in lines {
            if !serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()) {
                return fail(format!("a log line that is not JSON: {line}"));
            }
        }
        let ready = format!("listening on http://127.0.0.1:{port}");
        if !logs.contains(&ready) || !logs.contains("stopped") {
            return fail(format!("the log lacks '{ready}' or 'stopped':\n{logs}"));
        }
        eprintln!("  every log line is JSON, from '{ready}' to 'stopped'");
        Ok(())
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self
            .engine
            .docker()
            .args(["rm", "--force", "--volumes", &self.name])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// An HTTP answer.
struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    /// The answer if it is 200, else an error naming `what` with the status and body.
    fn ok(self, what: &str) -> Result<Self> {
        if self.status == 200 {
            Ok(self)
        } else {
            fail(format!("{what}: status {}: {}", self.status, self.body))
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// `GET path` on `127.0.0.1:port` with `headers`, HTTP/1.1 with `Connection: close`: the test
/// needs nothing more, and the image holds no client to run inside it.
fn get(port: u16, path: &str, headers: &[&str]) -> Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return fail(format!(
            "GET {path}: not an HTTP answer: {}",
            String::from_utf8_lossy(&raw)
        ));
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = &raw[split + 4..];
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {path}: no status in '{status_line}'"))?;
    let mut answer = Answer {
        status,
        headers: headers.to_owned(),
        body: String::new(),
    };
    let chunked = answer
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    answer.body = String::from_utf8_lossy(&body).into_owned();
    Ok(answer)
}

/// A chunked body's data.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let rest = &body[line_end + 2..];
        let Some(size) = size.filter(|&s| s > 0 && s <= rest.len()) else {
            break;
        };
        data.extend_from_slice(&rest[..size]);
        body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn a_chunked_body_is_joined() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            b"hello world"
        );
    }
}
