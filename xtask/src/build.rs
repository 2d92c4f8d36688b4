//! Building the widget and assembling the npm package.

use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256, Sha384};

use crate::toolchain::Toolchain;
use crate::{Result, cmd, root, run, step, surface};

/// Where wasm-pack writes its output.
pub fn wasm_out() -> PathBuf {
    root().join("target/wasm-pkg")
}

/// The publishable npm package folder.
pub fn npm_dir() -> PathBuf {
    root().join("target/dist/npm")
}

/// The demo and documentation site as served: `www/` plus the built examples.
pub fn site_dir() -> PathBuf {
    root().join("target/site")
}

/// `target/site/`: `www/`, the plain-HTML example, and the React, Vue and Svelte examples built
/// with Vite against the npm package (so build the package first); and, beside it, the
/// server-rendered examples ([`ssr_examples`]).
pub fn site() -> Result<PathBuf> {
    step("building the site (www/ and the framework examples)");
    let dir = site_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    copy_tree(&root().join("www"), &dir)?;
    include_partials(&dir)?;
    let examples = dir.join("examples");
    std::fs::create_dir_all(&examples)?;
    for name in ["plain.html", "plain.js", "token.js", "examples.css"] {
        copy(&root().join("examples").join(name), &examples.join(name))?;
    }
    for name in ["react", "vue", "svelte"] {
        let config = ["examples/", name, "/vite.config.js"].concat();
        run(cmd("vite").args(["build", "--config", &config]))?;
    }
    precompress(&dir)?;
    ssr_examples()?;
    Ok(dir)
}

/// Where the server-rendered examples are built (each a project of its own, run by its
/// framework's server, not served from the site).
pub fn examples_dir() -> PathBuf {
    root().join("target/examples")
}

/// What a build or an install leaves in an example's folder: never copied into the build.
const BUILD_LEFTOVERS: [&str; 4] = ["node_modules", ".next", ".svelte-kit", "build"];

/// `target/examples/next` and `target/examples/sveltekit`: the Next.js (App Router) and SvelteKit
/// (adapter-node) examples built as a host builds them, with server rendering: each copied from
/// `examples/`, the npm package put into its `node_modules/referrer-dashboard` as `npm install`
/// would (so they import it by its name and its `exports`, `referrer-dashboard/react` too), then
/// `next build` and `vite build`. Their frameworks and tools resolve from the repository's
/// `node_modules` (pinned in the root package.json), like the Vite examples'. Next.js telemetry
/// is off; nothing is fetched from the internet.
pub fn ssr_examples() -> Result<()> {
    step("building the server-rendered examples (Next.js: next build; SvelteKit: vite build)");
    let dir = examples_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    copy(
        &root().join("examples/examples.css"),
        &dir.join("examples.css"),
    )?;
    for name in ["next", "sveltekit"] {
        let project = dir.join(name);
        copy_tree_except(
            &root().join("examples").join(name),
            &project,
            &BUILD_LEFTOVERS,
        )?;
        copy_tree(&npm_dir(), &project.join("node_modules/referrer-dashboard"))?;
    }
    run(cmd("next")
        .arg("build")
        .current_dir(dir.join("next"))
        .env("NEXT_TELEMETRY_DISABLED", "1"))?;
    let kit = dir.join("sveltekit");
    // Writes .svelte-kit/tsconfig.json, which the example's tsconfig extends, before Vite reads it.
    run(cmd("svelte-kit").arg("sync").current_dir(&kit))?;
    run(cmd("vite").arg("build").current_dir(&kit))
}

/// [`copy_tree`] without the entries named in `skip` (at any depth).
fn copy_tree_except(from: &Path, to: &Path, skip: &[&str]) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if skip.iter().any(|s| entry.file_name() == *s) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree_except(&entry.path(), &target, skip)?;
        } else {
            copy(&entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The navigation and footer every page shares are written once, in `www/partials/`: a page
/// has `<!-- site-nav -->` and `<!-- site-footer -->` where they go (indented as the marker),
/// and its own link in the navigation is marked `aria-current="page"`.
fn include_partials(dir: &Path) -> Result<()> {
    let partials = dir.join("partials");
    let nav = std::fs::read_to_string(partials.join("nav.html"))?;
    let footer = std::fs::read_to_string(partials.join("footer.html"))?;
    std::fs::remove_dir_all(&partials)?;
    let mut pages = vec![(dir.join("index.html"), "/".to_owned())];
    for entry in std::fs::read_dir(dir.join("docs"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".html") {
            pages.push((dir.join("docs").join(&name), ["/docs/", &name].concat()));
        }
    }
    for (file, path) in pages {
        let link = [r#"<a href=""#, &path, r#"">"#].concat();
        let current = [r#"<a href=""#, &path, r#"" aria-current="page">"#].concat();
        let mut text = std::fs::read_to_string(&file)?;
        for (marker, partial) in [
            ("<!-- site-nav -->", nav.replacen(&link, &current, 1)),
            ("<!-- site-footer -->", footer.clone()),
        ] {
            let Some(at) = text.find(marker) else {
                return Err(format!("{} has no {marker}", file.display()).into());
            };
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let indent = text[line_start..at].to_owned();
            let block: Vec<String> = partial
                .lines()
                .map(|line| {
                    if line.is_empty() {
                        String::new()
                    } else {
                        [&indent, line].concat()
                    }
                })
                .collect();
            text.replace_range(line_start..at + marker.len(), &block.join("\n"));
        }
        std::fs::write(&file, text)?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            copy(&entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The script-tag files.
pub fn cdn_dir() -> PathBuf {
    root().join("target/dist/cdn")
}

/// Compiles the widget with wasm-pack (release profile: size) and optimises it with the
/// npm binaryen `wasm-opt` on PATH, with stable Rust or the pinned size toolchain
/// ([`crate::toolchain`]).
pub fn widget(toolchain: Toolchain) -> Result<()> {
    let mut wasm_pack = cmd("wasm-pack");
    if toolchain == Toolchain::Size {
        let nightly = crate::toolchain::ensure_size_toolchain()?;
        step(&format!(
            "building the widget (wasm-pack, release, wasm-opt) with the size toolchain ({nightly}, build-std; --stable builds without it)"
        ));
        toolchain.apply(&mut wasm_pack, &nightly);
    } else {
        step("building the widget (wasm-pack, release, wasm-opt) with stable Rust");
    }
    run(wasm_pack.args([
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

/// The package's JS sources before bundling: the wasm-bindgen glue (its boundary names
/// minified, beside the wasm they name) and the hand-written files of `pkg-template/`. The
/// package and the CDN build bundle their entry from here; the browser bench builds its
/// variants from here too.
pub fn package_sources() -> PathBuf {
    root().join("target/pkg-src")
}

/// The files of `pkg-template/` that ship as they are (the element's JS ships bundled; the React
/// wrapper ships as written: a separate module, so a page that does not import it does not load
/// it, which keeps its `'use client'` directive and its bare `react` import for the host's
/// bundler).
const SHIPPED_AS_IS: [&str; 6] = [
    "package.json",
    "README.md",
    "referrer-dashboard.d.ts",
    "custom-elements.json",
    "react.js",
    "react.d.ts",
];

/// `target/dist/npm/`: the wasm, the entry module with the loader and the glue bundled in, and
/// the hand-written files of `pkg-template/`.
///
/// One JS module, not three: the entry's imports are fetched only once the entry itself has
/// arrived and been parsed, so three modules cost a page one round trip more before the entry
/// runs and asks for the wasm (150 ms on a phone network). Bundlers join them anyway; a page
/// serving the package as it is should not pay for the split. Minified (esbuild, from npm):
/// every byte lands on someone else's page. The readable sources are pkg-template/ and
/// wasm-bindgen's.
pub fn npm_package() -> Result<PathBuf> {
    let sources = package_sources();
    let dir = npm_dir();
    for folder in [&sources, &dir] {
        if folder.exists() {
            std::fs::remove_dir_all(folder)
                .map_err(|e| format!("cannot clear {}: {e}", folder.display()))?;
        }
        std::fs::create_dir_all(folder)?;
    }
    for name in [
        "referrer_dashboard.js",
        "referrer_dashboard_bg.wasm",
        "referrer_dashboard.d.ts",
        "referrer_dashboard_bg.wasm.d.ts",
    ] {
        copy(&wasm_out().join(name), &sources.join(name))?;
    }
    minify_boundary(&sources)?;
    for entry in std::fs::read_dir(root().join("pkg-template"))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            copy(&entry.path(), &sources.join(entry.file_name()))?;
        }
    }
    for name in SHIPPED_AS_IS.iter().chain(&["referrer_dashboard_bg.wasm"]) {
        copy(&sources.join(name), &dir.join(name))?;
    }
    // The other languages' texts, beside the wasm: modules imported only by an element that
    // needs one (kept out of the entry's bundle: `--external`).
    for (language, json) in surface::catalogue_files()? {
        let name = surface::catalogue_module(language);
        let module = ["export default ", &json, ";\n"].concat();
        std::fs::write(sources.join(&name), &module)?;
        std::fs::write(dir.join(&name), &module)?;
    }
    let entry = "referrer-dashboard.js";
    run(cmd("esbuild")
        .arg(sources.join(entry))
        .args([
            "--bundle",
            "--minify",
            "--format=esm",
            "--log-level=warning",
            "--external:./catalogue-*",
        ])
        .arg(format!("--outfile={}", dir.join(entry).display())))?;
    let bundled = std::fs::read_to_string(dir.join(entry))?;
    if let Some((language, _)) = surface::catalogue_files()?
        .into_iter()
        .find(|(language, _)| !bundled.contains(&surface::catalogue_module(language)))
    {
        return Err(format!(
            "the bundled entry no longer imports the {language} catalogue as a module of its own"
        )
        .into());
    }
    precompress(&dir)?;
    Ok(dir)
}

/// Writes the gzip -9 and brotli -11 encoding of every text and wasm file under `dir` beside it
/// (`x.wasm.gz`, `x.wasm.br`; `benches/compress.mjs`, the functions the size table measures
/// with). The backend serves a folder's files precompressed when the browser accepts an
/// encoding, and any static server or CDN that looks for such files can; compressing at the
/// highest settings once beats compressing on the fly at every request (brotli -11 is too slow
/// for that). The npm tarball leaves them out (`files` in package.json): npm compresses itself.
pub fn precompress(dir: &Path) -> Result<()> {
    run(cmd("node").arg("benches/compress.mjs").arg(dir))
}

/// The names on the JS/wasm boundary, minified. wasm-bindgen names every import after its
/// binding plus a 16-digit hash (`__wbg_appendChild_dbf7ad2f48413560`), each written twice, in
/// the wasm and in the glue, and neither compresses: binaryen's
/// `--minify-imports-and-exports-and-modules` renames them to one or two letters (the import
/// module to `a`) and prints the mapping, with which the glue, and the declarations of the wasm's
/// exports, are rewritten here. Measured: 4.1 KB gzip off the wasm and 1.2 KB off the glue.
///
/// The wasm's exports are internal to the glue (it returns them from `init()` as
/// `InitOutput`, renamed the same way); the JS API (`create`, `Core`) keeps its names.
fn minify_boundary(dir: &Path) -> Result<()> {
    let wasm = dir.join("referrer_dashboard_bg.wasm");
    let output = cmd("wasm-opt")
        .arg("--minify-imports-and-exports-and-modules")
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm)
        .output()
        .map_err(|e| format!("could not start wasm-opt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "wasm-opt --minify-imports-and-exports-and-modules failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let mapping: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("wasm-opt's name mapping is not JSON: {e}"))?;
    let pairs = |key: &str, from: usize, to: usize| -> Result<Vec<(String, String)>> {
        let list = mapping[key]
            .as_array()
            .ok_or_else(|| format!("wasm-opt's mapping has no {key}"))?;
        list.iter()
            .map(|entry| {
                let name = |i: usize| entry[i].as_str().map(str::to_owned);
                match (name(from), name(to)) {
                    (Some(old), Some(new)) => Ok((old, new)),
                    _ => {
                        Err(format!("unexpected {key} entry in wasm-opt's mapping: {entry}").into())
                    }
                }
            })
            .collect()
    };
    let (imports, exports) = (pairs("imports", 1, 2)?, pairs("exports", 0, 1)?);

    let glue = dir.join("referrer_dashboard.js");
    let mut text = std::fs::read_to_string(&glue)?;
    // binaryen merges every import module into one, named `a` (SINGLETON_MODULE_NAME).
    text = replace_exactly_once(
        &text,
        "\"./referrer_dashboard_bg.js\": import0",
        "\"a\": import0",
    )?;
    for (old, new) in &imports {
        // Each import is one key of the glue's import object.
        text = replace_exactly_once(
            &text,
            &[" ", old, ": "].concat(),
            &[" ", new, ": "].concat(),
        )?;
    }
    for (old, new) in &exports {
        text = replace_token(&text, &["wasm.", old].concat(), &["wasm.", new].concat());
    }
    std::fs::write(&glue, text)?;
    for (file, prefix) in [
        ("referrer_dashboard.d.ts", "readonly "),
        ("referrer_dashboard_bg.wasm.d.ts", "export const "),
    ] {
        let path = dir.join(file);
        let mut text = std::fs::read_to_string(&path)?;
        for (old, new) in &exports {
            text = replace_token(
                &text,
                &[prefix, old, ":"].concat(),
                &[prefix, new, ":"].concat(),
            );
        }
        std::fs::write(&path, text)?;
    }
    Ok(())
}

/// `text` with its one occurrence of `from` replaced, or an error saying the glue changed.
fn replace_exactly_once(text: &str, from: &str, to: &str) -> Result<String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => Err(format!(
            "the wasm-bindgen glue holds `{}` {n} times, not once: update xtask's minify_boundary",
            from.trim()
        )
        .into()),
    }
}

/// `text` with every `from` that is not the start of a longer identifier replaced.
fn replace_token(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        let whole = !after.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$');
        out.push_str(&rest[..at]);
        out.push_str(if whole { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    Ok(())
}

/// One file of the script-tag build.
pub struct CdnFile {
    /// Its name in the npm package.
    pub source: String,
    /// Its content-hashed name.
    pub name: String,
    /// Its Subresource Integrity value (`sha384-…`).
    pub integrity: String,
}

/// What `cdn` built: its files and the ready `<script>` tag.
pub struct Cdn {
    /// The wasm, the one JS module, then the catalogues.
    pub files: Vec<CdnFile>,
    /// The tag a page loads it with (also `html` in `manifest.json`).
    pub html: String,
}

/// `target/dist/cdn/`: two content-hashed files (cacheable forever) and `manifest.json`.
///
/// Every file is integrity-checked: the entry, `element.js` and the wasm-bindgen glue are
/// bundled into ONE module (esbuild), so the page's `<script integrity>` covers all the JS; the
/// bundle fetches the wasm with `fetch(url, { integrity })`, the wasm's hash written into it at
/// build time (`RD_WASM_INTEGRITY`, see `pkg-template/referrer-dashboard.js`). The wasm is
/// hashed first and the bundle after, so the tag's hash covers the wasm's too. One module is
/// also one round trip fewer before the wasm request starts.
///
/// `manifest.json` gives each file's name and integrity, and `html`, the tag to paste: its `src`
/// is the file name relative to the folder, or absolute when `CDN_BASE_URL` (the URL the folder
/// will be served from) is set.
pub fn cdn() -> Result<Cdn> {
    let npm = package_sources();
    let dir = cdn_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let hashed = |source: &str, bytes: &[u8]| -> Result<CdnFile> {
        let digest = hex(&Sha256::digest(bytes)[..5]);
        let (stem, extension) = source.rsplit_once('.').unwrap_or((source, ""));
        let name = [stem, ".", &digest, ".", extension].concat();
        std::fs::write(dir.join(&name), bytes)?;
        Ok(CdnFile {
            source: source.to_owned(),
            name,
            integrity: sri(bytes),
        })
    };

    let wasm_source = "referrer_dashboard_bg.wasm";
    let wasm = hashed(wasm_source, &std::fs::read(npm.join(wasm_source))?)?;
    // The catalogues as JSON, hashed and checked like the wasm (data: nothing in them runs):
    // the bundle carries each one's hashed name and integrity value (`RD_CATALOGUES`).
    let mut catalogues = Vec::new();
    for (language, json) in surface::catalogue_files()? {
        let name = ["catalogue-", language, ".json"].concat();
        catalogues.push(hashed(&name, json.as_bytes())?);
    }
    let by_language: Vec<String> = surface::catalogue_files()?
        .iter()
        .zip(&catalogues)
        .map(|((language, _), file)| {
            format!(
                "\"{language}\":{{\"file\":\"{}\",\"integrity\":\"{}\"}}",
                file.name, file.integrity
            )
        })
        .collect();

    let entry = "referrer-dashboard.js";
    let work = root().join("target/cdn-build");
    std::fs::create_dir_all(&work)?;
    let bundled = work.join(entry);
    run(cmd("esbuild")
        .arg(npm.join(entry))
        .args([
            "--bundle",
            "--minify",
            "--format=esm",
            "--log-level=warning",
            "--external:./catalogue-*",
        ])
        .arg(format!("--define:RD_WASM_INTEGRITY=\"{}\"", wasm.integrity))
        .arg(format!(
            "--define:RD_CATALOGUES={{{}}}",
            by_language.join(",")
        ))
        .arg(format!("--outfile={}", bundled.display())))?;
    let text = std::fs::read_to_string(&bundled)?;
    if !text.contains(&wasm.integrity)
        || catalogues
            .iter()
            .any(|file| !text.contains(&file.integrity))
    {
        return Err(format!(
            "the CDN bundle does not carry the integrity of the wasm and every catalogue: {entry} no longer reads RD_WASM_INTEGRITY and RD_CATALOGUES"
        )
        .into());
    }
    // The wasm's URL, `new URL('./referrer_dashboard_bg.wasm', import.meta.url)` in the entry
    // (and the glue's unused default), now names the hashed file.
    let mut replaced = text.clone();
    for needle in ["./referrer_dashboard_bg.wasm", "referrer_dashboard_bg.wasm"] {
        let prefix = if needle.starts_with("./") { "./" } else { "" };
        for quote in ["'", "\""] {
            let quoted = [quote, needle, quote].concat();
            replaced = replaced.replace(&quoted, &[quote, prefix, &wasm.name, quote].concat());
        }
    }
    if !replaced.contains(&["\"./", &wasm.name, "\""].concat())
        && !replaced.contains(&["'./", &wasm.name, "'"].concat())
    {
        return Err(format!(
            "the CDN bundle no longer locates the wasm as './{wasm_source}': update xtask's CDN build"
        )
        .into());
    }
    let module = hashed(entry, replaced.as_bytes())?;

    let base = std::env::var("CDN_BASE_URL")
        .map(|b| {
            if b.is_empty() || b.ends_with('/') {
                b
            } else {
                b + "/"
            }
        })
        .unwrap_or_default();
    let html = format!(
        r#"<script type="module" src="{base}{}" integrity="{}" crossorigin="anonymous"></script>"#,
        module.name, module.integrity
    );
    let mut files = vec![wasm, module];
    files.extend(catalogues);
    let listing: Vec<String> = files
        .iter()
        .map(|f| {
            format!(
                "    \"{}\": {{ \"file\": \"{}\", \"integrity\": \"{}\" }}",
                f.source, f.name, f.integrity
            )
        })
        .collect();
    let manifest = format!(
        "{{\n  \"entry\": \"{}\",\n  \"html\": {},\n  \"files\": {{\n{}\n  }},\n  \"integrity\": \"every file: the tag checks the one JS module, which checks the wasm and the catalogues it fetches\",\n  \"requires\": \"serve .wasm as Content-Type: application/wasm; send Access-Control-Allow-Origin for cross-origin pages\"\n}}\n",
        files[1].name,
        json_string(&html),
        listing.join(",\n")
    );
    std::fs::write(dir.join("manifest.json"), manifest)?;
    precompress(&dir)?;
    Ok(Cdn { files, html })
}

/// The Subresource Integrity value of `bytes`.
fn sri(bytes: &[u8]) -> String {
    [
        "sha384-",
        &base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes)),
    ]
    .concat()
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stylesheet as the loader carries it (`crate::css`), written to `target/bench/` for the
/// size table to measure on its own line.
pub fn minified_css() -> Result<PathBuf> {
    let path = root().join("target/bench/widget.min.css");
    std::fs::create_dir_all(root().join("target/bench"))?;
    std::fs::write(&path, crate::css::widget()?)?;
    Ok(path)
}

/// Prints the `n` largest items of the release wasm `toolchain` built, with their names:
/// wasm-bindgen keeping the name section, then wasm-opt with the package's flags plus -g (names
/// kept), then twiggy.
pub fn twiggy_top(n: usize, toolchain: Toolchain) -> Result<()> {
    let work = root().join("target/bench/twiggy");
    std::fs::create_dir_all(&work)?;
    let input = toolchain
        .target_dir()
        .join("wasm32-unknown-unknown/release/referrer_dashboard.wasm");
    run(cmd("wasm-bindgen")
        .args(["--target", "web", "--keep-debug", "--out-dir"])
        .arg(&work)
        .arg(&input))?;
    let named = work.join("named.wasm");
    run(cmd("wasm-opt")
        .args([
            "-O2",
            "--converge",
            "-aimfs",
            "0",
            "-ocimfs",
            "0",
            "-fimfs",
            "0",
            "--code-folding",
            "--dae-optimizing",
            "-g",
        ])
        .arg(work.join("referrer_dashboard_bg.wasm"))
        .arg("-o")
        .arg(&named))?;
    run(cmd("twiggy")
        .args(["top", "-n", &n.to_string()])
        .arg(&named))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendored serde-wasm-bindgen (vendor/serde-wasm-bindgen/PATCH.md) is the published
    /// 0.6.5 but for its `src/error.rs` and the key cache in `src/lib.rs`: SHA-256 of the
    /// published files, as crates.io serves them (`src/lib.rs` with its change undone).
    #[test]
    fn the_vendored_serde_wasm_bindgen_is_the_published_one_but_its_two_changes() {
        let dir = root().join("vendor/serde-wasm-bindgen");
        for (file, published) in [
            (
                "src/de.rs",
                "6e8cebdac35eb7074a8c769451f9d4dc1815bb0f1ad8dbdfcadf5acd7ecfd202",
            ),
            (
                "src/lib.rs",
                "032dbf0b41c4f66d00ee7a7b056425b9979980db465cf73661bf35ef823181d4",
            ),
            (
                "src/ser.rs",
                "e688fb40905b5aec7cf13f7cc0a2c4fe13a606e59ad6d7bec5bc2c6c52f88c62",
            ),
        ] {
            let mut text =
                std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            if file == "src/lib.rs" {
                // The published files end their lines with CRLF.
                let lines = text.replace("\r\n", "\n");
                assert_eq!(
                    lines.matches(SWB_KEYS_PATCHED).count(),
                    1,
                    "{file} has its patch once"
                );
                text = lines
                    .replace(SWB_KEYS_PATCHED, SWB_KEYS_PUBLISHED)
                    .replace('\n', "\r\n");
            }
            assert_eq!(
                hex(&Sha256::digest(text.as_bytes())),
                published,
                "{file} was changed"
            );
        }
        let patched = std::fs::read_to_string(dir.join("src/error.rs")).unwrap_or_default();
        assert!(
            patched.contains("fn invalid_type(") && patched.contains("fn invalid_value("),
            "the patch is in src/error.rs"
        );
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap_or_default();
        assert!(
            manifest.contains(r#"serde-wasm-bindgen = { path = "vendor/serde-wasm-bindgen" }"#),
            "the workspace uses it"
        );
    }

    /// serde-wasm-bindgen's `static_str_to_js` as patched (vendor/serde-wasm-bindgen/PATCH.md).
    const SWB_KEYS_PATCHED: &str = "// Patched (vendor/serde-wasm-bindgen/PATCH.md): no cache of the JS strings by pointer; its
// HashMap cost the widget 1.1 KB gzip.
fn static_str_to_js(s: &'static str) -> JsString {
    s.into()
}

";

    /// serde-wasm-bindgen 0.6.5's `static_str_to_js` as published.
    const SWB_KEYS_PUBLISHED: &str = r#"fn static_str_to_js(s: &'static str) -> JsString {
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[derive(Default)]
    struct PtrHasher {
        addr: usize,
    }

    impl std::hash::Hasher for PtrHasher {
        fn write(&mut self, _bytes: &[u8]) {
            unreachable!();
        }

        fn write_usize(&mut self, addr_or_len: usize) {
            if self.addr == 0 {
                self.addr = addr_or_len;
            }
        }

        fn finish(&self) -> u64 {
            self.addr as _
        }
    }

    type PtrBuildHasher = std::hash::BuildHasherDefault<PtrHasher>;

    thread_local! {
        // Since we're mainly optimising for converting the exact same string literal over and over again,
        // which will always have the same pointer, we can speed things up by indexing by the string's pointer
        // instead of its value.
        static CACHE: RefCell<HashMap<*const str, JsString, PtrBuildHasher>> = Default::default();
    }
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry(s)
            .or_insert_with(|| s.into())
            .clone()
    })
}

"#;

    /// The vendored Yew (vendor/yew/PATCH.md) is the published 0.23.0 (its manifest, README
    /// and `src/`; its own tests left out) but for the six changes [`YEW_PATCHES`] lists: with
    /// each change undone (the last first), a SHA-256 of every file's path and SHA-256 matches the published
    /// crate's, as crates.io serves it.
    #[test]
    fn the_vendored_yew_is_the_published_one_but_its_six_changes() {
        let dir = root().join("vendor/yew");
        let mut files = Vec::new();
        let mut folders = vec![dir.join("src")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{folder:?}: {e}")) {
                let path = entry.map(|e| e.path()).unwrap_or_default();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files.extend([dir.join("Cargo.toml"), dir.join("README.md")]);
        let mut listing: Vec<String> = files
            .iter()
            .map(|path| {
                let name = path
                    .strip_prefix(&dir)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut text =
                    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
                for (file, published, patched) in YEW_PATCHES.iter().rev() {
                    if name == *file {
                        assert_eq!(
                            text.matches(patched).count(),
                            1,
                            "{file} has its patch once"
                        );
                        text = text.replace(patched, published);
                    }
                }
                format!("{name} {}\n", hex(&Sha256::digest(text.as_bytes())))
            })
            .collect();
        listing.sort();
        assert_eq!(listing.len(), 78, "the published crate's 78 files");
        assert_eq!(
            hex(&Sha256::digest(listing.concat().as_bytes())),
            "b5e8e07b03455747309403f97389991e385f45e42d6a5ca5cfe05fde6b024916",
            "a file of vendor/yew changed beyond its PATCH.md"
        );
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap_or_default();
        assert!(
            manifest.contains(r#"yew = { path = "vendor/yew" }"#),
            "the workspace uses it"
        );
    }

    /// Change (4)'s imports, the same in several files: std's map and set, and Yew's aliases.
    const STD_HASH_MAP: &str = "use std::collections::HashMap;\n";
    const YEW_HASH_MAP: &str = "use crate::dom_bundle::HashMap;\n";
    const STD_HASH_SET: &str = "use std::collections::HashSet;\n";
    const YEW_HASH_SET: &str = "use super::HashSet;\n";

    /// Yew's six changes (vendor/yew/PATCH.md), in 35 places: file, the text before the change
    /// (the published one, or the text of an earlier change), the patched text. Undone from the
    /// last: change (6) rewrites lines that change (4) had patched.
    const YEW_PATCHES: [(&str, &str, &str); 35] = [
        (
            "src/virtual_dom/listeners.rs",
            "                    $( Self::$kind => stringify!($kind)[2..].into(), )*\n",
            "                    // Patched (vendor/yew/PATCH.md): the name without its `on`, cut once and
                    // with no panic path, instead of `stringify!($kind)[2..]` for every kind.
                    _ => {
                        let name: &'static str = match self {
                            $( Self::$kind => stringify!($kind), )*
                            Self::other(_) => \"\",
                        };
                        std::borrow::Cow::Borrowed(name.get(2..).unwrap_or_default())
                    }
",
        ),
        (
            "src/renderer.rs",
            "    if !PANIC_HOOK_IS_SET.with(|hook_is_set| hook_is_set.replace(true)) {
        std::panic::set_hook(Box::new(console_error_panic_hook::hook));
    }
",
            "    // Patched (vendor/yew/PATCH.md): no default hook. The widget sets its own with
    // `set_custom_panic_hook` before it renders, and naming `console_error_panic_hook::hook`
    // here kept its formatting of the panic in the wasm.
    PANIC_HOOK_IS_SET.with(|hook_is_set| hook_is_set.set(true));
",
        ),
        (
            "src/scheduler.rs",
            "use std::cell::RefCell;\nuse std::collections::BTreeMap;\nuse std::rc::Rc;\n",
            "use std::cell::RefCell;\nuse std::rc::Rc;\n",
        ),
        (
            "src/scheduler.rs",
            r#"struct TopologicalQueue {
    /// The Binary Tree Map guarantees components with lower id (parent) is rendered first
    inner: BTreeMap<usize, QueueEntry>,
}

impl TopologicalQueue {
    #[cfg(any(feature = "ssr", feature = "csr"))]
    fn push(&mut self, component_id: usize, task: Box<dyn Runnable>) {
        self.inner.insert(component_id, QueueEntry { task });
    }

    /// Take a single entry, preferring parents over children
    #[inline]
    fn pop_topmost(&mut self) -> Option<QueueEntry> {
        self.inner.pop_first().map(|(_, v)| v)
    }

    /// Drain all entries, such that children are queued before parents
    fn drain_post_order_into(&mut self, queue: &mut Vec<QueueEntry>) {
        if self.inner.is_empty() {
            return;
        }
        let rendered = std::mem::take(&mut self.inner);
        // Children rendered lifecycle happen before parents.
        queue.extend(rendered.into_values().rev());
    }
}

"#,
            r#"struct TopologicalQueue {
    /// Patched (vendor/yew/PATCH.md): a Vec sorted by component id, highest first, instead of a
    /// BTreeMap (14.6 KB of the widget's wasm). Components with a lower id (parents) are
    /// rendered first: they are popped from the end.
    inner: Vec<(usize, QueueEntry)>,
}

impl TopologicalQueue {
    #[cfg(any(feature = "ssr", feature = "csr"))]
    fn push(&mut self, component_id: usize, task: Box<dyn Runnable>) {
        // As `BTreeMap::insert`: a second task for the same component replaces the first.
        match self.inner.binary_search_by(|(id, _)| component_id.cmp(id)) {
            Ok(at) => {
                if let Some(entry) = self.inner.get_mut(at) {
                    entry.1 = QueueEntry { task };
                }
            }
            Err(at) => self.inner.insert(at, (component_id, QueueEntry { task })),
        }
    }

    /// Take a single entry, preferring parents over children
    #[inline]
    fn pop_topmost(&mut self) -> Option<QueueEntry> {
        self.inner.pop().map(|(_, v)| v)
    }

    /// Drain all entries, such that children are queued before parents
    fn drain_post_order_into(&mut self, queue: &mut Vec<QueueEntry>) {
        if self.inner.is_empty() {
            return;
        }
        let rendered = std::mem::take(&mut self.inner);
        // Children rendered lifecycle happen before parents.
        queue.extend(rendered.into_iter().map(|(_, v)| v));
    }
}

"#,
        ),
        (
            "Cargo.toml",
            r#"[dependencies.rustversion]
"#,
            r#"# Patched (vendor/yew/PATCH.md): the hasher of the bundles' maps and sets.
[dependencies.rustc-hash]
version = "1.1"
default-features = false

[dependencies.rustversion]
"#,
        ),
        (
            "src/dom_bundle/mod.rs",
            r#"use utils::test_log;
"#,
            r#"use utils::test_log;

// Patched (vendor/yew/PATCH.md): the bundles' maps and sets hash with FxHash (rustc-hash), not
// SipHash. Their keys are event descriptors, listener ids, tag names and list keys, hashed many
// times per render. Neither is seeded at random here: std's `RandomState` on
// wasm32-unknown-unknown takes its keys from two allocation addresses.
type FxBuildHasher = std::hash::BuildHasherDefault<rustc_hash::FxHasher>;
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, FxBuildHasher>;
pub(crate) type HashSet<T> = std::collections::HashSet<T, FxBuildHasher>;
"#,
        ),
        (
            "src/dom_bundle/subtree_root.rs",
            STD_HASH_SET,
            YEW_HASH_SET,
        ),
        (
            "src/dom_bundle/blist.rs",
            STD_HASH_SET,
            YEW_HASH_SET,
        ),
        (
            "src/dom_bundle/blist.rs",
            "HashSet::with_capacity(left_vdoms.len())",
            "HashSet::with_capacity_and_hasher(left_vdoms.len(), Default::default())",
        ),
        (
            "src/dom_bundle/blist.rs",
            "let mut spare_bundles: HashSet<KeyedEntry> = HashSet::with_capacity(bundle_middle.len());",
            r#"let mut spare_bundles: HashSet<KeyedEntry> =
            HashSet::with_capacity_and_hasher(bundle_middle.len(), Default::default());"#,
        ),
        (
            "src/dom_bundle/btag/attributes.rs",
            STD_HASH_MAP,
            YEW_HASH_MAP,
        ),
        (
            "src/dom_bundle/btag/listeners.rs",
            STD_HASH_MAP,
            YEW_HASH_MAP,
        ),
        (
            "src/dom_bundle/btag/listeners.rs",
            "::with_capacity(listeners.len());",
            r#"::with_capacity_and_hasher(
                listeners.len(),
                Default::default(),
            );"#,
        ),
        (
            "src/dom_bundle/btag/mod.rs",
            STD_HASH_MAP,
            YEW_HASH_MAP,
        ),
        (
            "src/dom_bundle/btag/mod.rs",
            "HashMap::with_capacity(32)",
            "HashMap::with_capacity_and_hasher(32, Default::default())",
        ),
        (
            "src/virtual_dom/listeners.rs",
            r#"        #[derive(Clone, PartialEq, Eq, Hash, Debug)]
        #[allow(non_camel_case_types)]
        #[allow(missing_docs)]
        pub enum ListenerKind {
            $( $kind, )*
            other(std::borrow::Cow<'static, str>),
        }
"#,
            r#"        #[derive(PartialEq, Eq, Hash, Debug)]
        #[allow(non_camel_case_types)]
        #[allow(missing_docs)]
        pub enum ListenerKind {
            $( $kind, )*
            other(std::borrow::Cow<'static, str>),
        }

        impl Clone for ListenerKind {
            fn clone(&self) -> Self {
                match self {
                    Self::other(name) => Self::other(name.clone()),
                    // SAFETY: every other kind is a tag without data.
                    _ => unsafe { std::ptr::read(self) },
                }
            }
        }
"#,
        ),
        // Change (6): small maps and sets as lists.
        (
            "src/dom_bundle/subtree_root.rs",
            r#"use std::cell::RefCell;
use super::HashSet;
use std::hash::{Hash, Hasher};
"#,
            r#"use std::cell::RefCell;
use std::hash::{Hash, Hasher};
"#,
        ),
        (
            "src/dom_bundle/subtree_root.rs",
            r#"struct AppData {
    subtrees: HashSet<WeakSubtree>,
    listening: HashSet<EventDescriptor>,
}
"#,
            r#"struct AppData {
    // Patched (vendor/yew/PATCH.md): lists, not hash sets. An app has one subtree per root it
    // renders into and listens to a few event types; each is added once.
    subtrees: Vec<WeakSubtree>,
    listening: Vec<EventDescriptor>,
}
"#,
        ),
        (
            "src/dom_bundle/subtree_root.rs",
            r#"        }
        self.subtrees.insert(WeakSubtree {
            subtree_id: subtree.subtree_id,
            weak_ref: Rc::downgrade(subtree),
        });
    }
"#,
            r#"        }
        let subtree = WeakSubtree {
            subtree_id: subtree.subtree_id,
            weak_ref: Rc::downgrade(subtree),
        };
        if !self.subtrees.contains(&subtree) {
            self.subtrees.push(subtree);
        }
    }
"#,
        ),
        (
            "src/dom_bundle/subtree_root.rs",
            r#"    fn ensure_handled(&mut self, desc: &EventDescriptor) {
        if !self.listening.insert(desc.clone()) {
            return;
        }
        self.subtrees.retain(|subtree| {
"#,
            r#"    fn ensure_handled(&mut self, desc: &EventDescriptor) {
        if self.listening.contains(desc) {
            return;
        }
        self.listening.push(desc.clone());
        self.subtrees.retain(|subtree| {
"#,
        ),
        (
            "src/dom_bundle/btag/attributes.rs",
            r#"use crate::dom_bundle::HashMap;
use std::ops::Deref;
"#,
            r#"use std::ops::Deref;
"#,
        ),
        (
            "src/dom_bundle/btag/attributes.rs",
            r#"    fn apply_diff_as_maps<'a>(el: &Element, new: &'a Self, old: &'a Self) {
        fn collect(src: &Attributes) -> HashMap<&str, &AttributeOrProperty> {
            use Attributes::*;

            match src {
                Static(arr) => (*arr).iter().map(|(k, v)| (*k, v)).collect(),
"#,
            r#"    fn apply_diff_as_maps<'a>(el: &Element, new: &'a Self, old: &'a Self) {
        // Patched (vendor/yew/PATCH.md): the attributes as a list, not a hash map: an element has
        // a few. A name given twice keeps its last value, as in the map.
        type Map<'a> = Vec<(&'a str, &'a AttributeOrProperty)>;
        fn get<'a>(map: &Map<'a>, key: &str) -> Option<&'a AttributeOrProperty> {
            map.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
        fn collect(src: &Attributes) -> Map<'_> {
            use Attributes::*;

            let pairs: Map<'_> = match src {
                Static(arr) => (*arr).iter().map(|(k, v)| (*k, v)).collect(),
"#,
        ),
        (
            "src/dom_bundle/btag/attributes.rs",
            r#"                IndexMap(m) => m.iter().map(|(k, v)| (k.as_ref(), v)).collect(),
            }
        }
"#,
            r#"                IndexMap(m) => m.iter().map(|(k, v)| (k.as_ref(), v)).collect(),
            };
            let mut map = Map::with_capacity(pairs.len());
            for (k, v) in pairs {
                match map.iter_mut().find(|(key, _)| *key == k) {
                    Some(entry) => entry.1 = v,
                    None => map.push((k, v)),
                }
            }
            map
        }
"#,
        ),
        (
            "src/dom_bundle/btag/attributes.rs",
            r#"        for (k, new) in new.iter() {
            if match old.get(k) {
                Some(old) => old != new,
                None => true,
"#,
            r#"        for (k, new) in new.iter() {
            if match get(&old, k) {
                Some(old) => old != *new,
                None => true,
"#,
        ),
        (
            "src/dom_bundle/btag/attributes.rs",
            r#"        for (k, old_value) in old.iter() {
            if !new.contains_key(k) {
                Self::remove(el, k, old_value);
"#,
            r#"        for (k, old_value) in old.iter() {
            if get(&new, k).is_none() {
                Self::remove(el, k, old_value);
"#,
        ),
        (
            "src/dom_bundle/btag/listeners.rs",
            r#"
/// Global multiplexing event handler registry
"#,
            r#"
/// Adds `listeners` to an element's listeners by event.
///
/// Patched (vendor/yew/PATCH.md): an element's listeners by event are a list, not a hash map: an
/// element listens to one or a few event types.
fn add(
    root: &BSubtree,
    by_desc: &mut Vec<(EventDescriptor, Vec<Rc<dyn Listener>>)>,
    listeners: &[Option<Rc<dyn Listener>>],
) {
    for l in listeners.iter().filter_map(|l| l.as_ref()).cloned() {
        let desc = EventDescriptor::from(l.deref());
        root.ensure_handled(&desc);
        match by_desc.iter_mut().find(|(d, _)| *d == desc) {
            Some((_, v)) => v.push(l),
            None => by_desc.push((desc, vec![l])),
        }
    }
}

/// Global multiplexing event handler registry
"#,
        ),
        (
            "src/dom_bundle/btag/listeners.rs",
            r#"    /// Contains all registered event listeners by listener ID
    by_id: HashMap<u32, HashMap<EventDescriptor, Vec<Rc<dyn Listener>>>>,
}
"#,
            r#"    /// Contains all registered event listeners by listener ID
    by_id: HashMap<u32, Vec<(EventDescriptor, Vec<Rc<dyn Listener>>)>>,
}
"#,
        ),
        (
            "src/dom_bundle/btag/listeners.rs",
            r#"        let handlers = registry_ref.by_id.get(&listener_id)?;
        let listeners = handlers.get(desc)?.clone();
        drop(registry_ref); // unborrow the registry, before running any listeners
"#,
            r#"        let handlers = registry_ref.by_id.get(&listener_id)?;
        let listeners = handlers.iter().find(|(d, _)| d == desc)?.1.clone();
        drop(registry_ref); // unborrow the registry, before running any listeners
"#,
        ),
        (
            "src/dom_bundle/btag/listeners.rs",
            r#"    fn register(&mut self, root: &BSubtree, id: u32, listeners: &[Option<Rc<dyn Listener>>]) {
        let mut by_desc =
            HashMap::<EventDescriptor, Vec<Rc<dyn Listener>>>::with_capacity_and_hasher(
                listeners.len(),
                Default::default(),
            );
        for l in listeners.iter().filter_map(|l| l.as_ref()).cloned() {
            let desc = EventDescriptor::from(l.deref());
            root.ensure_handled(&desc);
            by_desc.entry(desc).or_default().push(l);
        }
        self.by_id.insert(id, by_desc);
"#,
            r#"    fn register(&mut self, root: &BSubtree, id: u32, listeners: &[Option<Rc<dyn Listener>>]) {
        let mut by_desc = Vec::with_capacity(listeners.len());
        add(root, &mut by_desc, listeners);
        self.by_id.insert(id, by_desc);
"#,
        ),
        (
            "src/dom_bundle/btag/listeners.rs",
            r#"            // Keeping empty vectors is fine. Those don't do much and should happen rarely.
            for v in by_desc.values_mut() {
                v.clear()
            }

            for l in listeners.iter().filter_map(|l| l.as_ref()).cloned() {
                let desc = EventDescriptor::from(l.deref());
                root.ensure_handled(&desc);
                by_desc.entry(desc).or_default().push(l);
            }
        }
"#,
            r#"            // Keeping empty vectors is fine. Those don't do much and should happen rarely.
            for (_, v) in by_desc.iter_mut() {
                v.clear()
            }
            add(root, by_desc, listeners);
        }
"#,
        ),
        (
            "src/dom_bundle/btag/mod.rs",
            r#"use std::cell::RefCell;
use crate::dom_bundle::HashMap;
use std::hint::unreachable_unchecked;
"#,
            r#"use std::cell::RefCell;
use std::hint::unreachable_unchecked;
"#,
        ),
        (
            "src/dom_bundle/btag/mod.rs",
            r#"        } else {
            thread_local! {
                static CACHED_ELEMENTS: RefCell<HashMap<String, Element>> = RefCell::new(HashMap::with_capacity_and_hasher(32, Default::default()));
            }
"#,
            r#"        } else {
            // Patched (vendor/yew/PATCH.md): the element cache is a list of (tag, element), not a
            // hash map: an app uses a few tag names.
            thread_local! {
                static CACHED_ELEMENTS: RefCell<Vec<(String, Element)>> = const { RefCell::new(Vec::new()) };
            }
"#,
        ),
        (
            "src/dom_bundle/btag/mod.rs",
            r#"                let mut cache = cache.borrow_mut();
                let cached = cache.get(tag).map(|el| {
                    el.clone_node()
"#,
            r#"                let mut cache = cache.borrow_mut();
                let cached = cache.iter().find(|(t, _)| t == tag).map(|(_, el)| {
                    el.clone_node()
"#,
        ),
        (
            "src/dom_bundle/btag/mod.rs",
            r#"                        .expect("can't create element for vtag");
                    cache.insert(
                        tag.to_string(),
"#,
            r#"                        .expect("can't create element for vtag");
                    cache.push((
                        tag.to_string(),
"#,
        ),
        (
            "src/dom_bundle/btag/mod.rs",
            r#"                            .unchecked_into(),
                    );
                    to_be_cached
"#,
            r#"                            .unchecked_into(),
                    ));
                    to_be_cached
"#,
        ),
    ];

    #[test]
    fn boundary_names_are_replaced_whole() {
        let glue = "wasm.memory.buffer; wasm.memoryX; wasm.create(a); create(b);";
        assert_eq!(
            replace_token(glue, "wasm.memory", "wasm.pc"),
            "wasm.pc.buffer; wasm.memoryX; wasm.create(a); create(b);"
        );
        assert_eq!(
            replace_token(glue, "wasm.create", "wasm.xc"),
            "wasm.memory.buffer; wasm.memoryX; wasm.xc(a); create(b);",
            "the JS function of the same name is not the export"
        );
    }

    #[test]
    fn a_glue_that_changed_shape_stops_the_build() {
        let glue = "        __wbg_a_1: function() {},\n";
        assert!(replace_exactly_once(glue, " __wbg_a_1: ", " b: ").is_ok());
        assert!(replace_exactly_once(glue, " __wbg_c_2: ", " b: ").is_err());
    }
}
