//! The container image (`cargo xtask image`, and the `image` test stage): the repository's
//! `Dockerfile` over a static musl build of the server, and the checks that it runs as the
//! guide says.
//!
//! # Layout
//! - `engine`: a Docker engine to talk to, started (and stopped) here when none answers.
//! - `check`: the stage: the image run in sandbox mode through its probes, metrics and a session,
//!   as non-root on a read-only root filesystem.
//! - `compose`: `compose.yaml` checked against the image and the server's settings.

mod check;
mod compose;
mod engine;

use std::path::PathBuf;

pub use check::test;
pub use engine::Engine;

use crate::{Result, cargo, cmd, fail, root, run, step, tools};

/// The target of the image's binary: statically linked, so the image needs no libc.
pub const MUSL_TARGET: &str = "x86_64-unknown-linux-musl";

/// The image's name; tagged with the workspace version and `latest`. `compose.yaml` names the
/// version tag.
pub const NAME: &str = "referrer-dashboard-server";

/// The user the image runs as (the `USER` of the Dockerfile): not root, numeric because the
/// image has no `/etc/passwd`.
pub const USER: &str = "65532:65532";

/// The largest image the test accepts, in bytes: the binary is most of it (18 MB stripped with
/// the server profile, 30 MB with the unoptimised `image-test` one); more means something else
/// got in (a base image, debug info).
pub const SIZE_LIMIT: u64 = 40 * 1000 * 1000;

/// The image's tag with the workspace version, e.g. `referrer-dashboard-server:0.1.0`.
pub fn tag() -> String {
    format!("{NAME}:{}", env!("CARGO_PKG_VERSION"))
}

/// An image built by [`build`].
pub struct Image {
    /// Its versioned tag.
    pub tag: String,
    /// Its size as the engine reports it (`docker image inspect`), in bytes.
    pub size: u64,
}

/// `cargo xtask image`: builds the image, saves it to `target/image/` for `docker load`
/// elsewhere, and prints its tags and size.
///
/// # Errors
/// When a tool is missing and cannot be installed, or a build fails.
pub fn image() -> Result<()> {
    tools::ensure_image_tools()?;
    let engine = Engine::connect()?;
    let image = build(&engine, Profile::Ship)?;
    let archive = root().join("target/image/referrer-dashboard-server.tar");
    step("saving the image for `docker load`");
    engine.output(&["save", "-o", &archive.to_string_lossy(), &image.tag])?;
    eprintln!("\nimage:   {} (and {NAME}:latest)", image.tag);
    eprintln!("size:    {}", megabytes(image.size));
    eprintln!(
        "archive: {} (docker load -i ...; `docker compose up` with compose.yaml)",
        archive.display()
    );
    Ok(())
}

/// The cargo profile of the image's binary.
#[derive(Clone, Copy)]
pub enum Profile {
    /// `server` (opt-level 3, thin LTO): what `cargo xtask image` builds and ships.
    Ship,
    /// `image-test`: the same code unoptimised, for the test stage (a cold build in about 3
    /// minutes instead of 6.5 on two cores). The image is otherwise the same.
    Test,
}

impl Profile {
    fn name(self) -> &'static str {
        match self {
            Self::Ship => "server",
            Self::Test => "image-test",
        }
    }
}

/// Builds the static binary with `profile`, assembles the build context and builds the image
/// on `engine`.
///
/// # Errors
/// When the cargo build, the context or `docker build` fails.
pub fn build(engine: &Engine, profile: Profile) -> Result<Image> {
    let binary = musl_binary(profile)?;
    let context = context(&binary)?;
    let tag = tag();
    step(&format!(
        "building the image {tag} (FROM scratch, the binary only)"
    ));
    run(engine
        .docker()
        .args(["build", "--quiet", "-t", &tag, "-t"])
        .arg(format!("{NAME}:latest"))
        .arg(&context))?;
    let size = engine
        .output(&["image", "inspect", "--format", "{{.Size}}", &tag])?
        .parse()
        .map_err(|e| format!("docker image inspect: the size is not a number: {e}"))?;
    Ok(Image { tag, size })
}

/// `cargo build --profile <profile>` for [`MUSL_TARGET`] (both profiles let panics unwind, so
/// one bad request cannot stop the process), statically linked.
fn musl_binary(profile: Profile) -> Result<PathBuf> {
    let profile = profile.name();
    step(&format!(
        "building the server for {MUSL_TARGET} (profile {profile}; the first build takes minutes)"
    ));
    run(&mut musl_build(profile))?;
    let binary = target_dir()
        .join(MUSL_TARGET)
        .join(profile)
        .join("referrer-dashboard-server");
    if !binary.is_file() {
        return fail(format!("the build left no {}", binary.display()));
    }
    Ok(binary)
}

/// The cargo command that builds the image's binary with `profile`.
fn musl_build(profile: &str) -> std::process::Command {
    let mut command = cmd(&cargo());
    command
        .args(["build", "--profile", profile, "--target", MUSL_TARGET])
        .args(["--package", "referrer-dashboard-server"])
        // The cc crate's compiler for the C of ring and SQLite (from musl-tools).
        .env("CC_x86_64_unknown_linux_musl", "musl-gcc");
    command
}

/// The test stage's build of the image's binary, started after the lint stage at the lowest CPU
/// priority: the stages between leave part of two cores idle (tests waiting on servers and
/// browsers, the widget's single-threaded LTO), and the musl build of every dependency is most
/// of the image stage. Its output goes to `target/image/prebuild.log`; the image stage then runs
/// the same build in the foreground, which finds it done (or, if this one failed, fails itself
/// with cargo's own message). Cargo locks each target and profile's folder on its own, so the
/// other stages' builds never wait for it.
pub struct Prebuild(std::process::Child);

impl Prebuild {
    /// Starts the build, or says why not (the image stage then builds in the foreground).
    pub fn start() -> Option<Prebuild> {
        let attempt = || -> Result<Prebuild> {
            tools::ensure_image_tools()?;
            let dir = root().join("target/image");
            std::fs::create_dir_all(&dir)?;
            let log = std::fs::File::create(dir.join("prebuild.log"))?;
            let build = musl_build(Profile::Test.name());
            let mut niced = cmd("nice");
            niced
                .args(["-n", "19"])
                .arg(build.get_program())
                .args(build.get_args())
                .envs(build.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .stdin(std::process::Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log);
            Ok(Prebuild(niced.spawn()?))
        };
        match attempt() {
            Ok(prebuild) => {
                step("the image's server binary: building in the background, at low priority");
                Some(prebuild)
            }
            Err(e) => {
                eprintln!("(the image's binary is built in its own stage: {e})");
                None
            }
        }
    }

    /// Waits for the build to end (its outcome is the foreground build's to report).
    pub fn finish(mut self) {
        step("the image's server binary: waiting for the background build");
        match self.0.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => eprintln!(
                "(the background build ended with {status}; see target/image/prebuild.log)"
            ),
            Err(e) => eprintln!("(the background build could not be waited for: {e})"),
        }
    }
}

/// A run that fails before the image stage stops the build with it.
impl Drop for Prebuild {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `target/image/context/`, holding exactly what the Dockerfile copies: the Dockerfile, the
/// binary, the CA bundle ([`ca_bundle`]) and an empty `data/`. Made anew each time, so nothing stale is sent.
fn context(binary: &std::path::Path) -> Result<PathBuf> {
    let context = root().join("target/image/context");
    if context.exists() {
        std::fs::remove_dir_all(&context)?;
    }
    std::fs::create_dir_all(context.join("data"))?;
    std::fs::copy(root().join("Dockerfile"), context.join("Dockerfile"))?;
    let copy = context.join("referrer-dashboard-server");
    std::fs::copy(binary, &copy)?;
    // Its symbol table (4 of 22 MB): panics still say where, from their own messages.
    run(cmd("strip").arg(&copy))?;
    std::fs::write(context.join("ca-certificates.crt"), ca_bundle()?)?;
    Ok(context)
}

/// Debian's copy of Mozilla's roots, as shipped by `ca-certificates`. Not the machine's
/// `/etc/ssl/certs/ca-certificates.crt`: that one also holds the CAs this machine's owner added
/// (`/usr/local/share/ca-certificates/`, an intercepting proxy's, a company's), which an image
/// made here must not make every deployment trust.
fn ca_bundle() -> Result<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(MOZILLA_ROOTS)
        .map_err(|e| format!("cannot read {MOZILLA_ROOTS} (Debian's ca-certificates): {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "crt"))
        .collect();
    files.sort();
    if files.len() < 100 {
        return fail(format!(
            "only {} roots in {MOZILLA_ROOTS}; reinstall ca-certificates",
            files.len()
        ));
    }
    let mut bundle = String::new();
    for file in files {
        bundle.push_str(std::fs::read_to_string(&file)?.trim_end());
        bundle.push('\n');
    }
    Ok(bundle)
}

/// Where Debian's `ca-certificates` keeps Mozilla's roots, one PEM file each.
pub const MOZILLA_ROOTS: &str = "/usr/share/ca-certificates/mozilla";

/// Cargo's target folder: `CARGO_TARGET_DIR`, else `target/` of the repository.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        })
        .unwrap_or_else(|| root().join("target"))
}

/// `bytes` as megabytes with one decimal, the way `docker images` counts (10^6).
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
