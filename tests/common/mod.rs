//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database on the server named
//! by ROSETTE_TEST_POSTGRES_URL (default: the local server). A PostgreSQL test never
//! passes by skipping: if the server cannot be reached, it fails and says why.
#![allow(dead_code)]

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
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::connect(&url).await.expect("open sqlite");
        migrate(&db).await.expect("migrate sqlite");
        TestDb {
            db,
            url,
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> TestDb {
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
        migrate(&db).await.expect("migrate postgres");
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
