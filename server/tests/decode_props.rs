//! Decoding upstream answers never panics, whatever arrives: arbitrary bytes, and arbitrary
//! JSON in the places where users and pages are expected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
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
