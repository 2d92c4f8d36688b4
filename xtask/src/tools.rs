//! Installs what a fresh machine lacks, saying what and why, or fails with what to do.

use std::path::Path;
use std::process::Command;

use crate::{Result, fail, root, run, step};

/// The wasm target, wasm-pack and the exact wasm-bindgen-cli, and the npm tools.
pub fn ensure_build_tools() -> Result<()> {
    ensure_wasm_target()?;
    ensure_cargo_tool(
        "wasm-pack",
        None,
        "builds the widget into an npm-style package",
    )?;
    let version = locked_version("wasm-bindgen")?;
    ensure_cargo_tool(
        "wasm-bindgen",
        Some(&version),
        "generates the JS bindings; must match the wasm-bindgen crate in Cargo.lock exactly",
    )?;
    ensure_npm_packages()
}

/// Debian's Chromium and ChromeDriver, for the browser tests.
pub fn ensure_browser() -> Result<()> {
    ensure_debian(
        &[
            ("chromium", "/usr/bin/chromium"),
            ("chromium-driver", "/usr/bin/chromedriver"),
        ],
        "the browser tests run in real headless Chromium",
    )
}

/// The other two engines of SPEC §4 for the cross-engine tests: Debian's Firefox ESR (driven by
/// Puppeteer over WebDriver BiDi) and WebKitGTK's WebDriver with its MiniBrowser, which needs a
/// display: Xvfb, through `xvfb-run` (which needs `xauth`).
pub fn ensure_engines() -> Result<()> {
    // Debian's multiarch folder: x86_64-linux-gnu, aarch64-linux-gnu.
    let mini_browser = format!(
        "/usr/lib/{}-linux-gnu/webkit2gtk-4.1/MiniBrowser",
        std::env::consts::ARCH
    );
    ensure_debian(
        &[
            ("firefox-esr", "/usr/bin/firefox-esr"),
            ("webkit2gtk-driver", "/usr/bin/WebKitWebDriver"),
            ("libwebkit2gtk-4.1-0", &mini_browser),
            ("xvfb", "/usr/bin/xvfb-run"),
            ("xauth", "/usr/bin/xauth"),
        ],
        "the cross-engine tests run real Firefox ESR and WebKitGTK",
    )
}

/// The Debian `packages` (each named with a file it installs) that are missing, installed with
/// apt-get when running as root; otherwise an error giving the command to run.
fn ensure_debian(packages: &[(&str, &str)], why: &str) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, path)| !Path::new(path).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return fail(format!(
            "{why}; missing: {}. Run as root so `cargo xtask test` can install them, or run: \
             sudo apt-get install -y --no-install-recommends {}",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    step(&format!(
        "installing {} with apt-get ({why})",
        missing.join(", ")
    ));
    let apt = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut command)
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)
}

/// Debian's Redis and PostgreSQL, for the tests of several instances sharing state: the tests
/// start servers of their own (on free loopback ports, in temporary directories), so nothing
/// here starts or configures a service.
pub fn ensure_databases() -> Result<()> {
    ensure_debian(
        &[
            ("redis-server", "/usr/bin/redis-server"),
            ("postgresql", "/usr/lib/postgresql"),
        ],
        "the server's tests of several instances run real Redis and PostgreSQL servers",
    )
}

/// A cargo-installed tool of any version (benchmarks only).
pub fn ensure_cargo_tool_any(tool: &str, why: &str) -> Result<()> {
    ensure_cargo_tool(tool, None, why)
}

/// A Debian package providing `path`, installed with apt-get when running as root.
pub fn ensure_apt(package: &str, path: &str, why: &str) -> Result<()> {
    ensure_debian(&[(package, path)], why)
}

/// What building the container image needs: Debian's Docker (`docker.io`: the engine and its
/// CLI, and `docker-compose` to read compose.yaml), musl-gcc (`musl-tools`: ring and the bundled SQLite compile C for the static binary),
/// Mozilla's CA roots the image carries (`ca-certificates`), and the musl target.
pub fn ensure_image_tools() -> Result<()> {
    ensure_debian(
        &[
            ("docker.io", "/usr/sbin/dockerd"),
            ("musl-tools", "/usr/bin/musl-gcc"),
            ("ca-certificates", crate::image::MOZILLA_ROOTS),
            // Compose v1, Debian's: the image stage has it read compose.yaml when the docker
            // CLI has no compose plugin (docker.io's has none).
            ("docker-compose", "/usr/bin/docker-compose"),
        ],
        "the container image is a static musl build of the server, built and run with Docker",
    )?;
    ensure_target(
        crate::image::MUSL_TARGET,
        "the container image's server binary is linked statically against musl",
    )
}

fn ensure_wasm_target() -> Result<()> {
    ensure_target(
        "wasm32-unknown-unknown",
        "the widget compiles to WebAssembly",
    )
}

/// The rustup target `target`, added when missing.
fn ensure_target(target: &str, why: &str) -> Result<()> {
    let output = crate::cmd("rustup")
        .args(["target", "list", "--installed"])
        .output();
    let installed = match output {
        Ok(out) => String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == target),
        Err(_) => {
            return fail("rustup is not on PATH; install Rust with rustup (https://rustup.rs)");
        }
    };
    if !installed {
        step(&format!("installing the {target} target ({why})"));
        run(crate::cmd("rustup").args(["target", "add", target]))?;
    }
    Ok(())
}

/// Installs `tool` with `cargo install` unless a binary of that name (and version) is on PATH.
fn ensure_cargo_tool(tool: &str, version: Option<&str>, why: &str) -> Result<()> {
    let found = crate::cmd(tool)
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    let ok = match (&found, version) {
        (Some(text), Some(version)) => text.split_whitespace().any(|word| word == version),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if ok {
        return Ok(());
    }
    let package = if tool == "wasm-bindgen" {
        "wasm-bindgen-cli"
    } else {
        tool
    };
    match version {
        Some(v) => step(&format!(
            "installing {package} {v} with cargo install ({why}); this takes a few minutes once"
        )),
        None => step(&format!(
            "installing {package} with cargo install ({why}); this takes a few minutes once"
        )),
    }
    let mut command = crate::cmd(&crate::cargo());
    command.args(["install", package]);
    if let Some(v) = version {
        // Without --locked: its lockfile pins crates the registry index here lacks.
        command.args(["--version", v]);
    }
    run(&mut command)
}

/// `npm install` (pinned by package-lock.json) when `node_modules` is missing or older than
/// the lockfile. Not `npm ci`: npm records rollup's other-platform optional packages without a
/// resolution here, and `npm ci` then refuses its own lockfile.
fn ensure_npm_packages() -> Result<()> {
    if crate::cmd("npm").arg("--version").output().is_err() {
        return fail(
            "npm is not on PATH; install Node.js 20 or newer (it provides wasm-opt and the browser-test tools)",
        );
    }
    let root = root();
    let marker = root.join("node_modules/.package-lock.json");
    let lock = root.join("package-lock.json");
    let stale = match (std::fs::metadata(&marker), std::fs::metadata(&lock)) {
        (Ok(m), Ok(l)) => match (m.modified(), l.modified()) {
            (Ok(m), Ok(l)) => m < l,
            _ => true,
        },
        _ => true,
    };
    if stale {
        step(
            "installing npm packages (wasm-opt, playwright-core, axe-core, Vite and the example frameworks)",
        );
        run(crate::cmd("npm").args(["install", "--no-audit", "--no-fund", "--prefer-offline"]))?;
    }
    Ok(())
}

/// The version of `package` in Cargo.lock.
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    Err(format!("{package} is not in Cargo.lock").into())
}

/// Whether xtask runs as root (and so may install packages and start a Docker engine).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
