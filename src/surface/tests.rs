//! The public surface, checked everywhere it appears. Run with `UPDATE_SURFACE=1` to regenerate
//! `pkg-template/custom-elements.json` after changing the table.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The Custom Elements Manifest (schema 2.1.0) this table describes.
fn manifest() -> Value {
    let attributes: Vec<Value> = ATTRIBUTES
        .iter()
        .map(|a| {
            json!({"name": a.name, "fieldName": a.property, "type": {"text": a.ts},
                   "default": a.default, "description": a.description})
        })
        .collect();
    let mut members: Vec<Value> = ATTRIBUTES
        .iter()
        .map(|a| {
            json!({"kind": "field", "name": a.property, "type": {"text": a.ts}, "attribute": a.name,
                   "reflects": true, "default": a.default, "description": a.description})
        })
        .collect();
    members.extend(MEMBERS.iter().map(|m| match m.kind {
        "method" => json!({"kind": "method", "name": m.name, "return": {"type": {"text": m.ts}},
                           "description": m.description}),
        _ => {
            json!({"kind": "field", "name": m.name, "type": {"text": m.ts}, "readonly": m.readonly,
                    "description": m.description})
        }
    }));
    let events: Vec<Value> = EVENTS
        .iter()
        .map(|e| {
            let cancel = if e.cancelable { " Cancelable." } else { "" };
            let ty = format!("CustomEvent<{}>", e.detail);
            let description = format!("{} Bubbles, composed.{cancel}", e.description);
            json!({"name": e.name, "type": {"text": ty}, "description": description})
        })
        .collect();
    let css: Vec<Value> = CSS_PROPERTIES
        .iter()
        .map(|p| {
            let dark = if p.dark == p.light {
                String::new()
            } else {
                [" Dark theme default: ", p.dark, "."].concat()
            };
            let description = format!("{}{dark}", p.description);
            json!({"name": p.name, "default": p.light, "description": description})
        })
        .collect();
    let parts: Vec<Value> = PARTS
        .iter()
        .map(|p| json!({"name": p.name, "description": p.description}))
        .collect();
    let declaration = json!({"name": "ReferrerDashboard", "module": "referrer-dashboard.js"});
    json!({
        "schemaVersion": "2.1.0",
        "readme": "README.md",
        "modules": [{
            "kind": "javascript-module",
            "path": "referrer-dashboard.js",
            "declarations": [{
                "kind": "class",
                "name": "ReferrerDashboard",
                "tagName": "referrer-dashboard",
                "customElement": true,
                "description": "An embeddable referral dashboard: the referral link, share actions, QR code, Reach / Referrals / Qualified Referrals and the referrals, from a short-lived session the host's endpoint issues.",
                "superclass": {"name": "HTMLElement", "package": "global:"},
                "attributes": attributes,
                "members": members,
                "events": events,
                "cssProperties": css,
                "cssParts": parts,
            }],
            "exports": [
                {"kind": "js", "name": "ReferrerDashboard", "declaration": declaration},
                {"kind": "js", "name": "default", "declaration": declaration},
                {"kind": "custom-element-definition", "name": "referrer-dashboard", "declaration": declaration},
            ],
        }],
    })
}

#[test]
fn the_manifest_is_generated_from_the_table() {
    let path = root().join("pkg-template/custom-elements.json");
    let generated = serde_json::to_string_pretty(&manifest()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SURFACE").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "custom-elements.json is out of date: run UPDATE_SURFACE=1 cargo test surface"
    );
}

#[test]
fn the_package_points_editors_at_the_manifest() {
    let package: Value = serde_json::from_str(&read("pkg-template/package.json")).unwrap();
    assert_eq!(package["customElements"], "custom-elements.json");
    let files: Vec<&str> = package["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(files.contains(&"custom-elements.json"));
    assert_eq!(
        package["version"],
        env!("CARGO_PKG_VERSION"),
        "npm and crate versions agree"
    );
}

#[test]
fn runtime_lists_match_the_table() {
    let names: Vec<&str> = ATTRIBUTES.iter().map(|a| a.name).collect();
    assert_eq!(crate::config::ATTRIBUTES.to_vec(), names);
    let js = read("pkg-template/element.js");
    let start = js
        .find("export const ATTRIBUTES = [")
        .expect("element.js lists ATTRIBUTES");
    let list = &js[start..js[start..].find(']').map(|e| start + e).unwrap()];
    let observed: Vec<&str> = list.split('\'').skip(1).step_by(2).collect();
    assert_eq!(
        observed, names,
        "element.js observes exactly the attributes"
    );
    let events = read("src/events.rs");
    for event in &EVENTS {
        assert!(
            events.contains(&["\"", event.name, "\""].concat()),
            "events.rs fires {}",
            event.name
        );
    }
    let channels = ATTRIBUTES[5].description;
    for channel in crate::share::ALL {
        assert!(
            channels.contains(channel.id()),
            "channels documents {}",
            channel.id()
        );
    }
}

#[test]
fn the_stylesheet_reads_every_property_with_its_defaults_and_no_other() {
    let css = read("src/styles/widget.css");
    for p in &CSS_PROPERTIES {
        assert!(
            css.contains(&["var(", p.name, ", ", p.light, ")"].concat()),
            "{} light default",
            p.name
        );
        assert!(
            css.contains(&["var(", p.name, ", ", p.dark, ")"].concat()),
            "{} dark default",
            p.name
        );
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
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("part=\"").skip(1) {
            used.insert(piece.split('"').next().unwrap().to_owned());
        }
    }
    let parts: BTreeSet<String> = PARTS.iter().map(|p| p.name.to_owned()).collect();
    assert_eq!(used, parts);
}

#[test]
fn the_typescript_declarations_cover_everything() {
    let dts = read("pkg-template/referrer-dashboard.d.ts");
    for a in &ATTRIBUTES {
        assert!(
            dts.contains(&["  ", a.property, ": ", a.ts, ";"].concat()),
            "d.ts property {}: {}",
            a.property,
            a.ts
        );
    }
    for m in &MEMBERS {
        let declared = match (m.kind, m.readonly) {
            ("method", _) => ["  ", m.name, "(): ", m.ts, ";"].concat(),
            (_, true) => ["  readonly ", m.name, ": ", m.ts, ";"].concat(),
            _ => ["  ", m.name, ": ", m.ts, ";"].concat(),
        };
        assert!(dts.contains(&declared), "d.ts member {declared}");
    }
    for e in &EVENTS {
        let entry = ["'", e.name, "': CustomEvent<", e.detail, ">;"].concat();
        assert!(dts.contains(&entry), "d.ts HTMLElementEventMap {entry}");
    }
    assert!(
        dts.contains("'referrer-dashboard': ReferrerDashboard;"),
        "HTMLElementTagNameMap"
    );
    for channel in crate::share::ALL {
        assert!(
            dts.contains(&["'", channel.id(), "'"].concat()),
            "channel type {}",
            channel.id()
        );
    }
}

#[test]
fn the_readme_tables_match_the_table() {
    let readme = read("README.md");
    for a in &ATTRIBUTES {
        assert!(
            readme.contains(&["| `", a.name, "` |"].concat()),
            "README attribute {}",
            a.name
        );
    }
    for e in &EVENTS {
        assert!(
            readme.contains(&["| `", e.name, "` |"].concat()),
            "README event {}",
            e.name
        );
    }
    for p in &CSS_PROPERTIES {
        let row = ["| `", p.name, "` | `", p.light, "`"].concat();
        let dark = if p.dark == p.light {
            "same".to_owned()
        } else {
            ["`", p.dark, "`"].concat()
        };
        let line = readme
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("README row {row}"));
        assert!(line.contains(&dark), "README dark default of {}", p.name);
    }
    let known: BTreeSet<&str> = CSS_PROPERTIES.iter().map(|p| p.name).collect();
    for mentioned in names_after(&readme, "--rd-") {
        assert!(
            known.contains(mentioned.as_str()),
            "README mentions unknown {mentioned}"
        );
    }
    let parts: BTreeSet<&str> = PARTS.iter().map(|p| p.name).collect();
    let table = section(&readme, "| part |");
    let listed: BTreeSet<&str> = table
        .lines()
        .skip(2)
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .collect();
    assert_eq!(listed, parts, "README parts table");
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

/// The table starting at the line beginning with `header`.
fn section<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text
        .find(header)
        .unwrap_or_else(|| panic!("no table {header}"));
    let rest = &text[start..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    &rest[..end]
}

/// Issue 17: the package is not on the npm registry yet, so wherever the docs show installing
/// it they say so and give the tarball route first; and the server they tell users to run is
/// the release binary. (`www/docs/backend.html` is the backend guide's, checked with it.)
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
