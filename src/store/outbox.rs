//! The mail outbox. A message is claimed (`queued` → `sending`) by a conditional update
//! before it is handed to SMTP, so two workers never both send it; a message found still
//! `sending` long after its claim is marked `unknown` for a person to check, never sent
//! again: a duplicate is worse than a delay for an officer's mail.

use chrono::{DateTime, Duration, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::{MailSoftBounces, MailSuppressions, Outbox};
use super::{Mode, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub public_id: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// An HTML part beside the text, for a copy of a member's email.
    pub html: Option<String>,
    /// An iCalendar file sent with it as an attachment.
    pub calendar: Option<String>,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Outbox::Id,
            Outbox::PublicId,
            Outbox::ToAddress,
            Outbox::Subject,
            Outbox::Body,
            Outbox::Html,
            Outbox::Calendar,
            Outbox::State,
            Outbox::Attempts,
            Outbox::LastError,
        ])
        .from(Outbox::Table)
        .to_owned()
}

/// Queues a message in the caller's transaction, so it is sent only if the change that
/// caused it is committed. Returns its public id.
pub async fn enqueue(tx: &mut Tx, to: &str, subject: &str, body: &str) -> Result<String> {
    enqueue_with(tx, to, subject, body, Extras::default()).await
}

/// What a message may carry beside its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    pub html: Option<&'a str>,
    /// An event's iCalendar file, attached.
    pub calendar: Option<&'a str>,
}

/// `enqueue`, with an HTML part or a calendar file beside the text.
pub async fn enqueue_with(
    tx: &mut Tx,
    to: &str,
    subject: &str,
    body: &str,
    extras: Extras<'_>,
) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    let now = Utc::now();
    tx.execute(
        &Query::insert()
            .into_table(Outbox::Table)
            .columns([
                Outbox::PublicId,
                Outbox::ToAddress,
                Outbox::Subject,
                Outbox::Body,
                Outbox::Html,
                Outbox::Calendar,
                Outbox::State,
                Outbox::Attempts,
                Outbox::NextAttemptAt,
                Outbox::CreatedAt,
            ])
            .values_panic([
                public_id.clone().into(),
                to.into(),
                subject.into(),
                body.into(),
                extras.html.map(str::to_string).into(),
                extras.calendar.map(str::to_string).into(),
                "queued".into(),
                0.into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

/// Messages due now, oldest first (not yet claimed).
pub async fn due(tx: &mut Tx<impl Mode>, now: DateTime<Utc>, limit: u64) -> Result<Vec<Message>> {
    let mut q = select();
    q.and_where(Expr::col(Outbox::State).eq("queued"))
        .and_where(Expr::col(Outbox::NextAttemptAt).lte(now))
        .order_by(Outbox::Id, Order::Asc)
        .limit(limit);
    tx.fetch_all(&q).await
}

/// Claims a queued message for sending; false if another worker got there first.
pub async fn claim(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let n = tx
        .execute(
            &Query::update()
                .table(Outbox::Table)
                .value(Outbox::State, "sending")
                .value(Outbox::NextAttemptAt, now)
                .value(Outbox::Attempts, Expr::col(Outbox::Attempts).add(1))
                .and_where(Expr::col(Outbox::Id).eq(id))
                .and_where(Expr::col(Outbox::State).eq("queued"))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

pub async fn mark_sent(tx: &mut Tx, id: i64) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Outbox::Table)
            .value(Outbox::State, "sent")
            .value(Outbox::SentAt, Utc::now())
            .value(Outbox::LastError, Option::<String>::None)
            .and_where(Expr::col(Outbox::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Puts a message back in the queue for a later attempt.
pub async fn retry_at(tx: &mut Tx, id: i64, at: DateTime<Utc>, error: &str) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Outbox::Table)
            .value(Outbox::State, "queued")
            .value(Outbox::NextAttemptAt, at)
            .value(Outbox::LastError, error)
            .and_where(Expr::col(Outbox::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A permanent failure: the message stops, and the address is recorded so nothing more is
/// queued to it until someone fixes it.
pub async fn fail(tx: &mut Tx, id: i64, address: &str, error: &str) -> Result<()> {
    give_up(tx, id, error).await?;
    suppress(tx, address, error).await
}

/// Puts an address on the suppression list (once), so nothing more is sent to it until
/// an officer lifts it.
pub async fn suppress(tx: &mut Tx, address: &str, error: &str) -> Result<()> {
    if !is_suppressed(tx, address).await? {
        tx.execute(
            &Query::insert()
                .into_table(MailSuppressions::Table)
                .columns([
                    MailSuppressions::Address,
                    MailSuppressions::Reason,
                    MailSuppressions::At,
                ])
                .values_panic([address.into(), error.into(), Utc::now().into()])
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// Stops retrying a message whose server kept failing, without blaming the address.
pub async fn give_up(tx: &mut Tx, id: i64, error: &str) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Outbox::Table)
            .value(Outbox::State, "failed")
            .value(Outbox::LastError, error)
            .and_where(Expr::col(Outbox::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Why and when an address was suppressed, if it is.
pub async fn suppression(
    tx: &mut Tx<impl Mode>,
    address: &str,
) -> Result<Option<(String, DateTime<Utc>)>> {
    tx.fetch_optional(
        &Query::select()
            .columns([MailSuppressions::Reason, MailSuppressions::At])
            .from(MailSuppressions::Table)
            .and_where(Expr::col(MailSuppressions::Address).eq(address))
            .to_owned(),
    )
    .await
}

/// Counts a temporary failure (a soft bounce) against an address, and suppresses it once
/// there have been `limit` in a row. True when this one suppressed it.
pub async fn soft_bounce(tx: &mut Tx, address: &str, reason: &str, limit: i32) -> Result<bool> {
    let now = Utc::now();
    tx.execute(
        &Query::insert()
            .into_table(MailSoftBounces::Table)
            .columns([
                MailSoftBounces::Address,
                MailSoftBounces::Count,
                MailSoftBounces::LastAt,
            ])
            .values_panic([address.into(), 1.into(), now.into()])
            .on_conflict(
                sea_query::OnConflict::column(MailSoftBounces::Address)
                    .value(
                        MailSoftBounces::Count,
                        Expr::col((MailSoftBounces::Table, MailSoftBounces::Count)).add(1),
                    )
                    .value(MailSoftBounces::LastAt, now)
                    .to_owned(),
            )
            .to_owned(),
    )
    .await?;
    let (count,): (i32,) = tx
        .fetch_optional(
            &Query::select()
                .column(MailSoftBounces::Count)
                .from(MailSoftBounces::Table)
                .and_where(Expr::col(MailSoftBounces::Address).eq(address))
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    if count >= limit && !is_suppressed(tx, address).await? {
        suppress(
            tx,
            address,
            &format!("{count} temporary failures in a row; the last: {reason}"),
        )
        .await?;
        return Ok(true);
    }
    Ok(false)
}

/// Takes an address off the suppression list (and forgets its soft bounces); false if it
/// was not on it.
pub async fn lift(tx: &mut Tx, address: &str) -> Result<bool> {
    tx.execute(
        &Query::delete()
            .from_table(MailSoftBounces::Table)
            .and_where(Expr::col(MailSoftBounces::Address).eq(address))
            .to_owned(),
    )
    .await?;
    let n = tx
        .execute(
            &Query::delete()
                .from_table(MailSuppressions::Table)
                .and_where(Expr::col(MailSuppressions::Address).eq(address))
                .to_owned(),
        )
        .await?;
    Ok(n > 0)
}

/// Suppressed addresses with why and when, among `addresses`.
pub async fn suppressions(
    tx: &mut Tx<impl Mode>,
    addresses: &[&str],
) -> Result<Vec<(String, String, DateTime<Utc>)>> {
    let mut out = Vec::new();
    for chunk in addresses.chunks(super::members::ID_CHUNK) {
        let rows: Vec<(String, String, DateTime<Utc>)> = tx
            .fetch_all(
                &Query::select()
                    .columns([
                        MailSuppressions::Address,
                        MailSuppressions::Reason,
                        MailSuppressions::At,
                    ])
                    .from(MailSuppressions::Table)
                    .and_where(Expr::col(MailSuppressions::Address).is_in(chunk.iter().copied()))
                    .to_owned(),
            )
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

pub async fn is_suppressed(tx: &mut Tx<impl Mode>, address: &str) -> Result<bool> {
    let found: Option<(String,)> = tx
        .fetch_optional(
            &Query::select()
                .column(MailSuppressions::Address)
                .from(MailSuppressions::Table)
                .and_where(Expr::col(MailSuppressions::Address).eq(address))
                .to_owned(),
        )
        .await?;
    Ok(found.is_some())
}

/// Marks messages claimed more than `stale` ago and never finished as `unknown`: the
/// worker that claimed them stopped mid-send, and they may or may not have gone out.
pub async fn mark_interrupted(tx: &mut Tx, now: DateTime<Utc>, stale: Duration) -> Result<u64> {
    tx.execute(
        &Query::update()
            .table(Outbox::Table)
            .value(Outbox::State, "unknown")
            .value(
                Outbox::LastError,
                "the sender stopped while sending; check with the recipient before sending again",
            )
            .and_where(Expr::col(Outbox::State).eq("sending"))
            .and_where(Expr::col(Outbox::NextAttemptAt).lt(now - stale))
            .to_owned(),
    )
    .await
}

/// The address an outbox message went to, by its public id (a bounce names it).
pub async fn address_of(tx: &mut Tx<impl Mode>, public_id: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = tx
        .fetch_optional(
            &Query::select()
                .column(Outbox::ToAddress)
                .from(Outbox::Table)
                .and_where(Expr::col(Outbox::PublicId).eq(public_id))
                .to_owned(),
        )
        .await?;
    Ok(row.map(|(a,)| a))
}

/// The newest messages, for the outbox page and tests.
pub async fn recent(tx: &mut Tx<impl Mode>, limit: u64) -> Result<Vec<Message>> {
    let mut q = select();
    q.order_by(Outbox::Id, Order::Desc).limit(limit);
    tx.fetch_all(&q).await
}
