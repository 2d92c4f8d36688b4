//! The SQLite mapping from host users to Referral Factory users.
//!
//! Remembering the platform id means a returning user costs no search: their dashboard is one
//! `GET /users/{id}` plus (when they have referrals) one search for the list. The file is
//! created and migrated on start; `:memory:` gives a throwaway database.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
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
];

/// A storage failure (its message names the operation, never user data).
#[derive(Debug, thiserror::Error)]
#[error("database {operation} failed: {source}")]
pub struct StoreError {
    operation: &'static str,
    #[source]
    source: rusqlite::Error,
}

fn failed(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError { operation, source }
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
}

/// The database handle (cheap to clone).
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// # Errors
    /// When the file cannot be opened or a migration fails.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(failed("open"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(failed("configure"))?;
        // WAL lets readers proceed during a write; in-memory databases ignore it.
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(failed("configure"))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(failed("read schema version"))?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            conn.execute_batch(migration).map_err(failed("migrate"))?;
            conn.pragma_update(None, "user_version", index as i64 + 1)
                .map_err(failed("migrate"))?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The mapping of `subject` in `campaign_id`, if stored.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn get(
        &self,
        subject: &str,
        campaign_id: u64,
    ) -> Result<Option<Mapping>, StoreError> {
        let subject = subject.to_owned();
        self.with(move |conn| {
            conn.query_row(
                "SELECT platform_id, code, link FROM referrers WHERE subject = ?1 AND campaign_id = ?2",
                params![subject, campaign_id as i64],
                |row| {
                    Ok(Mapping {
                        platform_id: row.get::<_, i64>(0)? as u64,
                        code: row.get(1)?,
                        link: row.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(failed("read"))
        })
        .await
    }

    /// Stores (or replaces) the mapping of `subject` in `campaign_id`.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn put(
        &self,
        subject: &str,
        campaign_id: u64,
        mapping: &Mapping,
    ) -> Result<(), StoreError> {
        let (subject, mapping) = (subject.to_owned(), mapping.clone());
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO referrers (subject, campaign_id, platform_id, code, link) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (subject, campaign_id) DO UPDATE
                 SET platform_id = excluded.platform_id, code = excluded.code, link = excluded.link,
                     updated_at = unixepoch()",
                params![subject, campaign_id as i64, mapping.platform_id as i64, mapping.code, mapping.link],
            )
            .map(drop)
            .map_err(failed("write"))
        })
        .await
    }

    /// Forgets the mapping (the platform user was deleted).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn delete(&self, subject: &str, campaign_id: u64) -> Result<(), StoreError> {
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
        .map_err(|_| StoreError {
            operation: "run",
            source: rusqlite::Error::InvalidQuery,
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn mapping_round_trip_and_migration_is_idempotent() {
        let dir = std::env::temp_dir().join(format!("rd-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.sqlite3");
        let _ = std::fs::remove_file(&path);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.get("u1", 7).await.unwrap(), None);
        let mapping = Mapping {
            platform_id: 42,
            code: Some("ABC".into()),
            link: Some("https://x.example/r/ABC".into()),
        };
        store.put("u1", 7, &mapping).await.unwrap();
        drop(store);
        // Reopening runs no migration twice and keeps the data.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.get("u1", 7).await.unwrap(), Some(mapping));
        assert_eq!(store.get("u1", 8).await.unwrap(), None, "per campaign");
        store.delete("u1", 7).await.unwrap();
        assert_eq!(store.get("u1", 7).await.unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
