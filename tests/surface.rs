#![cfg_attr(target_arch = "wasm32", allow(missing_docs))]
#![cfg(not(target_arch = "wasm32"))]
//! The public surface of `src/surface.rs` against what cannot be generated from it: the
//! stylesheet, the components, the event dispatches, the runtime lists and the package.
//! (What can be generated is, by `cargo xtask surface`, and `cargo xtask test` fails when a
//! generated block is stale.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use referrer_dashboard::fetch::ErrorKind;
use referrer_dashboard::share;
use referrer_dashboard::surface::{
    ATTRIBUTES, CHANNELS, CSS_PROPERTIES, ERROR_TYPES, EVENTS, MESSAGES, Msg, PARTS,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `--rd-…` name in `text`.
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|name| name.len() > prefix.len() && !name.ends_with('-'))
        .collect()
}

#[test]
fn the_stylesheet_reads_every_property_with_its_defaults_and_no_other() {
    let css = read("src/styles/widget.css");
    for p in &CSS_PROPERTIES {
        for default in [p.light, p.dark] {
            assert!(
                css.contains(&["var(", p.name, ", ", default, ")"].concat()),
                "{} default {default}",
                p.name
            );
        }
    }
    let known: BTreeSet<&str> = CSS_PROPERTIES.iter().map(|p| p.name).collect();
    for used in names_after(&css, "--rd-") {
        assert!(
            known.contains(used.as_str()),
            "widget.css uses undocumented {used}"
        );
    }
}

#[test]
fn the_components_expose_every_part_and_no_other() {
    let mut used = BTreeSet::new();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root().join("src/components"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    sources.push(root().join("src/panic.rs"));
    sources.push(root().join("pkg-template/element.js"));
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for marker in ["part=\"", "part: '"] {
            for piece in text.split(marker).skip(1) {
                used.insert(piece.split(['"', '\'']).next().unwrap().to_owned());
            }
        }
    }
    let parts: BTreeSet<String> = PARTS.iter().map(|p| p.name.to_owned()).collect();
    assert_eq!(used, parts);
}

#[test]
fn every_event_is_dispatched_and_every_error_type_is_reported() {
    let events = read("src/events.rs");
    for event in &EVENTS {
        assert!(
            events.contains(&["\"", event.name, "\""].concat()),
            "events.rs fires {}",
            event.name
        );
    }
    let reported: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    let listed: Vec<&str> = ERROR_TYPES.iter().map(|t| t.name).collect();
    assert_eq!(reported, listed);
    assert_eq!(ErrorKind::RateLimit.as_str(), "rate_limit");
}

#[test]
fn runtime_lists_are_the_surface() {
    let names: Vec<&str> = ATTRIBUTES.iter().map(|a| a.name).collect();
    assert_eq!(referrer_dashboard::config::ATTRIBUTES.to_vec(), names);
    let ids: Vec<&str> = share::ALL.iter().map(|c| c.id()).collect();
    assert_eq!(ids, CHANNELS);
    assert_eq!(share::Channel::Whatsapp.id(), "whatsapp");
    let channels = ATTRIBUTES.iter().find(|a| a.name == "channels").unwrap();
    assert!(channels.description.contains(&CHANNELS.join(" ")));
    let english = referrer_dashboard::i18n::Texts::new("en", Vec::new());
    for (msg, message) in Msg::ALL.into_iter().zip(&MESSAGES) {
        assert_eq!((msg.id(), english.get(msg)), (message.id, message.english));
    }
}

#[test]
fn the_package_points_editors_and_tools_at_the_manifest() {
    let package: serde_json::Value =
        serde_json::from_str(&read("pkg-template/package.json")).unwrap();
    assert_eq!(package["customElements"], "custom-elements.json");
    assert_eq!(
        package["exports"]["./custom-elements.json"],
        "./custom-elements.json"
    );
    let files: Vec<&str> = package["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(files.contains(&"custom-elements.json"));
    assert_eq!(
        package["version"],
        env!("CARGO_PKG_VERSION"),
        "npm and crate versions agree"
    );
}

/// The package is not on the npm registry yet, so wherever the docs show installing it they
/// say so and give the tarball route first; and the server they tell users to run is the
/// release binary. (`www/docs/backend.html` is the backend guide's, checked with it.)
#[test]
fn the_docs_install_from_the_tarball_and_run_the_release_binary() {
    for path in [
        "README.md",
        "pkg-template/README.md",
        "www/docs/integrate.html",
    ] {
        let text = read(path).replace("&amp;", "&").to_lowercase();
        let tarball = text
            .find("npm install ./referrer-dashboard-")
            .unwrap_or_else(|| panic!("{path} gives the tarball route"));
        assert!(
            text[..tarball].contains("npm pack"),
            "{path}: npm pack comes first"
        );
        for (at, _) in text.match_indices("npm install referrer-dashboard") {
            assert!(
                text[..at].contains("not published") && at < tarball,
                "{path}: `npm install referrer-dashboard` only after saying it is not published, before the tarball route"
            );
        }
        assert!(
            !text.contains("target/debug/referrer-dashboard-server"),
            "{path} runs the debug binary"
        );
    }
    let readme = read("README.md");
    assert!(readme.contains("cargo build --release -p referrer-dashboard-server"));
    assert!(readme.contains("target/release/referrer-dashboard-server"));
}

/// Every setting the server reads from the environment is in the configuration tables of the
/// README and of the backend guide (hidden test settings aside): a new variable without docs
/// fails here.
#[test]
fn every_server_setting_is_in_both_configuration_tables() {
    let config = read("server/src/config/mod.rs");
    let variables: Vec<&str> = config
        .split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|name| !name.contains("_TEST_"))
        .collect();
    assert!(variables.len() > 20, "settings found: {variables:?}");
    let readme = read("README.md");
    let readme = readme
        .split("## Configuration (server)")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a server configuration section");
    let guide = read("www/docs/backend.html");
    let guide = guide
        .split("id=\"configuration\"")
        .nth(1)
        .and_then(|rest| rest.split("<h2").next())
        .expect("the backend guide has a configuration section");
    for name in variables {
        assert!(
            readme.contains(&format!("`{name}`")),
            "README's configuration table lacks {name}"
        );
        assert!(
            guide.contains(&format!("<code>{name}</code>")),
            "the backend guide's configuration table lacks {name}"
        );
    }
}
