//! Welcomes: a new member marked as welcomed (by a call, an email, a one-to-one or at an
//! event), by whom and when. The Women's Officer's welcome queue is the new women members
//! with none.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use std::collections::HashMap;

use super::schema::Welcomes;
use super::{Mode, Result, Tx};

/// One welcome as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Welcome {
    pub person_id: i64,
    pub how: String,
    pub by_actor: String,
    pub at: DateTime<Utc>,
}

pub async fn record(
    tx: &mut Tx,
    local_party_id: i64,
    person_id: i64,
    how: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(Welcomes::Table)
            .columns([
                Welcomes::LocalPartyId,
                Welcomes::PersonId,
                Welcomes::How,
                Welcomes::ByActor,
                Welcomes::At,
            ])
            .values_panic([
                local_party_id.into(),
                person_id.into(),
                how.into(),
                by.into(),
                at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The latest welcome of each of these people who has one.
pub async fn latest(tx: &mut Tx<impl Mode>, people: &[i64]) -> Result<HashMap<i64, Welcome>> {
    let mut out = HashMap::new();
    for chunk in people.chunks(super::members::ID_CHUNK) {
        let rows: Vec<Welcome> = tx
            .fetch_all(
                &Query::select()
                    .columns([
                        Welcomes::PersonId,
                        Welcomes::How,
                        Welcomes::ByActor,
                        Welcomes::At,
                    ])
                    .from(Welcomes::Table)
                    .and_where(Expr::col(Welcomes::PersonId).is_in(chunk.iter().copied()))
                    .order_by(Welcomes::At, Order::Asc)
                    .to_owned(),
            )
            .await?;
        out.extend(rows.into_iter().map(|w| (w.person_id, w)));
    }
    Ok(out)
}

/// Every welcome of one person, newest first.
pub async fn of_person(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<Welcome>> {
    tx.fetch_all(
        &Query::select()
            .columns([
                Welcomes::PersonId,
                Welcomes::How,
                Welcomes::ByActor,
                Welcomes::At,
            ])
            .from(Welcomes::Table)
            .and_where(Expr::col(Welcomes::PersonId).eq(person_id))
            .order_by(Welcomes::At, Order::Desc)
            .to_owned(),
    )
    .await
}
