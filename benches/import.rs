//! Import benchmark: a generated member file of N rows (default 500,000) imported with
//! every check on, against each database's own bulk loader on the same file in the same
//! run: `sqlite3 .import` into a bare table, and PostgreSQL `COPY`. Prints rows per
//! second and the ratio. Run with `scripts/bench-import [N]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

use chrono::NaiveDate;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rosette::app::export;
use rosette::domain::Rules;
use rosette::import::{self, Options, Quiet};
use rosette::store::units::{self, NewUnit};
use rosette::store::{Db, migrate};
use sqlx::Connection;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const BRANCHES: &[(&str, &[&str])] = &[
    ("Riverside", &["Riverside", "Riverside North"]),
    ("Hillside", &["Hillside", "Hillside South"]),
    ("Castle", &["Castle", "Castle Upper"]),
    ("Market", &["Market", "Market Lower"]),
    ("Northgate", &["Northgate", "Northgate North"]),
    ("Southfield", &["Southfield", "Southfield South"]),
    ("Abbey", &["Abbey", "Abbey Upper"]),
    ("Canal", &["Canal", "Canal Lower"]),
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date")
}

fn write_file(path: &Path, n: usize, rules: &Rules) -> anyhow::Result<()> {
    let branches: Vec<(String, Vec<String>)> = BRANCHES
        .iter()
        .map(|(b, w)| (b.to_lowercase(), w.iter().map(|s| s.to_string()).collect()))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let people = rosette::demo::people(rules, &mut rng, &branches, 0, n, today());
    let rows: Vec<Vec<String>> = people
        .iter()
        .map(|m| export::cells(&m.person, &m.membership, None, None))
        .collect();
    export::write_csv(std::fs::File::create(path)?, export::COLUMNS, &rows)?;
    Ok(())
}

async fn prepare(db: &Db) -> anyhow::Result<()> {
    migrate(db).await?;
    let mut tx = db.begin().await?;
    for (name, wards) in BRANCHES {
        units::add(
            &mut tx,
            &NewUnit {
                name: name.to_string(),
                wards: wards.iter().map(|s| s.to_string()).collect(),
                ..NewUnit::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn rosette_import(db: &Db, rules: &Rules, path: &Path) -> anyhow::Result<f64> {
    prepare(db).await?;
    let bytes = std::fs::read(path)?;
    let options = Options {
        local_party: "local-party".into(),
        dry_run: false,
        skip_invalid: false,
        maps: vec![],
        value_maps: vec![],
        date_order: None,
        today: today(),
        actor: "bench".into(),
    };
    let started = Instant::now();
    let summary = import::import_members(db, rules, "bench.csv", &bytes, &options, &Quiet).await?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.added == summary.rows,
        "not every row was added: {summary}"
    );
    Ok(secs)
}

fn bare_table() -> String {
    format!(
        "CREATE TABLE bare ({})",
        export::COLUMNS
            .iter()
            .map(|c| format!("{c} TEXT"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn timed(mut command: Command) -> anyhow::Result<f64> {
    let started = Instant::now();
    let out = command.output()?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "{:?} failed: {}",
        command,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(secs)
}

fn report(engine: &str, n: usize, ours: f64, loader: f64, loader_name: &str) {
    let (ours_rate, loader_rate) = (n as f64 / ours, n as f64 / loader);
    println!(
        "{engine:<10} rosette import {ours:>7.2}s {ours_rate:>9.0} rows/s | {loader_name} {loader:>6.2}s {loader_rate:>9.0} rows/s | ratio {:.2}x",
        ours_rate / loader_rate
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // RUST_LOG=rosette=debug shows the import's phases (checked, planned, inserted, ...).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(500_000);
    let rules = Rules::defaults()?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("members.csv");
    let started = Instant::now();
    write_file(&file, n, &rules)?;
    println!(
        "generated {n} members in {:.1}s ({} MB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&file)?.len() / 1_000_000
    );

    // SQLite: Rosette into a fresh database file; sqlite3's own .import into a bare table.
    let db_path = dir.path().join("rosette.db");
    let db = Db::connect(&format!("sqlite://{}", db_path.display())).await?;
    let ours = rosette_import(&db, &rules, &file).await?;
    db.close().await;
    let bare = dir.path().join("bare.db");
    let mut sqlite3 = Command::new("sqlite3");
    sqlite3
        .arg(&bare)
        .arg(bare_table())
        .arg(".mode csv")
        .arg(format!(".import --skip 1 {} bare", file.display()));
    let loader = timed(sqlite3)?;
    report("sqlite", n, ours, loader, "sqlite3 .import");

    // PostgreSQL: Rosette into a fresh database; COPY (via psql \copy) into a bare table.
    let admin = std::env::var("ROSETTE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_string();
    let mut conn = sqlx::PgConnection::connect(&admin).await?;
    for name in ["rosette_bench", "rosette_bench_bare"] {
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await?;
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
    }
    let db = Db::connect(&format!("{base}/rosette_bench")).await?;
    let ours = rosette_import(&db, &rules, &file).await?;
    db.close().await;
    let bare_url = format!("{base}/rosette_bench_bare");
    let mut create = Command::new("psql");
    create.arg(&bare_url).arg("-qc").arg(bare_table());
    timed(create)?;
    let mut copy = Command::new("psql");
    copy.arg(&bare_url).arg("-qc").arg(format!(
        "\\copy bare FROM '{}' WITH (FORMAT csv, HEADER true)",
        file.display()
    ));
    let loader = timed(copy)?;
    report("postgres", n, ours, loader, "COPY");
    for name in ["rosette_bench", "rosette_bench_bare"] {
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}
