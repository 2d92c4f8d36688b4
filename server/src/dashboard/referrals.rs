//! A referrer's referral list (read whole, sorted newest first, cached) and the pages cut from
//! it: the first page of a session and every "Show more" page.

use std::time::Duration;

use crate::budget::Budget;
use crate::cache::Hit;
use crate::dates::{expires_in, unix_now};
use crate::error::Error;
use crate::identity::Identity;
use crate::session::{self, Cursor, PageBody, SessionBody};
use crate::store::MappingStore;
use crate::upstream::Client;

use super::SessionBuilder;
use super::policy::FailurePolicy;

/// How long a cursor stays valid, in session lifetimes: long enough to page through a list
/// while reading it, short enough that a leaked cursor soon stops working.
const CURSOR_LIFETIMES: u32 = 10;

/// A referrer's referrals as sessions show them: newest first, names masked.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReferralList {
    /// Every referral, newest first.
    pub items: Vec<session::ReferralBody>,
    /// How many of them are qualified.
    pub qualified: u64,
}

impl SessionBuilder {
    /// The page of referrals a cursor points at.
    ///
    /// # Errors
    /// [`Error::BadCursor`] for a cursor not issued to `who`, expired, or issued for a platform
    /// user `who` is no longer mapped to; the refusal its session gets for a `who` with no link
    /// (a subject whose account was taken over); upstream failures.
    pub async fn page(&self, who: &Identity, cursor: &str) -> Result<SessionBody, Error> {
        self.admit(who).await?;
        let cursor = self
            .cursors
            .verify(&who.subject, cursor, unix_now())
            .ok_or(Error::BadCursor)?;
        let mapped = self
            .store
            .get(&who.subject, self.upstream.campaign_id())
            .await?
            .map(|m| m.platform_id);
        if mapped.is_none() {
            // No link any more (taken over by the verified owner of its email, or its platform
            // user gone): answer what its session does, so a refused subject is told why.
            self.linked_session(who).await?;
        }
        if mapped != Some(cursor.referrer_id) {
            return Err(Error::BadCursor);
        }
        let (referrals, stale) = self
            .budget
            .on_behalf_of(&who.subject, self.page_at(who, cursor))
            .await?;
        Ok(SessionBody {
            version: session::VERSION,
            expires_at: expires_in(self.ttl),
            referrer: None,
            stats: None,
            referrals,
            share: None,
            rewards: None,
            program: None,
            stale,
        })
    }

    /// The referrals at `cursor` in the list as it is now, and whether that list is stale.
    async fn page_at(&self, who: &Identity, cursor: Cursor) -> Result<(PageBody, bool), Error> {
        let hit = self.list(cursor.referrer_id).await?;
        let page = self.page_of(
            who,
            &hit.value,
            Cursor {
                expires: self.cursor_expiry(),
                ..cursor
            },
        );
        Ok((page, hit.stale))
    }

    /// One session page of `list` at `cursor`. Referrals that arrived since the cursor was
    /// issued sort to the top, so the list is shifted by how much it grew.
    pub(super) fn page_of(&self, who: &Identity, list: &ReferralList, cursor: Cursor) -> PageBody {
        let len = list.items.len() as u64;
        let start = cursor.offset + len.saturating_sub(cursor.total);
        let items: Vec<_> = list
            .items
            .iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(session::PAGE_SIZE)
            .cloned()
            .collect();
        let end = start + items.len() as u64;
        let next = (end < len).then(|| {
            self.cursors.sign(
                &who.subject,
                Cursor {
                    offset: cursor.offset + items.len() as u64,
                    ..cursor
                },
            )
        });
        PageBody { items, next }
    }

    /// A referrer's whole list, through the list cache (one read of every page when missing).
    ///
    /// The read runs in a task of its own: a long list on a slow platform may take longer than
    /// a request may wait, and when the request gives up the read goes on and fills the cache,
    /// so the next request finds it (instead of every attempt spending calls and starting over).
    pub(super) async fn list(&self, referrer_id: u64) -> Result<Hit<ReferralList>, Error> {
        let (lists, upstream) = (self.lists.clone(), self.upstream.clone());
        let carried = Budget::carry();
        let read = tokio::spawn(carried.scope(async move {
            lists
                .get_or_fetch(
                    &referrer_id,
                    read_list(&upstream, referrer_id),
                    &FailurePolicy,
                )
                .await
        }));
        read.await.map_err(|_| Error::Timeout)?
    }

    /// When a cursor issued now stops working (Unix seconds).
    pub(super) fn cursor_expiry(&self) -> u64 {
        unix_now() + cursor_lifetime(self.ttl, self.cache_ttl).as_secs()
    }
}

/// How long a cursor works: [`CURSOR_LIFETIMES`] sessions, and never less than a cached
/// session that carries it can still be served for (its time in the cache, then one session
/// lifetime), so no session ever hands out a cursor that expires before the session does.
pub fn cursor_lifetime(session_ttl: Duration, cache_ttl: Duration) -> Duration {
    (session_ttl * CURSOR_LIFETIMES).max(cache_ttl + session_ttl)
}

/// Reads a referrer's whole list from the platform and sorts it newest first.
async fn read_list(upstream: &Client, referrer_id: u64) -> Result<ReferralList, Error> {
    let found = upstream.referrals(referrer_id).await?;
    tracing::debug!(
        referrals = found.users.len(),
        rows = found.rows,
        pages = found.pages,
        "read a referral list"
    );
    let qualified = found
        .users
        .iter()
        .filter(|u| u.qualified_at.is_some())
        .count() as u64;
    Ok(ReferralList {
        items: session::newest_first(found.users),
        qualified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_sessions_cursor_outlives_the_session_it_is_served_in() {
        let minute = Duration::from_secs(60);
        // Webhooks on: data cached 15 minutes, sessions of a minute. Before: 10 minutes.
        assert_eq!(cursor_lifetime(minute, 15 * minute), 16 * minute);
        // Without webhooks the cache lives a session: ten sessions, as before.
        assert_eq!(cursor_lifetime(minute, minute), 10 * minute);
    }
}
