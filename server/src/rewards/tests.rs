use time::macros::datetime;

use super::*;

fn definition(id: u64, metric: Metric, currency: Option<&str>, amount: Option<f64>) -> Definition {
    Definition {
        id,
        metric,
        campaign_id: Some(1),
        active: true,
        for_referrer: true,
        currency: currency.map(str::to_owned),
        amount,
    }
}

fn row(id: u64, reward_id: u64, status: Option<&str>, total: Option<f64>) -> RewardRow {
    RewardRow {
        id,
        reward_id: Some(reward_id),
        status: status.map(str::to_owned),
        coupon: None,
        count: None,
        total,
        at: Some(format!("2026-11-{:02}", 10 + id)),
    }
}

fn sums(list: &[Sum]) -> Vec<(&str, f64)> {
    list.iter()
        .map(|s| (s.currency.as_str(), s.amount))
        .collect()
}

#[test]
fn sums_are_per_currency_with_on_its_way_earned_and_failed_in_neither() {
    let definitions = [
        definition(1, Metric::Amount, Some("USD"), Some(20.0)),
        definition(2, Metric::Amount, Some("EUR"), Some(15.0)),
        definition(3, Metric::Commission, Some("USD"), None),
    ];
    let rows = [
        (
            Metric::Amount,
            Ledger::Issued,
            row(1, 1, Some("Sent"), Some(20.0)),
        ),
        (
            Metric::Amount,
            Ledger::Issued,
            row(2, 1, Some("Issued"), Some(0.1)),
        ),
        (
            Metric::Amount,
            Ledger::Issued,
            row(3, 1, Some("Sending"), Some(0.2)),
        ),
        (
            Metric::Amount,
            Ledger::Issued,
            row(4, 2, Some("Sent"), Some(15.0)),
        ),
        (
            Metric::Amount,
            Ledger::Issued,
            row(5, 2, Some("Failed"), Some(15.0)),
        ),
        (
            Metric::Amount,
            Ledger::Issued,
            row(6, 2, Some("Canceled"), Some(99.0)),
        ),
        (Metric::Amount, Ledger::Due, row(7, 1, None, Some(20.0))),
        (Metric::Commission, Ledger::Due, row(8, 3, None, Some(12.5))),
        (Metric::Commission, Ledger::Due, row(9, 3, None, None)),
    ];
    let body = rewards(&definitions, &rows);
    assert_eq!(sums(&body.earned), [("EUR", 15.0), ("USD", 20.3)]);
    assert_eq!(sums(&body.pending), [("USD", 32.5)]);
    assert_eq!(body.items.len(), 8, "the cancelled reward is left out");
    let unconfirmed = body
        .items
        .iter()
        .find(|i| i.id == "w_commission_d9")
        .unwrap();
    assert_eq!(
        (
            unconfirmed.status,
            unconfirmed.amount,
            unconfirmed.currency.as_deref()
        ),
        (Status::Pending, Some(0.0), Some("USD")),
        "a commission without its total reads as being confirmed"
    );
}

#[test]
fn a_currency_whose_sum_is_zero_is_left_out() {
    let definitions = [definition(3, Metric::Commission, Some("GBP"), None)];
    let rows = [(Metric::Commission, Ledger::Due, row(1, 3, None, Some(0.0)))];
    let body = rewards(&definitions, &rows);
    assert!(body.pending.is_empty() && body.earned.is_empty());
    assert_eq!(body.items.len(), 1);
}

#[test]
fn issued_statuses_map_to_the_sessions_words() {
    assert_eq!(issued_status(Some("Issued")), Some(Status::Earned));
    assert_eq!(issued_status(Some("SENT")), Some(Status::Earned));
    assert_eq!(issued_status(Some(" sending ")), Some(Status::OnItsWay));
    assert_eq!(issued_status(Some("Failed")), Some(Status::Failed));
    assert_eq!(issued_status(Some("Canceled")), None);
    assert_eq!(issued_status(Some("Cancelled")), None);
    assert_eq!(
        issued_status(Some("Refunded")),
        None,
        "undocumented: left out"
    );
    assert_eq!(issued_status(None), None);
}

#[test]
fn amounts_without_a_known_currency_are_never_summed() {
    let definitions = [definition(1, Metric::Amount, None, Some(5.0))];
    let rows = [
        (
            Metric::Amount,
            Ledger::Issued,
            row(1, 1, Some("Sent"), Some(5.0)),
        ),
        (
            Metric::Amount,
            Ledger::Issued,
            row(2, 77, Some("Sent"), Some(5.0)),
        ),
    ];
    let body = rewards(&definitions, &rows);
    assert!(body.items.is_empty() && body.earned.is_empty());
}

#[test]
fn an_amount_without_its_total_is_the_definitions_amount_times_the_count() {
    let definitions = [definition(1, Metric::Amount, Some("USD"), Some(20.0))];
    let mut due = row(1, 1, None, None);
    due.count = Some(2.0);
    let body = rewards(&definitions, &[(Metric::Amount, Ledger::Due, due)]);
    assert_eq!(sums(&body.pending), [("USD", 40.0)]);
}

#[test]
fn coupons_show_their_code_only_once_earned() {
    let definitions = [definition(4, Metric::Coupon, None, None)];
    let mut issued = row(1, 4, Some("Issued"), None);
    issued.coupon = Some("THANKS-7Q2K".into());
    let mut due = row(2, 4, None, None);
    due.coupon = Some("NOT-YET".into());
    let mut failed = row(3, 4, Some("Failed"), None);
    failed.coupon = Some("BROKEN".into());
    let body = rewards(
        &definitions,
        &[
            (Metric::Coupon, Ledger::Issued, issued),
            (Metric::Coupon, Ledger::Due, due),
            (Metric::Coupon, Ledger::Issued, failed),
        ],
    );
    let coupons: Vec<_> = body.items.iter().map(|i| i.coupon.as_deref()).collect();
    assert_eq!(coupons, [None, None, Some("THANKS-7Q2K")]);
    assert!(body.items.iter().all(|i| i.amount.is_none()));
}

#[test]
fn items_list_due_first_then_newest_first_and_are_capped() {
    let definitions = [definition(1, Metric::Amount, Some("USD"), Some(1.0))];
    let mut rows: Vec<_> = (1..=MAX_ITEMS as u64 + 10)
        .map(|id| {
            let mut r = row(id, 1, Some("Sent"), Some(1.0));
            r.at = Some(
                crate::dates::rfc3339(
                    datetime!(2026-01-01 00:00 UTC) + time::Duration::hours(id as i64),
                )
                .unwrap(),
            );
            (Metric::Amount, Ledger::Issued, r)
        })
        .collect();
    let mut due = row(999, 1, None, Some(1.0));
    due.at = None;
    rows.push((Metric::Amount, Ledger::Due, due));
    let body = rewards(&definitions, &rows);
    assert_eq!(body.items.len(), MAX_ITEMS);
    assert_eq!(body.items[0].id, "w_amount_d999");
    assert_eq!(body.items[1].id, format!("w_amount_i{}", MAX_ITEMS + 10));
    assert_eq!(
        sums(&body.earned),
        [("USD", (MAX_ITEMS + 10) as f64)],
        "the sums cover every reward, listed or not"
    );
}

fn campaign(status: &str, starts: Option<&str>, ends: Option<&str>) -> Campaign {
    Campaign {
        status: Some(status.into()),
        starts_at: starts.map(str::to_owned),
        ends_at: ends.map(str::to_owned),
    }
}

#[test]
fn program_status_follows_the_campaign_and_its_dates() {
    let now = datetime!(2026-06-15 12:00 UTC);
    let status = |c: &Campaign| program(c, now).map(|p| p.status);
    assert_eq!(
        status(&campaign("launched", None, None)),
        Some(ProgramStatus::Live)
    );
    assert_eq!(
        status(&campaign("paused", None, None)),
        Some(ProgramStatus::Paused)
    );
    assert_eq!(
        status(&campaign("draft", None, None)),
        Some(ProgramStatus::Paused)
    );
    assert_eq!(
        status(&campaign("launched", Some("2026-07-01"), None)),
        Some(ProgramStatus::NotStarted)
    );
    assert_eq!(
        status(&campaign(
            "launched",
            Some("2026-06-01"),
            Some("2026-06-15 11:59:59")
        )),
        Some(ProgramStatus::Ended)
    );
    assert_eq!(
        status(&campaign("paused", None, Some("2026-01-01T00:00:00Z"))),
        Some(ProgramStatus::Ended),
        "an ended program is ended, paused or not"
    );
    assert_eq!(status(&campaign("archived", None, None)), None);
}

#[test]
fn a_plain_end_date_lasts_the_whole_day() {
    let c = campaign("launched", None, Some("2026-06-15"));
    let during = program(&c, datetime!(2026-06-15 23:00 UTC)).unwrap();
    assert_eq!(during.status, ProgramStatus::Live);
    assert_eq!(during.ends_at.as_deref(), Some("2026-06-16T00:00:00Z"));
    let after = program(&c, datetime!(2026-06-16 00:00 UTC)).unwrap();
    assert_eq!(after.status, ProgramStatus::Ended);
    let open = program(
        &campaign("launched", None, None),
        datetime!(2026-06-16 00:00 UTC),
    );
    assert_eq!(open.unwrap().ends_at, None);
}

#[test]
fn the_session_members_have_the_spec_shape() {
    let definitions = [
        definition(1, Metric::Amount, Some("USD"), Some(20.0)),
        definition(4, Metric::Coupon, None, None),
    ];
    let mut coupon = row(2, 4, Some("Issued"), None);
    coupon.coupon = Some("THANKS-7Q2K".into());
    let body = rewards(
        &definitions,
        &[
            (
                Metric::Amount,
                Ledger::Issued,
                row(1, 1, Some("Issued"), Some(20.0)),
            ),
            (Metric::Coupon, Ledger::Issued, coupon),
        ],
    );
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(
        json["earned"],
        serde_json::json!([{"currency": "USD", "amount": 20.0}])
    );
    assert_eq!(json["pending"], serde_json::json!([]));
    assert_eq!(
        json["items"][0],
        serde_json::json!({"id": "w_coupon_i2", "kind": "coupon", "status": "earned",
            "coupon": "THANKS-7Q2K", "at": "2026-11-12"})
    );
    let program = serde_json::to_value(ProgramBody {
        status: ProgramStatus::NotStarted,
        ends_at: None,
    })
    .unwrap();
    assert_eq!(
        program,
        serde_json::json!({"status": "not_started", "ends_at": null})
    );
}
