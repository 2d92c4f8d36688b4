//! The two toolchains the widget is built with: stable (CI, `cargo xtask test`, the demo, and
//! `cargo xtask dist --stable`) and the pinned nightly size toolchain (`cargo xtask dist` and
//! `cargo xtask bench` by default).
//!
//! Why a nightly: the standard library ships precompiled for speed, with unwinding, panic
//! messages, source locations and `Debug` formatting. Rebuilt for the widget (`-Zbuild-std`)
//! with `optimize_for_size`, an abort that runs no panic machinery at all
//! (`-Cpanic=immediate-abort`), and no location or `Debug` text (`-Zlocation-detail=none`,
//! `-Zfmt-debug=none`), the same code is about 12 KB gzip smaller (BENCHMARKS.md). A panic
//! then traps at once without a hook; the loader reports the trap (`pkg-template/element.js`).
//!
//! Two more flags only this build can take (BENCHMARKS.md, "the last 3.5 KB"):
//! - `-Ctarget-feature=-reference-types`: wasm-bindgen keeps JS values in its glue's table
//!   instead of a wasm `externref` table, which takes 1.5 KB gzip off the wasm and adds 0.27 KB
//!   to the glue. It needs every object of the wasm compiled without the feature, the standard
//!   library too: on stable, whose precompiled library has it, wasm-bindgen refuses the mix.
//! - `-Zmir-opt-level=3`: rustc's MIR optimisations at the level of "all non-experimental ones"
//!   (2 is the default), 0.6 KB gzip and 1.4 KB brotli smaller. The experimental passes stay off
//!   (they are behind `-Zunsound-mir-opts`); the e2e and cross-engine suites were run against
//!   this build when the flag was added, and the compiler is pinned, so the same source gives the
//!   same wasm.
//!
//! Nothing depends on it: every test runs the stable build, and `--stable` builds the package
//! without it.

use std::process::Command;

use crate::{Result, cmd, fail, run, step};

/// The pinned nightly: rustup's channel of that date (rustc 1.97.0-nightly e50aa6fba,
/// 2026-05-19). A date, so that a build is the same build next month: nightly flags change.
pub const NIGHTLY: &str = "nightly-2026-05-20";

/// The pinned nightly's rustc commit: a toolchain installed as plain `nightly` that has this
/// commit is the pinned one and is used as it is (no second download).
const NIGHTLY_COMMIT: &str = "e50aa6fba4e63ab34c72bf9acfd2c307c1155d1a";

/// Where the size build puts its artefacts: its standard library is its own, so it must not
/// share (and invalidate) the stable build's `target/wasm32-unknown-unknown/`.
pub const SIZE_TARGET_DIR: &str = "target/size-toolchain";

/// Which toolchain builds the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toolchain {
    /// The repository's stable Rust, with the standard library as shipped.
    Stable,
    /// The pinned nightly with build-std and the size flags.
    Size,
}

impl Toolchain {
    /// `--stable` among `args` chooses the stable build, else the size toolchain.
    pub fn from_args(args: &[String]) -> Self {
        if args.iter().any(|a| a == "--stable") {
            Toolchain::Stable
        } else {
            Toolchain::Size
        }
    }

    /// The cargo target folder of its wasm builds.
    pub fn target_dir(self) -> std::path::PathBuf {
        match self {
            Toolchain::Stable => crate::root().join("target"),
            Toolchain::Size => crate::root().join(SIZE_TARGET_DIR),
        }
    }

    /// `command` (wasm-pack, cargo) set up to build with this toolchain. For [`Toolchain::Size`],
    /// run [`ensure_size_toolchain`] first; its result is the toolchain's rustup name.
    pub fn apply(self, command: &mut Command, nightly: &str) {
        if self == Toolchain::Stable {
            return;
        }
        command
            .env("RUSTUP_TOOLCHAIN", nightly)
            .env("CARGO_TARGET_DIR", self.target_dir())
            // The standard library compiled with the widget (panic_abort: the only panic
            // runtime immediate-abort needs), for size.
            .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
            .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
            .env(
                "RUSTFLAGS",
                "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types -Zmir-opt-level=3",
            );
    }
}

/// The pinned nightly with `rust-src` (build-std compiles it) and the wasm32 target (wasm-pack
/// checks for it), installed with rustup when missing; returns the name to run it by.
///
/// # Errors
/// When rustup cannot install it (offline): `--stable` builds without it.
pub fn ensure_size_toolchain() -> Result<String> {
    let commit = |name: &str| -> Option<String> {
        let out = cmd("rustc")
            .args([&["+", name].concat(), "-vV"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        out.status.success().then(|| {
            text.lines()
                .find_map(|l| l.strip_prefix("commit-hash: "))
                .unwrap_or_default()
                .to_owned()
        })
    };
    let name = if commit(NIGHTLY).is_some() {
        NIGHTLY
    } else if commit("nightly").as_deref() == Some(NIGHTLY_COMMIT) {
        "nightly"
    } else {
        step(&format!(
            "installing {NIGHTLY} with rustup (the size toolchain; `cargo xtask dist --stable` builds without it)"
        ));
        rustup(&["toolchain", "install", NIGHTLY, "--profile", "minimal"])?;
        NIGHTLY
    };
    let sysroot = cmd("rustc")
        .args([&["+", name].concat(), "--print", "sysroot"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .map_err(|e| format!("cannot run rustc +{name}: {e}"))?;
    let rustlib = std::path::Path::new(&sysroot).join("lib/rustlib");
    if !rustlib.join("src/rust/library").is_dir() {
        step(&format!(
            "adding rust-src to {name} (build-std compiles the standard library from it)"
        ));
        rustup(&["component", "add", "rust-src", "--toolchain", name])?;
    }
    if !rustlib.join("wasm32-unknown-unknown").is_dir() {
        step(&format!(
            "adding the wasm32-unknown-unknown target to {name} (wasm-pack looks for it)"
        ));
        rustup(&[
            "target",
            "add",
            "wasm32-unknown-unknown",
            "--toolchain",
            name,
        ])?;
    }
    Ok(name.to_owned())
}

fn rustup(args: &[&str]) -> Result<()> {
    run(cmd("rustup").args(args)).or_else(|e| {
        fail(format!(
            "{e}: the size toolchain could not be installed; `cargo xtask dist --stable` builds \
             the package with stable Rust"
        ))
    })
}
