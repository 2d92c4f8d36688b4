//! The mapping from host users to Referral Factory users, in SQLite or PostgreSQL.
//!
//! Remembering the platform id means a returning user costs no search: their dashboard is one
//! `GET /users/{id}` plus the referral list. One process keeps it in a SQLite file
//! ([`sqlite`], the default); several instances behind a load balancer share a PostgreSQL
//! database ([`postgres`], when `DASHBOARD_DB` is a `postgres://` URL), so a user mapped
//! through one instance is a returning user on every other.
//!
//! The linking rules of SPEC §6 live in both engines as constraints, not as checks before a
//! write: a subject has one platform user per campaign (the primary key), and a platform user
//! belongs to at most one subject (a unique index), so two requests racing, on one instance or
//! on two, cannot both win. A link records whether it was made on a verified email: the
//! verified owner of the email takes an unverified link over ([`MappingStore::reclaim`]), in one
//! statement that only moves a link still unverified and still its first subject's, so of two
//! racing requests one wins. `server/tests/integration/store_contract.rs` runs one suite against both.
//!
//! # Layout
//! - [`MappingStore`]: the operations every engine provides, with their semantics.
//! - [`sqlite`]: the embedded default (a file, mode 0600).
//! - [`postgres`]: the shared one (a pool, migrations under an advisory lock).

pub mod postgres;
pub mod sqlite;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

pub use postgres::Postgres;
pub use sqlite::Sqlite;

/// A storage failure (its message names the operation, never user data or a password).
#[derive(Debug, Clone, thiserror::Error)]
#[error("database {operation} failed: {source}")]
pub struct StoreError {
    operation: &'static str,
    #[source]
    source: Arc<dyn std::error::Error + Send + Sync>,
}

pub(crate) fn failed<E: std::error::Error + Send + Sync + 'static>(
    operation: &'static str,
) -> impl FnOnce(E) -> StoreError {
    move |source| StoreError {
        operation,
        source: Arc::new(source),
    }
}

/// A host user's platform identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The Referral Factory user id.
    pub platform_id: u64,
    /// Their referral code, when known.
    pub code: Option<String>,
    /// Their referral link, when known.
    pub link: Option<String>,
    /// [`crate::personal::email_hash`] of the subject's email when it was last linked or seen: how a webhook
    /// naming the referrer by email finds them, without the email itself being stored.
    pub email_hash: Option<String>,
    /// Whether the link was made, or since confirmed, on a token that said `email_verified` for
    /// the account's email. A verified link is never taken over; an unverified one is taken
    /// over by the first subject that proves the email (SPEC §6). Links stored before this was
    /// recorded count as verified: nobody knows, and taking them would break a promise made.
    /// Claims never turn a verified link back into an unverified one.
    pub verified: bool,
}

/// How a webhook names a referrer, as a store can look them up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// By referral code.
    Code(String),
    /// By [`crate::personal::email_hash`] of their email.
    EmailHash(String),
}

/// A linked referrer found by a [`Lookup`]: one of the rows [`MappingStore::find`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// The host's subject.
    pub subject: String,
    /// The platform user.
    pub platform_id: u64,
}

/// What [`MappingStore::claim`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The mapping is stored (new, or the same platform user with fresher details).
    Stored,
    /// The platform user already belongs to this other subject; nothing was stored.
    TakenBy(String),
    /// The subject meanwhile got another platform user (a concurrent request); nothing changed.
    SubjectTaken(Mapping),
}

/// What [`MappingStore::reclaim`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reclaim {
    /// The link now belongs to the new subject, verified; the old subject has none.
    Moved,
    /// Nothing changed: the link is verified, or no longer the old subject's. Its owner now, if
    /// it still has one.
    Kept(Option<String>),
    /// The new subject meanwhile got a platform user of its own; nothing changed.
    SubjectTaken(Mapping),
}

/// The operations of a mapping store. Every engine gives them the same meaning, including
/// under concurrent callers (in one process or in several).
pub trait MappingStore: Send + Sync {
    /// The mapping of `subject` in `campaign_id`, if stored.
    ///
    /// # Errors
    /// On a database failure.
    fn get(
        &self,
        subject: &str,
        campaign_id: u64,
    ) -> impl Future<Output = Result<Option<Mapping>, StoreError>> + Send;

    /// Maps `subject` to the platform user of `mapping`, unless that user belongs to another
    /// subject ([`Claim::TakenBy`]) or the subject has meanwhile been mapped to another user
    /// ([`Claim::SubjectTaken`]). Claiming the same user again refreshes its code and link.
    ///
    /// # Errors
    /// On a database failure.
    fn claim(
        &self,
        subject: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Moves the link of the platform user of `mapping` from subject `from` to subject `to`,
    /// verified and with `mapping`'s details, if it is still `from`'s and not verified: the
    /// verified owner of an email taking over the account an unverified subject was linked to
    /// first (SPEC §6). One statement: of two racing reclaims one moves the link and the other
    /// is told who has it ([`Reclaim::Kept`]).
    ///
    /// # Errors
    /// On a database failure.
    fn reclaim(
        &self,
        from: &str,
        to: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> impl Future<Output = Result<Reclaim, StoreError>> + Send;

    /// The subject the platform user `platform_id` belongs to, if any.
    ///
    /// # Errors
    /// On a database failure.
    fn owner(
        &self,
        campaign_id: u64,
        platform_id: u64,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Forgets the mapping (the platform user was deleted).
    ///
    /// # Errors
    /// On a database failure.
    fn delete(
        &self,
        subject: &str,
        campaign_id: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every linked referrer in `campaign_id` a code or an email hash names, ordered by
    /// subject (byte order, the same in every engine); empty when none is.
    ///
    /// An email hash can name several: nothing makes it unique, and a link keeps the hash of
    /// the email its platform user had when its subject was last seen. When the platform moves
    /// an address to another account, the link made under it keeps its hash until its subject's
    /// next build, and the new account's link carries it too. A code names one platform user,
    /// so at most one link in practice; the answer has one shape for both.
    ///
    /// # Errors
    /// On a database failure.
    fn find(
        &self,
        campaign_id: u64,
        lookup: &Lookup,
    ) -> impl Future<Output = Result<Vec<Linked>, StoreError>> + Send;
}

/// Where `DASHBOARD_DB` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (or `:memory:`).
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl Database {
    /// A `postgres://` or `postgresql://` URL names PostgreSQL; anything else is a SQLite path.
    pub fn parse(text: &str) -> Self {
        let lower = text.get(..13).unwrap_or(text).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Self::Postgres(text.to_owned())
        } else {
            Self::Sqlite(text.into())
        }
    }
}

/// The store a configuration names (cheap to clone).
#[derive(Clone)]
pub enum Store {
    /// One process, one file.
    Sqlite(Sqlite),
    /// Shared by every instance.
    Postgres(Postgres),
}

impl Store {
    /// Opens a SQLite store at `path` (see [`Sqlite::open`]).
    ///
    /// # Errors
    /// When the file cannot be created, opened or migrated.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Sqlite::open(path).map(Self::Sqlite)
    }

    /// Opens the store `database` names, migrating it.
    ///
    /// # Errors
    /// When the database cannot be reached, opened or migrated.
    pub async fn connect(database: &Database) -> Result<Self, StoreError> {
        match database {
            Database::Sqlite(path) => Self::open(path),
            Database::Postgres(url) => Postgres::connect(url).await.map(Self::Postgres),
        }
    }

    /// Whether the store answers a query now (for `/readyz`): a lookup of a subject no token
    /// can carry (the empty one), so it reads nothing and writes nothing.
    ///
    /// # Errors
    /// The store's error when it cannot be queried.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.get("", 0).await.map(drop)
    }

    /// Which engine this is (`sqlite` or `postgres`), for `/healthz` and logs.
    pub fn engine(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

impl MappingStore for Store {
    async fn get(&self, subject: &str, campaign_id: u64) -> Result<Option<Mapping>, StoreError> {
        match self {
            Self::Sqlite(s) => s.get(subject, campaign_id).await,
            Self::Postgres(s) => s.get(subject, campaign_id).await,
        }
    }

    async fn claim(
        &self,
        subject: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> Result<Claim, StoreError> {
        match self {
            Self::Sqlite(s) => s.claim(subject, campaign_id, mapping).await,
            Self::Postgres(s) => s.claim(subject, campaign_id, mapping).await,
        }
    }

    async fn reclaim(
        &self,
        from: &str,
        to: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> Result<Reclaim, StoreError> {
        match self {
            Self::Sqlite(s) => s.reclaim(from, to, campaign_id, mapping).await,
            Self::Postgres(s) => s.reclaim(from, to, campaign_id, mapping).await,
        }
    }

    async fn owner(
        &self,
        campaign_id: u64,
        platform_id: u64,
    ) -> Result<Option<String>, StoreError> {
        match self {
            Self::Sqlite(s) => s.owner(campaign_id, platform_id).await,
            Self::Postgres(s) => s.owner(campaign_id, platform_id).await,
        }
    }

    async fn delete(&self, subject: &str, campaign_id: u64) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => s.delete(subject, campaign_id).await,
            Self::Postgres(s) => s.delete(subject, campaign_id).await,
        }
    }

    async fn find(&self, campaign_id: u64, lookup: &Lookup) -> Result<Vec<Linked>, StoreError> {
        match self {
            Self::Sqlite(s) => s.find(campaign_id, lookup).await,
            Self::Postgres(s) => s.find(campaign_id, lookup).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_urls_leave_sqlite() {
        for url in [
            "postgres://u@127.0.0.1:5432/db",
            "postgresql://u:p@db.example/rd?sslmode=require",
            "POSTGRES://u@h/d",
        ] {
            assert_eq!(Database::parse(url), Database::Postgres(url.to_owned()));
        }
        for path in [
            "referrer-dashboard.sqlite3",
            ":memory:",
            "/var/lib/rd/postgres.db",
        ] {
            assert_eq!(Database::parse(path), Database::Sqlite(path.into()));
        }
    }
}
