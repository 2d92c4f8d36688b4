//! Building a user's dashboard session from the platform: create-or-fetch the referrer, read
//! their counters, and list their referrals newest first.
//!
//! Upstream call counts (the frugality contract):
//! - returning user (mapping stored): `GET /users/{id}` + one referrals search = 2, or 1
//!   when they have no referrals;
//! - new user already on the platform: search + `GET` + referrals search = 3;
//! - new user not on the platform: search + create = 2 (a user created this instant has no
//!   counts and no referrals, so nothing else is read);
//! - creation race (422, someone created them meanwhile): search + create + search + `GET` = 4,
//!   plus a referrals search only if that user somehow already has referrals.
//!
//! Referrals: the API lists a referrer's referrals oldest first in pages of up to 250. The
//! newest-first list is that order reversed: position `i` of `total` is the API's position
//! `total - 1 - i`. The first session page is cut from the API's last page only (so it costs
//! one call even when that page is short); cursors carry `(offset, total)` so later pages map
//! to fixed API positions even as new referrals arrive.

use std::time::Duration;

use time::OffsetDateTime;

use crate::error::Error;
use crate::identity::Identity;
use crate::session::{
    self, Cursor, CursorKey, PageBody, ReferrerBody, SessionBody, ShareBody, StatsBody,
};
use crate::store::{Mapping, Store};
use crate::upstream::{Client, MAX_PER_PAGE, PlatformUser, SearchPage, UpstreamError};

/// Referrals per API page requested: the maximum, so listings cost the fewest calls.
const PER_PAGE: u64 = MAX_PER_PAGE as u64;

/// The referrer as the platform knows them.
enum Referrer {
    /// Read with analytics.
    Existing(PlatformUser),
    /// Created just now: no counts, no referrals yet.
    Created(PlatformUser),
}

/// The session builder.
pub struct Dashboard {
    upstream: Client,
    store: Store,
    ttl: Duration,
    cursors: CursorKey,
}

impl Dashboard {
    /// A builder over `upstream` and `store`, issuing sessions valid for `ttl`.
    pub fn new(upstream: Client, store: Store, ttl: Duration, cursors: CursorKey) -> Self {
        Self {
            upstream,
            store,
            ttl,
            cursors,
        }
    }

    /// Session lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The whole session for `who`.
    ///
    /// # Errors
    /// Upstream and storage failures.
    pub async fn session(&self, who: &Identity) -> Result<SessionBody, Error> {
        let (user, stats) = match self.referrer(who).await? {
            Referrer::Created(user) => {
                let stats = StatsBody {
                    reach: user.reach.unwrap_or(0),
                    ..StatsBody::default()
                };
                (user, stats)
            }
            Referrer::Existing(user) => {
                let analytics = user.analytics.unwrap_or_default();
                let stats = StatsBody {
                    reach: analytics.reach.max(user.reach.unwrap_or(0)),
                    referrals: analytics.referrals,
                    qualified: analytics.qualified_referrals,
                };
                (user, stats)
            }
        };
        let link = user.url.clone().ok_or(UpstreamError::Malformed(
            "the referrer has no referral link",
        ))?;
        let referrals = if stats.referrals == 0 {
            PageBody::default()
        } else {
            self.first_page(who, user.id, stats.referrals).await?
        };
        let share =
            (user.share_text.is_some() || user.share_subject.is_some()).then(|| ShareBody {
                message: user.share_text.clone(),
                subject: user.share_subject.clone(),
            });
        Ok(SessionBody {
            version: session::VERSION,
            expires_at: self.expires_at(),
            referrer: Some(ReferrerBody {
                name: who.name.clone().or_else(|| user.first_name.clone()),
                link,
                code: user.code.clone(),
            }),
            stats: Some(stats),
            referrals,
            share,
            stale: false,
        })
    }

    /// The page of referrals a cursor points at.
    ///
    /// # Errors
    /// [`Error::BadCursor`] for a cursor not issued to `who`; upstream failures.
    pub async fn page(&self, who: &Identity, cursor: &str) -> Result<SessionBody, Error> {
        let cursor = self
            .cursors
            .verify(&who.subject, cursor)
            .ok_or(Error::BadCursor)?;
        let referrals = self.page_at(who, cursor).await?;
        Ok(SessionBody {
            version: session::VERSION,
            expires_at: self.expires_at(),
            referrer: None,
            stats: None,
            referrals,
            share: None,
            stale: false,
        })
    }

    fn expires_at(&self) -> String {
        let at = OffsetDateTime::now_utc() + self.ttl;
        session::rfc3339(at).unwrap_or_default()
    }

    /// Create-or-fetch (see the module docs for what each path costs).
    async fn referrer(&self, who: &Identity) -> Result<Referrer, Error> {
        let campaign = self.upstream.campaign_id();
        if let Some(mapping) = self.store.get(&who.subject, campaign).await? {
            match self.upstream.user_with_analytics(mapping.platform_id).await {
                Ok(user) => return Ok(Referrer::Existing(user)),
                Err(UpstreamError::NotFound) => {
                    tracing::warn!(
                        "stored referrer no longer exists upstream; looking them up again"
                    );
                    self.store.delete(&who.subject, campaign).await?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(found) = self.upstream.find_by_email(&who.email).await? {
            return self.adopt(who, found.id).await;
        }
        let first_name = who
            .name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("Friend");
        match self.upstream.create(first_name, &who.email).await {
            Ok(created) => {
                self.remember(who, &created).await?;
                Ok(Referrer::Created(created))
            }
            Err(UpstreamError::Unprocessable { fields }) => {
                // Created by someone else between our search and our create: search again.
                tracing::info!(?fields, "create was refused; searching again");
                let found = self
                    .upstream
                    .find_by_email(&who.email)
                    .await?
                    .ok_or(UpstreamError::Unprocessable { fields })?;
                self.adopt(who, found.id).await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Remembers an existing platform user and reads their counters.
    async fn adopt(&self, who: &Identity, platform_id: u64) -> Result<Referrer, Error> {
        let user = self.upstream.user_with_analytics(platform_id).await?;
        self.remember(who, &user).await?;
        Ok(Referrer::Existing(user))
    }

    async fn remember(&self, who: &Identity, user: &PlatformUser) -> Result<(), Error> {
        let mapping = Mapping {
            platform_id: user.id,
            code: user.code.clone(),
        };
        self.store
            .put(&who.subject, self.upstream.campaign_id(), &mapping)
            .await?;
        Ok(())
    }

    /// The newest referrals: the API's last page, reversed.
    async fn first_page(
        &self,
        who: &Identity,
        referrer_id: u64,
        count: u64,
    ) -> Result<PageBody, Error> {
        let guess = count.div_ceil(PER_PAGE).max(1);
        let mut page = self.fetch(referrer_id, guess).await?;
        if u64::from(page.last_page) != guess {
            // The counters and the list disagree (deleted referrals, say): read the real last page.
            page = self.fetch(referrer_id, u64::from(page.last_page)).await?;
        }
        let last = u64::from(page.last_page);
        let total = page
            .total
            .unwrap_or((last - 1) * PER_PAGE + page.users.len() as u64);
        let items: Vec<_> = page
            .users
            .iter()
            .rev()
            .take(session::PAGE_SIZE)
            .map(session::referral)
            .collect();
        let offset = items.len() as u64;
        Ok(PageBody {
            next: (offset < total).then(|| {
                self.cursors.sign(
                    &who.subject,
                    Cursor {
                        referrer_id,
                        offset,
                        total,
                    },
                )
            }),
            items,
        })
    }

    /// Positions `offset..offset + PAGE_SIZE` of the newest-first list of `total`.
    async fn page_at(&self, who: &Identity, cursor: Cursor) -> Result<PageBody, Error> {
        let Cursor {
            referrer_id,
            offset,
            total,
        } = cursor;
        if offset >= total {
            return Ok(PageBody::default());
        }
        // API positions (oldest first) of this page, highest first.
        let high = total - 1 - offset;
        let low = high.saturating_sub(session::PAGE_SIZE as u64 - 1);
        let mut items = Vec::with_capacity(session::PAGE_SIZE);
        for api_page in (low / PER_PAGE + 1..=high / PER_PAGE + 1).rev() {
            let page = self.fetch(referrer_id, api_page).await?;
            let first_position = (api_page - 1) * PER_PAGE;
            for (index, user) in page.users.iter().enumerate().rev() {
                let position = first_position + index as u64;
                if (low..=high).contains(&position) {
                    items.push(session::referral(user));
                }
            }
        }
        let next_offset = offset + (high - low + 1);
        Ok(PageBody {
            next: (next_offset < total).then(|| {
                self.cursors.sign(
                    &who.subject,
                    Cursor {
                        referrer_id,
                        offset: next_offset,
                        total,
                    },
                )
            }),
            items,
        })
    }

    async fn fetch(&self, referrer_id: u64, page: u64) -> Result<SearchPage, Error> {
        let page = u32::try_from(page).unwrap_or(u32::MAX);
        Ok(self
            .upstream
            .referrals(referrer_id, page, MAX_PER_PAGE)
            .await?)
    }
}
