//! Building the widget and assembling the npm package.

use std::path::{Path, PathBuf};

use crate::{Result, cmd, root, run, step};

/// Where wasm-pack writes its output.
pub fn wasm_out() -> PathBuf {
    root().join("target/wasm-pkg")
}

/// The publishable npm package folder.
pub fn npm_dir() -> PathBuf {
    root().join("target/dist/npm")
}

/// Compiles the widget with wasm-pack (release profile: size) and optimises it with the
/// npm binaryen `wasm-opt` on PATH.
pub fn widget() -> Result<()> {
    step("building the widget (wasm-pack, release, wasm-opt)");
    run(cmd("wasm-pack").args([
        "build",
        "--release",
        "--target",
        "web",
        "--out-dir",
        "target/wasm-pkg",
        "--out-name",
        "referrer_dashboard",
        "--mode",
        "no-install",
        "--no-pack",
    ]))
}

/// `target/dist/npm/`: wasm-pack's output plus the hand-written files of `pkg-template/`.
pub fn npm_package() -> Result<PathBuf> {
    let dir = npm_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    for name in [
        "referrer_dashboard.js",
        "referrer_dashboard_bg.wasm",
        "referrer_dashboard.d.ts",
        "referrer_dashboard_bg.wasm.d.ts",
    ] {
        copy(&wasm_out().join(name), &dir.join(name))?;
    }
    for entry in std::fs::read_dir(root().join("pkg-template"))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            copy(&entry.path(), &dir.join(entry.file_name()))?;
        }
    }
    Ok(dir)
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    Ok(())
}
