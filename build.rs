//! Minifies the widget's stylesheet into `OUT_DIR` before it is compiled into the wasm: the
//! source keeps its comments and layout, the bundle carries neither.

use std::path::PathBuf;

fn main() {
    let source = "src/styles/widget.css";
    println!("cargo::rerun-if-changed={source}");
    let css = std::fs::read_to_string(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}")));
    std::fs::write(out.join("widget.min.css"), minify(&css))
        .unwrap_or_else(|e| panic!("widget.min.css: {e}"));
}

/// Drops comments and whitespace that CSS does not need: runs collapse to one space, and no
/// space is kept next to `{ } ; ,` or after `:`. Spaces before `:` stay (`a :hover` is not
/// `a:hover`), as do spaces inside values (`0.5em 1em`, `calc(a / 2)`).
fn minify(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    without_comments.push_str(rest);
    let mut out = String::with_capacity(without_comments.len());
    let mut pending_space = false;
    for c in without_comments.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let glued = matches!(c, '{' | '}' | ';' | ',');
        let last = out.chars().last();
        if pending_space && !glued && !matches!(last, None | Some('{' | '}' | ';' | ',' | ':')) {
            out.push(' ');
        }
        pending_space = false;
        if c == '}' && last == Some(';') {
            out.pop();
        }
        out.push(c);
    }
    out
}
