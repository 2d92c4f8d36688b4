//! The demo users' rewards, in every state, in two currencies, with a coupon.

use time::{Duration, OffsetDateTime};

use super::data::{Definition, NewDue, Rewards, active, referring};
use crate::sandbox::data::Data;

/// The demo's rewards: Ada has rewards in every state and two currencies and a coupon; Linus
/// a long history; Grace none. Definitions in three metrics for the person referring, one for
/// the person invited and an inactive one (neither is read).
pub fn demo(data: &Data, now: OffsetDateTime) -> Rewards {
    let mut rewards = Rewards::new();
    let definition = |metric: &str, currency: Option<&str>, amount: Option<f64>| Definition {
        id: 0,
        metric: metric.into(),
        status: active(),
        recipient: referring(),
        currency: currency.map(str::to_owned),
        amount,
    };
    rewards.define(vec![
        definition("amount", Some("usd"), Some(20.0)),
        definition("amount", Some("eur"), Some(15.0)),
        definition("commission", Some("usd"), Some(10.0)),
        definition("coupon", None, None),
        Definition {
            recipient: "person_invited".into(),
            ..definition("amount", Some("usd"), Some(20.0))
        },
        Definition {
            status: "inactive".into(),
            ..definition("custom", None, None)
        },
    ]);
    let ago = |days: i64| now - Duration::days(days);
    let mut add = |recipient: Option<u64>,
                   reward_id,
                   total: Option<f64>,
                   coupon: Option<&str>,
                   issued: Option<&str>,
                   days| {
        let Some(recipient_id) = recipient else {
            return;
        };
        let due = NewDue {
            recipient_id,
            reward_id,
            count: Some(1),
            total,
            coupon: coupon.map(str::to_owned),
        };
        let Ok(id) = rewards.add_due(data, &due, ago(days)) else {
            return;
        };
        if let Some(status) = issued {
            let _ = rewards.issue(id, Some(status), ago(days));
        }
    };
    let ada = data.find_by_email("ada@example.com").map(|u| u.id);
    add(ada, 1, None, None, Some("Failed"), 40);
    add(ada, 1, None, None, Some("Sent"), 30);
    add(ada, 4, None, Some("THANKS-7Q2K"), Some("Issued"), 20);
    add(ada, 1, None, None, Some("Issued"), 12);
    add(ada, 1, None, None, Some("Canceled"), 9);
    add(ada, 2, None, None, Some("Sending"), 3);
    add(ada, 1, None, None, None, 1);
    add(ada, 3, Some(12.5), None, None, 1);
    add(ada, 3, None, None, None, 0);
    let linus = data.find_by_email("linus@example.com").map(|u| u.id);
    for n in 0..24 {
        add(
            linus,
            1 + (n % 2),
            None,
            None,
            Some("Sent"),
            80 - n as i64 * 3,
        );
    }
    add(linus, 3, Some(47.3), None, Some("Sent"), 5);
    add(linus, 4, None, Some("LINUS-GIFT-20"), None, 2);
    add(linus, 1, None, None, None, 1);
    rewards
}
