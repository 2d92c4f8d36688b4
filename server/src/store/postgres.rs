//! The PostgreSQL [`MappingStore`], shared by every instance of a deployment.
//!
//! Same table, primary key and unique index as the SQLite store, created by the same
//! migrations. Each migration runs in its own transaction that first takes a transaction-level
//! advisory lock, so instances starting together apply each one exactly once: the others wait
//! for the lock, then find the version already there. Connections come from a small pool; TLS
//! follows the URL's `sslmode` (rustls: `require` encrypts, `verify-full` also checks the
//! certificate against the web's roots).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, Row};

use super::{Claim, Linked, Lookup, Mapping, MappingStore, Reclaim, StoreError};

/// Schema migrations, in order; version `n` is the first `n` applied. The SQLite store's, in
/// PostgreSQL's words (its third also dropped shared users left by older versions; no
/// PostgreSQL database predates it).
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE referrers (
        subject     TEXT        NOT NULL,
        campaign_id BIGINT      NOT NULL,
        platform_id BIGINT      NOT NULL,
        code        TEXT,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (subject, campaign_id)
    )",
    // The referral link, a fallback when a platform answer lacks it.
    "ALTER TABLE referrers ADD COLUMN link TEXT",
    // One platform user belongs to at most one subject.
    "CREATE UNIQUE INDEX referrers_platform_user ON referrers (campaign_id, platform_id)",
    // Webhooks name a referrer by code or email: a hash of the email, and indexes for both.
    "ALTER TABLE referrers ADD COLUMN email_hash TEXT;
     CREATE INDEX referrers_code ON referrers (campaign_id, code);
     CREATE INDEX referrers_email ON referrers (campaign_id, email_hash)",
    // Whether the link was made on a verified email. Rows from before count as verified (see
    // `Mapping::verified`); later ones always say.
    "ALTER TABLE referrers ADD COLUMN verified BOOLEAN NOT NULL DEFAULT TRUE;
     ALTER TABLE referrers ALTER COLUMN verified DROP DEFAULT",
];

/// The unique index that says a platform user already has a subject.
const PLATFORM_USER_INDEX: &str = "referrers_platform_user";

/// The primary key: a subject has one platform user per campaign.
const SUBJECT_KEY: &str = "referrers_pkey";

/// PostgreSQL's code for a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// The advisory lock migrations run under: any constant the deployment's other software does
/// not use; these are the ASCII bytes of "rdschema".
const MIGRATION_LOCK: i64 = 0x7264_7363_6865_6d61;

/// Connections per instance: a session request makes a few short queries (reading the mapping,
/// linking a new user, checking that the subject still has a link before its session is
/// served), one after the other, so a few connections serve hundreds of requests a second; and
/// ten instances stay well under PostgreSQL's default of 100 connections.
const MAX_CONNECTIONS: u32 = 8;

/// How long a query waits for a free connection (or for the server to be reached) before it
/// fails: well under the session deadline, so a down database fails a request instead of
/// holding it.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The PostgreSQL pool (cheap to clone).
#[derive(Clone)]
pub struct Postgres {
    pool: PgPool,
}

impl Postgres {
    /// Connects to `url` and applies the migrations not yet applied.
    ///
    /// # Errors
    /// When the server cannot be reached or refuses us, or a migration fails. The message never
    /// contains the URL (it may hold a password).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(failed("URL parse"))?
            // PostgreSQL's notices ("relation ... already exists, skipping" at every start) are
            // not ours to log; warnings and errors still reach us.
            .options([("client_min_messages", "warning")]);
        let pool = match PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
        {
            Ok(pool) => pool,
            // The pool only says it timed out; one direct attempt says why (connection refused,
            // no such host, a wrong password).
            Err(sqlx::Error::PoolTimedOut) => {
                let why = PgConnection::connect_with(&options).await.err();
                return Err(failed("connect")(why.unwrap_or(sqlx::Error::PoolTimedOut)));
            }
            Err(error) => return Err(failed("connect")(error)),
        };
        migrate(&pool).await?;
        Ok(Self { pool })
    }
}

/// [`super::failed`] for sqlx's errors, told as a person needs them: PostgreSQL's own message
/// without the " at line 334" sqlx appends (the line of PostgreSQL's C source that raised it),
/// and one "error with configuration" where sqlx nests two. Neither quotes the URL.
fn failed(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| {
        let text = match &error {
            sqlx::Error::Database(db) => format!("error returned from database: {}", db.message()),
            other => other.to_string(),
        };
        let mut why = text.as_str();
        while let Some(rest) = why.strip_prefix("error with configuration: ") {
            why = rest;
        }
        super::failed(operation)(std::io::Error::other(why.to_owned()))
    }
}

/// Applies the migrations not yet applied, one transaction each, under [`MIGRATION_LOCK`].
async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    loop {
        let mut tx = pool.begin().await.map_err(failed("migrate"))?;
        // Held until this transaction ends; taken before anything is read or created, so even
        // the version table is created by one instance only.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(failed("lock for migration"))?;
        tx.execute(
            "CREATE TABLE IF NOT EXISTS referrer_dashboard_schema (version INTEGER NOT NULL)",
        )
        .await
        .map_err(failed("migrate"))?;
        let version: i32 =
            sqlx::query("SELECT coalesce(max(version), 0) FROM referrer_dashboard_schema")
                .fetch_one(&mut *tx)
                .await
                .and_then(|row| row.try_get(0))
                .map_err(failed("read schema version"))?;
        let Some(migration) = MIGRATIONS.get(usize::try_from(version).unwrap_or(usize::MAX)) else {
            tx.commit().await.map_err(failed("migrate"))?;
            return Ok(());
        };
        sqlx::raw_sql(*migration)
            .execute(&mut *tx)
            .await
            .map_err(failed("migrate"))?;
        sqlx::query("INSERT INTO referrer_dashboard_schema (version) VALUES ($1)")
            .bind(version + 1)
            .execute(&mut *tx)
            .await
            .map_err(failed("migrate"))?;
        tx.commit().await.map_err(failed("migrate"))?;
    }
}

impl MappingStore for Postgres {
    async fn get(&self, subject: &str, campaign_id: u64) -> Result<Option<Mapping>, StoreError> {
        read(&self.pool, subject, campaign_id).await
    }

    async fn claim(
        &self,
        subject: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> Result<Claim, StoreError> {
        let written = sqlx::query(
            "INSERT INTO referrers
                 (subject, campaign_id, platform_id, code, link, email_hash, verified)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (subject, campaign_id) DO UPDATE
             SET code = EXCLUDED.code, link = EXCLUDED.link,
                 email_hash = coalesce(EXCLUDED.email_hash, referrers.email_hash),
                 verified = referrers.verified OR EXCLUDED.verified,
                 updated_at = now()
             WHERE referrers.platform_id = EXCLUDED.platform_id",
        )
        .bind(subject)
        .bind(campaign_id as i64)
        .bind(mapping.platform_id as i64)
        .bind(&mapping.code)
        .bind(&mapping.link)
        .bind(&mapping.email_hash)
        .bind(mapping.verified)
        .execute(&self.pool)
        .await;
        match written {
            Ok(done) if done.rows_affected() == 1 => Ok(Claim::Stored),
            // The subject's row exists with another platform user (the WHERE said no).
            Ok(_) => Ok(read(&self.pool, subject, campaign_id)
                .await?
                .map_or(Claim::Stored, Claim::SubjectTaken)),
            Err(sqlx::Error::Database(error))
                if error.code().as_deref() == Some(UNIQUE_VIOLATION)
                    && error.constraint() == Some(PLATFORM_USER_INDEX) =>
            {
                match self.owner(campaign_id, mapping.platform_id).await? {
                    Some(owner) => Ok(Claim::TakenBy(owner)),
                    // The owner was deleted in between: nothing stored, and nothing to name.
                    None => Err(failed("write")(sqlx::Error::Database(error))),
                }
            }
            Err(error) => Err(failed("write")(error)),
        }
    }

    async fn reclaim(
        &self,
        from: &str,
        to: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> Result<Reclaim, StoreError> {
        let moved = sqlx::query(
            "UPDATE referrers
             SET subject = $1, code = $2, link = $3,
                 email_hash = coalesce($4, email_hash), verified = TRUE,
                 created_at = now(), updated_at = now()
             WHERE campaign_id = $5 AND platform_id = $6 AND subject = $7 AND NOT verified",
        )
        .bind(to)
        .bind(&mapping.code)
        .bind(&mapping.link)
        .bind(&mapping.email_hash)
        .bind(campaign_id as i64)
        .bind(mapping.platform_id as i64)
        .bind(from)
        .execute(&self.pool)
        .await;
        match moved {
            Ok(done) if done.rows_affected() == 1 => Ok(Reclaim::Moved),
            Ok(_) => self
                .owner(campaign_id, mapping.platform_id)
                .await
                .map(Reclaim::Kept),
            Err(sqlx::Error::Database(error))
                if error.code().as_deref() == Some(UNIQUE_VIOLATION)
                    && error.constraint() == Some(SUBJECT_KEY) =>
            {
                match read(&self.pool, to, campaign_id).await? {
                    Some(theirs) => Ok(Reclaim::SubjectTaken(theirs)),
                    None => Err(failed("write")(sqlx::Error::Database(error))),
                }
            }
            Err(error) => Err(failed("write")(error)),
        }
    }

    async fn owner(
        &self,
        campaign_id: u64,
        platform_id: u64,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query("SELECT subject FROM referrers WHERE campaign_id = $1 AND platform_id = $2")
            .bind(campaign_id as i64)
            .bind(platform_id as i64)
            .fetch_optional(&self.pool)
            .await
            .and_then(|row| row.map(|row| row.try_get(0)).transpose())
            .map_err(failed("read"))
    }

    async fn delete(&self, subject: &str, campaign_id: u64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM referrers WHERE subject = $1 AND campaign_id = $2")
            .bind(subject)
            .bind(campaign_id as i64)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(failed("delete"))
    }

    async fn find(&self, campaign_id: u64, lookup: &Lookup) -> Result<Vec<Linked>, StoreError> {
        // `COLLATE "C"`: byte order, as SQLite sorts, whatever the database's locale.
        let (sql, value) = match lookup {
            Lookup::Code(code) => (
                "SELECT subject, platform_id FROM referrers WHERE campaign_id = $1 AND code = $2
                 ORDER BY subject COLLATE \"C\"",
                code,
            ),
            Lookup::EmailHash(hash) => (
                "SELECT subject, platform_id FROM referrers
                 WHERE campaign_id = $1 AND email_hash = $2
                 ORDER BY subject COLLATE \"C\"",
                hash,
            ),
        };
        let rows = sqlx::query(sql)
            .bind(campaign_id as i64)
            .bind(value)
            .fetch_all(&self.pool)
            .await
            .map_err(failed("read"))?;
        rows.iter()
            .map(|row| -> Result<Linked, sqlx::Error> {
                Ok(Linked {
                    subject: row.try_get(0)?,
                    platform_id: row.try_get::<i64, _>(1)? as u64,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(failed("read"))
    }
}

async fn read(
    pool: &PgPool,
    subject: &str,
    campaign_id: u64,
) -> Result<Option<Mapping>, StoreError> {
    let row = sqlx::query(
        "SELECT platform_id, code, link, email_hash, verified FROM referrers
         WHERE subject = $1 AND campaign_id = $2",
    )
    .bind(subject)
    .bind(campaign_id as i64)
    .fetch_optional(pool)
    .await
    .map_err(failed("read"))?;
    row.map(|row| -> Result<Mapping, sqlx::Error> {
        Ok(Mapping {
            platform_id: row.try_get::<i64, _>(0)? as u64,
            code: row.try_get(1)?,
            link: row.try_get(2)?,
            email_hash: row.try_get(3)?,
            verified: row.try_get(4)?,
        })
    })
    .transpose()
    .map_err(failed("read"))
}
