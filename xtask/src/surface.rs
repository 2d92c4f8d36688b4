//! `cargo xtask surface`: the element's public surface, listed once in `src/surface.rs`, written
//! into every file that states it.
//!
//! The loader's copy of the widget's stylesheet (`crate::css`) is generated here too.
//!
//! Whole files: `pkg-template/custom-elements.json`. Blocks between marker comments, the same
//! mechanism as the site's partials (`build::include_partials`): a line `<!-- surface:NAME -->`
//! (or `// surface:NAME` in JS and TypeScript) and a line `<!-- /surface:NAME -->`; what is
//! between them is generated, indented as the opening marker. [`check`] (run by
//! `cargo xtask test`) fails when anything generated differs from what is in the files.

use std::path::Path;

use serde_json::{Value, json};

use crate::{Result, root};

/// The table itself, as the widget compiles it.
#[allow(dead_code)]
#[path = "../../src/surface.rs"]
mod table;

/// The other languages' texts (for the loader's error state).
#[allow(dead_code)]
#[path = "../../src/i18n/catalogues.rs"]
mod catalogues;

use table::{
    ATTRIBUTES, CHANNELS, CSS_PROPERTIES, ERROR_TYPES, EVENTS, LOADER_MESSAGES, MEMBERS, MESSAGES,
    PARTS, Reflect, SLOTS,
};

/// A file and what is generated in it: the whole file, or named blocks.
enum Target {
    Whole(String),
    Blocks(Vec<(&'static str, String)>),
}

/// Every generated file, relative to the repository root.
fn targets() -> Result<Vec<(&'static str, Target)>> {
    Ok(vec![
        (
            "pkg-template/custom-elements.json",
            Target::Whole(manifest()),
        ),
        (
            "pkg-template/referrer-dashboard.d.ts",
            Target::Blocks(vec![
                ("types", ts_types()),
                ("element", ts_element()),
                ("events", ts_events()),
                ("global-events", ts_events()),
                ("jsx", ts_jsx()),
                ("svelte", ts_svelte()),
            ]),
        ),
        (
            "pkg-template/react.d.ts",
            Target::Blocks(vec![("react-props", ts_react_props())]),
        ),
        (
            "pkg-template/react.js",
            Target::Blocks(vec![("react", js_react())]),
        ),
        (
            "pkg-template/element.js",
            Target::Blocks(vec![
                ("attributes", js_attributes()),
                ("loader-texts", js_loader_texts()),
                ("stylesheet", js_stylesheet()?),
            ]),
        ),
        (
            "pkg-template/referrer-dashboard.js",
            Target::Blocks(vec![("catalogues", js_catalogues())]),
        ),
        (
            "README.md",
            Target::Blocks(vec![
                ("attributes", md_attributes()),
                ("events", md_events()),
                ("error-types", md_error_types()),
                ("css-properties", md_css_properties()),
                ("parts", md_parts()),
                ("slots", md_slots()),
                ("messages", md_messages()),
            ]),
        ),
        (
            "www/docs/integrate.html",
            Target::Blocks(vec![
                ("attributes", html_attributes()),
                ("members", html_members()),
                ("events", html_events()),
                ("error-types", html_error_types()),
                ("slots", html_slots()),
                ("messages", html_messages()),
            ]),
        ),
        (
            "www/docs/theming.html",
            Target::Blocks(vec![
                ("css-properties", html_css_properties()),
                ("parts", html_parts()),
            ]),
        ),
    ])
}

/// `cargo xtask surface`: writes every generated file and block; returns the files it changed.
pub fn write() -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for (path, current, generated) in generated()? {
        if current != generated {
            std::fs::write(root().join(path), generated)?;
            changed.push(path.to_owned());
        }
    }
    Ok(changed)
}

/// Fails, naming the files, when a generated file or block is not what `src/surface.rs` says.
pub fn check() -> Result<()> {
    let stale: Vec<&str> = generated()?
        .into_iter()
        .filter(|(_, current, generated)| current != generated)
        .map(|(path, _, _)| path)
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    Err(format!(
        "generated from src/surface.rs (and src/styles/widget.css), but stale: {}; run `cargo xtask surface`",
        stale.join(", ")
    )
    .into())
}

/// Each target file: its current text and the text it should have.
fn generated() -> Result<Vec<(&'static str, String, String)>> {
    let mut out = Vec::new();
    for (path, target) in targets()? {
        let current = std::fs::read_to_string(root().join(path))
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        let generated = match target {
            Target::Whole(text) => text,
            Target::Blocks(blocks) => {
                let mut text = current.clone();
                for (name, content) in blocks {
                    text = replace_block(&text, Path::new(path), name, &content)?;
                }
                text
            }
        };
        out.push((path, current, generated));
    }
    Ok(out)
}

/// `text` with the block `name` holding `content`, indented as its opening marker.
fn replace_block(text: &str, path: &Path, name: &str, content: &str) -> Result<String> {
    let is_marker = |line: &str, closing: bool| {
        let slash = if closing { "/" } else { "" };
        let line = line.trim_start();
        [
            ["<!-- ", slash, "surface:", name].concat(),
            ["// ", slash, "surface:", name].concat(),
        ]
        .iter()
        .any(|marker| {
            line.strip_prefix(marker.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let missing =
        |what: &str| format!("{} has no {what} marker for surface:{name}", path.display());
    let start = lines
        .iter()
        .position(|l| is_marker(l, false))
        .ok_or_else(|| missing("opening"))?;
    let end = start
        + lines[start..]
            .iter()
            .position(|l| is_marker(l, true))
            .ok_or_else(|| missing("closing"))?;
    let indent: String = lines[start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let mut out: Vec<String> = lines[..=start].iter().map(|l| (*l).to_owned()).collect();
    out.extend(content.lines().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            [indent.as_str(), line].concat()
        }
    }));
    out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
    Ok(out.join("\n"))
}

// ---------------------------------------------------------------------------------------------
// Rendering the descriptions (Markdown with `code` and **strong**) for each target.

/// Markdown `code` and **strong** as HTML, everything else escaped.
fn html(markdown: &str) -> String {
    let mut out = String::new();
    let (mut code, mut strong) = (false, false);
    let mut chars = markdown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                out.push_str(if code { "</code>" } else { "<code>" });
                code = !code;
            }
            '*' if !code && chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str(if strong { "</strong>" } else { "<strong>" });
                strong = !strong;
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: `class="wrap"` when it holds code too long to stay on one line.
fn td(markdown: &str) -> String {
    let long_code = markdown
        .split('`')
        .skip(1)
        .step_by(2)
        .any(|code| code.len() > 24);
    let class = if long_code { r#" class="wrap""# } else { "" };
    ["<td", class, ">", &html(markdown), "</td>"].concat()
}

fn code(text: &str) -> String {
    ["`", text, "`"].concat()
}

/// The first letter lowercase (the tables' descriptions are not sentences), unless the first
/// word is an acronym (`URL`, `BCP 47`).
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), text.chars().nth(1)) {
        (Some(first), Some(second)) if !second.is_uppercase() => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

fn clause(text: &str) -> String {
    lower_first(text.trim().trim_end_matches('.'))
}

fn event_when(e: &table::Event) -> String {
    let when = clause(e.description);
    if e.cancelable {
        let (before, after) = when
            .split_once("; call")
            .map_or((when.as_str(), ""), |(b, a)| (b, a));
        if after.is_empty() {
            return [before, "; **cancelable**"].concat();
        }
        return [before, "; **cancelable**: call", after].concat();
    }
    when
}

fn member_name(m: &table::Member) -> String {
    if m.method {
        [m.name, "()"].concat()
    } else {
        m.name.to_owned()
    }
}

fn md_table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = ["| ", &header.join(" | "), " |\n|"].concat();
    out.push_str(&"---|".repeat(header.len()));
    out.push('\n');
    for row in rows {
        out.push_str(&["| ", &row.join(" | "), " |\n"].concat());
    }
    out
}

fn html_rows(rows: Vec<Vec<String>>) -> String {
    rows.into_iter()
        .map(|cells| {
            let cells: String = cells.iter().map(|c| td(c)).collect();
            ["<tr>", &cells, "</tr>\n"].concat()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The rows, shared by the README and the site.

fn attribute_rows() -> Vec<Vec<String>> {
    ATTRIBUTES
        .iter()
        .map(|a| vec![code(a.name), clause(a.description), a.default.to_owned()])
        .collect()
}

fn member_rows() -> Vec<Vec<String>> {
    MEMBERS
        .iter()
        .map(|m| {
            let readonly = if m.readonly { "read-only: " } else { "" };
            vec![
                code(&member_name(m)),
                code(m.ts),
                [readonly, &clause(m.description)].concat(),
            ]
        })
        .collect()
}

fn event_rows() -> Vec<Vec<String>> {
    EVENTS
        .iter()
        .map(|e| vec![code(e.name), event_when(e), code(e.shape)])
        .collect()
}

fn error_type_rows() -> Vec<Vec<String>> {
    ERROR_TYPES
        .iter()
        .map(|t| vec![code(t.name), t.cause.to_owned()])
        .collect()
}

fn css_rows(swatches: bool) -> Vec<Vec<String>> {
    let value = |v: &str| {
        if swatches && v.starts_with('#') {
            let class = ["sw-", &v[1..]].concat();
            // The swatch is markup, added after escaping (see `html_css_properties`).
            [&class, "|", &code(v)].concat()
        } else {
            code(v)
        }
    };
    CSS_PROPERTIES
        .iter()
        .map(|p| {
            let dark = if p.dark == p.light {
                "same".to_owned()
            } else {
                value(p.dark)
            };
            vec![code(p.name), value(p.light), dark, p.description.to_owned()]
        })
        .collect()
}

fn part_rows() -> Vec<Vec<String>> {
    PARTS
        .iter()
        .map(|p| vec![code(p.name), p.description.to_owned()])
        .collect()
}

fn slot_rows() -> Vec<Vec<String>> {
    SLOTS
        .iter()
        .map(|s| vec![code(s.name), s.description.to_owned()])
        .collect()
}

fn message_rows() -> Vec<Vec<String>> {
    MESSAGES
        .iter()
        .map(|m| vec![code(m.id), m.english.to_owned(), clause(m.description)])
        .collect()
}

fn md_attributes() -> String {
    md_table(&["attribute", "meaning", "default"], attribute_rows())
}

fn md_events() -> String {
    md_table(&["event", "when", "`detail`"], event_rows())
}

fn md_error_types() -> String {
    md_table(&["`type`", "cause"], error_type_rows())
}

fn md_css_properties() -> String {
    md_table(
        &["property", "light default", "dark default", "used for"],
        css_rows(false),
    )
}

fn md_parts() -> String {
    md_table(&["part", "element"], part_rows())
}

fn md_slots() -> String {
    md_table(&["slot", "what it shows"], slot_rows())
}

fn md_messages() -> String {
    md_table(&["message id", "English", "where"], message_rows())
}

fn html_attributes() -> String {
    html_rows(attribute_rows())
}

fn html_members() -> String {
    html_rows(member_rows())
}

fn html_events() -> String {
    html_rows(event_rows())
}

fn html_error_types() -> String {
    html_rows(error_type_rows())
}

fn html_css_properties() -> String {
    let rows = css_rows(true);
    let mut out = String::new();
    for cells in rows {
        out.push_str("<tr>");
        for cell in cells {
            match cell.split_once('|') {
                Some((class, value)) if class.starts_with("sw-") => {
                    out.push_str(
                        &[
                            "<td><span class=\"swatch ",
                            class,
                            "\" aria-hidden=\"true\"></span>",
                            &html(value),
                            "</td>",
                        ]
                        .concat(),
                    );
                }
                _ => out.push_str(&td(&cell)),
            }
        }
        out.push_str("</tr>\n");
    }
    out
}

fn html_parts() -> String {
    html_rows(part_rows())
}

fn html_slots() -> String {
    html_rows(slot_rows())
}

fn html_messages() -> String {
    html_rows(message_rows())
}

// ---------------------------------------------------------------------------------------------
// The package: TypeScript, the loader, the Custom Elements Manifest.

fn union(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| ["'", v, "'"].concat())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn ts_types() -> String {
    let errors: Vec<&str> = ERROR_TYPES.iter().map(|t| t.name).collect();
    let ids: Vec<&str> = MESSAGES.iter().map(|m| m.id).collect();
    [
        "/** A share action of the `channels` attribute. */\n",
        "export type ReferrerDashboardChannel = ",
        &union(&CHANNELS),
        ";\n\n/** The `type` of an `rd-error`. */\nexport type ReferrerDashboardErrorType = ",
        &union(&errors),
        ";\n\n/** A message id: a key of the `strings` property. */\nexport type ReferrerDashboardMessageId =\n  | ",
        &union(&ids).replace(" | ", "\n  | "),
        ";\n",
    ]
    .concat()
}

fn ts_element() -> String {
    let mut out = String::new();
    for a in &ATTRIBUTES {
        out.push_str(
            &[
                "/** ",
                a.description,
                " Attribute `",
                a.name,
                "`; default: ",
                a.default,
                ". */\n",
                a.property,
                ": ",
                a.ts,
                ";\n",
            ]
            .concat(),
        );
    }
    for m in &MEMBERS {
        let declaration = match (m.method, m.readonly) {
            (true, _) => [m.name, "(): ", m.ts, ";\n"].concat(),
            (false, true) => ["readonly ", m.name, ": ", m.ts, ";\n"].concat(),
            (false, false) => [m.name, ": ", m.ts, ";\n"].concat(),
        };
        out.push_str(&["/** ", m.description, " */\n", &declaration].concat());
    }
    out
}

fn ts_events() -> String {
    EVENTS
        .iter()
        .map(|e| ["'", e.name, "': CustomEvent<", e.detail, ">;\n"].concat())
        .collect()
}

fn ts_jsx() -> String {
    let mut out = String::new();
    for a in &ATTRIBUTES {
        let name = if a.name.contains('-') {
            ["'", a.name, "'"].concat()
        } else {
            a.name.to_owned()
        };
        out.push_str(&[&name, "?: ", a.jsx, ";\n"].concat());
    }
    for m in MEMBERS.iter().filter(|m| !m.method && !m.readonly) {
        out.push_str(&[m.name, "?: ", m.ts, ";\n"].concat());
    }
    for e in &EVENTS {
        out.push_str(
            &[
                "'on",
                e.name,
                "'?: (event: CustomEvent<",
                e.detail,
                ">) => void;\n",
            ]
            .concat(),
        );
    }
    out
}

/// Svelte's legacy `on:` directives for the events (Svelte 5's `onrd-*` attributes are the JSX
/// props').
fn ts_svelte() -> String {
    EVENTS
        .iter()
        .map(|e| {
            [
                "'on:",
                e.name,
                "'?: (event: CustomEvent<",
                e.detail,
                ">) => void;\n",
            ]
            .concat()
        })
        .collect()
}

/// The attribute the React wrapper manages itself (it renders it and removes it), so no prop.
const WRAPPER_OWNED: &str = "defer-hydration";

/// `rd-load` as a React prop: `onRdLoad`.
fn event_prop(event: &str) -> String {
    let mut out = String::from("on");
    for word in event.split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The React wrapper's own props, with their descriptions.
fn ts_react_props() -> String {
    let mut out = String::new();
    let mut prop = |description: &str, declaration: String| {
        out.push_str(&["/** ", description, " */\n", &declaration, ";\n"].concat());
    };
    for a in ATTRIBUTES.iter().filter(|a| a.name != WRAPPER_OWNED) {
        prop(a.description, [a.property, "?: ", a.jsx].concat());
    }
    for m in MEMBERS.iter().filter(|m| !m.method && !m.readonly) {
        prop(m.description, [m.name, "?: ", m.ts].concat());
    }
    for e in &EVENTS {
        let declaration = [
            &event_prop(e.name),
            "?: (event: CustomEvent<",
            e.detail,
            ">) => void",
        ]
        .concat();
        prop(e.description, declaration);
    }
    out
}

/// The React wrapper's maps from props to attributes and events.
fn js_react() -> String {
    let attributes: Vec<String> = ATTRIBUTES
        .iter()
        .filter(|a| a.name != WRAPPER_OWNED)
        .map(|a| [a.property, ": '", a.name, "'"].concat())
        .collect();
    let booleans: Vec<&str> = ATTRIBUTES
        .iter()
        .filter(|a| a.reflect == Reflect::Boolean && a.name != WRAPPER_OWNED)
        .map(|a| a.property)
        .collect();
    let events: Vec<String> = EVENTS
        .iter()
        .map(|e| [&event_prop(e.name), ": '", e.name, "'"].concat())
        .collect();
    [
        "/** The element's attributes by prop name. */\nconst ATTRIBUTES = { ",
        &attributes.join(", "),
        " };\nconst BOOLEAN = new Set(",
        &js_list(&booleans),
        ");\n/** The element's events by prop name. */\nconst EVENTS = { ",
        &events.join(", "),
        " };\n",
    ]
    .concat()
}

fn js_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| ["'", v, "'"].concat()).collect();
    ["[", &quoted.join(", "), "]"].concat()
}

fn js_attributes() -> String {
    let names: Vec<&str> = ATTRIBUTES.iter().map(|a| a.name).collect();
    let of = |kind: Reflect| -> Vec<&str> {
        ATTRIBUTES
            .iter()
            .filter(|a| a.reflect == kind)
            .map(|a| a.name)
            .collect()
    };
    [
        "/** Observed attributes, each reflected as a camelCase property (SPEC §4). */\n",
        "export const ATTRIBUTES = ",
        &js_list(&names),
        ";\nconst BOOLEAN = new Set(",
        &js_list(&of(Reflect::Boolean)),
        ");\nconst NUMBER = new Set(",
        &js_list(&of(Reflect::Number)),
        ");\n",
    ]
    .concat()
}

/// The loader's error-state texts per language (`title`, `error-title`, `retry`), the
/// aliases of language subtags, and the right-to-left languages.
/// The widget's stylesheet for the loader to adopt (`crate::css`), as a JS string literal.
fn js_stylesheet() -> Result<String> {
    Ok([
        "const STYLESHEET = ",
        &serde_json::to_string(&crate::css::widget()?)?,
        ";\n",
    ]
    .concat())
}

fn js_loader_texts() -> String {
    let ids: Vec<&str> = LOADER_MESSAGES
        .iter()
        .map(|&msg| MESSAGES[msg as usize].id)
        .collect();
    let mut out = [
        "const LOADER_IDS = ",
        &js_list(&ids),
        ";\nconst LOADER_TEXTS = {\n",
    ]
    .concat();
    out.push_str(&["  en: ", &loader_texts(None), ",\n"].concat());
    for (language, catalogue) in catalogues::LANGUAGES {
        out.push_str(&["  ", language, ": ", &loader_texts(Some(catalogue)), ",\n"].concat());
    }
    out.push_str("};\n/** Other subtags of the same languages. */\nconst ALIASES = { ");
    let aliases: Vec<String> = catalogues::ALIASES
        .iter()
        .map(|(alias, language)| [alias, ": '", language, "'"].concat())
        .collect();
    out.push_str(&aliases.join(", "));
    out.push_str(" };\n/** Languages written right to left (as `i18n::is_rtl`). */\nconst RTL = ");
    out.push_str(&js_list(&catalogues::RIGHT_TO_LEFT));
    out.push_str(";\n");
    out
}

/// The name of a language's catalogue module in the npm package (`.js`; the CDN's is `.json`).
pub fn catalogue_module(language: &str) -> String {
    ["catalogue-", language, ".js"].concat()
}

/// The entry module's map from language to its catalogue: one literal `import(…)` per module,
/// which bundlers see and split into a chunk of its own.
fn js_catalogues() -> String {
    let mut out = String::from(
        "/**\n * The catalogues of the languages besides English, by primary subtag: modules beside the wasm\n * (`cargo xtask dist` writes them), each imported by a literal `import()`, which bundlers split\n * into a chunk of their own and load only when called (a `new URL()` asset, as the wasm is\n * located, would be inlined into the page's bundle by Vite as a `data:` URL, all seven).\n */\nconst CATALOGUES = {\n",
    );
    for (language, _) in catalogues::LANGUAGES {
        out.push_str(
            &[
                "  ",
                language,
                ": () => import('./",
                &catalogue_module(language),
                "'),\n",
            ]
            .concat(),
        );
    }
    out.push_str("};\n");
    out
}

/// Every language's catalogue: its language and JSON (message id → text, in the order of
/// `src/surface.rs`). An id that is not a message id is an error.
pub fn catalogue_files() -> Result<Vec<(&'static str, String)>> {
    let mut files = Vec::new();
    for (language, catalogue) in catalogues::LANGUAGES {
        if let Some((id, _)) = catalogue
            .iter()
            .find(|(id, _)| !MESSAGES.iter().any(|m| m.id == *id))
        {
            return Err(
                format!("the {language} catalogue names `{id}`, which is no message id").into(),
            );
        }
        let mut object = serde_json::Map::new();
        for message in MESSAGES {
            if let Some((_, text)) = catalogue.iter().find(|(id, _)| *id == message.id) {
                object.insert(message.id.to_owned(), json!(text));
            }
        }
        files.push((language, Value::Object(object).to_string()));
    }
    Ok(files)
}

/// The loader's texts from `catalogue`, each falling back to English where it lacks one.
fn loader_texts(catalogue: Option<catalogues::Catalogue>) -> String {
    let list: Vec<String> = LOADER_MESSAGES
        .iter()
        .map(|&msg| {
            let message = &MESSAGES[msg as usize];
            let text = catalogue
                .and_then(|c| c.iter().find(|(id, _)| *id == message.id))
                .map_or(message.english, |(_, text)| text);
            json!(text).to_string()
        })
        .collect();
    ["[", &list.join(", "), "]"].concat()
}

/// An attribute's default as the manifest wants it (the value itself), or `None` when the
/// documented default is prose ("required unless `demo`"), which then joins the description.
fn manifest_default(default: &str) -> Option<&str> {
    let value = default
        .strip_prefix('`')
        .and_then(|d| d.strip_suffix('`'))
        .unwrap_or(default);
    let code_span = value != default && !value.contains('`');
    (code_span || value.bytes().all(|b| b.is_ascii_digit())).then_some(value)
}

/// The Custom Elements Manifest (schema 2.1.0).
fn manifest() -> String {
    let attribute = |a: &table::Attribute, mut entry: Value| {
        match manifest_default(a.default) {
            Some(value) => {
                entry["default"] = json!(value);
                entry["description"] = json!(a.description);
            }
            None => {
                entry["description"] =
                    json!([a.description, " Default: ", a.default, "."].concat());
            }
        }
        entry
    };
    let attributes: Vec<Value> = ATTRIBUTES
        .iter()
        .map(|a| {
            attribute(
                a,
                json!({"name": a.name, "fieldName": a.property, "type": {"text": a.ts}}),
            )
        })
        .collect();
    let mut members: Vec<Value> = ATTRIBUTES
        .iter()
        .map(|a| {
            let field = json!({"kind": "field", "name": a.property, "type": {"text": a.ts},
                               "attribute": a.name, "reflects": true});
            attribute(a, field)
        })
        .collect();
    members.extend(MEMBERS.iter().map(|m| {
        if m.method {
            json!({"kind": "method", "name": m.name, "return": {"type": {"text": m.ts}},
                   "description": m.description})
        } else {
            json!({"kind": "field", "name": m.name, "type": {"text": m.ts}, "readonly": m.readonly,
                   "description": m.description})
        }
    }));
    let events: Vec<Value> = EVENTS
        .iter()
        .map(|e| {
            let cancel = if e.cancelable { " Cancelable." } else { "" };
            let ty = ["CustomEvent<", e.detail, ">"].concat();
            let description = [e.description, " Bubbles, composed.", cancel].concat();
            json!({"name": e.name, "type": {"text": ty}, "description": description})
        })
        .collect();
    let css: Vec<Value> = CSS_PROPERTIES
        .iter()
        .map(|p| {
            let dark = if p.dark == p.light {
                String::new()
            } else {
                ["; dark theme: ", p.dark].concat()
            };
            let description = [p.description, &dark].concat();
            json!({"name": p.name, "default": p.light, "description": description})
        })
        .collect();
    let parts: Vec<Value> = PARTS
        .iter()
        .map(|p| json!({"name": p.name, "description": p.description}))
        .collect();
    let slots: Vec<Value> = SLOTS
        .iter()
        .map(|s| json!({"name": s.name, "description": s.description}))
        .collect();
    let declaration = json!({"name": "ReferrerDashboard", "module": "referrer-dashboard.js"});
    let manifest = json!({
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
                "description": "An embeddable referral dashboard: the referral link, share actions, QR code, Reach / Referrals / Qualified Referrals, what the referrer has earned and the referrals, from a short-lived session the host's endpoint issues.",
                "superclass": {"name": "HTMLElement", "package": "global:"},
                "attributes": attributes,
                "members": members,
                "events": events,
                "cssProperties": css,
                "cssParts": parts,
                "slots": slots,
            }],
            "exports": [
                {"kind": "js", "name": "ReferrerDashboard", "declaration": declaration},
                {"kind": "js", "name": "default", "declaration": declaration},
                {"kind": "custom-element-definition", "name": "referrer-dashboard", "declaration": declaration},
            ],
        }],
    });
    serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_replaced_between_its_markers_with_their_indentation() {
        let text = "a\n  <!-- surface:x (generated) -->\n  old\n  <!-- /surface:x -->\nb\n";
        let out = replace_block(text, Path::new("t"), "x", "one\n\ntwo\n").unwrap();
        assert_eq!(
            out,
            "a\n  <!-- surface:x (generated) -->\n  one\n\n  two\n  <!-- /surface:x -->\nb\n"
        );
        // Generating again changes nothing.
        assert_eq!(
            replace_block(&out, Path::new("t"), "x", "one\n\ntwo\n").unwrap(),
            out
        );
    }

    #[test]
    fn events_become_react_props() {
        assert_eq!(event_prop("rd-load"), "onRdLoad");
        assert_eq!(event_prop("rd-error"), "onRdError");
    }

    #[test]
    fn a_missing_marker_is_an_error_naming_the_file() {
        let error = replace_block("no markers", Path::new("README.md"), "parts", "")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("README.md") && error.contains("surface:parts"),
            "{error}"
        );
        // A block's name must match whole: `surface:parts` is not `surface:parts-2`.
        let text = "// surface:parts-2\n// /surface:parts-2\n";
        assert!(replace_block(text, Path::new("t"), "parts", "").is_err());
    }

    #[test]
    fn the_manifest_gives_a_default_only_when_it_is_a_value() {
        assert_eq!(manifest_default("`same-origin`"), Some("same-origin"));
        assert_eq!(manifest_default("5"), Some("5"));
        assert_eq!(manifest_default("required unless `demo`"), None);
        assert_eq!(
            manifest_default("`native email x whatsapp linkedin`"),
            Some("native email x whatsapp linkedin")
        );
        assert_eq!(manifest_default("absent"), None);
    }

    #[test]
    fn table_cells_start_lowercase_except_acronyms() {
        assert_eq!(clause("The link was copied."), "the link was copied");
        assert_eq!(
            clause("URL of your endpoint (GET)."),
            "URL of your endpoint (GET)"
        );
    }

    #[test]
    fn descriptions_become_html_with_code_and_escapes() {
        assert_eq!(
            html("calls `a<b>` & **stops**"),
            "calls <code>a&lt;b&gt;</code> &amp; <strong>stops</strong>"
        );
        assert_eq!(
            td("from `native email x whatsapp linkedin`"),
            r#"<td class="wrap">from <code>native email x whatsapp linkedin</code></td>"#
        );
        assert_eq!(td("`auto`"), "<td><code>auto</code></td>");
    }

    #[test]
    fn the_loader_falls_back_to_english_where_a_catalogue_lacks_a_text() {
        assert_eq!(
            loader_texts(Some(&[("retry", "Nochmal"), ("copy", "Kopieren")])),
            r#"["Your referral dashboard", "We couldn't load your referral dashboard.", "Nochmal", "Loading your referral dashboard"]"#
        );
        let block = js_loader_texts();
        assert!(
            block.starts_with("const LOADER_IDS = ['title', 'error-title', 'retry', 'loading'];")
        );
        assert!(block.contains("  de: [\"Ihr Empfehlungs-Dashboard\""));
        assert!(block.contains("const ALIASES = { iw: 'he' };"));
        assert!(block.contains("const RTL = ['ar', 'he'"));
    }
}
