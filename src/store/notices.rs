//! Notices from a local party's officers to every branch's officers, and who has read
//! each: a row per recipient, its read time empty until they open it.

use chrono::{DateTime, Utc};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::{NoticeReads, Notices, Users};
use super::{Mode, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub subject: String,
    pub body: String,
    pub sent_by: String,
    pub sent_at: DateTime<Utc>,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns(
            [
                Notices::Id,
                Notices::PublicId,
                Notices::LocalPartyId,
                Notices::Subject,
                Notices::Body,
                Notices::SentBy,
                Notices::SentAt,
            ]
            .map(|c| (Notices::Table, c)),
        )
        .from(Notices::Table)
        .to_owned()
}

/// Stores a notice and who it goes to; returns its public id.
pub async fn create(
    tx: &mut Tx,
    local_party_id: i64,
    subject: &str,
    body: &str,
    sent_by: &str,
    to: &[i64],
    now: DateTime<Utc>,
) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    let (id,): (i64,) = tx
        .fetch_optional(
            &Query::insert()
                .into_table(Notices::Table)
                .columns([
                    Notices::PublicId,
                    Notices::LocalPartyId,
                    Notices::Subject,
                    Notices::Body,
                    Notices::SentBy,
                    Notices::SentAt,
                ])
                .values_panic([
                    public_id.clone().into(),
                    local_party_id.into(),
                    subject.into(),
                    body.into(),
                    sent_by.into(),
                    now.into(),
                ])
                .returning_col(Notices::Id)
                .to_owned(),
        )
        .await?
        .ok_or_else(|| super::StoreError::Invalid("the notice was not stored".into()))?;
    for user in to {
        tx.execute(
            &Query::insert()
                .into_table(NoticeReads::Table)
                .columns([NoticeReads::NoticeId, NoticeReads::UserId])
                .values_panic([id.into(), (*user).into()])
                .to_owned(),
        )
        .await?;
    }
    Ok(public_id)
}

/// The notices of these local parties, newest first.
pub async fn of_parties(tx: &mut Tx<impl Mode>, parties: &[i64]) -> Result<Vec<Notice>> {
    let mut q = select();
    q.and_where(Expr::col((Notices::Table, Notices::LocalPartyId)).is_in(parties.iter().copied()))
        .order_by((Notices::Table, Notices::SentAt), Order::Desc)
        .limit(100);
    tx.fetch_all(&q).await
}

/// The notices sent to a user, newest first, with when they read each.
pub async fn to_user(
    tx: &mut Tx<impl Mode>,
    user_id: i64,
) -> Result<Vec<(Notice, Option<DateTime<Utc>>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        notice: Notice,
        read_at: Option<DateTime<Utc>>,
    }
    let mut q = select();
    q.column((NoticeReads::Table, NoticeReads::ReadAt))
        .inner_join(
            NoticeReads::Table,
            Expr::col((NoticeReads::Table, NoticeReads::NoticeId))
                .equals((Notices::Table, Notices::Id)),
        )
        .and_where(Expr::col((NoticeReads::Table, NoticeReads::UserId)).eq(user_id))
        .order_by((Notices::Table, Notices::SentAt), Order::Desc)
        .limit(100);
    let rows: Vec<Row> = tx.fetch_all(&q).await?;
    Ok(rows.into_iter().map(|r| (r.notice, r.read_at)).collect())
}

/// A notice of one of `parties`, by public id.
pub async fn get(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    public_id: &str,
) -> Result<Option<Notice>> {
    let mut q = select();
    q.and_where(Expr::col((Notices::Table, Notices::PublicId)).eq(public_id))
        .and_where(
            Expr::col((Notices::Table, Notices::LocalPartyId)).is_in(parties.iter().copied()),
        );
    tx.fetch_optional(&q).await
}

/// One recipient of a notice: their name, address and when they read it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Reader {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub read_at: Option<DateTime<Utc>>,
}

pub async fn readers(tx: &mut Tx<impl Mode>, notice_id: i64) -> Result<Vec<Reader>> {
    tx.fetch_all(
        &Query::select()
            .column((NoticeReads::Table, NoticeReads::UserId))
            .columns([(Users::Table, Users::Name), (Users::Table, Users::Email)])
            .expr_as(
                Expr::col((NoticeReads::Table, NoticeReads::ReadAt)),
                Alias::new("read_at"),
            )
            .from(NoticeReads::Table)
            .inner_join(
                Users::Table,
                Expr::col((Users::Table, Users::Id))
                    .equals((NoticeReads::Table, NoticeReads::UserId)),
            )
            .and_where(Expr::col((NoticeReads::Table, NoticeReads::NoticeId)).eq(notice_id))
            .order_by((Users::Table, Users::Name), Order::Asc)
            .to_owned(),
    )
    .await
}

/// Marks a notice read by a user it went to, the first time they open it.
pub async fn mark_read(
    tx: &mut Tx,
    notice_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = tx
        .execute(
            &Query::update()
                .table(NoticeReads::Table)
                .value(NoticeReads::ReadAt, now)
                .and_where(Expr::col(NoticeReads::NoticeId).eq(notice_id))
                .and_where(Expr::col(NoticeReads::UserId).eq(user_id))
                .and_where(Expr::col(NoticeReads::ReadAt).is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}
