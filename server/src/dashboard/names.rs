//! The first name sent to the platform when a referrer is created: the platform validates
//! names, and a name it refuses would fail the same way on every request.

/// Longest first name sent upstream: the platform validates names, and a 300-character "name"
/// refused with 422 would otherwise fail the same way on every request.
const MAX_FIRST_NAME_CHARS: usize = 50;

/// The first name sent when the identity has no usable name.
const FALLBACK_FIRST_NAME: &str = "Friend";

/// The referrer's first name as the platform will accept it: the first word of the identity's
/// name, without control characters, at most 50 characters, never empty, never an
/// email.
pub fn first_name(name: Option<&str>) -> String {
    let word: String = name
        .and_then(|n| n.split_whitespace().next())
        .filter(|w| !w.contains('@'))
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIRST_NAME_CHARS)
        .collect();
    if word.is_empty() {
        FALLBACK_FIRST_NAME.to_owned()
    } else {
        word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_names_are_shaped_to_what_the_platform_accepts() {
        assert_eq!(first_name(Some("  Ada Lovelace ")), "Ada");
        assert_eq!(first_name(None), FALLBACK_FIRST_NAME);
        assert_eq!(first_name(Some("   ")), FALLBACK_FIRST_NAME);
        assert_eq!(first_name(Some("ada@example.com")), FALLBACK_FIRST_NAME);
        assert_eq!(first_name(Some("A\u{0}da")), "Ada");
        let long = "x".repeat(300);
        assert_eq!(
            first_name(Some(&long)).chars().count(),
            MAX_FIRST_NAME_CHARS
        );
        let accents = "É".repeat(80);
        assert_eq!(
            first_name(Some(&accents)).chars().count(),
            MAX_FIRST_NAME_CHARS
        );
    }
}
