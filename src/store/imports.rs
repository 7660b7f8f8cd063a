//! Member files uploaded through the web: the bytes, the choices made for reading them,
//! and what their last check or import found.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::Imports;
use super::{Mode, Result, StoreError, Tx};

/// An uploaded file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Upload {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub user_id: i64,
    pub file_name: String,
    pub maps: String,
    pub value_maps: String,
    pub date_order: Option<String>,
    pub state: String,
    pub outcome: Option<String>,
    pub problems: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: [Imports; 12] = [
    Imports::Id,
    Imports::PublicId,
    Imports::LocalPartyId,
    Imports::UserId,
    Imports::FileName,
    Imports::Maps,
    Imports::ValueMaps,
    Imports::DateOrder,
    Imports::State,
    Imports::Outcome,
    Imports::Problems,
    Imports::CreatedAt,
];

/// Keeps an uploaded file; returns its public id.
pub async fn create(
    tx: &mut Tx,
    local_party_id: i64,
    user_id: i64,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    let now = Utc::now();
    tx.execute(
        &Query::insert()
            .into_table(Imports::Table)
            .columns([
                Imports::PublicId,
                Imports::LocalPartyId,
                Imports::UserId,
                Imports::FileName,
                Imports::Bytes,
                Imports::Maps,
                Imports::ValueMaps,
                Imports::State,
                Imports::CreatedAt,
                Imports::UpdatedAt,
            ])
            .values_panic([
                public_id.clone().into(),
                local_party_id.into(),
                user_id.into(),
                file_name.into(),
                bytes.into(),
                "".into(),
                "".into(),
                "uploaded".into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

/// An upload into one of `parties`, by public id.
pub async fn get(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    public_id: &str,
) -> Result<Option<Upload>> {
    tx.fetch_optional(
        &Query::select()
            .columns(COLUMNS)
            .from(Imports::Table)
            .and_where(Expr::col(Imports::PublicId).eq(public_id))
            .and_where(Expr::col(Imports::LocalPartyId).is_in(parties.iter().copied()))
            .to_owned(),
    )
    .await
}

/// The latest uploads into `parties`, newest first.
pub async fn recent(tx: &mut Tx<impl Mode>, parties: &[i64], limit: u64) -> Result<Vec<Upload>> {
    tx.fetch_all(
        &Query::select()
            .columns(COLUMNS)
            .from(Imports::Table)
            .and_where(Expr::col(Imports::LocalPartyId).is_in(parties.iter().copied()))
            .order_by(Imports::CreatedAt, Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

pub async fn bytes(tx: &mut Tx<impl Mode>, id: i64) -> Result<Vec<u8>> {
    let row: Option<(Vec<u8>,)> = tx
        .fetch_optional(
            &Query::select()
                .column(Imports::Bytes)
                .from(Imports::Table)
                .and_where(Expr::col(Imports::Id).eq(id))
                .to_owned(),
        )
        .await?;
    row.map(|(b,)| b)
        .ok_or_else(|| StoreError::Invalid(format!("upload {id} is gone")))
}

/// Keeps the choices made for reading the file; what an earlier run found no longer
/// holds, so it is cleared.
pub async fn set_choices(
    tx: &mut Tx,
    id: i64,
    maps: &str,
    value_maps: &str,
    date_order: Option<&str>,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Imports::Table)
            .value(Imports::Maps, maps)
            .value(Imports::ValueMaps, value_maps)
            .value(Imports::DateOrder, date_order)
            .value(Imports::State, "uploaded")
            .value(Imports::Outcome, None::<String>)
            .value(Imports::Problems, None::<String>)
            .value(Imports::UpdatedAt, Utc::now())
            .and_where(Expr::col(Imports::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Keeps what a run found: its state, its words, and its problems as JSON.
pub async fn set_outcome(
    tx: &mut Tx,
    id: i64,
    state: &str,
    outcome: &str,
    problems: &str,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Imports::Table)
            .value(Imports::State, state)
            .value(Imports::Outcome, outcome)
            .value(Imports::Problems, problems)
            .value(Imports::UpdatedAt, Utc::now())
            .and_where(Expr::col(Imports::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}
