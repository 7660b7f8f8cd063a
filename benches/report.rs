//! Action report benchmark on the national data set: Rosette's report for one local party
//! and for all of them, against a hand-written SQL query counting the same sections in
//! the same run. Run with `scripts/bench-report` (it generates the data set if needed).
//! The hand-written query is SQLite SQL written for this comparison only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

use chrono::NaiveDate;
use rosette::app::report::action_report;
use rosette::domain::report::Period;
use rosette::domain::{Rules, UnitKind};
use rosette::store::{Db, units};
use sqlx::Connection;
use std::time::{Duration, Instant};

const COUNTS: &str = "
WITH m AS (
  SELECT id, joined_on, paid_until, left_on, left_reason,
         CASE WHEN paid_until IS NOT NULL AND paid_until >= joined_on
              THEN date(paid_until, '+1 day') ELSE joined_on END AS arrears_from
  FROM memberships WHERE local_party_id = ?1
), e AS (
  SELECT kind, count(DISTINCT membership_id) AS n FROM membership_events
  WHERE membership_id IN (SELECT id FROM m) AND on_date BETWEEN ?2 AND ?3
  GROUP BY kind
)
SELECT
  (SELECT coalesce(sum(n), 0) FROM e WHERE kind = 'joined'),
  (SELECT coalesce(sum(n), 0) FROM e WHERE kind = 'rejoined'),
  (SELECT coalesce(sum(n), 0) FROM e WHERE kind = 'transferred_in'),
  (SELECT coalesce(sum(n), 0) FROM e WHERE kind = 'transferred_out'),
  (SELECT count(*) FROM m WHERE left_reason IS NULL AND arrears_from BETWEEN ?2 AND ?3
     AND date(arrears_from, '+6 months') > ?3),
  (SELECT count(*) FROM m WHERE left_reason IS NULL AND arrears_from <= ?3
     AND date(arrears_from, '+6 months') > ?3),
  (SELECT count(*) FROM m WHERE left_reason IS NULL
     AND date(arrears_from, '+6 months') BETWEEN ?2 AND ?3),
  (SELECT coalesce(sum(n), 0) FROM e WHERE kind = 'resigned'),
  (SELECT coalesce(sum(n), 0) FROM e WHERE kind = 'died')";

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // cargo bench adds its own `--bench` flag; the data set is the other argument.
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .ok_or_else(|| anyhow::anyhow!("usage: report DB_PATH"))?;
    let url = format!("sqlite://{path}");
    let rules = Rules::defaults()?;
    let db = Db::connect(&url).await?;
    let period = Period::ending(
        NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default(),
        14,
    );
    let mut tx = db.begin_read().await?;
    let parties: Vec<units::Unit> = units::list(&mut tx)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::LocalParty.as_str())
        .filter(|u| u.slug != units::DEFAULT_LOCAL_PARTY)
        .collect();
    tx.commit().await?;
    anyhow::ensure!(
        parties.len() >= 600,
        "expected the national data set, found {} local parties",
        parties.len()
    );
    let mut raw = sqlx::SqliteConnection::connect(&url).await?;

    let one = &parties[0];
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut sizes = (0usize, 0i64);
    for _ in 0..21 {
        let started = Instant::now();
        let mut tx = db.begin().await?;
        let r = action_report(&mut tx, &rules, &one.slug, period, "bench").await?;
        tx.commit().await?;
        ours.push(started.elapsed());
        sizes.0 = r.sections.values().map(Vec::len).sum();
        let started = Instant::now();
        let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(COUNTS)
            .bind(one.id)
            .bind(period.from)
            .bind(period.to)
            .fetch_one(&mut raw)
            .await?;
        theirs.push(started.elapsed());
        sizes.1 = row.0 + row.1 + row.2 + row.3 + row.4 + row.5 + row.6 + row.7 + row.8;
    }
    let (a, b) = (median(ours), median(theirs));
    println!(
        "one local party ({}): Rosette {:.2} ms ({} entries), hand-written count {:.2} ms ({} entries), ratio {:.1}x",
        one.name,
        a.as_secs_f64() * 1e3,
        sizes.0,
        b.as_secs_f64() * 1e3,
        sizes.1,
        a.as_secs_f64() / b.as_secs_f64()
    );

    // Each side runs twice and the second run counts, so neither is timed on a page cache
    // that the other warmed for it.
    let mut all_ours = Duration::ZERO;
    let mut all_theirs = Duration::ZERO;
    let mut entries = 0;
    let mut counted = 0i64;
    for _ in 0..2 {
        let started = Instant::now();
        entries = 0;
        for lp in &parties {
            let mut tx = db.begin().await?;
            let r = action_report(&mut tx, &rules, &lp.slug, period, "bench").await?;
            tx.commit().await?;
            entries += r.sections.values().map(Vec::len).sum::<usize>();
        }
        all_ours = started.elapsed();
        let started = Instant::now();
        counted = 0;
        for lp in &parties {
            let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(COUNTS)
                .bind(lp.id)
                .bind(period.from)
                .bind(period.to)
                .fetch_one(&mut raw)
                .await?;
            counted += row.0 + row.1 + row.2 + row.3 + row.4 + row.5 + row.6 + row.7 + row.8;
        }
        all_theirs = started.elapsed();
    }
    println!(
        "all {} local parties: Rosette {:.2} s ({entries} entries), hand-written count {:.2} s ({counted} entries), ratio {:.1}x",
        parties.len(),
        all_ours.as_secs_f64(),
        all_theirs.as_secs_f64(),
        all_ours.as_secs_f64() / all_theirs.as_secs_f64()
    );
    Ok(())
}
