//! `cargo xtask`: the project's commands.
//!
//! - `demo`: build the widget and serve the demo at http://127.0.0.1:8080 (`PORT` overrides),
//!   with the server-rendered Next.js and SvelteKit examples at the port + 1 and + 2.
//! - `test [stage...]`: lint and run every test suite (host, wasm in Chromium, server,
//!   end-to-end, the three engines), or only the stages named (`lint`, `host`, `wasm`, `e2e`,
//!   `engines`, `image`).
//! - `dist [--stable]`: write the npm package to `target/dist/npm/` and script-tag files to
//!   `target/dist/cdn/`, built with the pinned nightly size toolchain unless `--stable`.
//! - `bench [--stable]`: size, browser and server benchmarks (see `BENCHMARKS.md`).
//! - `surface`: write the public surface of `src/surface.rs` into every file that states it.
//! - `screenshots`: PNGs of the widget in its states to `target/screenshots/`, for a person.
//! - `image`: the server's container image (the `Dockerfile`, FROM scratch over a static musl
//!   build), saved to `target/image/`.
//!
//! Each installs what a fresh machine lacks first (see [`tools`]).
//!
//! # Layout
//! - `tools`: installing the wasm target, wasm-pack, wasm-bindgen-cli, npm packages, Chromium,
//!   Firefox ESR and WebKitGTK.
//! - `build`: building the widget and assembling the package.
//! - `css`: the widget's stylesheet, minified for the loader.
//! - `image`: the container image, a Docker engine to build it with, and the image stage.
//! - `toolchain`: stable or the pinned nightly size toolchain, and installing the latter.
//! - `surface`: the generated surface (manifest, types, loader lists, README and site tables).
//! - `tasks`: the commands themselves.

mod build;
mod css;
mod image;
mod surface;
mod tasks;
mod toolchain;
mod tools;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use toolchain::Toolchain;

/// Errors are messages for the person at the terminal.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "usage: cargo xtask <demo|test|dist|bench|surface|screenshots|image>

  demo         build the widget and serve the demo at http://127.0.0.1:8080 (PORT overrides),
               the Next.js and SvelteKit examples at PORT+1 and PORT+2
  test [stage] lint and run every test suite, or the stages named: lint, host (host and
               server tests), wasm (wasm tests in Chromium), e2e (end-to-end), engines (the
               user's checks in Chromium, Firefox ESR and WebKitGTK), image (the container
               image built and run: probes, a session, non-root, read-only root, size)
  dist [--stable]
               write the npm package to target/dist/npm/ and script-tag files to target/dist/cdn/,
               built with the pinned nightly size toolchain (installed with rustup when missing),
               or with stable Rust (as the tests build it) with --stable
  bench [--stable]
               size, browser and server benchmarks of the dist build (results in target/bench/,
               figures in BENCHMARKS.md)
  surface      write src/surface.rs into the manifest, types, loader and README/site tables
  screenshots  PNGs of the widget in its states and themes to target/screenshots/
  image        the server's container image from the Dockerfile (a static musl build, FROM
               scratch), saved to target/image/; installs docker.io and musl-tools and starts
               a dockerd of its own when none answers (as root)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("demo") => tasks::demo(),
        Some("test") => tasks::test(&args[1..]),
        Some("dist") => tasks::dist(Toolchain::from_args(&args[1..])).map(|_| ()),
        Some("bench") => tasks::bench(Toolchain::from_args(&args[1..])),
        Some("surface") => tasks::surface(),
        Some("screenshots") => tasks::screenshots(),
        Some("image") => image::image(),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command '{other}'\n\n{USAGE}").into()),
    };
    match result {
        Ok(()) => {
            eprintln!("\nxtask: done in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("\nxtask: error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The cargo that runs us.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// A command whose PATH also holds npm's binaries (wasm-opt) and cargo's (wasm-pack,
/// wasm-bindgen), whether or not the caller's PATH has them.
pub fn cmd(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env("PATH", path());
    command.current_dir(root());
    command
}

fn path() -> String {
    let cargo_bin = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|p| p.join("bin"))
        .unwrap_or_default();
    let mut parts = vec![root().join("node_modules/.bin"), cargo_bin];
    parts.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(parts)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs a command to completion, failing with its description if it fails.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("could not start {:?}: {e}", command.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(command)).into())
    }
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Announces a step.
pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Fails with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(message.into().into())
}
