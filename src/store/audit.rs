//! The audit log: who read, exported or changed personal data, when, and what. Rows are
//! only ever inserted; nothing in Rosette updates or deletes them.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::schema::AuditLog;
use super::{Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Records one action inside the caller's transaction, so the entry lands with the change.
pub async fn record(
    tx: &mut Tx,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(AuditLog::Table)
            .columns([
                AuditLog::At,
                AuditLog::Actor,
                AuditLog::Action,
                AuditLog::Subject,
                AuditLog::Detail,
            ])
            .values_panic([
                Utc::now().into(),
                actor.into(),
                action.into(),
                subject.into(),
                detail.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The newest entries first, optionally only one action.
pub async fn recent(tx: &mut Tx, action: Option<&str>, limit: u64) -> Result<Vec<Entry>> {
    let mut q = Query::select();
    q.columns([
        AuditLog::At,
        AuditLog::Actor,
        AuditLog::Action,
        AuditLog::Subject,
        AuditLog::Detail,
    ])
    .from(AuditLog::Table)
    .order_by(AuditLog::Id, Order::Desc)
    .limit(limit);
    if let Some(a) = action {
        q.and_where(Expr::col(AuditLog::Action).eq(a));
    }
    tx.fetch_all(&q).await
}
