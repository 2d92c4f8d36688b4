//! Decoding upstream answers never panics, whatever arrives: arbitrary bytes, and arbitrary
//! JSON in the places where users and pages are expected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use referrer_dashboard_server::upstream::paging::{Next, Pager};
use referrer_dashboard_server::upstream::{decode_page, decode_response, decode_user};
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep, biased toward the field names decoding looks at.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
        "-?[0-9]{1,25}".prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("id"),
        Just("reach"),
        Just("url"),
        Just("code"),
        Just("first_name"),
        Just("meta"),
        Just("field"),
        Just("value"),
        Just("analytics"),
        Just("referrals"),
        Just("qualified_referrals"),
        Just("sharing"),
        Just("text"),
        Just("subject"),
        Just("data"),
        Just("meta"),
        Just("last_page"),
        Just("total"),
        Just("current_page"),
        Just("qualified_at"),
        Just("signed_up_at"),
        Just("links"),
        Just("next"),
        Just("email"),
        Just("campaign_id"),
        Just("referrer_id"),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|pairs| Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(value) = decode_response(&bytes) {
            let _ = decode_user(&value);
            let _ = decode_page(&value);
        }
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        let _ = decode_user(&value);
        let _ = decode_page(&value);
        let _ = decode_user(&json!({"id": 1, "analytics": value.clone(), "meta": value.clone(), "sharing": value.clone()}));
        let _ = decode_page(&json!({"data": [value.clone()], "meta": value}));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// Whatever a search answers, every row is counted and no row becomes two users.
    #[test]
    fn a_page_counts_every_row_and_keeps_at_most_that_many_users(rows in prop::collection::vec(any_json(), 0..30)) {
        let page = decode_page(&json!({"data": rows.clone()})).unwrap();
        prop_assert_eq!(page.rows, rows.len());
        prop_assert!(page.users.len() <= page.rows);
    }

    /// Whatever the pages say about paging, a walk ends: by the answers, by a repeat, or at the
    /// row limit, never by asking for ever.
    #[test]
    fn a_walk_through_any_answers_ends(answers in prop::collection::vec(any_json(), 1..50)) {
        let base = url::Url::parse("https://api.example/api/v2/").unwrap();
        let mut pager = Pager::new(base, 500);
        let mut steps = 0;
        for answer in answers.iter().cycle().take(1_000) {
            let Ok(page) = decode_page(answer) else { continue };
            steps += 1;
            match pager.after(&page) {
                Ok(Next::Done(_)) | Err(_) => break,
                Ok(_) => {}
            }
            prop_assert!(steps < 1_000, "walked without end");
        }
    }
}
