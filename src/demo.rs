//! Built-in sample data for the `demo` attribute: a plausible dashboard with a few pages of
//! referrals, made without any network so hosts and docs can show the widget anywhere. Pure.

use crate::session::rewards::{Kind, Money, Reward, RewardStatus};
use crate::session::{
    Page, Program, Referral, Referrer, Rewards, Session, Share, Stats, Status, push_usize,
};

/// Referrals in the sample, over [`PAGE`]-sized pages.
const TOTAL: usize = 27;

/// Referrals per sample page (the first page comes with the session).
const PAGE: usize = 10;

const DAY_MS: f64 = 86_400_000.0;

const NAMES: [&str; 9] = [
    "Jo D.", "Sam K.", "Maria G.", "Yuki T.", "Noah S.", "Amara O.", "Lucas S.", "Ines D.",
    "Omar H.",
];

/// Cursors look like `demo:10` (the index of the page's first referral).
const CURSOR_PREFIX: &str = "demo:";

/// The sample session at `now` (ms since the epoch). It never expires in practice.
pub fn session(now: f64) -> Session {
    Session {
        expires_at: now + 365.0 * DAY_MS,
        referrer: Referrer {
            name: Some("Alex".to_owned()),
            link: "https://example.com/r/DEMO42".to_owned(),
            code: Some("DEMO42".to_owned()),
        },
        stats: Stats {
            reach: 12_480.0,
            referrals: TOTAL as f64,
            qualified: TOTAL.div_ceil(3) as f64,
        },
        referrals: page_from(0, now),
        share: Share {
            message: Some("I use Example and think you'd like it too.".to_owned()),
            subject: Some("Join me on Example".to_owned()),
        },
        rewards: Some(Box::new(rewards(now))),
        program: Some(Program::Live),
        dropped: None,
    }
}

/// Sample rewards: one in each status, a coupon, and a commission still being confirmed.
fn rewards(now: f64) -> Rewards {
    let usd = |amount: f64| Money {
        currency: "USD".to_owned(),
        amount,
    };
    let reward = |id: &str, kind, status, amount: Option<f64>, days_ago: Option<f64>| Reward {
        id: id.to_owned(),
        kind,
        status,
        amount,
        currency: amount.map(|_| "USD".to_owned()),
        coupon: (kind == Kind::Coupon).then(|| "THANKS-7Q2K".to_owned()),
        at: days_ago.map(|d| (now - d * DAY_MS, false)),
    };
    Rewards {
        earned: vec![usd(40.0)],
        pending: vec![usd(20.0)],
        items: vec![
            reward(
                "demo-w1",
                Kind::Amount,
                RewardStatus::Pending,
                Some(20.0),
                None,
            ),
            reward(
                "demo-w2",
                Kind::Commission,
                RewardStatus::Pending,
                Some(0.0),
                None,
            ),
            reward(
                "demo-w3",
                Kind::Amount,
                RewardStatus::OnItsWay,
                Some(20.0),
                Some(1.0),
            ),
            reward(
                "demo-w4",
                Kind::Coupon,
                RewardStatus::Earned,
                None,
                Some(6.0),
            ),
            reward(
                "demo-w5",
                Kind::Amount,
                RewardStatus::Earned,
                Some(20.0),
                Some(12.0),
            ),
        ],
    }
}

/// The sample page a `demo:` cursor points at, or `None` for any other cursor.
pub fn page(cursor: &str, now: f64) -> Option<Page> {
    let start = cursor.strip_prefix(CURSOR_PREFIX)?.parse::<usize>().ok()?;
    (start < TOTAL).then(|| page_from(start, now))
}

fn page_from(start: usize, now: f64) -> Page {
    let end = (start + PAGE).min(TOTAL);
    let items = (start..end)
        .map(|i| {
            let joined = now - (i as f64 * 1.7 + 0.2) * DAY_MS;
            let qualified = i % 3 == 0;
            let mut id = String::from("demo-");
            push_usize(&mut id, i);
            Referral {
                id,
                name: NAMES[i % NAMES.len()].to_owned(),
                status: if qualified {
                    Status::Qualified
                } else {
                    Status::Pending
                },
                joined_at: Some(joined),
                qualified_at: qualified.then_some(joined + DAY_MS / 2.0),
            }
        })
        .collect();
    let next = (end < TOTAL).then(|| {
        let mut cursor = String::from(CURSOR_PREFIX);
        push_usize(&mut cursor, end);
        cursor
    });
    Page { items, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_pages_chain_to_the_end() {
        let now = 1_800_000_000_000.0;
        let first = session(now);
        let mut seen = first.referrals.items.len();
        let mut next = first.referrals.next.clone();
        let mut pages = 1;
        while let Some(cursor) = next {
            let page = page(&cursor, now).unwrap();
            seen += page.items.len();
            next = page.next;
            pages += 1;
        }
        assert_eq!((seen, pages), (TOTAL, 3));
        assert_eq!(first.stats.referrals, TOTAL as f64);
        assert!(page("https://evil.example", now).is_none());
        assert!(page("demo:999", now).is_none());
    }

    #[test]
    fn the_sample_is_newest_first_with_both_statuses() {
        let s = session(1_800_000_000_000.0);
        let dates: Vec<f64> = s
            .referrals
            .items
            .iter()
            .filter_map(|r| r.joined_at)
            .collect();
        assert!(dates.windows(2).all(|w| w[0] > w[1]));
        assert!(
            s.referrals
                .items
                .iter()
                .any(|r| r.status == Status::Qualified)
        );
        assert!(
            s.referrals
                .items
                .iter()
                .any(|r| r.status == Status::Pending)
        );
    }
}
