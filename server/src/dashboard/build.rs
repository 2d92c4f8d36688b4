//! A whole session: through the session cache (one build however many requests arrive
//! together), within a deadline, with its first upstream calls reserved up front.

use std::time::Duration;

use tokio::time::Instant;

use crate::cache::Hit;
use crate::dates::expires_in;
use crate::error::Error;
use crate::identity::Identity;
use crate::limit::{self, Denied};
use crate::personal::subject_hash;
use crate::session::{self, Cursor, PageBody, ReferrerBody, SessionBody, ShareBody, StatsBody};
use crate::store::{Mapping, MappingStore};
use crate::upstream::UpstreamError;

use super::SessionBuilder;
use super::linking::Referrer;
use super::policy::FailurePolicy;

/// The most building one session may take before the last good one is served instead: under
/// the endpoint's own deadline ([`crate::api::DEADLINE`]), so there is time left to answer.
const BUILD_DEADLINE: Duration = Duration::from_secs(11);

/// A stale session asks the widget to come back after at least this long.
const STALE_RETRY: Duration = Duration::from_secs(5);

/// Calls a session build needs at the least (search and create, or user and referrals),
/// reserved before it starts so that it never spends the first and is refused the second.
const MIN_BUILD_CALLS: usize = 2;

/// A limit's refusal as the answer: wait and ask again, or (a limit that cannot be consulted)
/// the service is degraded.
fn refused(denied: Denied) -> Error {
    match denied {
        Denied::Wait(retry_after) => Error::RateLimited { retry_after },
        Denied::Unavailable => Error::Unavailable,
    }
}

impl SessionBuilder {
    /// The session for `who`: from the cache while fresh (one upstream fetch however many
    /// requests arrive together), else built anew; when that fails because the platform is busy
    /// or down, the last good session marked stale.
    ///
    /// # Errors
    /// [`Error::RateLimited`] when `who` asks too often; upstream and storage failures when
    /// there is nothing to fall back on.
    pub async fn session(&self, who: &Identity) -> Result<SessionBody, Error> {
        self.admit(who).await?;
        let asked_at = Instant::now();
        let hit = self.linked_session(who).await?;
        crate::telemetry::metrics::session_served(hit.stale, hit.fetched_at, asked_at);
        Ok(self.as_served(&hit))
    }

    /// `who`'s session through the cache, served only while `who` still has a link: a subject
    /// whose account the verified owner of its email took over (SPEC §6) must be refused even
    /// where its session is still cached (on an instance the takeover's invalidation has not
    /// reached, or could not reach). One read of the store per session served; while the store
    /// cannot be read, the cached session is served as it would be without this check.
    ///
    /// # Errors
    /// As [`SessionBuilder::session`]; [`Error::Unavailable`] when a cached session of a
    /// subject without a link cannot be dropped.
    pub(super) async fn linked_session(&self, who: &Identity) -> Result<Hit<SessionBody>, Error> {
        let mut dropped = false;
        loop {
            let build = async {
                let build = self.budget.on_behalf_of(&who.subject, self.build(who));
                match tokio::time::timeout(BUILD_DEADLINE, build).await {
                    Ok(result) => result,
                    Err(_) => Err(Error::Timeout),
                }
            };
            let hit = self
                .sessions
                .get_or_fetch(&who.subject, build, &FailurePolicy)
                .await?;
            let campaign = self.upstream.campaign_id();
            if !matches!(self.store.get(&who.subject, campaign).await, Ok(None)) {
                return Ok(hit);
            }
            if dropped {
                // Built, then unlinked before it could be served: ask again.
                return Err(Error::Conflict);
            }
            tracing::info!(
                subject = %subject_hash(&who.subject),
                "a cached session of a subject that has no link any more; built again"
            );
            self.sessions
                .invalidate(&who.subject)
                .await
                .map_err(|_| Error::Unavailable)?;
            dropped = true;
        }
    }

    /// Counts a request of `who` against their limit.
    pub(super) async fn admit(&self, who: &Identity) -> Result<(), Error> {
        self.limit.admit(&who.subject).await.map_err(refused)
    }

    /// A cached session as served: valid for a session lifetime, but not past the end of its
    /// data's time in the cache; when stale, until the budget is expected to have room again.
    fn as_served(&self, hit: &Hit<SessionBody>) -> SessionBody {
        let mut body = (*hit.value).clone();
        let valid_for = if hit.stale {
            self.budget.wait_estimate().max(STALE_RETRY)
        } else {
            let left = self
                .cache_ttl
                .saturating_sub(Instant::now().duration_since(hit.fetched_at));
            self.ttl.min(left)
        };
        body.expires_at = expires_in(valid_for);
        // Also stale when it was built on a referral list kept from before a failure.
        body.stale |= hit.stale;
        body
    }

    /// Builds the whole session from the platform, with its first calls reserved up front.
    async fn build(&self, who: &Identity) -> Result<SessionBody, Error> {
        let mapping = self
            .store
            .get(&who.subject, self.upstream.campaign_id())
            .await?;
        if mapping.is_none() {
            // A new identity: its own rate, checked before any slot is reserved, so a flood of
            // them cannot take the calls returning users need.
            self.admit_new_user().await?;
        }
        self.budget
            .prepaid(MIN_BUILD_CALLS, self.build_now(who, mapping))
            .await?
    }

    /// Counts a new identity against the rate of new identities.
    pub(super) async fn admit_new_user(&self) -> Result<(), Error> {
        self.new_users.admit(limit::EVERYONE).await.map_err(refused)
    }

    async fn build_now(
        &self,
        who: &Identity,
        mapping: Option<Mapping>,
    ) -> Result<SessionBody, Error> {
        let (user, referrals, stats, earnings) = match self.referrer(who, mapping).await? {
            Referrer::Created(user) => {
                let stats = StatsBody {
                    reach: user.reach.unwrap_or(0),
                    ..StatsBody::default()
                };
                let earnings = Box::pin(self.earnings(None)).await;
                (user, PageBody::default(), stats, earnings)
            }
            Referrer::Existing(user) => {
                // Always read: a count of 0 may be wrong, or missing. The rewards beside it.
                let (list, mut earnings) =
                    tokio::join!(self.list(user.id), Box::pin(self.earnings(Some(user.id))));
                let list = list?;
                let stats = match user.analytics {
                    Some(analytics) => StatsBody {
                        reach: analytics.reach.max(user.reach.unwrap_or(0)),
                        referrals: analytics.referrals,
                        qualified: analytics.qualified_referrals,
                    },
                    None => {
                        tracing::warn!(
                            user_id = user.id,
                            reach_known = user.reach.is_some(),
                            "no analytics in the answer; referrals and qualified counted from the list"
                        );
                        StatsBody {
                            reach: user.reach.unwrap_or(0),
                            referrals: list.value.items.len() as u64,
                            qualified: list.value.qualified,
                        }
                    }
                };
                let cursor = Cursor {
                    referrer_id: user.id,
                    offset: 0,
                    total: list.value.items.len() as u64,
                    expires: self.cursor_expiry(),
                };
                let page = self.page_of(who, &list.value, cursor);
                earnings.stale |= list.stale;
                (user, page, stats, earnings)
            }
        };
        let link = user.url.clone().ok_or(UpstreamError::Malformed(
            "the referrer has no referral link",
        ))?;
        let share =
            (user.share_text.is_some() || user.share_subject.is_some()).then(|| ShareBody {
                message: user.share_text.clone(),
                subject: user.share_subject.clone(),
            });
        Ok(SessionBody {
            version: session::VERSION,
            expires_at: expires_in(self.ttl),
            referrer: Some(ReferrerBody {
                name: who.name.clone().or_else(|| user.first_name.clone()),
                link,
                code: user.code.clone(),
            }),
            stats: Some(stats),
            referrals,
            share,
            rewards: earnings.rewards,
            program: earnings.program,
            stale: earnings.stale,
        })
    }
}
