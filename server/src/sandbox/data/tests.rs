//! The sandbox's data: seeds, creates, and searches by email and by referrer.

use super::*;
use serde_json::json;

fn data() -> (Data, u64) {
    let mut data = Data::new(1, "http://sandbox.test/r/".into());
    let now = OffsetDateTime::now_utc();
    let id = data.seed(&demo_seeds()[0], now);
    (data, id)
}

#[test]
fn seeded_counts_match_the_seed() {
    let (data, id) = data();
    let user = data.render(data.get(id).unwrap(), true);
    assert_eq!(user["analytics"]["referrals"], 37);
    assert_eq!(user["analytics"]["qualified_referrals"], 12);
    assert_eq!(user["reach"], "1204");
    assert!(
        user["url"]
            .as_str()
            .unwrap()
            .starts_with("http://sandbox.test/r/")
    );
}

#[test]
fn create_is_not_an_upsert() {
    let (mut data, _) = data();
    let now = OffsetDateTime::now_utc();
    let body = json!({"campaign_id": 1, "first_name": "New", "email": "new@example.com"});
    assert!(data.create(&body, now).is_ok());
    let existing = data.create(
        &json!({"campaign_id": 1, "first_name": "X", "email": " NEW@example.com"}),
        now,
    );
    assert!(
        matches!(existing, Err(Refusal::Duplicate(_))),
        "trimmed, any case"
    );
    let wrong = json!({"campaign_id": 2, "first_name": "X", "email": "x@example.com"});
    assert!(matches!(
        data.create(&wrong, now),
        Err(Refusal::Invalid("campaign_id", _))
    ));
}

#[test]
fn search_filters_by_email_and_referrer() {
    let (data, id) = data();
    let by_email = json!({"filters": {"value": [
        {"field": "email", "value": "ADA@example.com", "operator": "="},
        {"field": "campaign_id", "value": "1", "operator": "="}], "operator": "AND"}});
    assert_eq!(data.search(&by_email, false, true).unwrap(), vec![id]);
    let referrals = json!({"filters": {"value": [
        {"field": "referrer_id", "value": id, "operator": "="}], "operator": "AND"}});
    let ids = data.search(&referrals, false, false).unwrap();
    assert!(
        data.search(&referrals, false, true).is_err(),
        "a number where only strings are taken"
    );
    assert_eq!(
        data.search(&referrals, true, false).unwrap().len(),
        38,
        "everyone"
    );
    assert_eq!(ids.len(), 37);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending by id");
    let bad = json!({"filters": {"value": [{"field": "password", "value": 1}]}});
    assert!(data.search(&bad, false, false).is_err());
}
