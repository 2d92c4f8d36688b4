//! Dropping what is cached for a referrer: the one a webhook names ([`Referred`]), or a host's
//! own subject.

use crate::error::Error;
use crate::personal::email_hash;
use crate::store::{Lookup, MappingStore};

use super::SessionBuilder;

/// How a webhook names a referrer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Referred {
    /// Their platform id.
    Id(u64),
    /// Their referral code.
    Code(String),
    /// Their email.
    Email(String),
}

impl SessionBuilder {
    /// Drops referrer `id`'s cached rewards (a reward was issued, a lead qualified).
    async fn forget_rewards(&self, id: u64) -> Result<(), Error> {
        match &self.rewards {
            Some(caches) => caches
                .referrers
                .invalidate(&id)
                .await
                .map_err(|_| Error::Unavailable),
            None => Ok(()),
        }
    }

    /// Drops `subject`'s cached session, referral list and rewards, so their next request is built
    /// afresh. On every instance the caches serve (within [`crate::cache::LOCAL_FRESH`]), and a
    /// build in flight cannot store what it read before this.
    ///
    /// # Errors
    /// [`Error::Store`] when the mapping cannot be read; [`Error::Unavailable`] when the
    /// shared caches cannot be told (this instance's copies are dropped all the same).
    pub async fn invalidate_subject(&self, subject: &str) -> Result<(), Error> {
        let sessions = self.sessions.invalidate(&subject.to_owned()).await;
        let mapping = self.store.get(subject, self.upstream.campaign_id()).await?;
        if let Some(mapping) = mapping {
            self.lists
                .invalidate(&mapping.platform_id)
                .await
                .map_err(|_| Error::Unavailable)?;
            self.forget_rewards(mapping.platform_id).await?;
        }
        sessions.map_err(|_| Error::Unavailable)
    }

    /// Drops the cached data of the referrer a webhook names (see [`crate::webhook`]): their
    /// referral list, their rewards and, when a subject is linked to them, that subject's session; on every
    /// instance the caches serve. Returns whether the referrer is known here (linked to a subject).
    ///
    /// # Errors
    /// [`Error::Store`] when the mapping cannot be read; [`Error::Unavailable`] when the
    /// shared caches cannot be told (this instance's copies are dropped all the same).
    pub async fn invalidate_referrer(&self, referrer: &Referred) -> Result<bool, Error> {
        let campaign = self.upstream.campaign_id();
        let (platform_id, subject) = match referrer {
            Referred::Id(id) => (Some(*id), self.store.owner(campaign, *id).await?),
            Referred::Code(code) => {
                let found = self
                    .store
                    .find(campaign, &Lookup::Code(code.clone()))
                    .await?;
                (
                    found.as_ref().map(|l| l.platform_id),
                    found.map(|l| l.subject),
                )
            }
            Referred::Email(email) => {
                let lookup = Lookup::EmailHash(email_hash(email));
                let found = self.store.find(campaign, &lookup).await?;
                (
                    found.as_ref().map(|l| l.platform_id),
                    found.map(|l| l.subject),
                )
            }
        };
        let mut unavailable = false;
        if let Some(id) = platform_id {
            unavailable |= self.lists.invalidate(&id).await.is_err();
            unavailable |= self.forget_rewards(id).await.is_err();
        }
        let known = subject.is_some();
        if let Some(subject) = subject {
            unavailable |= self.sessions.invalidate(&subject).await.is_err();
        }
        if unavailable {
            return Err(Error::Unavailable);
        }
        Ok(known)
    }
}
