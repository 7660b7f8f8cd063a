//! Scheduled work, safe to run on several servers against one database: each job's result
//! is stored under a unique key, so whichever server stores it first is the only one that
//! acts on it (see `report::keep`).

use chrono::NaiveDate;
use std::sync::Arc;

use crate::domain::report::Period;
use crate::domain::{Rules, UnitKind};
use crate::report::{self, ReportError};
use crate::store::{Db, units};

/// Keeps the Membership Action Report of every local party for the last completed period,
/// where it is not kept yet. Returns how many this call kept.
pub async fn keep_due_reports(
    db: &Db,
    rules: &Rules,
    public_url: &str,
    today: NaiveDate,
) -> Result<usize, ReportError> {
    let mut tx = db.begin_read().await?;
    let parties: Vec<units::Unit> = units::list(&mut tx)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::LocalParty.as_str())
        .collect();
    let mut periods = Vec::new();
    for lp in &parties {
        let days = report::period_days(&mut tx, rules, lp.id).await?;
        periods.push(Period::last_completed(today, days));
    }
    tx.commit().await?;
    let mut kept = 0;
    for (lp, period) in parties.iter().zip(periods) {
        if report::keep(db, rules, lp, period, "scheduler", public_url)
            .await?
            .is_some()
        {
            kept += 1;
        }
    }
    Ok(kept)
}

/// Runs the scheduled jobs every ten minutes until the process stops.
pub async fn run(db: Db, rules: Arc<Rules>, public_url: String, today: fn() -> NaiveDate) {
    loop {
        match keep_due_reports(&db, &rules, &public_url, today()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reports = n, "kept the period's action reports"),
            Err(e) => tracing::error!(error = %e, "keeping action reports failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}
