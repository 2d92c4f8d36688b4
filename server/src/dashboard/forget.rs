//! Dropping what is cached for a referrer: the one a webhook names ([`Referred`]), or a host's
//! own subject.

use crate::error::Error;
use crate::personal::email_hash;
use crate::store::{Linked, Lookup, MappingStore};

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
    /// referral list, their rewards and, when a subject is linked to them, that subject's session;
    /// on every instance the caches serve. An email can name several links (see
    /// [`MappingStore::find`]): each one's list, rewards and session are dropped, since a
    /// webhook cannot say which is meant and dropping one too many costs only a rebuild. Returns
    /// whether the referrer is known here (linked to a subject).
    ///
    /// # Errors
    /// [`Error::Store`] when the mapping cannot be read; [`Error::Unavailable`] when the
    /// shared caches cannot be told (this instance's copies are dropped all the same).
    pub async fn invalidate_referrer(&self, referrer: &Referred) -> Result<bool, Error> {
        let campaign = self.upstream.campaign_id();
        let (platform_ids, subjects) = match referrer {
            Referred::Id(id) => (
                vec![*id],
                self.store.owner(campaign, *id).await?.into_iter().collect(),
            ),
            Referred::Code(code) => {
                let lookup = Lookup::Code(code.clone());
                linked(self.store.find(campaign, &lookup).await?)
            }
            Referred::Email(email) => {
                let lookup = Lookup::EmailHash(email_hash(email));
                linked(self.store.find(campaign, &lookup).await?)
            }
        };
        let mut unavailable = false;
        for id in platform_ids {
            unavailable |= self.lists.invalidate(&id).await.is_err();
            unavailable |= self.forget_rewards(id).await.is_err();
        }
        let known = !subjects.is_empty();
        for subject in subjects {
            unavailable |= self.sessions.invalidate(&subject).await.is_err();
        }
        if unavailable {
            return Err(Error::Unavailable);
        }
        Ok(known)
    }
}

/// The platform ids and the subjects of `found`, each once.
fn linked(found: Vec<Linked>) -> (Vec<u64>, Vec<String>) {
    let mut ids: Vec<u64> = found.iter().map(|l| l.platform_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut subjects: Vec<String> = found.into_iter().map(|l| l.subject).collect();
    subjects.sort_unstable();
    subjects.dedup();
    (ids, subjects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_id_and_subject_found_is_dropped_once() {
        let found = |subject: &str, platform_id| Linked {
            subject: subject.into(),
            platform_id,
        };
        let (ids, subjects) = linked(vec![
            found("u-new", 9),
            found("u-ada", 1),
            found("u-new", 9),
        ]);
        assert_eq!(ids, [1, 9]);
        assert_eq!(subjects, ["u-ada", "u-new"]);
        assert_eq!(linked(Vec::new()), (Vec::new(), Vec::new()));
    }
}
