//! The SQLite store's own tests: migrations on old files, file modes.

use super::*;

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rd-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mapping(id: u64) -> Mapping {
    Mapping {
        email_hash: None,
        verified: false,
        platform_id: id,
        code: Some("ABC".into()),
        link: Some("https://x.example/r/ABC".into()),
    }
}

#[tokio::test]
async fn mapping_round_trip_and_migration_is_idempotent() {
    let dir = temp("roundtrip");
    let path = dir.join("t.sqlite3");
    let store = Sqlite::open(&path).unwrap();
    assert_eq!(store.get("u1", 7).await.unwrap(), None);
    assert_eq!(
        store.claim("u1", 7, &mapping(42)).await.unwrap(),
        Claim::Stored
    );
    drop(store);
    // Reopening runs no migration twice and keeps the data.
    let store = Sqlite::open(&path).unwrap();
    assert_eq!(store.get("u1", 7).await.unwrap(), Some(mapping(42)));
    assert_eq!(store.get("u1", 8).await.unwrap(), None, "per campaign");
    store.delete("u1", 7).await.unwrap();
    assert_eq!(store.get("u1", 7).await.unwrap(), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_old_database_with_a_shared_platform_user_keeps_the_first_subject() {
    let dir = temp("upgrade");
    let path = dir.join("old.sqlite3");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(
            "INSERT INTO referrers (subject, campaign_id, platform_id, created_at) VALUES
             ('victim', 1, 5, 100), ('attacker', 1, 5, 200), ('other', 1, 6, 300);",
        )
        .unwrap();
    }
    let store = Sqlite::open(&path).unwrap();
    let conn = store.conn.lock().unwrap();
    let subjects: Vec<String> = conn
        .prepare("SELECT subject FROM referrers ORDER BY subject")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(subjects, ["other", "victim"]);
    drop(conn);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Links stored before the store recorded whether their email was verified count as verified:
/// nobody can tell, and no later subject may take them over. Links made from then on say.
#[tokio::test]
async fn an_old_database_keeps_its_links_as_verified_and_new_ones_say() {
    let dir = temp("verified");
    let path = dir.join("old.sqlite3");
    {
        let conn = Connection::open(&path).unwrap();
        for migration in &MIGRATIONS[..4] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO referrers (subject, campaign_id, platform_id, code, email_hash)
             VALUES ('early', 1, 5, 'C5', 'h5');",
        )
        .unwrap();
    }
    let store = Sqlite::open(&path).unwrap();
    let early = store.get("early", 1).await.unwrap().unwrap();
    assert!(early.verified, "{early:?}");
    assert_eq!(early.email_hash.as_deref(), Some("h5"));
    assert_eq!(
        store
            .reclaim("early", "later", 1, &mapping(5))
            .await
            .unwrap(),
        Reclaim::Kept(Some("early".into()))
    );
    store.claim("new", 1, &mapping(6)).await.unwrap();
    assert!(!store.get("new", 1).await.unwrap().unwrap().verified);
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn the_database_and_its_wal_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp("mode");
    let path = dir.join("private.sqlite3");
    let store = Sqlite::open(&path).unwrap();
    // A write makes SQLite create the WAL and shared-memory files.
    store
        .conn
        .lock()
        .unwrap()
        .execute_batch(
            "INSERT INTO referrers (subject, campaign_id, platform_id) VALUES ('u', 1, 1)",
        )
        .unwrap();
    for name in [
        "private.sqlite3",
        "private.sqlite3-wal",
        "private.sqlite3-shm",
    ] {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_migration_that_fails_half_way_changes_nothing() {
    let dir = temp("atomic");
    let path = dir.join("a.sqlite3");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(
            "INSERT INTO referrers (subject, campaign_id, platform_id, created_at) VALUES
             ('victim', 1, 5, 100), ('attacker', 1, 5, 200);
             -- An object in the way of the third migration's second statement.
             CREATE TABLE referrers_platform_user (x INTEGER);",
        )
        .unwrap();
    }
    assert!(Sqlite::open(&path).is_err());
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM referrers", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        (version, rows),
        (2, 2),
        "the DELETE before the failure was rolled back"
    );
    drop(conn);
    std::fs::remove_dir_all(&dir).unwrap();
}
