//! What the referrer has earned and the program's state, for a session (SPEC §6 "Rewards").
//!
//! Account-wide, cached for at least [`ACCOUNT_TTL`] on every instance: the campaign
//! (`GET /campaigns/{id}`, 1 call) and the reward definitions (`GET /rewards/dashboard/{metric}`,
//! 4 calls, one per metric, at once). Per referrer, cached like the referral list and dropped by the same
//! webhooks: for each metric with an active definition for the person referring in the
//! campaign, the due and the issued rows (2 calls per metric, all at once). So a returning user's refresh
//! costs 2 calls more with one metric in use (4 in all), 4 more with two; a user created this
//! instant costs none (they cannot have rewards yet).
//!
//! Nothing here can cost the user the rest of the dashboard: a failing, slow (past
//! [`DEADLINE`]) or malformed answer leaves `rewards` (or `program`) out of the session, logs
//! one line and counts it ([`SessionBuilder::rewards_dropped`]). The reads run in tasks of their
//! own, so one that outlasts the deadline still fills the cache for the next session.
//! `DASHBOARD_REWARDS=off` makes none of these calls.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use crate::budget::Budget;
use crate::cache::{Cache, Hit};
use crate::error::Error;
use crate::rewards::{self, ProgramBody, RewardsBody};
use crate::upstream::Client;
use crate::upstream::rewards::{Campaign, Definition, Ledger, Metric};

use super::SessionBuilder;
use super::policy::FailurePolicy;

/// How long the campaign and the reward definitions are cached at the least: they change when
/// the business edits its program, which a dashboard may show an hour late (SPEC §6).
pub const ACCOUNT_TTL: Duration = Duration::from_secs(60 * 60);

/// The longest a session waits for the rewards: they are read beside the referral list, and a
/// slow rewards route must not hold the rest of the dashboard back for long.
pub const DEADLINE: Duration = Duration::from_secs(4);

/// The one key of the account-wide caches (they hold one value per campaign, and the cache
/// names carry the campaign already).
const ACCOUNT: u64 = 0;

/// What the rewards part of a session holds.
#[derive(Debug, Default)]
pub(super) struct Earnings {
    /// The `rewards` member.
    pub rewards: Option<RewardsBody>,
    /// The `program` member.
    pub program: Option<ProgramBody>,
    /// Built on data kept from before a failure.
    pub stale: bool,
}

/// The caches the rewards are kept in.
pub(super) struct RewardCaches {
    /// The campaign (`None`: the platform does not know it).
    pub campaign: Arc<Cache<u64, Option<Campaign>, Error>>,
    /// The campaign's reward definitions.
    pub definitions: Arc<Cache<u64, Vec<Definition>, Error>>,
    /// Each referrer's rewards, by platform id.
    pub referrers: Arc<Cache<u64, RewardsBody, Error>>,
}

impl SessionBuilder {
    /// The rewards and program state of referrer `referrer_id` (`None` for a referrer created
    /// this instant: no rewards to read yet), within [`DEADLINE`]; whatever fails is left out.
    pub(super) async fn earnings(&self, referrer_id: Option<u64>) -> Earnings {
        let Some(caches) = &self.rewards else {
            return Earnings::default();
        };
        let (campaign, definitions) = tokio::join!(
            self.within(self.shared(&caches.campaign, read_campaign(self.upstream.clone()))),
            self.within(self.shared(&caches.definitions, read_definitions(self.upstream.clone()))),
        );
        let mut earnings = Earnings::default();
        match campaign {
            Ok(hit) => {
                earnings.stale |= hit.stale;
                earnings.program = hit
                    .value
                    .as_ref()
                    .as_ref()
                    .and_then(|c| rewards::program(c, OffsetDateTime::now_utc()));
            }
            Err(error) => self.dropped("program", &error),
        }
        let definitions = match definitions {
            Ok(hit) => {
                earnings.stale |= hit.stale;
                hit.value
            }
            Err(error) => {
                self.dropped("rewards", &error);
                return earnings;
            }
        };
        let metrics = in_use(&definitions);
        if metrics.is_empty() {
            // No reward for referrers in this campaign (or no rewards feature): nothing to show.
            return earnings;
        }
        let Some(referrer_id) = referrer_id else {
            earnings.rewards = Some(RewardsBody::default());
            return earnings;
        };
        let upstream = self.upstream.clone();
        let read = read_rewards(upstream, referrer_id, metrics, definitions);
        let cache = caches.referrers.clone();
        match self.within(fetch_apart(cache, referrer_id, read)).await {
            Ok(hit) => {
                earnings.stale |= hit.stale;
                earnings.rewards = Some((*hit.value).clone());
            }
            Err(error) => self.dropped("rewards", &error),
        }
        earnings
    }

    /// How many sessions went out without their rewards or program state because the platform
    /// failed, was slow or sent something unreadable.
    pub fn rewards_dropped(&self) -> u64 {
        self.rewards_dropped.load(Ordering::Relaxed)
    }

    /// Logs and counts a part left out of a session.
    fn dropped(&self, part: &'static str, error: &Error) {
        self.rewards_dropped.fetch_add(1, Ordering::Relaxed);
        crate::telemetry::metrics::part_dropped(part);
        tracing::warn!(part, %error, "the session goes out without its {part}");
    }

    /// `work` within [`DEADLINE`].
    async fn within<T>(&self, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        tokio::time::timeout(DEADLINE, work)
            .await
            .unwrap_or(Err(Error::Timeout))
    }

    /// An account-wide value through its cache, read by `read` when missing.
    async fn shared<V, F>(
        &self,
        cache: &Arc<Cache<u64, V, Error>>,
        read: F,
    ) -> Result<Hit<V>, Error>
    where
        V: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: Future<Output = Result<V, Error>> + Send + 'static,
    {
        fetch_apart(cache.clone(), ACCOUNT, read).await
    }
}

/// The campaign, read.
async fn read_campaign(upstream: Client) -> Result<Option<Campaign>, Error> {
    Ok(upstream.campaign().await?)
}

/// The campaign's reward definitions, read.
async fn read_definitions(upstream: Client) -> Result<Vec<Definition>, Error> {
    Ok(upstream.reward_definitions().await?)
}

/// The metrics with an active definition for the person referring.
fn in_use(definitions: &[Definition]) -> Vec<Metric> {
    Metric::ALL
        .into_iter()
        .filter(|m| {
            definitions
                .iter()
                .any(|d| d.metric == *m && d.active && d.for_referrer)
        })
        .collect()
}

/// `key` of `cache`, fetched by `read` in a task of its own (with the budget's slots and
/// subject carried in): when the session stops waiting, the read goes on and fills the cache.
async fn fetch_apart<V, F>(
    cache: Arc<Cache<u64, V, Error>>,
    key: u64,
    read: F,
) -> Result<Hit<V>, Error>
where
    V: Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Future<Output = Result<V, Error>> + Send + 'static,
{
    let carried = Budget::carry();
    let task = tokio::spawn(
        carried.scope(async move { cache.get_or_fetch(&key, read, &FailurePolicy).await }),
    );
    task.await.map_err(|_| Error::Timeout)?
}

/// Reads a referrer's due and issued rewards of every metric in use, all at once (each is one
/// call where the referrer has fewer than 250, and a session should not wait for them one after
/// the other), and makes the session's `rewards` of them.
async fn read_rewards(
    upstream: Client,
    referrer_id: u64,
    metrics: Vec<Metric>,
    definitions: Arc<Vec<Definition>>,
) -> Result<RewardsBody, Error> {
    let of = |metric: Metric| {
        let (upstream, wanted) = (&upstream, metrics.contains(&metric));
        async move {
            if !wanted {
                return Ok(Vec::new());
            }
            let (due, issued) = tokio::join!(
                upstream.reward_rows(Ledger::Due, metric, referrer_id),
                upstream.reward_rows(Ledger::Issued, metric, referrer_id),
            );
            let tagged =
                |ledger, rows: Vec<_>| rows.into_iter().map(move |row| (metric, ledger, row));
            Ok::<_, Error>(
                tagged(Ledger::Due, due?)
                    .chain(tagged(Ledger::Issued, issued?))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let [amount, commission, coupon, custom] = Metric::ALL;
    let (amount, commission, coupon, custom) =
        tokio::join!(of(amount), of(commission), of(coupon), of(custom));
    let mut rows = amount?;
    for more in [commission?, coupon?, custom?] {
        rows.extend(more);
    }
    Ok(rewards::rewards(&definitions, &rows))
}
