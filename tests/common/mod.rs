//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database on the server named
//! by ROSETTE_TEST_POSTGRES_URL (default: the local server). A PostgreSQL test never
//! passes by skipping: if the server cannot be reached, it fails and says why.
#![allow(dead_code)]

pub mod web;

use rosette::store::{Db, migrate};
use sqlx::Connection;
use tempfile::TempDir;

pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<TempDir>,
}

pub fn admin_url() -> String {
    std::env::var("ROSETTE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let t = TestDb::sqlite_unmigrated().await;
        migrate(&t.db).await.expect("migrate sqlite");
        t
    }

    pub async fn postgres() -> TestDb {
        let t = TestDb::postgres_unmigrated().await;
        migrate(&t.db).await.expect("migrate postgres");
        t
    }

    /// An empty SQLite database, with no schema yet.
    pub async fn sqlite_unmigrated() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url).await.expect("open sqlite");
        TestDb {
            db,
            url,
            _dir: Some(dir),
        }
    }

    /// A new, empty PostgreSQL database, with no schema yet.
    pub async fn postgres_unmigrated() -> TestDb {
        let admin = admin_url();
        let name = format!("rosette_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL tests need a server at {admin} (set ROSETTE_TEST_POSTGRES_URL): {e}"
                )
            });
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_string();
        let url = format!("{base}/{name}");
        let db = Db::connect(&url).await.expect("open postgres");
        TestDb {
            db,
            url,
            _dir: None,
        }
    }
}

/// Runs an async test body against both engines: `both!(name);` with `async fn name(db: TestDb)`.
#[macro_export]
macro_rules! both {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { super::$name($crate::common::TestDb::sqlite().await).await })+
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() { super::$name($crate::common::TestDb::postgres().await).await })+
        }
    };
}
