//! Personal data in the forms this backend compares, stores and logs it, so that the same rule
//! holds everywhere and no module needs another to apply it:
//!
//! - [`email_key`]: an email as compared (SPEC §6: trimmed, case-insensitive);
//! - [`email_hash`]: an email as stored, so a webhook naming a referrer by email finds them
//!   without the database holding the email;
//! - [`subject_hash`]: a host's subject as logs show it, enough to follow one user through the
//!   log without naming them;
//! - [`digest`]: a key as Redis holds it (a subject may be an email, an address is personal).
//!
//! A leaf: it imports nothing from the crate.

use sha2::{Digest, Sha256};

/// An email as compared everywhere (SPEC §6): trimmed, and folded to lower case in ASCII only.
/// Unicode folding would make distinct addresses one: U+212A KELVIN SIGN lowers to `k`, so
/// `\u{212A}im@example.com` would claim `kim@example.com`'s account.
pub fn email_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// An email as stored: a SHA-256 of its compared form ([`email_key`]), hex. Enough to find a
/// referrer a webhook names by email; not the email.
pub fn email_hash(email: &str) -> String {
    let key = email_key(email);
    hex(&Sha256::digest(
        [b"referrer-dashboard email\0", key.as_bytes()].concat(),
    ))
}

/// A subject as it may appear in logs: a short hash (12 hex digits).
pub fn subject_hash(subject: &str) -> String {
    let digest = Sha256::digest([b"referrer-dashboard subject\0", subject.as_bytes()].concat());
    hex(&digest[..6])
}

/// A collision-resistant name for a key that may be personal: SHA-256, hex. Keys in Redis never
/// show a subject or an address itself.
pub fn digest(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_trimmed_and_case_insensitively_and_stored_hashed() {
        assert_eq!(email_key("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(
            email_hash("ada@example.com"),
            email_hash(" ADA@example.com")
        );
        assert_ne!(
            email_hash("ada@example.com"),
            email_hash("grace@example.com")
        );
        assert!(!email_hash("ada@example.com").contains("ada"));
        assert_eq!(email_hash("x@y.z").len(), 64);
    }

    #[test]
    fn emails_fold_in_ascii_only_so_a_kelvin_sign_claims_no_one_elses_address() {
        // U+212A KELVIN SIGN, which Unicode lower-casing turns into `k`.
        let kelvin = "\u{212A}im@example.com";
        assert_eq!("\u{212A}".to_lowercase(), "k", "the trap this avoids");
        assert_ne!(email_key(kelvin), email_key("kim@example.com"));
        assert_ne!(email_hash(kelvin), email_hash("kim@example.com"));
        assert_ne!(email_hash(kelvin), email_hash("Kim@Example.com"));
        // Other non-ASCII letters stay as they were, too: no address becomes another.
        assert_eq!(
            email_key("\u{130}van@example.com"),
            "\u{130}van@example.com"
        );
    }

    #[test]
    fn subjects_and_keys_are_named_without_showing_them() {
        assert_eq!(subject_hash("u-ada").len(), 12);
        assert_ne!(subject_hash("u-ada"), subject_hash("u-grace"));
        assert_eq!(digest("u-ada").len(), 64);
        assert_ne!(
            digest("u-ada")[..12],
            subject_hash("u-ada"),
            "domain-separated"
        );
    }
}
