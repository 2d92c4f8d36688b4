//! A Docker engine to talk to: the one that already answers, or (as root) a `dockerd` started
//! for this run and stopped when it ends.
//!
//! The engine started here keeps its images under `target/docker/` (so `cargo xtask image`
//! leaves the image there for the next start) and everything else (sockets, the pid file, its
//! log) in a temporary folder removed when it stops. It runs without iptables rules and without
//! its bridge: xtask's containers use the host's network, and the machine's firewall stays as
//! it was.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, fail, root, step, tools};

/// How long a fresh `dockerd` may take to answer (it starts its own containerd first; slower on
/// a loaded machine).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a `dockerd` we started may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// The engine xtask talks to. Dropping it stops the `dockerd` it started, if it started one.
pub struct Engine {
    /// `DOCKER_HOST` for the `docker` CLI, when the engine is ours.
    host: Option<String>,
    started: Option<Started>,
}

/// A `dockerd` this run started.
struct Started {
    child: Child,
    /// Its sockets, pid file and log: removed when it has stopped.
    scratch: PathBuf,
}

impl Engine {
    /// The engine that answers (the `DOCKER_HOST` of the environment, or the default socket),
    /// else one started here when running as root.
    ///
    /// # Errors
    /// When no engine answers and none can be started (not root, or `dockerd` failed: its log's
    /// end is in the message).
    pub fn connect() -> Result<Self> {
        let existing = Engine {
            host: None,
            started: None,
        };
        if existing.answers() {
            return Ok(existing);
        }
        if !tools::is_root() {
            return fail(
                "no Docker engine answers (docker version); start one (systemctl start docker), \
                 or run as root so xtask starts a dockerd of its own",
            );
        }
        Engine::start()
    }

    fn start() -> Result<Self> {
        step("starting a Docker engine for this run (dockerd; its images under target/docker/)");
        let data = root().join("target/docker");
        // Short, for the unix sockets of dockerd and its containerd (at most 107 bytes a path).
        let scratch = std::env::temp_dir().join(format!("rd-docker-{}", std::process::id()));
        std::fs::create_dir_all(&data)?;
        std::fs::create_dir_all(scratch.join("exec"))?;
        let socket = scratch.join("docker.sock");
        let log = std::fs::File::create(scratch.join("dockerd.log"))?;
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(&data)
            .arg("--exec-root")
            .arg(scratch.join("exec"))
            .arg("--pidfile")
            .arg(scratch.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("could not start dockerd: {e}"))?;
        let mut engine = Engine {
            host: Some(format!("unix://{}", socket.display())),
            started: Some(Started { child, scratch }),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if engine.answers() {
                return Ok(engine);
            }
            if let Some(started) = &mut engine.started
                && let Ok(Some(status)) = started.child.try_wait()
            {
                let tail = log_tail(&started.scratch.join("dockerd.log"));
                return fail(format!("dockerd stopped at start ({status}):\n{tail}"));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let tail = engine
            .started
            .as_ref()
            .map(|s| log_tail(&s.scratch.join("dockerd.log")))
            .unwrap_or_default();
        fail(format!(
            "dockerd did not answer within {START_TIMEOUT:?}:\n{tail}"
        ))
    }

    /// Whether this engine answers `docker version`.
    fn answers(&self) -> bool {
        self.docker()
            .args(["version", "--format", "{{.Server.Version}}"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A `docker` command talking to this engine, run from the repository root. The legacy
    /// builder (`DOCKER_BUILDKIT=0`): BuildKit would pull its own frontend image for a
    /// Dockerfile with a `# syntax` line, and `docker.io`'s CLI has no buildx.
    pub fn docker(&self) -> Command {
        let mut command = crate::cmd("docker");
        command.env("DOCKER_BUILDKIT", "0");
        if let Some(host) = &self.host {
            command.env("DOCKER_HOST", host);
        }
        command
    }

    /// The trimmed standard output of a `docker` command that must succeed.
    ///
    /// # Errors
    /// When it fails: its standard error is in the message.
    pub fn output(&self, args: &[&str]) -> Result<String> {
        let out = self
            .docker()
            .args(args)
            .output()
            .map_err(|e| format!("could not run docker: {e}"))?;
        if !out.status.success() {
            return fail(format!(
                "docker {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let Some(mut started) = self.started.take() else {
            return;
        };
        step("stopping the Docker engine this run started");
        // SIGTERM by its pid (our own child): dockerd stops its containers and containerd.
        let _ = Command::new("kill")
            .args(["-TERM", &started.child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match started.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                _ => {
                    eprintln!("dockerd did not stop within {STOP_TIMEOUT:?}; killing it");
                    let _ = started.child.kill();
                    let _ = started.child.wait();
                    break;
                }
            }
        }
        // dockerd leaves its default network namespace mounted in its exec root.
        for point in mounts_under(&started.scratch) {
            let _ = Command::new("umount").arg(&point).status();
        }
        if let Err(error) = std::fs::remove_dir_all(&started.scratch) {
            eprintln!(
                "could not remove {}: {error}",
                started.scratch.as_path().display()
            );
        }
    }
}

/// The mount points inside `dir`, deepest first (`/proc/self/mountinfo`, fifth field).
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|line| line.split_whitespace().nth(4))
        .map(PathBuf::from)
        .filter(|point| point.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points
}

/// The last lines of a log file, for an error message.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
