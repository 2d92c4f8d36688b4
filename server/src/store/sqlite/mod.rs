//! The SQLite [`MappingStore`]: one file beside the process, the embedded default.
//!
//! The file is created (mode 0600: it links the host's user ids to platform accounts) and
//! migrated on start; `:memory:` gives a throwaway database. rusqlite is synchronous, so every
//! statement runs on tokio's blocking pool behind one mutex.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::{Claim, Linked, Lookup, Mapping, MappingStore, Reclaim, StoreError, failed};

/// Schema migrations, applied in order, each in one transaction with its `user_version` step.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE referrers (
        subject     TEXT    NOT NULL,
        campaign_id INTEGER NOT NULL,
        platform_id INTEGER NOT NULL,
        code        TEXT,
        created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
        updated_at  INTEGER NOT NULL DEFAULT (unixepoch()),
        PRIMARY KEY (subject, campaign_id)
    ) WITHOUT ROWID;",
    // The referral link, a fallback when a platform answer lacks it.
    "ALTER TABLE referrers ADD COLUMN link TEXT;",
    // One platform user belongs to at most one subject. Versions before this one let a second
    // subject adopt a mapped user; the oldest mapping keeps it, later ones are dropped (those
    // subjects are resolved again and refused).
    "DELETE FROM referrers WHERE EXISTS (
        SELECT 1 FROM referrers AS first
        WHERE first.campaign_id = referrers.campaign_id
          AND first.platform_id = referrers.platform_id
          AND (first.created_at < referrers.created_at
               OR (first.created_at = referrers.created_at AND first.subject < referrers.subject)));
     CREATE UNIQUE INDEX referrers_platform_user ON referrers (campaign_id, platform_id);",
    // Webhooks name a referrer by code or email: a hash of the email, and indexes for both.
    "ALTER TABLE referrers ADD COLUMN email_hash TEXT;
     CREATE INDEX referrers_code ON referrers (campaign_id, code);
     CREATE INDEX referrers_email ON referrers (campaign_id, email_hash);",
    // Whether the link was made on a verified email. Rows from before count as verified (see
    // `Mapping::verified`); every insert names the column, so the default serves only them.
    "ALTER TABLE referrers ADD COLUMN verified INTEGER NOT NULL DEFAULT 1;",
];

/// How long a statement waits for another connection's lock (another process starting on the
/// same file, a migration) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite handle (cheap to clone).
#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
}

impl Sqlite {
    /// Opens (creating if needed, mode 0600) and migrates the database at `path`.
    ///
    /// # Errors
    /// When the file cannot be created or opened, or a migration fails.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        create_private(path).map_err(failed("create"))?;
        let mut conn = Connection::open(path).map_err(failed("open"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(failed("configure"))?;
        wal(&conn)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }
}

/// Switches to WAL, which lets readers proceed during a write (in-memory databases ignore it).
/// Switching needs the file to itself, and SQLite answers "busy" at once, without its busy
/// handler, when another process is opening or switching the same new file at that moment: so
/// ask again, for as long as a locked statement would wait.
fn wal(conn: &Connection) -> Result<(), StoreError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |row| {
            row.get::<_, String>(0)
        }) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(failed("configure")(e)),
        }
    }
}

impl Sqlite {
    /// Runs `f` on the connection off the async threads.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite inconsistent (it has its own
            // transactions), so a poisoned lock is still usable.
            let conn = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&conn)
        })
        .await
        .map_err(failed("run"))?
    }
}

impl MappingStore for Sqlite {
    async fn get(&self, subject: &str, campaign_id: u64) -> Result<Option<Mapping>, StoreError> {
        let subject = subject.to_owned();
        self.with(move |conn| read(conn, &subject, campaign_id))
            .await
    }

    async fn claim(
        &self,
        subject: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> Result<Claim, StoreError> {
        let (subject, mapping) = (subject.to_owned(), mapping.clone());
        self.with(move |conn| {
            let written = conn.execute(
                "INSERT INTO referrers
                     (subject, campaign_id, platform_id, code, link, email_hash, verified)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (subject, campaign_id) DO UPDATE
                 SET code = excluded.code, link = excluded.link,
                     email_hash = coalesce(excluded.email_hash, email_hash),
                     verified = verified OR excluded.verified,
                     updated_at = unixepoch()
                 WHERE platform_id = excluded.platform_id",
                params![
                    subject,
                    campaign_id as i64,
                    mapping.platform_id as i64,
                    mapping.code,
                    mapping.link,
                    mapping.email_hash,
                    mapping.verified
                ],
            );
            match written {
                Ok(1) => Ok(Claim::Stored),
                // The subject's row exists with another platform user (the WHERE said no).
                Ok(_) => {
                    Ok(read(conn, &subject, campaign_id)?
                        .map_or(Claim::Stored, Claim::SubjectTaken))
                }
                Err(error) if error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                    match owner(conn, campaign_id, mapping.platform_id)? {
                        Some(owner) => Ok(Claim::TakenBy(owner)),
                        None => Err(failed("write")(error)),
                    }
                }
                Err(error) => Err(failed("write")(error)),
            }
        })
        .await
    }

    async fn reclaim(
        &self,
        from: &str,
        to: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> Result<Reclaim, StoreError> {
        let (from, to, mapping) = (from.to_owned(), to.to_owned(), mapping.clone());
        self.with(move |conn| {
            let moved = conn.execute(
                "UPDATE referrers
                 SET subject = ?1, code = ?2, link = ?3,
                     email_hash = coalesce(?4, email_hash), verified = 1,
                     created_at = unixepoch(), updated_at = unixepoch()
                 WHERE campaign_id = ?5 AND platform_id = ?6 AND subject = ?7 AND NOT verified",
                params![
                    to,
                    mapping.code,
                    mapping.link,
                    mapping.email_hash,
                    campaign_id as i64,
                    mapping.platform_id as i64,
                    from
                ],
            );
            match moved {
                Ok(1) => Ok(Reclaim::Moved),
                Ok(_) => owner(conn, campaign_id, mapping.platform_id).map(Reclaim::Kept),
                // The primary key: `to` has a row in this campaign already.
                Err(error) if error.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                    match read(conn, &to, campaign_id)? {
                        Some(theirs) => Ok(Reclaim::SubjectTaken(theirs)),
                        None => Err(failed("write")(error)),
                    }
                }
                Err(error) => Err(failed("write")(error)),
            }
        })
        .await
    }

    async fn owner(
        &self,
        campaign_id: u64,
        platform_id: u64,
    ) -> Result<Option<String>, StoreError> {
        self.with(move |conn| owner(conn, campaign_id, platform_id))
            .await
    }

    async fn delete(&self, subject: &str, campaign_id: u64) -> Result<(), StoreError> {
        let subject = subject.to_owned();
        self.with(move |conn| {
            conn.execute(
                "DELETE FROM referrers WHERE subject = ?1 AND campaign_id = ?2",
                params![subject, campaign_id as i64],
            )
            .map(drop)
            .map_err(failed("delete"))
        })
        .await
    }

    async fn find(&self, campaign_id: u64, lookup: &Lookup) -> Result<Vec<Linked>, StoreError> {
        let (column, value) = match lookup {
            Lookup::Code(code) => ("code", code.clone()),
            Lookup::EmailHash(hash) => ("email_hash", hash.clone()),
        };
        let sql = format!(
            "SELECT subject, platform_id FROM referrers WHERE campaign_id = ?1 AND {column} = ?2
             ORDER BY subject"
        );
        self.with(move |conn| {
            let mut statement = conn.prepare(&sql).map_err(failed("read"))?;
            let rows = statement
                .query_map(params![campaign_id as i64, value], |row| {
                    Ok(Linked {
                        subject: row.get(0)?,
                        platform_id: row.get::<_, i64>(1)? as u64,
                    })
                })
                .map_err(failed("read"))?;
            rows.collect::<Result<_, _>>().map_err(failed("read"))
        })
        .await
    }
}

fn owner(
    conn: &Connection,
    campaign_id: u64,
    platform_id: u64,
) -> Result<Option<String>, StoreError> {
    conn.query_row(
        "SELECT subject FROM referrers WHERE campaign_id = ?1 AND platform_id = ?2",
        params![campaign_id as i64, platform_id as i64],
        |row| row.get(0),
    )
    .optional()
    .map_err(failed("read"))
}

fn read(conn: &Connection, subject: &str, campaign_id: u64) -> Result<Option<Mapping>, StoreError> {
    conn.query_row(
        "SELECT platform_id, code, link, email_hash, verified FROM referrers
         WHERE subject = ?1 AND campaign_id = ?2",
        params![subject, campaign_id as i64],
        |row| {
            Ok(Mapping {
                platform_id: row.get::<_, i64>(0)? as u64,
                code: row.get(1)?,
                link: row.get(2)?,
                email_hash: row.get(3)?,
                verified: row.get(4)?,
            })
        },
    )
    .optional()
    .map_err(failed("read"))
}

/// Applies the migrations not yet applied. Each runs in an immediate transaction that also
/// re-reads and bumps `user_version`, so two processes starting on one file at once apply each
/// migration exactly once: the second waits for the first's lock, then finds nothing to do.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed("migrate"))?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(failed("read schema version"))?;
        let Some(migration) = MIGRATIONS.get(version.max(0) as usize) else {
            return Ok(());
        };
        tx.execute_batch(migration).map_err(failed("migrate"))?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(failed("migrate"))?;
        tx.commit().map_err(failed("migrate"))?;
    }
}

/// Creates the database file readable by its owner only, before SQLite opens it (SQLite gives
/// its `-wal` and `-shm` files the same mode). An existing file is left as it is.
fn create_private(path: &Path) -> std::io::Result<()> {
    let text = path.to_string_lossy();
    if text.is_empty() || text == ":memory:" || text.starts_with("file:") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests;
