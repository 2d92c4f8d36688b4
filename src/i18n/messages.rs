//! From message ids to texts: the catalogues of [`super::catalogues`], keyed by id in the
//! source, become one table per language at compile time (an id that is not a message id stops
//! the build), and a text a catalogue lacks falls back to English (from `src/surface.rs`). The
//! wasm reads only English from here ([`english`]); the tables are what the host tests check
//! (the files the loader downloads are written from the same catalogues by `cargo xtask dist`).

use super::catalogues::{self, Catalogue};
use crate::surface::{self, Msg};

/// Number of messages.
pub const COUNT: usize = surface::MESSAGES.len();

/// The message ids, in [`Msg`] order.
const IDS: [&str; COUNT] = surface::message_ids();

/// English, the fallback of every catalogue.
const ENGLISH: [&str; COUNT] = surface::english();

/// A catalogue as the widget reads it: one text per message, in [`Msg`] order; `None` where it
/// falls back to English.
pub type Table = [Option<&'static str>; COUNT];

/// The languages that have a catalogue, by primary subtag.
const TAGS: [&str; catalogues::LANGUAGES.len()] = tags();

/// Their tables, in [`TAGS`] order.
static TABLES: [Table; catalogues::LANGUAGES.len()] = tables();

impl Msg {
    /// The public message id, the key of the `strings` property.
    pub fn id(self) -> &'static str {
        IDS[self as usize]
    }
}

/// The table for a primary language subtag (aliases resolved), if it has one.
pub fn table_for(language: &str) -> Option<&'static Table> {
    let language = catalogues::ALIASES
        .iter()
        .find(|(alias, _)| *alias == language)
        .map_or(language, |(_, canonical)| canonical);
    TAGS.iter()
        .position(|tag| *tag == language)
        .map(|i| &TABLES[i])
}

/// The text of `msg` in `table`, or English.
pub fn text(table: Option<&Table>, msg: Msg) -> &'static str {
    table
        .and_then(|t| t[msg as usize])
        .unwrap_or_else(|| english(msg))
}

/// The English text of `msg`.
pub fn english(msg: Msg) -> &'static str {
    ENGLISH[msg as usize]
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn index_of(id: &str) -> usize {
    let mut i = 0;
    while i < COUNT {
        if same(IDS[i], id) {
            return i;
        }
        i += 1;
    }
    panic!("a catalogue names a message id that src/surface.rs does not list")
}

/// `catalogue` as a table in [`Msg`] order.
pub const fn table(catalogue: Catalogue) -> Table {
    let mut table = [None; COUNT];
    let mut i = 0;
    while i < catalogue.len() {
        let (id, text) = catalogue[i];
        let at = index_of(id);
        assert!(table[at].is_none(), "a catalogue gives a message twice");
        table[at] = Some(text);
        i += 1;
    }
    table
}

const fn tags() -> [&'static str; catalogues::LANGUAGES.len()] {
    let mut tags = [""; catalogues::LANGUAGES.len()];
    let mut i = 0;
    while i < tags.len() {
        tags[i] = catalogues::LANGUAGES[i].0;
        i += 1;
    }
    tags
}

const fn tables() -> [Table; catalogues::LANGUAGES.len()] {
    let mut tables = [[None; COUNT]; catalogues::LANGUAGES.len()];
    let mut i = 0;
    while i < tables.len() {
        tables[i] = table(catalogues::LANGUAGES[i].1);
        i += 1;
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_unique_and_kebab_case() {
        for (i, a) in IDS.iter().enumerate() {
            assert!(
                a.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{a}"
            );
            assert!(!IDS[i + 1..].contains(a), "{a} twice");
        }
        assert_eq!(Msg::Title.id(), "title");
        assert_eq!(Msg::Anonymous.id(), "anonymous");
        assert_eq!(IDS.len(), Msg::ALL.len(), "one id per variant");
    }

    /// Every language translates every message. A gap would not break anything (that text
    /// falls back to English), but it is a gap: this lists them all.
    #[test]
    fn every_catalogue_translates_every_message() {
        let mut gaps = Vec::new();
        for (language, catalogue) in catalogues::LANGUAGES {
            let table = table(catalogue);
            for (i, text) in table.iter().enumerate() {
                match text {
                    None => gaps.push(format!("{language}: {} (missing)", IDS[i])),
                    Some(t) if t.trim().is_empty() => {
                        gaps.push(format!("{language}: {} (empty)", IDS[i]));
                    }
                    Some(_) => {}
                }
            }
        }
        assert!(gaps.is_empty(), "untranslated texts:\n{}", gaps.join("\n"));
    }

    #[test]
    fn a_text_a_catalogue_lacks_falls_back_to_english() {
        let partial = table(&[("copy", "Kopieren")]);
        assert_eq!(text(Some(&partial), Msg::Copy), "Kopieren");
        assert_eq!(text(Some(&partial), Msg::Retry), "Try again");
        assert_eq!(text(None, Msg::Retry), "Try again");
    }

    #[test]
    fn catalogues_are_keyed_by_id_not_by_position() {
        // Written in another order, the same pairs make the same table.
        let forward = table(&[("copy", "Copiar"), ("retry", "Reintentar")]);
        let backward = table(&[("retry", "Reintentar"), ("copy", "Copiar")]);
        assert_eq!(forward, backward);
        assert_eq!(text(Some(&backward), Msg::Copy), "Copiar");
    }

    #[test]
    fn languages_and_their_aliases_find_their_table() {
        let german = table_for("de").unwrap();
        assert_eq!(text(Some(german), Msg::Copy), "Kopieren");
        assert_eq!(
            text(table_for("iw"), Msg::Copy),
            text(table_for("he"), Msg::Copy)
        );
        assert!(table_for("zh").is_none());
        assert_eq!(text(table_for("zh"), Msg::Copy), "Copy");
    }
}
