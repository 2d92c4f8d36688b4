//! The commands: demo, test, dist, bench, surface, screenshots (and the image, in [`crate::image`]).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::toolchain::Toolchain;
use crate::{Result, build, cargo, cmd, root, run, step, surface, tools};

/// The server binary the demo and the end-to-end tests run.
fn server_binary() -> PathBuf {
    root().join("target/debug/referrer-dashboard-server")
}

fn build_server() -> Result<()> {
    step("building the server");
    run(cmd(&cargo()).args(["build", "--package", "referrer-dashboard-server"]))
}

/// `cargo xtask dist [--stable]`: with the size toolchain unless `--stable`.
pub fn dist(toolchain: Toolchain) -> Result<PathBuf> {
    tools::ensure_build_tools()?;
    build::widget(toolchain)?;
    let dir = build::npm_package()?;
    let cdn = build::cdn()?;
    eprintln!("\nnpm package:      {}", dir.display());
    eprintln!("script-tag files: {}", build::cdn_dir().display());
    for file in &cdn.files {
        eprintln!("  {:<36} {}", file.name, file.integrity);
    }
    eprintln!(
        "\nthe script tag (`html` in manifest.json; its src is relative to the folder unless \
         CDN_BASE_URL, the folder's URL, was set), on stdout:\n"
    );
    println!("{}", cdn.html);
    eprintln!(
        "\n(serve the .wasm as application/wasm; the tag checks the JS, the JS checks the wasm)"
    );
    Ok(dir)
}

/// `cargo xtask demo`.
///
/// Built with stable Rust, as the tests are: the demo must work without the nightly.
pub fn demo() -> Result<()> {
    let package = dist(Toolchain::Stable)?;
    let site = build::site()?;
    build_server()?;
    let db_dir = root().join("target/demo");
    std::fs::create_dir_all(&db_dir)?;
    let mut server = cmd(server_binary().to_string_lossy().as_ref());
    server
        .env("DASHBOARD_SITE_DIR", &site)
        .env("DASHBOARD_PACKAGE_DIR", &package)
        .env("DASHBOARD_CDN_DIR", build::cdn_dir());
    let has_key = ["REFERRAL_FACTORY_API_KEY", "REFERRAL_FACTORY_API_KEY_FILE"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if !has_key {
        // No key: the built-in sandbox and its demo identities (the server runs it only when
        // asked). Its mapping lives as long as the sandbox's accounts do: in memory.
        server.env("DASHBOARD_SANDBOX", "true");
    } else if std::env::var_os("DASHBOARD_DB").is_none() {
        server.env("DASHBOARD_DB", db_dir.join("referrer-dashboard.sqlite3"));
    }
    // The server-rendered examples sign their users' tokens with the secret the server checks:
    // the host's own when it set one (it must, with a key), else one made for this run.
    let secret = std::env::var("DASHBOARD_JWT_SECRET").unwrap_or_else(|_| demo_secret());
    server.env("DASHBOARD_JWT_SECRET", &secret);
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let _examples = ExampleServers::start(port, &secret)?;
    step("serving the demo (ctrl-c stops it)");
    run(&mut server)
}

/// A secret for this demo run alone (64 hex digits): the time and the process id, hashed.
fn demo_secret() -> String {
    use sha2::{Digest, Sha256};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!("{nanos}:{}", std::process::id());
    Sha256::digest(seed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The server-rendered examples beside the demo, as their frameworks serve them: Next.js
/// (`next start`) at the demo's port + 1 and SvelteKit (`node build`) at + 2, each passing the
/// session endpoint through to the demo server. Stopped with the demo.
struct ExampleServers(Vec<std::process::Child>);

impl ExampleServers {
    fn start(port: u16, secret: &str) -> Result<Self> {
        let backend = format!("http://127.0.0.1:{port}");
        let (next_port, kit_port) = (port.saturating_add(1), port.saturating_add(2));
        let next = root().join("node_modules/next/dist/bin/next");
        let next_args = [
            next.to_string_lossy().into_owned(),
            "start".to_owned(),
            "-H".to_owned(),
            "127.0.0.1".to_owned(),
            "-p".to_owned(),
            next_port.to_string(),
        ];
        let mut servers = Self(Vec::new());
        for (name, folder, args, example_port) in [
            ("Next.js 16", "next", next_args.to_vec(), next_port),
            (
                "SvelteKit 2",
                "sveltekit",
                vec!["build".to_owned()],
                kit_port,
            ),
        ] {
            let child = cmd("node")
                .args(&args)
                .current_dir(build::examples_dir().join(folder))
                .env("HOST", "127.0.0.1")
                .env("PORT", example_port.to_string())
                .env("NODE_ENV", "production")
                .env("NEXT_TELEMETRY_DISABLED", "1")
                .env("DASHBOARD_BACKEND_URL", &backend)
                .env("DASHBOARD_JWT_SECRET", secret)
                .stdout(std::process::Stdio::null())
                .spawn()
                .map_err(|e| format!("could not start the {name} example: {e}"))?;
            servers.0.push(child);
            eprintln!("{name} example (server-rendered): http://127.0.0.1:{example_port}/");
        }
        Ok(servers)
    }
}

impl Drop for ExampleServers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The size budget: the widget's transfer size (gzip, all runtime files) may not exceed this.
/// It holds the build the tests run, stable Rust (109.3 KB since Yew's small maps became lists;
/// 110.9 before, 112.3 after the first Yew and serde-wasm-bindgen patches; 122.5 since the stylesheet is the loader's alone, 124.0 before, 128.3 before the
/// non-English catalogues left the wasm, 116.3 before issue 25 added the rewards), with a margin
/// of 1 KB;
/// the size toolchain's build (`cargo xtask dist`) is smaller still. Lowered as the widget
/// shrinks (BENCHMARKS.md).
pub const SIZE_BUDGET_KB: &str = "110.3";

fn size_table(budget: Option<&str>) -> Result<()> {
    let mut node = cmd("node");
    node.arg("benches/size.mjs").arg(build::npm_dir());
    node.arg("--css").arg(build::minified_css()?);
    if let Some(budget) = budget {
        node.args(["--budget", budget]);
    }
    run(&mut node)
}

/// `cargo xtask bench [--stable]`: size, browser and server benchmarks of the widget built as
/// `cargo xtask dist` builds it (the size toolchain unless `--stable`); results in
/// `target/bench/`.
pub fn bench(toolchain: Toolchain) -> Result<()> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_cargo_tool_any("twiggy", "lists what takes space in the wasm")?;
    tools::ensure_databases()?;
    tools::ensure_apt(
        "wrk",
        "/usr/bin/wrk",
        "the load generator of the server benchmark",
    )?;
    build::widget(toolchain)?;
    build::npm_package()?;
    step(&format!(
        "size ({toolchain:?} toolchain): raw, gzip -9, brotli -11 (the budget holds the stable build)"
    ));
    size_table(Some(SIZE_BUDGET_KB))?;
    step("size: the largest items of the wasm (twiggy, names kept through wasm-opt -g)");
    build::twiggy_top(20, toolchain)?;
    step("browser: render, scaling, Show more, mount/unmount cycles (headless Chromium)");
    run(cmd("node")
        .args(["benches/browser.mjs"])
        .arg(build::npm_dir()))?;
    step("server: building with the server profile (opt-level 3)");
    run(cmd(&cargo()).args([
        "build",
        "--profile",
        "server",
        "--package",
        "referrer-dashboard-server",
    ]))?;
    for (bench, what) in [
        (
            "cache",
            "the session cache's cost per request with 1,000 and 100,000 cached users",
        ),
        (
            "dialects",
            "upstream calls per case in the best and the worst platform dialect",
        ),
        (
            "webhooks",
            "upstream calls and event-to-screen delay for 100 watching users, without and with webhooks",
        ),
        (
            "rewards",
            "upstream calls per case with rewards: one, two and three reward metrics, and rewards off",
        ),
    ] {
        step(&["server: ", what].concat());
        run(cmd(&cargo()).args([
            "bench",
            "--package",
            "referrer-dashboard-server",
            "--bench",
            bench,
        ]))?;
    }
    step(
        "server: throughput under wrk (in-process and Redis), new-user storm on one and three instances, returning users",
    );
    run(cmd("node")
        .args(["benches/server.mjs"])
        .arg(root().join("target/server/referrer-dashboard-server")))?;
    eprintln!("\nresults in target/bench/ (see BENCHMARKS.md for the last recorded figures)");
    Ok(())
}

/// `node`, told where the server binary, the package, the CDN files and the site are.
fn node_with_builds() -> Command {
    let mut node = cmd("node");
    node.env("RD_SERVER_BIN", server_binary())
        .env("RD_PACKAGE_DIR", build::npm_dir())
        .env("RD_CDN_DIR", build::cdn_dir())
        .env("RD_SITE_DIR", build::site_dir())
        .env("RD_EXAMPLES_DIR", build::examples_dir());
    node
}

/// `cargo xtask screenshots`: the widget as a person sees it, written to `target/screenshots/`
/// (the tests assert what these pictures show; the pictures are for looking at).
pub fn screenshots() -> Result<()> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    dist(Toolchain::Stable)?;
    build::site()?;
    build_server()?;
    step("screenshots in headless Chromium");
    let dir = root().join("target/screenshots");
    let mut node = node_with_builds();
    node.arg("tests/screenshots.mjs").arg(&dir);
    run(&mut node)?;
    eprintln!("\nscreenshots in {}", dir.display());
    Ok(())
}

/// `cargo xtask surface`.
pub fn surface() -> Result<()> {
    step("writing src/surface.rs into the manifest, types, loader and README/site tables");
    let changed = surface::write()?;
    if changed.is_empty() {
        eprintln!("everything was current");
    }
    for path in changed {
        eprintln!("  wrote {path}");
    }
    Ok(())
}

/// A stage of `cargo xtask test`, runnable alone (`cargo xtask test <stage>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The generated surface, rustfmt, clippy for the host and for wasm32. Clippy is the
    /// compiler of the workspace's crates in every build of the test stages, so this stage
    /// compiles what the host and wasm stages then run, and a lint fails those stages too.
    Lint,
    /// Host unit tests of every crate and the server's tests (real SQLite, PostgreSQL, Redis).
    Host,
    /// The widget, package, size budget, CDN files and site built; wasm tests in Chromium.
    Wasm,
    /// End-to-end tests in headless Chromium against the built package and the server.
    E2e,
    /// The checks that matter to a user in Chromium, Firefox ESR and WebKitGTK, one engine after
    /// another (tests/engines/).
    Engines,
    /// The container image built from the Dockerfile and run as production would: probes,
    /// metrics, a session, non-root, read-only root filesystem, its size (see [`crate::image`]).
    Image,
}

impl Stage {
    /// Every stage, in the order a full run takes them.
    pub const ALL: [Stage; 6] = [
        Stage::Lint,
        Stage::Host,
        Stage::Wasm,
        Stage::E2e,
        Stage::Engines,
        Stage::Image,
    ];

    /// The stage a command-line word names.
    ///
    /// # Errors
    /// When `word` names no stage.
    pub fn parse(word: &str) -> Result<Stage> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.name() == word)
            .ok_or_else(|| {
                let names: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
                format!("unknown test stage '{word}' (one of: {})", names.join(", ")).into()
            })
    }

    /// The word that names the stage.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Lint => "lint",
            Stage::Host => "host",
            Stage::Wasm => "wasm",
            Stage::E2e => "e2e",
            Stage::Engines => "engines",
            Stage::Image => "image",
        }
    }
}

/// `cargo xtask test [stage...]`: the stages named, or all of them.
pub fn test(args: &[String]) -> Result<()> {
    let stages: Vec<Stage> = if args.is_empty() {
        Stage::ALL.to_vec()
    } else {
        args.iter()
            .map(|a| Stage::parse(a))
            .collect::<Result<_>>()?
    };
    tools::ensure_build_tools()?;
    if stages
        .iter()
        .any(|s| matches!(s, Stage::Wasm | Stage::E2e | Stage::Engines))
    {
        tools::ensure_browser()?;
    }
    if stages.contains(&Stage::Engines) {
        tools::ensure_engines()?;
    }
    if stages.contains(&Stage::Host) {
        tools::ensure_databases()?;
    }
    let mut timings = Vec::new();
    // The widget, package, CDN files and site are built once, by the first stage that needs them.
    let mut built = false;
    let mut server_built = false;
    let mut prebuild = None;
    let prebuild_image = stages.contains(&Stage::Image);
    for stage in stages {
        let started = Instant::now();
        // After the lint stage, whose builds use both cores: every later stage leaves some idle.
        if prebuild_image && prebuild.is_none() && !matches!(stage, Stage::Lint | Stage::Image) {
            prebuild = crate::image::Prebuild::start();
        }
        match stage {
            Stage::Lint => lint()?,
            Stage::Host => {
                step("host unit tests and server tests");
                run(clippy_compiles(&mut cmd(&cargo())).args(HOST_TESTS))?;
            }
            Stage::Wasm => {
                build_for_tests(&mut built)?;
                step("wasm-bindgen tests in headless Chromium");
                run(clippy_compiles(&mut cmd("wasm-pack")).args([
                    "test",
                    "--headless",
                    "--chrome",
                    "--chromedriver",
                    "/usr/bin/chromedriver",
                    "--mode",
                    "no-install",
                ]))?;
            }
            Stage::E2e => {
                build_for_tests(&mut built)?;
                server_for_tests(&mut server_built)?;
                step("end-to-end tests in headless Chromium");
                run_node_tests("tests/e2e")?;
            }
            Stage::Engines => {
                build_for_tests(&mut built)?;
                server_for_tests(&mut server_built)?;
                step("cross-engine tests: Chromium, Firefox ESR, WebKitGTK (one after another)");
                run_node_tests("tests/engines")?;
            }
            Stage::Image => {
                if let Some(prebuild) = prebuild.take() {
                    prebuild.finish();
                }
                crate::image::test()?
            }
        }
        timings.push((stage.name(), started.elapsed()));
    }
    eprintln!("\nsuite timings:");
    for (name, took) in timings {
        eprintln!("  {name:<8} {took:>8.1?}");
    }
    Ok(())
}

/// The server binary of the host stage, not a second build: `cargo build` alone would resolve
/// other features (no dev-dependencies) and rebuild much of it.
fn server_for_tests(built: &mut bool) -> Result<()> {
    if *built {
        return Ok(());
    }
    step("the server binary (as the host stage built it)");
    let mut no_run = HOST_TESTS.to_vec();
    no_run.push("--no-run");
    run(clippy_compiles(&mut cmd(&cargo())).args(no_run))?;
    *built = true;
    Ok(())
}

/// `node --test` on every `*.test.mjs` of `dir`, told where the builds are. A file that has not
/// finished after [`NODE_TEST_FILE_TIMEOUT_MS`] fails (named, "test timed out") instead of
/// holding the run until CI's own limit: a hang is a bug to see, not to wait out.
///
/// Two files at a time, whatever the machine: Node's default (one less than the cores) runs them
/// one by one on two cores, while much of a browser test is waiting (on the browser, a server, a
/// timer the test set): two at once took the e2e files from 380 to 272 s on two cores. Every file
/// starts its own servers and browser on free ports and temporary folders, so they never share.
fn run_node_tests(dir: &str) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    let mut node = node_with_builds();
    node.args(["--test", "--test-reporter=spec"])
        .arg(format!("--test-timeout={NODE_TEST_FILE_TIMEOUT_MS}"))
        .arg("--test-concurrency=2")
        .args(&files);
    run(&mut node)
}

/// How long one test file may run (Node 20 applies `--test-timeout` to each file's process):
/// twice what the whole e2e stage, all 23 files, usually takes.
const NODE_TEST_FILE_TIMEOUT_MS: u32 = 600_000;

/// The host stage's cargo arguments (the e2e stage reuses them so the binary is the same build).
const HOST_TESTS: [&str; 2] = ["test", "--workspace"];

/// The widget, npm package (within the size budget), CDN files and site, once per run.
fn build_for_tests(built: &mut bool) -> Result<()> {
    if *built {
        return Ok(());
    }
    // Stable, so that no test depends on the nightly size toolchain.
    build::widget(Toolchain::Stable)?;
    build::npm_package()?;
    step("size budget");
    size_table(Some(SIZE_BUDGET_KB))?;
    build::cdn()?;
    build::site()?;
    *built = true;
    Ok(())
}

fn lint() -> Result<()> {
    step("lint: the generated surface is current (cargo xtask surface)");
    surface::check()?;
    step("lint: rustfmt");
    run(cmd(&cargo()).args(["fmt", "--all", "--", "--check"]))?;
    step("lint: clippy (host), compiling every target the host stage runs");
    let mut host = HOST_TESTS.to_vec();
    host.extend(["--all-targets", "--no-run"]);
    run(clippy_compiles(&mut cmd(&cargo())).args(host))?;
    step("lint: clippy (wasm32), compiling the widget's wasm tests");
    run(clippy_compiles(&mut cmd(&cargo())).args([
        "test",
        "--package",
        "referrer-dashboard",
        "--target",
        "wasm32-unknown-unknown",
        "--no-run",
    ]))
}

/// Clippy as the compiler of the workspace's own crates (what `cargo clippy` sets up, with
/// `-D warnings`), for every build the test stages make: the lint then costs no compile of its
/// own, and the host, wasm and e2e stages reuse the lint stage's builds, since the wrapper is
/// part of what cargo compares. Dependencies are compiled by rustc as always.
fn clippy_compiles(command: &mut Command) -> &mut Command {
    command.env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()).env(
        "CLIPPY_ARGS",
        "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
    )
}

/// The toolchain's `clippy-driver`, beside the cargo that runs xtask (rustup's proxy on PATH
/// when that cargo is not a path).
fn clippy_driver() -> PathBuf {
    let cargo = PathBuf::from(cargo());
    match cargo.parent() {
        Some(dir) if cargo.is_absolute() => dir.join("clippy-driver"),
        _ => PathBuf::from("clippy-driver"),
    }
}
