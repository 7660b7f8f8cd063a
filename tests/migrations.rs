//! Upgrades: a database left by an older release of Rosette is brought forward by
//! `migrate` on both engines, keeping its data, and ends with the same schema as a new
//! database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use chrono::NaiveDate;
use common::TestDb;
use rosette::domain::Rules;
use rosette::store::{Db, LATEST, members, migrate, migrate_to};
use rosette::{demo, jobs};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// A database at `version`: a new one on the same engine as `t`, migrated only that far.
async fn database_at(t: &TestDb, version: i32) -> TestDb {
    let old = if t.url.starts_with("sqlite:") {
        TestDb::sqlite_unmigrated().await
    } else {
        TestDb::postgres_unmigrated().await
    };
    assert_eq!(
        migrate_to(&old.db, version).await.unwrap(),
        version as usize
    );
    old
}

async fn people(db: &Db) -> i64 {
    let mut tx = db.begin_read().await.unwrap();
    let n = members::count(&mut tx, None).await.unwrap();
    tx.commit().await.unwrap();
    n
}

async fn every_older_schema_migrates_forward(t: TestDb) {
    let rules = Rules::defaults().unwrap();
    for version in 1..LATEST {
        let old = database_at(&t, version).await;
        let ran = migrate(&old.db).await.unwrap();
        assert_eq!(ran, (LATEST - version) as usize, "from version {version}");
        assert_eq!(
            migrate(&old.db).await.unwrap(),
            0,
            "a second run does nothing"
        );
        // The upgraded database does everything a new one does.
        demo::generate(&old.db, &rules, 40, 3, today(), &|_| {})
            .await
            .unwrap();
        jobs::keep_due_reports(&old.db, &rules, "https://rosette.example", today())
            .await
            .unwrap();
        assert_eq!(people(&old.db).await, 40, "from version {version}");
    }
}

async fn a_register_kept_by_the_release_before_survives_the_upgrade(t: TestDb) {
    let rules = Rules::defaults().unwrap();
    // The release before audit entries named their people in a table of their own: a
    // register with its history, and an entry about one person kept as its subject.
    const BEFORE_AUDIT_PEOPLE: i32 = 8;
    let old = database_at(&t, BEFORE_AUDIT_PEOPLE).await;
    demo::generate(&old.db, &rules, 120, 9, today(), &|_| {})
        .await
        .unwrap();
    let before = people(&old.db).await;
    let (person_id, public_id) = {
        let mut tx = old.db.begin_read().await.unwrap();
        let all = members::all(&mut tx, 1).await.unwrap();
        (all[3].person_id, all[3].public_id.clone())
    };
    let opened = format!(
        "INSERT INTO audit_log (at, actor, local_party_id, action, subject, detail) \
         VALUES ('2026-11-01T10:00:00Z', 'membership@example.org', 1, 'member.view', '{public_id}', '')"
    );
    if t.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&old.url).await.unwrap();
        sqlx::raw_sql(&opened).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&old.url).await.unwrap();
        sqlx::raw_sql(&opened).execute(&pool).await.unwrap();
        pool.close().await;
    }
    assert_eq!(
        migrate(&old.db).await.unwrap(),
        (LATEST - BEFORE_AUDIT_PEOPLE) as usize
    );
    assert_eq!(people(&old.db).await, before);
    // "Who opened this record" now reads the people table alone: the old entry is in it.
    let mut tx = old.db.begin_read().await.unwrap();
    let viewers = rosette::store::roster::noted(&mut tx, person_id, "member.view", 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        viewers.len(),
        1,
        "the entry kept before the upgrade names them"
    );
    assert_eq!(
        viewers[0].by, "membership@example.org",
        "no such user: as written"
    );
    let mut tx = old.db.begin().await.unwrap();
    assert!(
        jobs::enqueue(
            &mut tx,
            "test.upgrade",
            &serde_json::json!({}),
            Some("k"),
            chrono::Utc::now()
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
}

both!(
    every_older_schema_migrates_forward,
    a_register_kept_by_the_release_before_survives_the_upgrade,
);
