//! Two records of one person made one, in the caller's transaction: the other record's
//! history, payments, consents, tags, calls, tasks, emails, events and audit references follow
//! the kept one, and then it is gone.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, Query, Value};

use super::schema::{
    AuditPeople, CallListPeople, CallOutcomes, CallerAssignments, EmailRecipients, EventPeople,
    JourneyRuns, MembershipEvents, Memberships, OrganisationContacts, Payments, People, PersonTags,
    SurveyResponses, Tasks, Training, Welcomes,
};
use super::{Result, StoreError, Tx};
use crate::domain::duplicates::{Consent, Standing, merge_standing, newer_consent};
use crate::domain::{Event, LeftReason};

/// One record of the person being merged: its person and membership ids.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    pub person_id: i64,
    pub membership_id: i64,
}

/// Contact details that fill a blank in the kept record, in this order.
const FILLED: [People; 11] = [
    People::Email,
    People::Mobile,
    People::Phone,
    People::AddressLine1,
    People::AddressLine2,
    People::Town,
    People::Postcode,
    People::Ward,
    People::Gender,
    People::Affiliate,
    People::Notes,
];

#[derive(sqlx::FromRow)]
struct Details {
    email: Option<String>,
    mobile: Option<String>,
    phone: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    town: Option<String>,
    postcode: Option<String>,
    ward: Option<String>,
    gender: Option<String>,
    affiliate: Option<String>,
    notes: Option<String>,
    date_of_birth: Option<NaiveDate>,
    email_consent: Option<bool>,
    email_consent_source: Option<String>,
    email_consent_at: Option<DateTime<Utc>>,
    phone_consent: Option<bool>,
    phone_consent_source: Option<String>,
    phone_consent_at: Option<DateTime<Utc>>,
    sms_consent: Option<bool>,
    sms_consent_source: Option<String>,
    sms_consent_at: Option<DateTime<Utc>>,
    post_consent: Option<bool>,
    post_consent_source: Option<String>,
    post_consent_at: Option<DateTime<Utc>>,
}

impl Details {
    fn filled(&self) -> [Option<&String>; 11] {
        [
            self.email.as_ref(),
            self.mobile.as_ref(),
            self.phone.as_ref(),
            self.address_line1.as_ref(),
            self.address_line2.as_ref(),
            self.town.as_ref(),
            self.postcode.as_ref(),
            self.ward.as_ref(),
            self.gender.as_ref(),
            self.affiliate.as_ref(),
            self.notes.as_ref(),
        ]
    }

    fn consents(&self) -> [Consent; 4] {
        let c = |given, source: &Option<String>, at| Consent {
            given,
            source: source.clone(),
            at,
        };
        [
            c(
                self.email_consent,
                &self.email_consent_source,
                self.email_consent_at,
            ),
            c(
                self.phone_consent,
                &self.phone_consent_source,
                self.phone_consent_at,
            ),
            c(
                self.sms_consent,
                &self.sms_consent_source,
                self.sms_consent_at,
            ),
            c(
                self.post_consent,
                &self.post_consent_source,
                self.post_consent_at,
            ),
        ]
    }
}

async fn details(tx: &mut Tx, person_id: i64) -> Result<Details> {
    tx.fetch_optional(
        &Query::select()
            .columns(FILLED)
            .column(People::DateOfBirth)
            .columns(super::members::CONSENT_COLUMNS.into_iter().flatten())
            .from(People::Table)
            .and_where(Expr::col(People::Id).eq(person_id))
            .to_owned(),
    )
    .await?
    .ok_or_else(|| StoreError::Invalid(format!("person {person_id} is not there to merge")))
}

#[derive(sqlx::FromRow)]
struct StandingRow {
    joined_on: NaiveDate,
    paid_until: Option<NaiveDate>,
    left_on: Option<NaiveDate>,
    left_reason: Option<String>,
}

async fn standing(tx: &mut Tx, membership_id: i64) -> Result<Standing> {
    let row: StandingRow = tx
        .fetch_optional(
            &Query::select()
                .columns([
                    Memberships::JoinedOn,
                    Memberships::PaidUntil,
                    Memberships::LeftOn,
                    Memberships::LeftReason,
                ])
                .from(Memberships::Table)
                .and_where(Expr::col(Memberships::Id).eq(membership_id))
                .to_owned(),
        )
        .await?
        .ok_or_else(|| {
            StoreError::Invalid(format!("membership {membership_id} is not there to merge"))
        })?;
    Ok(Standing {
        joined_on: row.joined_on,
        paid_until: row.paid_until,
        left: match (
            row.left_reason.as_deref().and_then(LeftReason::parse),
            row.left_on,
        ) {
            (Some(reason), Some(on)) => Some((reason, on)),
            _ => None,
        },
    })
}

/// Rows of `table` naming the other record (`column`) now name the kept one; where the
/// kept record already has a row for the same `key` (a tag, a list, an email), the
/// other's is dropped.
async fn follow(
    tx: &mut Tx,
    table: impl sea_query::IntoIden + Copy + 'static,
    column: impl sea_query::IntoIden + Copy + 'static,
    key: Option<impl sea_query::IntoIden + Copy + 'static>,
    keep: i64,
    other: i64,
) -> Result<()> {
    let mut update = Query::update();
    update
        .table(table)
        .value(column, keep)
        .and_where(Expr::col(column).eq(other));
    if let Some(key) = key {
        update.and_where(
            Expr::col(key).not_in_subquery(
                Query::select()
                    .column(key)
                    .from(table)
                    .and_where(Expr::col(column).eq(keep))
                    .to_owned(),
            ),
        );
    }
    tx.execute(&update).await?;
    if key.is_some() {
        tx.execute(
            &Query::delete()
                .from_table(table)
                .and_where(Expr::col(column).eq(other))
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// Merges `other` into `keep`: blanks in the kept record are filled from the other, each
/// consent is the one given most recently (with its source), the membership stands as
/// `merge_standing` says, and `merged` is written to the kept history.
pub async fn merge(tx: &mut Tx, keep: Record, other: Record, merged: &Event) -> Result<()> {
    let (k, o) = (
        details(tx, keep.person_id).await?,
        details(tx, other.person_id).await?,
    );
    let mut q = Query::update();
    q.table(People::Table);
    for ((col, kept), theirs) in FILLED.into_iter().zip(k.filled()).zip(o.filled()) {
        q.value(col, kept.or(theirs).cloned());
    }
    q.value(People::DateOfBirth, k.date_of_birth.or(o.date_of_birth));
    for (cols, (kc, oc)) in super::members::CONSENT_COLUMNS
        .into_iter()
        .zip(k.consents().into_iter().zip(o.consents()))
    {
        let c = newer_consent(kc, oc);
        q.value(cols[0], c.given)
            .value(cols[1], c.source)
            .value(cols[2], Value::from(c.at));
    }
    q.value(People::UpdatedAt, Utc::now())
        .and_where(Expr::col(People::Id).eq(keep.person_id));
    tx.execute(&q).await?;

    let s = merge_standing(
        standing(tx, keep.membership_id).await?,
        standing(tx, other.membership_id).await?,
    );
    tx.execute(
        &Query::update()
            .table(Memberships::Table)
            .value(Memberships::JoinedOn, s.joined_on)
            .value(Memberships::PaidUntil, s.paid_until)
            .value(Memberships::LeftOn, s.left.map(|(_, on)| on))
            .value(Memberships::LeftReason, s.left.map(|(r, _)| r.as_str()))
            .value(Memberships::UpdatedAt, Utc::now())
            .and_where(Expr::col(Memberships::Id).eq(keep.membership_id))
            .to_owned(),
    )
    .await?;
    let (km, om) = (keep.membership_id, other.membership_id);
    let no_key = None::<Memberships>;
    follow(
        tx,
        MembershipEvents::Table,
        MembershipEvents::MembershipId,
        no_key,
        km,
        om,
    )
    .await?;
    follow(tx, Payments::Table, Payments::MembershipId, no_key, km, om).await?;

    let (kp, op) = (keep.person_id, other.person_id);
    follow(
        tx,
        PersonTags::Table,
        PersonTags::PersonId,
        Some(PersonTags::Tag),
        kp,
        op,
    )
    .await?;
    follow(
        tx,
        CallListPeople::Table,
        CallListPeople::PersonId,
        Some(CallListPeople::CallListId),
        kp,
        op,
    )
    .await?;
    follow(
        tx,
        CallerAssignments::Table,
        CallerAssignments::PersonId,
        Some(CallerAssignments::UserId),
        kp,
        op,
    )
    .await?;
    follow(
        tx,
        EmailRecipients::Table,
        EmailRecipients::PersonId,
        Some(EmailRecipients::EmailId),
        kp,
        op,
    )
    .await?;
    follow(
        tx,
        AuditPeople::Table,
        AuditPeople::PersonId,
        Some(AuditPeople::EntryId),
        kp,
        op,
    )
    .await?;
    follow(
        tx,
        EventPeople::Table,
        EventPeople::PersonId,
        Some(EventPeople::EventId),
        kp,
        op,
    )
    .await?;
    follow(
        tx,
        CallOutcomes::Table,
        CallOutcomes::PersonId,
        no_key,
        kp,
        op,
    )
    .await?;
    follow(tx, Tasks::Table, Tasks::PersonId, no_key, kp, op).await?;
    follow(tx, Welcomes::Table, Welcomes::PersonId, no_key, kp, op).await?;
    follow(tx, Training::Table, Training::PersonId, no_key, kp, op).await?;
    follow(
        tx,
        OrganisationContacts::Table,
        OrganisationContacts::PersonId,
        Some(OrganisationContacts::OrganisationId),
        kp,
        op,
    )
    .await?;
    // Where both answered one survey, the kept person's answers stand.
    follow(
        tx,
        SurveyResponses::Table,
        SurveyResponses::PersonId,
        Some(SurveyResponses::SurveyId),
        kp,
        op,
    )
    .await?;
    follow(
        tx,
        JourneyRuns::Table,
        JourneyRuns::PersonId,
        Some(JourneyRuns::JourneyId),
        kp,
        op,
    )
    .await?;

    tx.execute(
        &Query::delete()
            .from_table(Memberships::Table)
            .and_where(Expr::col(Memberships::Id).eq(other.membership_id))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::delete()
            .from_table(People::Table)
            .and_where(Expr::col(People::Id).eq(other.person_id))
            .to_owned(),
    )
    .await?;
    super::members::add_events(tx, &[(keep.membership_id, merged)]).await
}
