//! The sandbox's dialects: the ways the real platform may answer where its documentation is
//! silent, set by tests over HTTP (`POST /__sandbox/dialect` with a JSON body of this shape,
//! `DELETE` to go back to the default). The client must give a correct dashboard in each of
//! these worlds (see `upstream`'s list of what it does not assume); the default dialect is the
//! one the sandbox always spoke, a Laravel paginator in ascending id order.

use serde::{Deserialize, Serialize};

/// The switches. Every field is optional in the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dialect {
    /// Search ignores its filters and walks every user of the platform.
    pub filters_ignored: bool,
    /// Search answers 422 when a filter value is not a string.
    pub string_filters_only: bool,
    /// How search answers are paged.
    pub paging: Paging,
    /// `per_page` is ignored: pages are always [`IGNORED_PER_PAGE`] long.
    pub per_page_ignored: bool,
    /// The order of search results.
    pub order: Order,
    /// `GET /users/{id}` never includes `analytics`, whatever `with` asks.
    pub analytics_missing: bool,
    /// What a create answers for an email already in the campaign.
    pub duplicate_create: DuplicateCreate,
    /// A rewards search ignores its filters and answers every row of the account.
    pub reward_filters_ignored: bool,
    /// Every rewards route answers 404 (an account without the rewards feature).
    pub rewards_missing: bool,
}

/// The page size when `per_page` is ignored (Laravel's default).
pub const IGNORED_PER_PAGE: u64 = 25;

/// How search answers are paged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Paging {
    /// `?page=` and `?per_page=`, answered with `links` and `meta` (current and last page,
    /// total): Laravel's length-aware paginator.
    #[default]
    PageMeta,
    /// `?page=`, answered with `links.next` only: no `meta`, no totals.
    LinksOnly,
    /// An opaque `?cursor=` in `links.next`; `?page=` is ignored.
    Cursor,
}

/// The order of search results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// By id, ascending (oldest first).
    #[default]
    Asc,
    /// By id, descending (newest first).
    Desc,
    /// An arbitrary order, stable from one call to the next (as a database's heap order is).
    Random,
}

/// What a create answers for an email already in the campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum DuplicateCreate {
    /// 422 with `errors.email` (what a v1 client observed).
    #[default]
    #[serde(rename = "422")]
    Unprocessable,
    /// 409 Conflict with `errors.email`.
    #[serde(rename = "409")]
    Conflict,
    /// 200 with the existing user, as an upsert would.
    #[serde(rename = "200_existing")]
    Existing,
    /// 201 with the existing user, as a careless upsert would: the status alone cannot say the
    /// account is new.
    #[serde(rename = "201_existing")]
    CreatedExisting,
}

/// A position for `id` in the stable "random" order.
pub fn shuffle_key(id: u64) -> u64 {
    // SplitMix64: a bijection, so every id has its own place.
    let mut z = id.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dialects_read_as_documented_in_the_issue() {
        let dialect: Dialect = serde_json::from_value(json!({
            "filters_ignored": true, "string_filters_only": true, "paging": "links_only",
            "per_page_ignored": true, "order": "random", "analytics_missing": true,
            "duplicate_create": "200_existing"
        }))
        .unwrap();
        assert_eq!(dialect.paging, Paging::LinksOnly);
        assert_eq!(dialect.duplicate_create, DuplicateCreate::Existing);
        let conflict: Dialect = serde_json::from_value(json!({"duplicate_create": "409"})).unwrap();
        assert_eq!(conflict.duplicate_create, DuplicateCreate::Conflict);
        assert!(serde_json::from_value::<Dialect>(json!({"paging": "pages"})).is_err());
        assert!(serde_json::from_value::<Dialect>(json!({"typo": 1})).is_err());
    }
}
