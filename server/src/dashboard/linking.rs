//! Create-or-fetch, and the linking rules of SPEC §6 (see [`super`]): which platform user a
//! subject gets, when an existing one is refused, and when the verified owner of an email takes
//! over the account an unverified subject was linked to first.

use crate::error::Error;
use crate::identity::Identity;
use crate::personal::{email_hash, email_key, subject_hash};
use crate::store::{Claim, Mapping, MappingStore, Reclaim};
use crate::upstream::{Created, PlatformUser, UpstreamError};

use super::SessionBuilder;
use super::names::first_name;

/// Refusal when an existing platform account would be linked on an unverified email.
pub(super) const UNVERIFIED: &str = "a referral account already exists for this email; the email must be \
     verified (email_verified) before it can be linked";

/// Refusal when the platform account is linked to another subject.
pub(super) const TAKEN: &str = "this referral account belongs to another user";

/// How a platform user came to be linked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Created by this backend for this subject.
    Created,
    /// Found (by email, or answered to a create): it existed before.
    Found,
}

/// The referrer as the platform knows them.
pub(super) enum Referrer {
    /// Read with analytics.
    Existing(PlatformUser),
    /// Created just now: no counts, no referrals yet.
    Created(PlatformUser),
}

impl SessionBuilder {
    /// Create-or-fetch (see the module docs for what each path costs).
    pub(super) async fn referrer(
        &self,
        who: &Identity,
        mapping: Option<Mapping>,
    ) -> Result<Referrer, Error> {
        let campaign = self.upstream.campaign_id();
        if let Some(mapping) = mapping {
            match self.upstream.user_with_analytics(mapping.platform_id).await {
                Ok(mut user) => {
                    self.keep_current(who, &mapping, &user).await?;
                    user.url = user.url.or(mapping.link);
                    return Ok(Referrer::Existing(user));
                }
                Err(UpstreamError::NotFound) => {
                    tracing::warn!(
                        subject = %subject_hash(&who.subject),
                        "stored referrer no longer exists upstream; looking them up again"
                    );
                    self.store.delete(&who.subject, campaign).await?;
                    // Looked up again like a new identity, at that rate.
                    self.admit_new_user().await?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        let email = who.email_key();
        if let Some(found) = self.upstream.find_by_email(&email).await? {
            return self.adopt(who, &found).await;
        }
        match self
            .upstream
            .create(&first_name(who.name.as_deref()), &email)
            .await
        {
            Ok(Created::New(created)) => {
                self.link(who, &created, Origin::Created).await?;
                Ok(Referrer::Created(created))
            }
            Ok(Created::Existing(existing)) => self.adopt(who, &existing).await,
            Err(UpstreamError::Duplicate(status)) => {
                // Created by someone else between our search and our create: search again.
                tracing::info!(status, "create was refused as a duplicate; searching again");
                let found =
                    self.upstream
                        .find_by_email(&email)
                        .await?
                        .ok_or(UpstreamError::Malformed(
                            "a create was refused as a duplicate, but no user has the email",
                        ))?;
                self.adopt(who, &found).await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Refreshes a stored mapping whose code or email (hashed) is out of date, so a webhook that
    /// names the referrer by either finds them. A write only when something changed.
    async fn keep_current(
        &self,
        who: &Identity,
        mapping: &Mapping,
        user: &PlatformUser,
    ) -> Result<(), Error> {
        let hash = platform_email_hash(who, user);
        let code = user.code.clone().or_else(|| mapping.code.clone());
        // A subject linked on an unverified email that now proves the account's email: its link
        // is verified from now on, and no longer taken over.
        let proves =
            who.email_verified && user.email.as_deref().map(email_key) == Some(who.email_key());
        if mapping.email_hash.as_deref() == Some(hash.as_str())
            && mapping.code == code
            && (mapping.verified || !proves)
        {
            return Ok(());
        }
        let fresher = Mapping {
            code,
            link: user.url.clone().or_else(|| mapping.link.clone()),
            email_hash: Some(hash),
            verified: proves,
            ..mapping.clone()
        };
        match self
            .store
            .claim(&who.subject, self.upstream.campaign_id(), &fresher)
            .await?
        {
            Claim::Stored => Ok(()),
            // Taken over since this build read the mapping: not theirs to be shown any more.
            Claim::TakenBy(owner) => Err(taken(who, &owner)),
            Claim::SubjectTaken(_) => Err(Error::Conflict),
        }
    }

    /// Links an existing platform user (if allowed), then reads their counters.
    async fn adopt(&self, who: &Identity, found: &PlatformUser) -> Result<Referrer, Error> {
        self.link(who, found, Origin::Found).await?;
        let user = self.upstream.user_with_analytics(found.id).await?;
        Ok(Referrer::Existing(user))
    }

    /// Maps `who` to `user` if the linking rules allow it (see the module docs).
    async fn link(&self, who: &Identity, user: &PlatformUser, origin: Origin) -> Result<(), Error> {
        let campaign = self.upstream.campaign_id();
        // The account was found or created by this very email, so a verified token proves it.
        let mapping = Mapping {
            platform_id: user.id,
            code: user.code.clone(),
            link: user.url.clone(),
            email_hash: Some(platform_email_hash(who, user)),
            verified: who.email_verified,
        };
        if let Some(owner) = self.store.owner(campaign, user.id).await?
            && owner != who.subject
        {
            return self.take_over(who, &owner, &mapping).await;
        }
        if origin == Origin::Found && !who.email_verified {
            tracing::info!(
                subject = %subject_hash(&who.subject),
                "refused to link an existing referral account on an unverified email"
            );
            return Err(Error::Forbidden(UNVERIFIED));
        }
        match self.store.claim(&who.subject, campaign, &mapping).await? {
            Claim::Stored => Ok(()),
            Claim::TakenBy(owner) => self.take_over(who, &owner, &mapping).await,
            Claim::SubjectTaken(_) => Err(Error::Conflict),
        }
    }

    /// `who` resolved to an account linked to `owner`: refused, unless `who` proves the email
    /// and `owner`'s link does not, in which case `who` takes the link over and `owner` is
    /// refused from now on (its cached session dropped, and [`SessionBuilder::session`] serves
    /// no session of a subject without a link).
    async fn take_over(&self, who: &Identity, owner: &str, mapping: &Mapping) -> Result<(), Error> {
        if !who.email_verified {
            return Err(taken(who, owner));
        }
        let campaign = self.upstream.campaign_id();
        match self
            .store
            .reclaim(owner, &who.subject, campaign, mapping)
            .await?
        {
            Reclaim::Moved => {
                tracing::warn!(
                    subject = %subject_hash(&who.subject),
                    previous = %subject_hash(owner),
                    "the verified owner of an email took over the referral account an unverified \
                     subject was linked to; that subject is refused from now on"
                );
                if self.sessions.invalidate(&owner.to_owned()).await.is_err() {
                    // Its next request finds no link and drops the session then.
                    tracing::warn!(
                        previous = %subject_hash(owner),
                        "the previous subject's cached session could not be dropped on every instance"
                    );
                }
                Ok(())
            }
            Reclaim::Kept(Some(owner)) => Err(taken(who, &owner)),
            // The link went away meanwhile (its platform user deleted): ask again.
            Reclaim::Kept(None) | Reclaim::SubjectTaken(_) => Err(Error::Conflict),
        }
    }
}

/// The email hash stored for a webhook to find the referrer by: of the email the platform has
/// for the account (what its webhooks will name), not of whatever the latest token carried (a
/// host user who changed their address keeps the account under the old one); the token's when
/// the platform does not say.
fn platform_email_hash(who: &Identity, user: &PlatformUser) -> String {
    email_hash(user.email.as_deref().unwrap_or(&who.email))
}

/// The refusal for a platform user linked to another subject, logged with both subjects'
/// hashes (never an email).
fn taken(who: &Identity, owner: &str) -> Error {
    tracing::warn!(
        subject = %subject_hash(&who.subject),
        owner = %subject_hash(owner),
        "a second user resolved to a referral account that belongs to another; refused"
    );
    Error::Forbidden(TAKEN)
}
