//! Kept Membership Action Reports: the list people acted on, stored as generated so it
//! does not shift under them. One per local party and period end, enforced by a unique
//! index, so several servers generating at once store it once.

use chrono::{NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use uuid::Uuid;

use super::schema::ActionReports;
use super::{Mode, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Kept {
    pub public_id: String,
    pub local_party_id: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub generated_at: chrono::DateTime<Utc>,
    pub generated_by: String,
    /// The report as JSON (`report::ActionReport`).
    pub body: String,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            ActionReports::PublicId,
            ActionReports::LocalPartyId,
            ActionReports::PeriodFrom,
            ActionReports::PeriodTo,
            ActionReports::GeneratedAt,
            ActionReports::GeneratedBy,
            ActionReports::Body,
        ])
        .from(ActionReports::Table)
        .to_owned()
}

/// Stores a report unless one for this local party and period end exists. Returns its
/// public id if this call stored it (the caller then tells people), `None` if another
/// got there first.
pub async fn keep_once(
    tx: &mut Tx,
    local_party_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    by: &str,
    body: &str,
) -> Result<Option<String>> {
    let public_id = Uuid::now_v7().to_string();
    let n = tx
        .execute(
            &Query::insert()
                .into_table(ActionReports::Table)
                .columns([
                    ActionReports::PublicId,
                    ActionReports::LocalPartyId,
                    ActionReports::PeriodFrom,
                    ActionReports::PeriodTo,
                    ActionReports::GeneratedAt,
                    ActionReports::GeneratedBy,
                    ActionReports::Body,
                ])
                .values_panic([
                    public_id.clone().into(),
                    local_party_id.into(),
                    from.into(),
                    to.into(),
                    Utc::now().into(),
                    by.into(),
                    body.into(),
                ])
                .on_conflict(
                    OnConflict::columns([ActionReports::LocalPartyId, ActionReports::PeriodTo])
                        .do_nothing()
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
    Ok((n == 1).then_some(public_id))
}

/// The kept reports of these local parties, newest period first.
pub async fn list(tx: &mut Tx<impl Mode>, local_parties: &[i64], limit: u64) -> Result<Vec<Kept>> {
    let mut q = select();
    q.and_where(Expr::col(ActionReports::LocalPartyId).is_in(local_parties.iter().copied()))
        .order_by(ActionReports::PeriodTo, Order::Desc)
        .limit(limit);
    tx.fetch_all(&q).await
}

pub async fn get(
    tx: &mut Tx<impl Mode>,
    public_id: &str,
    local_parties: &[i64],
) -> Result<Option<Kept>> {
    let mut q = select();
    q.and_where(Expr::col(ActionReports::PublicId).eq(public_id))
        .and_where(Expr::col(ActionReports::LocalPartyId).is_in(local_parties.iter().copied()));
    tx.fetch_optional(&q).await
}

/// Whether the report for this local party and period end is kept already.
pub async fn exists(tx: &mut Tx<impl Mode>, local_party_id: i64, to: NaiveDate) -> Result<bool> {
    let mut q = select();
    q.and_where(Expr::col(ActionReports::LocalPartyId).eq(local_party_id))
        .and_where(Expr::col(ActionReports::PeriodTo).eq(to));
    Ok(tx.fetch_optional::<Kept, _>(&q).await?.is_some())
}
