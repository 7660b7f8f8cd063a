//! Saved segments: a named member filter, kept as its canonical query string so it is run
//! again, against the live register and within the reader's scope, each time it is opened.

use chrono::Utc;
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::Segments;
use super::{Mode, Result, StoreError, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Segment {
    #[serde(rename = "id")]
    pub public_id: String,
    #[serde(skip)]
    pub local_party_id: i64,
    pub name: String,
    pub query: String,
    pub created_by: String,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Segments::PublicId,
            Segments::LocalPartyId,
            Segments::Name,
            Segments::Query,
            Segments::CreatedBy,
        ])
        .from(Segments::Table)
        .to_owned()
}

pub async fn list(tx: &mut Tx<impl Mode>, local_parties: &[i64]) -> Result<Vec<Segment>> {
    let mut q = select();
    q.and_where(Expr::col(Segments::LocalPartyId).is_in(local_parties.iter().copied()))
        .order_by(Segments::Name, Order::Asc);
    tx.fetch_all(&q).await
}

pub async fn get(
    tx: &mut Tx<impl Mode>,
    public_id: &str,
    local_parties: &[i64],
) -> Result<Option<Segment>> {
    let mut q = select();
    q.and_where(Expr::col(Segments::PublicId).eq(public_id))
        .and_where(Expr::col(Segments::LocalPartyId).is_in(local_parties.iter().copied()));
    tx.fetch_optional(&q).await
}

/// Saves a segment; a name already used in the local party is refused with a message.
pub async fn create(
    tx: &mut Tx,
    local_party_id: i64,
    name: &str,
    query: &str,
    by: &str,
) -> Result<Segment> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(StoreError::Invalid(
            "give the segment a name of 1 to 80 characters".into(),
        ));
    }
    let mut taken = select();
    taken
        .and_where(Expr::col(Segments::LocalPartyId).eq(local_party_id))
        .and_where(Expr::col(Segments::Name).eq(name));
    if tx.fetch_optional::<Segment, _>(&taken).await?.is_some() {
        return Err(StoreError::Invalid(format!(
            "there is already a segment called '{name}'"
        )));
    }
    let public_id = Uuid::now_v7().to_string();
    tx.execute(
        &Query::insert()
            .into_table(Segments::Table)
            .columns([
                Segments::PublicId,
                Segments::LocalPartyId,
                Segments::Name,
                Segments::Query,
                Segments::CreatedBy,
                Segments::CreatedAt,
            ])
            .values_panic([
                public_id.clone().into(),
                local_party_id.into(),
                name.into(),
                query.into(),
                by.into(),
                Utc::now().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(Segment {
        public_id,
        local_party_id,
        name: name.to_string(),
        query: query.to_string(),
        created_by: by.to_string(),
    })
}

pub async fn delete(tx: &mut Tx, public_id: &str, local_parties: &[i64]) -> Result<bool> {
    let n = tx
        .execute(
            &Query::delete()
                .from_table(Segments::Table)
                .and_where(Expr::col(Segments::PublicId).eq(public_id))
                .and_where(Expr::col(Segments::LocalPartyId).is_in(local_parties.iter().copied()))
                .to_owned(),
        )
        .await?;
    Ok(n > 0)
}
