//! One contract for the mapping store, run against both engines: SQLite (a file) and a real
//! PostgreSQL. The linking rules of SPEC §6 included: a subject keeps its platform user, a
//! platform user belongs to one subject, concurrent claims have exactly one winner, and the
//! verified owner of an email takes over an unverified link (only that, and only once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::engines::Postgres as PostgresServer;
use referrer_dashboard_server::personal::email_hash;
use referrer_dashboard_server::store::{
    Claim, Database, Linked, Lookup, Mapping, MappingStore, Reclaim, Store,
};

fn mapping(id: u64) -> Mapping {
    Mapping {
        platform_id: id,
        code: Some(format!("C{id}")),
        link: Some(format!("https://x.example/r/C{id}")),
        email_hash: None,
        verified: false,
    }
}

fn verified(id: u64) -> Mapping {
    Mapping {
        verified: true,
        ..mapping(id)
    }
}

/// Stores, reads, refreshes and forgets; campaigns are separate.
async fn round_trip(store: &Store) {
    assert_eq!(store.get("u1", 7).await.unwrap(), None);
    assert_eq!(
        store.claim("u1", 7, &mapping(42)).await.unwrap(),
        Claim::Stored
    );
    assert_eq!(store.get("u1", 7).await.unwrap(), Some(mapping(42)));
    assert_eq!(store.get("u1", 8).await.unwrap(), None, "per campaign");
    let fresher = Mapping {
        code: Some("NEW".into()),
        ..mapping(42)
    };
    assert_eq!(store.claim("u1", 7, &fresher).await.unwrap(), Claim::Stored);
    assert_eq!(store.get("u1", 7).await.unwrap(), Some(fresher));
    store.delete("u1", 7).await.unwrap();
    assert_eq!(store.get("u1", 7).await.unwrap(), None);
    assert_eq!(store.owner(7, 42).await.unwrap(), None);
}

/// SPEC §6: a platform user belongs to at most one subject; a subject keeps its user.
async fn one_subject_per_platform_user(store: &Store) {
    assert_eq!(
        store.claim("alice", 1, &mapping(9)).await.unwrap(),
        Claim::Stored
    );
    assert_eq!(
        store.claim("mallory", 1, &mapping(9)).await.unwrap(),
        Claim::TakenBy("alice".into())
    );
    assert_eq!(store.get("mallory", 1).await.unwrap(), None);
    assert_eq!(store.owner(1, 9).await.unwrap().as_deref(), Some("alice"));
    assert_eq!(
        store.claim("mallory", 2, &mapping(9)).await.unwrap(),
        Claim::Stored,
        "the same id in another campaign is another account"
    );
    assert_eq!(
        store.claim("alice", 1, &mapping(9)).await.unwrap(),
        Claim::Stored,
        "the owner re-claiming refreshes the details"
    );
    assert_eq!(
        store.claim("alice", 1, &mapping(10)).await.unwrap(),
        Claim::SubjectTaken(mapping(9))
    );
}

/// Twenty claims racing for one platform user: one wins, every other is told who did; twenty
/// users racing for one subject: one wins, every other is told which.
async fn concurrent_claims_have_one_winner(store: &Store) {
    let claims: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.claim(&format!("s{i}"), 3, &mapping(77)).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for claim in claims {
        outcomes.push(claim.await.unwrap().unwrap());
    }
    let winner = store.owner(3, 77).await.unwrap().unwrap();
    assert_eq!(outcomes.iter().filter(|c| **c == Claim::Stored).count(), 1);
    assert!(
        outcomes
            .iter()
            .all(|c| *c == Claim::Stored || *c == Claim::TakenBy(winner.clone())),
        "{outcomes:?}"
    );

    let claims: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.claim("one-subject", 4, &mapping(100 + i)).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for claim in claims {
        outcomes.push(claim.await.unwrap().unwrap());
    }
    let kept = store.get("one-subject", 4).await.unwrap().unwrap();
    assert_eq!(outcomes.iter().filter(|c| **c == Claim::Stored).count(), 1);
    assert!(
        outcomes
            .iter()
            .all(|c| *c == Claim::Stored || *c == Claim::SubjectTaken(kept.clone())),
        "{outcomes:?}"
    );
}

/// A webhook names a referrer by code or email: both find the linked subject, in its campaign
/// only; an email's hash is kept when a later claim brings none, and replaced when it brings one;
/// an email that several links carry finds them all.
async fn referrers_are_found_by_code_and_email(store: &Store) {
    let hash = email_hash(" Ada@Example.com ");
    assert_eq!(hash, email_hash("ada@example.com"), "trimmed, any case");
    let with_email = Mapping {
        email_hash: Some(hash.clone()),
        ..mapping(501)
    };
    assert_eq!(
        store.claim("ada", 5, &with_email).await.unwrap(),
        Claim::Stored
    );
    let ada = [Linked {
        subject: "ada".into(),
        platform_id: 501,
    }];
    assert_eq!(
        store.find(5, &Lookup::Code("C501".into())).await.unwrap(),
        ada
    );
    assert_eq!(
        store
            .find(5, &Lookup::EmailHash(hash.clone()))
            .await
            .unwrap(),
        ada
    );
    assert_eq!(
        store.find(6, &Lookup::Code("C501".into())).await.unwrap(),
        []
    );
    assert_eq!(
        store.find(5, &Lookup::Code("nope".into())).await.unwrap(),
        []
    );
    // A refresh without an email keeps the hash; one with a new email replaces it.
    store.claim("ada", 5, &mapping(501)).await.unwrap();
    assert_eq!(
        store
            .find(5, &Lookup::EmailHash(hash.clone()))
            .await
            .unwrap(),
        ada
    );
    let moved = Mapping {
        email_hash: Some(email_hash("ada@new.example")),
        ..mapping(501)
    };
    store.claim("ada", 5, &moved).await.unwrap();
    assert_eq!(store.find(5, &Lookup::EmailHash(hash)).await.unwrap(), []);
    assert_eq!(store.get("ada", 5).await.unwrap(), Some(moved.clone()));
    // Other links with that hash (the platform gave the address to another account; Ada's link
    // keeps it until she is next seen): the email finds every one in the campaign, by subject.
    let twin = |id| Mapping {
        email_hash: moved.email_hash.clone(),
        ..mapping(id)
    };
    store.claim("abe", 5, &twin(502)).await.unwrap();
    store.claim("aaron", 6, &twin(503)).await.unwrap();
    let lookup = Lookup::EmailHash(email_hash("ada@new.example"));
    let found = store.find(5, &lookup).await.unwrap();
    let subjects: Vec<_> = found.iter().map(|l| l.subject.as_str()).collect();
    assert_eq!(subjects, ["abe", "ada"], "by subject, not as stored");
}

/// SPEC §6: an unverified link is moved to the subject that proves the email, verified from
/// then on; the subject it was taken from has none, and claims it back in vain. A verified link
/// is never moved, and nothing moves to a subject that has a link of its own.
async fn an_unverified_link_is_reclaimed_once_by_a_verified_owner(store: &Store) {
    assert_eq!(
        store.claim("squatter", 11, &mapping(900)).await.unwrap(),
        Claim::Stored
    );
    assert_eq!(
        store
            .reclaim("squatter", "owner", 11, &verified(900))
            .await
            .unwrap(),
        Reclaim::Moved
    );
    assert_eq!(store.get("squatter", 11).await.unwrap(), None);
    assert_eq!(store.get("owner", 11).await.unwrap(), Some(verified(900)));
    assert_eq!(
        store.owner(11, 900).await.unwrap().as_deref(),
        Some("owner")
    );
    assert_eq!(
        store.claim("squatter", 11, &mapping(900)).await.unwrap(),
        Claim::TakenBy("owner".into())
    );
    for (from, to) in [("squatter", "third"), ("owner", "third")] {
        assert_eq!(
            store.reclaim(from, to, 11, &verified(900)).await.unwrap(),
            Reclaim::Kept(Some("owner".into())),
            "{from} -> {to}: not the squatter's any more, and verified"
        );
    }
    assert_eq!(
        store
            .reclaim("nobody", "third", 11, &verified(999))
            .await
            .unwrap(),
        Reclaim::Kept(None)
    );
    // A subject that has a link of its own in the campaign takes nothing over.
    store.claim("busy", 11, &verified(901)).await.unwrap();
    store.claim("squatter2", 11, &mapping(902)).await.unwrap();
    assert_eq!(
        store
            .reclaim("squatter2", "busy", 11, &verified(902))
            .await
            .unwrap(),
        Reclaim::SubjectTaken(verified(901))
    );
    assert_eq!(
        store.owner(11, 902).await.unwrap().as_deref(),
        Some("squatter2")
    );
    // A subject that proves its email later keeps its link verified, whatever comes next.
    store.claim("grows", 11, &mapping(903)).await.unwrap();
    store.claim("grows", 11, &verified(903)).await.unwrap();
    store.claim("grows", 11, &mapping(903)).await.unwrap();
    assert_eq!(store.get("grows", 11).await.unwrap(), Some(verified(903)));
    assert_eq!(
        store
            .reclaim("grows", "owner2", 11, &verified(903))
            .await
            .unwrap(),
        Reclaim::Kept(Some("grows".into()))
    );
}

/// Twenty verified subjects racing to reclaim one unverified link: one moves it, every other
/// is told who has it now.
async fn concurrent_reclaims_have_one_winner(store: &Store) {
    store.claim("squatter3", 12, &mapping(904)).await.unwrap();
    let reclaims: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .reclaim("squatter3", &format!("v{i}"), 12, &verified(904))
                    .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for reclaim in reclaims {
        outcomes.push(reclaim.await.unwrap().unwrap());
    }
    let winner = store.owner(12, 904).await.unwrap().unwrap();
    assert_ne!(winner, "squatter3");
    assert_eq!(outcomes.iter().filter(|r| **r == Reclaim::Moved).count(), 1);
    assert!(
        outcomes
            .iter()
            .all(|r| *r == Reclaim::Moved || *r == Reclaim::Kept(Some(winner.clone()))),
        "{outcomes:?}"
    );
}

async fn contract(store: Store) {
    round_trip(&store).await;
    referrers_are_found_by_code_and_email(&store).await;
    one_subject_per_platform_user(&store).await;
    concurrent_claims_have_one_winner(&store).await;
    an_unverified_link_is_reclaimed_once_by_a_verified_owner(&store).await;
    concurrent_reclaims_have_one_winner(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_the_store_contract() {
    let dir = std::env::temp_dir().join(format!("rd-contract-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("contract.sqlite3");
    let database = Database::parse(&path.to_string_lossy());
    assert!(matches!(database, Database::Sqlite(_)));
    contract(Store::connect(&database).await.unwrap()).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_the_store_contract() {
    let server = PostgresServer::start();
    let database = Database::parse(&server.url());
    assert!(matches!(database, Database::Postgres(_)));
    let store = Store::connect(&database).await.unwrap();
    assert_eq!(store.engine(), "postgres");
    contract(store).await;
    // Reconnecting migrates nothing twice and keeps the data.
    let again = Store::connect(&database).await.unwrap();
    assert_eq!(again.owner(1, 9).await.unwrap().as_deref(), Some("alice"));
    // PostgreSQL's refusal in its own words, without the line of its C source sqlx appends.
    let url = server.url();
    let missing = format!("{}/no_such_db", url.rsplit_once('/').unwrap().0);
    let error = Store::connect(&Database::parse(&missing))
        .await
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        error,
        "database connect failed: error returned from database: database \"no_such_db\" does \
         not exist"
    );
}

/// The schema the previous version left (migrations 1 to 4, as a database it created has them).
const SCHEMA_4: &str = "
    CREATE TABLE referrer_dashboard_schema (version INTEGER NOT NULL);
    INSERT INTO referrer_dashboard_schema (version) VALUES (1), (2), (3), (4);
    CREATE TABLE referrers (
        subject     TEXT        NOT NULL,
        campaign_id BIGINT      NOT NULL,
        platform_id BIGINT      NOT NULL,
        code        TEXT,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        link        TEXT,
        email_hash  TEXT,
        PRIMARY KEY (subject, campaign_id)
    );
    CREATE UNIQUE INDEX referrers_platform_user ON referrers (campaign_id, platform_id);
    CREATE INDEX referrers_code ON referrers (campaign_id, code);
    CREATE INDEX referrers_email ON referrers (campaign_id, email_hash);
    INSERT INTO referrers (subject, campaign_id, platform_id, code, link)
    VALUES ('early', 1, 5, 'C5', 'https://x.example/r/C5');";

/// A PostgreSQL database the previous version created, opened by this one: its links count as
/// verified (nobody recorded whether they were), so none is taken over; new links say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_postgres_database_keeps_its_links_as_verified_and_new_ones_say() {
    let server = PostgresServer::start();
    {
        let pool = sqlx::PgPool::connect(&server.url()).await.unwrap();
        sqlx::raw_sql(SCHEMA_4).execute(&pool).await.unwrap();
        pool.close().await;
    }
    let store = Store::connect(&Database::parse(&server.url()))
        .await
        .unwrap();
    assert_eq!(store.get("early", 1).await.unwrap(), Some(verified(5)));
    assert_eq!(
        store
            .reclaim("early", "later", 1, &verified(5))
            .await
            .unwrap(),
        Reclaim::Kept(Some("early".into()))
    );
    store.claim("new", 1, &mapping(6)).await.unwrap();
    assert_eq!(store.get("new", 1).await.unwrap(), Some(mapping(6)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_a_new_postgres_database_all_come_up() {
    let server = PostgresServer::start();
    let database = Database::parse(&server.url());
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let database = database.clone();
            tokio::spawn(async move { Store::connect(&database).await })
        })
        .collect();
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.unwrap().unwrap());
    }
    // Every instance sees what another wrote: the same database, migrated once.
    assert_eq!(
        stores[0].claim("shared", 1, &mapping(5)).await.unwrap(),
        Claim::Stored
    );
    for store in &stores {
        assert_eq!(store.get("shared", 1).await.unwrap(), Some(mapping(5)));
        assert_eq!(
            store.claim("other", 1, &mapping(5)).await.unwrap(),
            Claim::TakenBy("shared".into())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_postgres_fails_the_start_without_showing_the_password() {
    let port = common::engines::free_port();
    let url = format!("postgres://rd:s3cret-pw@127.0.0.1:{port}/rd");
    let error = Store::connect(&Database::parse(&url))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("connect"), "{error}");
    assert!(!error.contains("s3cret-pw"), "{error}");
}
