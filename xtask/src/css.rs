//! The widget's one stylesheet, `src/styles/widget.css`, minified for the JS loader.
//!
//! The loader (`pkg-template/element.js`) carries it as a generated block (`surface:stylesheet`,
//! written by `cargo xtask surface`) and adopts it on every element's shadow root before
//! anything is drawn: its own skeleton and error state, then the Yew app, all under the same
//! rules. One copy in what a page downloads, not a copy in the wasm beside a loader's subset
//! (1.5 KB gzip, BENCHMARKS.md).

use crate::{Result, root};

/// Where the stylesheet's source is.
pub const SOURCE: &str = "src/styles/widget.css";

/// The stylesheet, minified.
///
/// # Errors
/// When the source cannot be read.
pub fn widget() -> Result<String> {
    let css = std::fs::read_to_string(root().join(SOURCE))
        .map_err(|e| format!("cannot read {SOURCE}: {e}"))?;
    Ok(minify(&css))
}

/// Drops comments and whitespace that CSS does not need: runs collapse to one space, and no
/// space is kept next to `{ } ; ,` or after `:`. Spaces before `:` stay (`a :hover` is not
/// `a:hover`), as do spaces inside values (`0.5em 1em`, `calc(a / 2)`).
pub fn minify(css: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_layout_go_values_and_descendant_selectors_stay() {
        let css = "/* a\n comment */\n.a .b :hover,\n.c {\n  margin: 0.5em 1em;\n  inline-size: calc(var(--x) / 2);\n}\n";
        assert_eq!(
            minify(css),
            ".a .b :hover,.c{margin:0.5em 1em;inline-size:calc(var(--x) / 2)}"
        );
    }

    #[test]
    fn an_unclosed_comment_ends_the_sheet() {
        assert_eq!(minify(".a{b:c}/* never closed .d{e:f}"), ".a{b:c}");
    }

    #[test]
    fn the_widget_stylesheet_minifies_to_less_than_its_source() {
        let source = std::fs::read_to_string(root().join(SOURCE)).unwrap_or_default();
        let minified = widget().unwrap_or_default();
        assert!(minified.starts_with(":host{"), "{minified:.40}");
        assert!(minified.len() * 3 < source.len() * 2);
        assert!(!minified.contains("/*") && !minified.contains('\n'));
    }
}
