//! Emails to members and their recipients. An email is `draft` until it is sent or
//! scheduled; `scheduled` until its time; `sending` while recipients are `queued`; then
//! `sent` (or `cancelled`). A recipient row is written for everyone in the audience, and
//! is `queued`, `skipped` (with the reason), `claimed` (held by one delivery round, not
//! yet handed over), `sending` (being handed to the mail server), `sent`, `failed` (with
//! the error), `unknown` (the sender stopped mid-handover: never resent) or `cancelled`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use uuid::Uuid;

use super::members::{CONSENT_COLUMNS, STANDING_COLUMNS};
use super::schema::{
    EmailRecipients as R, Emails, Events, MailSuppressions, Memberships, People, ServerKeys,
    Surveys, Units,
};
use super::{Cell, Mode, Result, Tx, idens};
use crate::domain::Channel;

/// Joins a recipient row to its email.
fn recipient_email() -> Expr {
    Expr::col((Emails::Table, Emails::Id)).equals((R::Table, R::EmailId))
}

/// A local party's sending settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Settings {
    pub name: String,
    pub email_imprint: Option<String>,
    pub email_sender_name: Option<String>,
    pub email_reply_to: Option<String>,
    pub email_per_minute: Option<i32>,
}

pub async fn settings(tx: &mut Tx<impl Mode>, local_party_id: i64) -> Result<Option<Settings>> {
    tx.fetch_optional(
        &Query::select()
            .columns([
                Units::Name,
                Units::EmailImprint,
                Units::EmailSenderName,
                Units::EmailReplyTo,
                Units::EmailPerMinute,
            ])
            .from(Units::Table)
            .and_where(Expr::col(Units::Id).eq(local_party_id))
            .to_owned(),
    )
    .await
}

pub async fn set_settings(tx: &mut Tx, local_party_id: i64, s: &Settings) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Units::Table)
            .value(Units::EmailImprint, s.email_imprint.clone())
            .value(Units::EmailSenderName, s.email_sender_name.clone())
            .value(Units::EmailReplyTo, s.email_reply_to.clone())
            .value(Units::EmailPerMinute, s.email_per_minute)
            .and_where(Expr::col(Units::Id).eq(local_party_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Email {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub author_id: i64,
    pub subject: String,
    pub body: String,
    pub purpose: String,
    pub audience: String,
    pub audience_label: String,
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub state: String,
    pub send_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The event an invitation is for.
    pub event_id: Option<i64>,
    /// The survey an email asks people to answer.
    pub survey_id: Option<i64>,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Emails::Id,
            Emails::PublicId,
            Emails::LocalPartyId,
            Emails::AuthorId,
            Emails::Subject,
            Emails::Body,
            Emails::Purpose,
            Emails::Audience,
            Emails::AudienceLabel,
            Emails::SenderName,
            Emails::ReplyTo,
            Emails::State,
            Emails::SendAt,
            Emails::CreatedAt,
            Emails::FinishedAt,
            Emails::EventId,
            Emails::SurveyId,
        ])
        .from(Emails::Table)
        .to_owned()
}

/// What a new draft holds.
pub struct NewEmail<'a> {
    pub local_party_id: i64,
    pub author_id: i64,
    pub subject: &'a str,
    pub body: &'a str,
    pub purpose: &'a str,
    pub audience: &'a str,
    pub audience_label: &'a str,
    pub sender_name: &'a str,
    pub reply_to: Option<&'a str>,
    pub event_id: Option<i64>,
    pub survey_id: Option<i64>,
}

pub async fn create(tx: &mut Tx, new: &NewEmail<'_>) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    tx.execute(
        &Query::insert()
            .into_table(Emails::Table)
            .columns([
                Emails::PublicId,
                Emails::LocalPartyId,
                Emails::AuthorId,
                Emails::Subject,
                Emails::Body,
                Emails::Purpose,
                Emails::Audience,
                Emails::AudienceLabel,
                Emails::SenderName,
                Emails::ReplyTo,
                Emails::State,
                Emails::CreatedAt,
                Emails::EventId,
                Emails::SurveyId,
            ])
            .values_panic([
                public_id.clone().into(),
                new.local_party_id.into(),
                new.author_id.into(),
                new.subject.into(),
                new.body.into(),
                new.purpose.into(),
                new.audience.into(),
                new.audience_label.into(),
                new.sender_name.into(),
                new.reply_to.map(str::to_string).into(),
                "draft".into(),
                Utc::now().into(),
                new.event_id.into(),
                new.survey_id.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

/// An email in one of these local parties.
pub async fn get(
    tx: &mut Tx<impl Mode>,
    public_id: &str,
    parties: &[i64],
) -> Result<Option<Email>> {
    let mut q = select();
    q.and_where(Expr::col(Emails::PublicId).eq(public_id))
        .and_where(Expr::col(Emails::LocalPartyId).is_in(parties.iter().copied()));
    tx.fetch_optional(&q).await
}

/// The newest emails of these local parties.
pub async fn list(tx: &mut Tx<impl Mode>, parties: &[i64], limit: u64) -> Result<Vec<Email>> {
    let mut q = select();
    q.and_where(Expr::col(Emails::LocalPartyId).is_in(parties.iter().copied()))
        .order_by(Emails::Id, Order::Desc)
        .limit(limit);
    tx.fetch_all(&q).await
}

/// Moves an email from one state to another; false if it was no longer in `from` (a
/// second click, or another officer got there first).
pub async fn set_state(
    tx: &mut Tx,
    id: i64,
    from: &[&str],
    to: &str,
    send_at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let mut q = Query::update();
    q.table(Emails::Table)
        .value(Emails::State, to)
        .and_where(Expr::col(Emails::Id).eq(id))
        .and_where(Expr::col(Emails::State).is_in(from.iter().copied()));
    if send_at.is_some() {
        q.value(Emails::SendAt, send_at);
    }
    if matches!(to, "sent" | "cancelled") {
        q.value(Emails::FinishedAt, Utc::now());
    }
    Ok(tx.execute(&q).await? == 1)
}

/// One person in an email's audience, as first decided.
pub struct NewRecipient<'a> {
    pub person_id: i64,
    pub address: Option<&'a str>,
    /// `None`: queued; `Some(reason)`: skipped.
    pub skipped: Option<&'a str>,
}

/// Writes an email's audience. Each person once: the caller passes each person once,
/// and the unique key refuses a second row.
pub async fn add_recipients(
    tx: &mut Tx,
    email_id: i64,
    at: DateTime<Utc>,
    rows: &[NewRecipient<'_>],
) -> Result<()> {
    let ids: Vec<String> = rows.iter().map(|_| Uuid::now_v7().to_string()).collect();
    tx.insert_all(
        R::Table,
        &idens([
            R::PublicId,
            R::EmailId,
            R::PersonId,
            R::Address,
            R::State,
            R::Reason,
            R::Attempts,
            R::NextAttemptAt,
        ]),
        rows.len(),
        |i, cells| {
            let r = &rows[i];
            cells.extend([
                Cell::Text(Some(&ids[i])),
                Cell::Int(Some(email_id)),
                Cell::Int(Some(r.person_id)),
                Cell::Text(r.address),
                Cell::Text(Some(if r.skipped.is_some() {
                    "skipped"
                } else {
                    "queued"
                })),
                Cell::Text(r.skipped),
                Cell::Int(Some(0)),
                Cell::Stamp(Some(at)),
            ]);
            Ok(())
        },
    )
    .await
}

/// How many recipients are in each state, and for skipped and failed ones each reason.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Figure {
    pub state: String,
    pub reason: Option<String>,
    pub n: i64,
}

pub async fn figures(tx: &mut Tx<impl Mode>, email_id: i64) -> Result<Vec<Figure>> {
    tx.fetch_all(
        &Query::select()
            .column(R::State)
            .column(R::Reason)
            .expr_as(Expr::col(R::Id).count(), Alias::new("n"))
            .from(R::Table)
            .and_where(Expr::col(R::EmailId).eq(email_id))
            .group_by_col(R::State)
            .group_by_col(R::Reason)
            .to_owned(),
    )
    .await
}

/// A recipient not yet sent is cancelled with its email.
pub async fn cancel_recipients(tx: &mut Tx, email_id: i64) -> Result<u64> {
    tx.execute(
        &Query::update()
            .table(R::Table)
            .value(R::State, "cancelled")
            .and_where(Expr::col(R::EmailId).eq(email_id))
            .and_where(Expr::col(R::State).eq("queued"))
            .to_owned(),
    )
    .await
}

/// Scheduled emails whose time has come start sending.
pub async fn start_due(tx: &mut Tx, now: DateTime<Utc>) -> Result<u64> {
    tx.execute(
        &Query::update()
            .table(Emails::Table)
            .value(Emails::State, "sending")
            .and_where(Expr::col(Emails::State).eq("scheduled"))
            .and_where(Expr::col(Emails::SendAt).lte(now))
            .to_owned(),
    )
    .await
}

/// Local parties with an email sending, each with its messages-per-minute setting.
pub async fn sending_parties(tx: &mut Tx<impl Mode>) -> Result<Vec<(i64, Option<i32>)>> {
    tx.fetch_all(
        &Query::select()
            .distinct()
            .column((Emails::Table, Emails::LocalPartyId))
            .column((Units::Table, Units::EmailPerMinute))
            .from(Emails::Table)
            .inner_join(
                Units::Table,
                Expr::col((Units::Table, Units::Id)).equals((Emails::Table, Emails::LocalPartyId)),
            )
            .and_where(Expr::col((Emails::Table, Emails::State)).eq("sending"))
            .to_owned(),
    )
    .await
}

/// How many of a local party's messages were handed over since `since`.
pub async fn sent_since(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    since: DateTime<Utc>,
) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_optional(
            &Query::select()
                .expr(Expr::col((R::Table, R::Id)).count())
                .from(R::Table)
                .inner_join(Emails::Table, recipient_email())
                .and_where(Expr::col((Emails::Table, Emails::LocalPartyId)).eq(local_party_id))
                .and_where(Expr::col((R::Table, R::SentAt)).gte(since))
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    Ok(n)
}

/// Claims up to `limit` of a local party's due recipients for one delivery round, marking
/// them `claimed` under `claim` in one conditional update: a row is claimed once.
pub async fn claim(
    tx: &mut Tx,
    local_party_id: i64,
    claim: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<u64> {
    let due = Query::select()
        .column((R::Table, R::Id))
        .from(R::Table)
        .inner_join(Emails::Table, recipient_email())
        .and_where(Expr::col((Emails::Table, Emails::State)).eq("sending"))
        .and_where(Expr::col((Emails::Table, Emails::LocalPartyId)).eq(local_party_id))
        .and_where(Expr::col((R::Table, R::State)).eq("queued"))
        .and_where(Expr::col((R::Table, R::NextAttemptAt)).lte(now))
        .order_by((R::Table, R::Id), Order::Asc)
        .limit(limit)
        .to_owned();
    tx.execute(
        &Query::update()
            .table(R::Table)
            .value(R::State, "claimed")
            .value(R::ClaimedBy, claim)
            .value(R::NextAttemptAt, now)
            .value(R::Attempts, Expr::col(R::Attempts).add(1))
            .and_where(Expr::col(R::Id).in_subquery(due))
            .and_where(Expr::col(R::State).eq("queued"))
            .to_owned(),
    )
    .await
}

/// Marks claimed recipients as being handed over, just before they are: from here, a
/// crash leaves them `sending`, and they are never sent again. Only rows `claim` still
/// holds move (a round too slow for its claims may have lost some to another round);
/// returns those, and only those may be sent.
pub async fn handing_over(
    tx: &mut Tx,
    claim: &str,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mine = || {
        Expr::col(R::Id)
            .is_in(ids.iter().copied())
            .and(Expr::col(R::ClaimedBy).eq(claim))
    };
    tx.execute(
        &Query::update()
            .table(R::Table)
            .value(R::State, "sending")
            .value(R::NextAttemptAt, now)
            .and_where(mine())
            .and_where(Expr::col(R::State).eq("claimed"))
            .to_owned(),
    )
    .await?;
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            &Query::select()
                .column(R::Id)
                .from(R::Table)
                .and_where(mine())
                .and_where(Expr::col(R::State).eq("sending"))
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A claimed recipient with what their message and its checks need, read at send time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub public_id: String,
    pub attempts: i32,
    pub email_id: i64,
    pub email_public_id: String,
    pub subject: String,
    pub body: String,
    pub purpose: String,
    pub sender_name: String,
    pub reply_to: Option<String>,
    pub local_party: String,
    pub imprint: Option<String>,
    pub address: Option<String>,
    pub email_consent: Option<bool>,
    pub unsubscribed: bool,
    pub suppressed: Option<String>,
    pub kind: String,
    pub first_name: String,
    pub last_name: String,
    pub membership_id: i64,
    pub membership_number: String,
    pub branch: Option<String>,
    pub joined_on: NaiveDate,
    pub paid_until: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub left_reason: Option<String>,
    pub suspended: bool,
    /// For an invitation, its event: the recipient's own sign-up link goes to it.
    pub event_public_id: Option<String>,
    /// For a survey's email, its survey: the recipient's own link goes to it.
    pub survey_public_id: Option<String>,
}

pub async fn claimed(tx: &mut Tx<impl Mode>, claim: &str) -> Result<Vec<Claimed>> {
    let lp = Alias::new("lp");
    let branch = Alias::new("branch");
    tx.fetch_all(
        &Query::select()
            .column((R::Table, R::Id))
            .column((R::Table, R::PublicId))
            .column((R::Table, R::Attempts))
            .column((R::Table, R::EmailId))
            .expr_as(
                Expr::col((Emails::Table, Emails::PublicId)),
                Alias::new("email_public_id"),
            )
            .columns(
                [
                    Emails::Subject,
                    Emails::Body,
                    Emails::Purpose,
                    Emails::SenderName,
                    Emails::ReplyTo,
                ]
                .map(|c| (Emails::Table, c)),
            )
            .expr_as(
                Expr::col((lp.clone(), Units::Name)),
                Alias::new("local_party"),
            )
            .expr_as(
                Expr::col((lp.clone(), Units::EmailImprint)),
                Alias::new("imprint"),
            )
            // The address as it is now, not as it was when the email was queued.
            .expr_as(
                Expr::col((People::Table, People::Email)),
                Alias::new("address"),
            )
            .column((People::Table, People::EmailConsent))
            .expr_as(
                Expr::exists(unsubscribed_through_a_link()),
                Alias::new("unsubscribed"),
            )
            .expr_as(
                Expr::col((MailSuppressions::Table, MailSuppressions::Address)),
                Alias::new("suppressed"),
            )
            .columns(
                [People::Kind, People::FirstName, People::LastName].map(|c| (People::Table, c)),
            )
            .expr_as(
                Expr::col((Memberships::Table, Memberships::Id)),
                Alias::new("membership_id"),
            )
            .column((Memberships::Table, Memberships::MembershipNumber))
            .expr_as(
                Expr::col((branch.clone(), Units::Name)),
                Alias::new("branch"),
            )
            .columns(STANDING_COLUMNS.map(|c| (Memberships::Table, c)))
            .expr_as(
                Expr::col((Events::Table, Events::PublicId)),
                Alias::new("event_public_id"),
            )
            .expr_as(
                Expr::col((Surveys::Table, Surveys::PublicId)),
                Alias::new("survey_public_id"),
            )
            .from(R::Table)
            .inner_join(Emails::Table, recipient_email())
            .left_join(
                Events::Table,
                Expr::col((Events::Table, Events::Id)).equals((Emails::Table, Emails::EventId)),
            )
            .left_join(
                Surveys::Table,
                Expr::col((Surveys::Table, Surveys::Id)).equals((Emails::Table, Emails::SurveyId)),
            )
            .join_as(
                sea_query::JoinType::InnerJoin,
                Units::Table,
                lp.clone(),
                Expr::col((lp.clone(), Units::Id)).equals((Emails::Table, Emails::LocalPartyId)),
            )
            .inner_join(
                People::Table,
                Expr::col((People::Table, People::Id)).equals((R::Table, R::PersonId)),
            )
            .inner_join(
                Memberships::Table,
                Expr::col((Memberships::Table, Memberships::PersonId))
                    .equals((People::Table, People::Id))
                    .and(
                        Expr::col((Memberships::Table, Memberships::LocalPartyId))
                            .equals((Emails::Table, Emails::LocalPartyId)),
                    ),
            )
            .join_as(
                sea_query::JoinType::LeftJoin,
                Units::Table,
                branch.clone(),
                Expr::col((branch, Units::Id)).equals((Memberships::Table, Memberships::BranchId)),
            )
            .left_join(
                MailSuppressions::Table,
                Expr::col((MailSuppressions::Table, MailSuppressions::Address))
                    .equals((People::Table, People::Email)),
            )
            .and_where(Expr::col((R::Table, R::ClaimedBy)).eq(claim))
            .and_where(Expr::col((R::Table, R::State)).eq("claimed"))
            .order_by((R::Table, R::Id), Order::Asc)
            .to_owned(),
    )
    .await
}

/// The addresses each of these emails has gone (or may have gone) to, outside `claim`.
pub async fn addresses_used(
    tx: &mut Tx<impl Mode>,
    email_ids: &[i64],
    claim: &str,
) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in email_ids.chunks(super::members::ID_CHUNK) {
        let rows: Vec<(i64, String)> = tx
            .fetch_all(
                &Query::select()
                    .columns([R::EmailId, R::Address])
                    .from(R::Table)
                    .and_where(Expr::col(R::EmailId).is_in(chunk.iter().copied()))
                    .and_where(Expr::col(R::State).is_in(["sent", "sending", "unknown"]))
                    .and_where(Expr::col(R::Address).is_not_null())
                    .and_where(
                        Expr::col(R::ClaimedBy)
                            .is_null()
                            .or(Expr::col(R::ClaimedBy).ne(claim)),
                    )
                    .to_owned(),
            )
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// What became of one claimed recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Not sent after all: consent or the address changed since it was queued.
    Skipped(&'static str),
    /// Refused for good (the reason), or given up after retries.
    Failed(String),
    /// A temporary failure: queued again for this time.
    Retry(DateTime<Utc>, String),
}

/// Records what became of a recipient the round `claim` held; nothing if it no longer
/// holds it.
pub async fn finish(
    tx: &mut Tx,
    claim: &str,
    id: i64,
    address: Option<&str>,
    d: &Delivery,
) -> Result<()> {
    let mut q = Query::update();
    q.table(R::Table)
        .value(R::ClaimedBy, Option::<String>::None)
        .value(R::Address, address.map(str::to_string))
        .and_where(Expr::col(R::Id).eq(id))
        .and_where(Expr::col(R::ClaimedBy).eq(claim));
    match d {
        Delivery::Sent => q
            .value(R::State, "sent")
            .value(R::Reason, Option::<String>::None)
            .value(R::SentAt, Utc::now()),
        Delivery::Skipped(why) => q.value(R::State, "skipped").value(R::Reason, *why),
        Delivery::Failed(e) => q.value(R::State, "failed").value(R::Reason, e.as_str()),
        Delivery::Retry(at, e) => q
            .value(R::State, "queued")
            .value(R::Reason, e.as_str())
            .value(R::NextAttemptAt, *at),
    };
    tx.execute(&q).await?;
    Ok(())
}

/// Recipients held longer than `stale` by a round that never finished: those it had not
/// begun to hand over go back in the queue; those it was handing over may or may not have
/// gone, so they become `unknown`, for a person to check, and are never sent again.
pub async fn mark_interrupted(tx: &mut Tx, now: DateTime<Utc>, stale: Duration) -> Result<u64> {
    tx.execute(
        &Query::update()
            .table(R::Table)
            .value(R::State, "queued")
            .value(R::ClaimedBy, Option::<String>::None)
            .and_where(Expr::col(R::State).eq("claimed"))
            .and_where(Expr::col(R::NextAttemptAt).lt(now - stale))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::update()
            .table(R::Table)
            .value(R::State, "unknown")
            .value(R::ClaimedBy, Option::<String>::None)
            .value(
                R::Reason,
                "the sender stopped while handing this message over; it may have gone",
            )
            .and_where(Expr::col(R::State).eq("sending"))
            .and_where(Expr::col(R::NextAttemptAt).lt(now - stale))
            .to_owned(),
    )
    .await
}

/// A recipient's message came back as a bounce; when the server gave up (`failed`), it
/// failed, whatever was thought before. Returns the address it went to, or `None` for an
/// id that is not a recipient's.
pub async fn bounced(
    tx: &mut Tx,
    recipient_public_id: &str,
    reason: &str,
    failed: bool,
) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = tx
        .fetch_optional(
            &Query::select()
                .column(R::Address)
                .from(R::Table)
                .and_where(Expr::col(R::PublicId).eq(recipient_public_id))
                .to_owned(),
        )
        .await?;
    let Some((address,)) = row else {
        return Ok(None);
    };
    if !failed {
        return Ok(Some(address.unwrap_or_default()));
    }
    tx.execute(
        &Query::update()
            .table(R::Table)
            .value(R::State, "failed")
            .value(
                R::Reason,
                format!("{}{reason}", crate::app::emails::BOUNCED),
            )
            .and_where(Expr::col(R::PublicId).eq(recipient_public_id))
            .and_where(Expr::col(R::State).is_in(["sent", "unknown", "sending"]))
            .to_owned(),
    )
    .await?;
    Ok(Some(address.unwrap_or_default()))
}

/// Sending emails with nobody left queued or being sent are sent.
pub async fn finish_sent(tx: &mut Tx) -> Result<u64> {
    let open = Query::select()
        .column(R::EmailId)
        .from(R::Table)
        .and_where(Expr::col(R::State).is_in(["queued", "claimed", "sending"]))
        .to_owned();
    tx.execute(
        &Query::update()
            .table(Emails::Table)
            .value(Emails::State, "sent")
            .value(Emails::FinishedAt, Utc::now())
            .and_where(Expr::col(Emails::State).eq("sending"))
            .and_where(Expr::col(Emails::Id).not_in_subquery(open))
            .to_owned(),
    )
    .await
}

/// An email sent to a person, for their timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Received {
    pub email_public_id: String,
    pub subject: String,
    pub state: String,
    pub reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub async fn for_person(
    tx: &mut Tx<impl Mode>,
    person_id: i64,
    limit: u64,
) -> Result<Vec<Received>> {
    tx.fetch_all(
        &Query::select()
            .expr_as(
                Expr::col((Emails::Table, Emails::PublicId)),
                Alias::new("email_public_id"),
            )
            .column((Emails::Table, Emails::Subject))
            .column((R::Table, R::State))
            .column((R::Table, R::Reason))
            .column((R::Table, R::SentAt))
            .column((Emails::Table, Emails::CreatedAt))
            .from(R::Table)
            .inner_join(Emails::Table, recipient_email())
            .and_where(Expr::col((R::Table, R::PersonId)).eq(person_id))
            .and_where(Expr::col((R::Table, R::State)).is_not_in(["skipped", "cancelled"]))
            .order_by((R::Table, R::Id), Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

/// The person and email a recipient row (an unsubscribe link's) belongs to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Link {
    pub person_id: i64,
    pub person_public_id: String,
    pub local_party_id: i64,
    pub email_public_id: String,
    pub subject: String,
    pub event_id: Option<i64>,
    pub survey_id: Option<i64>,
    pub first_name: String,
    pub email_consent: Option<bool>,
    pub phone_consent: Option<bool>,
    pub sms_consent: Option<bool>,
    pub post_consent: Option<bool>,
}

pub async fn link(tx: &mut Tx<impl Mode>, recipient_public_id: &str) -> Result<Option<Link>> {
    tx.fetch_optional(
        &Query::select()
            .column((R::Table, R::PersonId))
            .expr_as(
                Expr::col((People::Table, People::PublicId)),
                Alias::new("person_public_id"),
            )
            .column((Emails::Table, Emails::LocalPartyId))
            .expr_as(
                Expr::col((Emails::Table, Emails::PublicId)),
                Alias::new("email_public_id"),
            )
            .column((Emails::Table, Emails::Subject))
            .column((Emails::Table, Emails::EventId))
            .column((Emails::Table, Emails::SurveyId))
            .columns(
                [
                    People::FirstName,
                    People::EmailConsent,
                    People::PhoneConsent,
                    People::SmsConsent,
                    People::PostConsent,
                ]
                .map(|c| (People::Table, c)),
            )
            .from(R::Table)
            .inner_join(Emails::Table, recipient_email())
            .inner_join(
                People::Table,
                Expr::col((People::Table, People::Id)).equals((R::Table, R::PersonId)),
            )
            .and_where(Expr::col((R::Table, R::PublicId)).eq(recipient_public_id))
            .to_owned(),
    )
    .await
}

/// Email, phone, SMS and post consent, as stored.
type StoredConsents = (Option<bool>, Option<bool>, Option<bool>, Option<bool>);

/// Sets a person's consents to their own choices (through an email's link, or a public
/// sign-up page), with `source` and `at`, where they differ from what is stored; marks
/// the email's recipient row, if there is one, when email consent is withdrawn. Returns
/// what changed.
pub async fn set_consents(
    tx: &mut Tx,
    person_id: i64,
    recipient_public_id: Option<&str>,
    choices: &[(Channel, bool)],
    source: &str,
    at: DateTime<Utc>,
) -> Result<Vec<(Channel, bool)>> {
    let now: Option<StoredConsents> = tx
        .fetch_optional(
            &Query::select()
                .columns(CONSENT_COLUMNS.map(|[flag, _, _]| flag))
                .from(People::Table)
                .and_where(Expr::col(People::Id).eq(person_id))
                .to_owned(),
        )
        .await?;
    let Some((email, phone, sms, post)) = now else {
        return Ok(Vec::new());
    };
    let stored = [email, phone, sms, post];
    let mut changed = Vec::new();
    let mut q = Query::update();
    q.table(People::Table);
    for (channel, value) in choices {
        let i = Channel::ALL.iter().position(|c| c == channel).unwrap_or(0);
        if stored[i] == Some(*value) {
            continue;
        }
        let [flag, src, when] = CONSENT_COLUMNS[i];
        q.value(flag, *value).value(src, source).value(when, at);
        changed.push((*channel, *value));
    }
    if changed.is_empty() {
        return Ok(changed);
    }
    q.value(People::UpdatedAt, at)
        .and_where(Expr::col(People::Id).eq(person_id));
    tx.execute(&q).await?;
    if let Some(recipient_public_id) = recipient_public_id
        && changed.contains(&(Channel::Email, false))
    {
        tx.execute(
            &Query::update()
                .table(R::Table)
                .value(R::UnsubscribedAt, at)
                .and_where(Expr::col(R::PublicId).eq(recipient_public_id))
                .to_owned(),
        )
        .await?;
    }
    Ok(changed)
}

/// Recipient rows of `people.id` with an unsubscribe recorded, for an `EXISTS`.
fn unsubscribed_through_a_link() -> sea_query::SelectStatement {
    let earlier = Alias::new("earlier");
    Query::select()
        .expr(Expr::val(1))
        .from_as(R::Table, earlier.clone())
        .and_where(Expr::col((earlier.clone(), R::PersonId)).equals((People::Table, People::Id)))
        .and_where(Expr::col((earlier, R::UnsubscribedAt)).is_not_null())
        .to_owned()
}

/// Of these people, those who have unsubscribed through a link in an email.
pub async fn unsubscribed(tx: &mut Tx<impl Mode>, people: &[i64]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in people.chunks(super::members::ID_CHUNK) {
        let rows: Vec<(i64,)> = tx
            .fetch_all(
                &Query::select()
                    .distinct()
                    .column(R::PersonId)
                    .from(R::Table)
                    .and_where(Expr::col(R::PersonId).is_in(chunk.iter().copied()))
                    .and_where(Expr::col(R::UnsubscribedAt).is_not_null())
                    .to_owned(),
            )
            .await?;
        out.extend(rows.into_iter().map(|(p,)| p));
    }
    Ok(out)
}

/// How many of an email's recipients unsubscribed through its link.
pub async fn unsubscribed_through(tx: &mut Tx<impl Mode>, email_id: i64) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_optional(
            &Query::select()
                .expr(Expr::col(R::Id).count())
                .from(R::Table)
                .and_where(Expr::col(R::EmailId).eq(email_id))
                .and_where(Expr::col(R::UnsubscribedAt).is_not_null())
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    Ok(n)
}

/// A secret the server keeps for itself (e.g. the key that signs unsubscribe links),
/// made the first time it is asked for. Two servers asking at once get the same one.
pub async fn server_key(tx: &mut Tx, name: &str) -> Result<String> {
    tx.execute(
        &Query::insert()
            .into_table(ServerKeys::Table)
            .columns([ServerKeys::Name, ServerKeys::Secret])
            .values_panic([name.into(), crate::secrets::new_token().into()])
            .on_conflict(OnConflict::column(ServerKeys::Name).do_nothing().to_owned())
            .to_owned(),
    )
    .await?;
    let (secret,): (String,) = tx
        .fetch_optional(
            &Query::select()
                .column(ServerKeys::Secret)
                .from(ServerKeys::Table)
                .and_where(Expr::col(ServerKeys::Name).eq(name))
                .to_owned(),
        )
        .await?
        .ok_or_else(|| super::StoreError::Invalid(format!("the server key '{name}' is missing")))?;
    Ok(secret)
}
