//! People, their memberships, history and payments. Writes come in batches sized for both
//! engines, so a national import is a few thousand statements, not millions.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, InsertStatement, Order, Query, Value};
use std::collections::HashMap;
use uuid::Uuid;

use super::schema::{MembershipEvents, Memberships, Payments, People, PersonTags, Units};
use super::{Result, StoreError, Tx, batch_rows};
use crate::domain::record::{Consents, MembershipDetails, PersonDetails};
use crate::domain::{Event, EventKind, Gender, Kind, LeftReason};

/// A payment to record with a new or existing membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub paid_on: NaiveDate,
    pub amount_pence: i64,
    pub method: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
}

/// A person with their membership, history and payments, not yet stored.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub person: PersonDetails,
    pub membership: MembershipDetails,
    pub events: Vec<Event>,
    pub payments: Vec<NewPayment>,
}

/// A stored membership with what an import compares a file row against.
#[derive(Debug, Clone)]
pub struct StoredMember {
    pub person_id: i64,
    pub membership_id: i64,
    pub public_id: String,
    pub person: PersonDetails,
    pub membership: MembershipDetails,
    pub suspended: bool,
}

/// Where consent values came from, written beside each consent that changes.
#[derive(Debug, Clone)]
pub struct ConsentSource {
    pub source: String,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    person_id: i64,
    membership_id: i64,
    public_id: String,
    kind: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    mobile: Option<String>,
    phone: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    town: Option<String>,
    postcode: Option<String>,
    ward: Option<String>,
    date_of_birth: Option<NaiveDate>,
    gender: Option<String>,
    affiliate: Option<String>,
    email_consent: Option<bool>,
    phone_consent: Option<bool>,
    sms_consent: Option<bool>,
    post_consent: Option<bool>,
    membership_number: String,
    rate: String,
    branch_slug: Option<String>,
    joined_on: NaiveDate,
    paid_until: Option<NaiveDate>,
    left_on: Option<NaiveDate>,
    left_reason: Option<String>,
    suspended: bool,
}

impl MemberRow {
    fn into_stored(self, tags: Vec<String>) -> Result<StoredMember> {
        let corrupt = |what: &str, value: &str| {
            StoreError::Invalid(format!(
                "membership {} has an unknown {what} '{value}'",
                self.membership_number
            ))
        };
        let kind = Kind::parse(&self.kind).ok_or_else(|| corrupt("kind", &self.kind))?;
        let left = match (self.left_reason.as_deref(), self.left_on) {
            (Some(reason), Some(on)) => Some((
                LeftReason::parse(reason).ok_or_else(|| corrupt("leaving reason", reason))?,
                on,
            )),
            _ => None,
        };
        Ok(StoredMember {
            person_id: self.person_id,
            membership_id: self.membership_id,
            public_id: self.public_id,
            person: PersonDetails {
                kind,
                first_name: self.first_name,
                last_name: self.last_name,
                email: self.email,
                mobile: self.mobile,
                phone: self.phone,
                address_line1: self.address_line1,
                address_line2: self.address_line2,
                town: self.town,
                postcode: self.postcode,
                ward: self.ward,
                date_of_birth: self.date_of_birth,
                gender: self.gender.as_deref().and_then(Gender::parse),
                affiliate: self.affiliate,
                consents: Consents {
                    email: self.email_consent,
                    phone: self.phone_consent,
                    sms: self.sms_consent,
                    post: self.post_consent,
                },
                tags,
            },
            membership: MembershipDetails {
                number: self.membership_number,
                rate: self.rate,
                branch: self.branch_slug,
                joined_on: self.joined_on,
                paid_until: self.paid_until,
                left,
            },
            suspended: self.suspended,
        })
    }
}

/// The memberships of a local party with their branch slug and the dates status is
/// derived from; queries that need more add to it.
fn memberships_of(local_party_id: i64) -> sea_query::SelectStatement {
    Query::select()
        .expr_as(
            Expr::col((Units::Table, Units::Slug)),
            sea_query::Alias::new("branch_slug"),
        )
        .columns(
            [
                Memberships::JoinedOn,
                Memberships::PaidUntil,
                Memberships::LeftOn,
                Memberships::LeftReason,
                Memberships::Suspended,
            ]
            .map(|c| (Memberships::Table, c)),
        )
        .from(Memberships::Table)
        .left_join(
            Units::Table,
            Expr::col((Units::Table, Units::Id))
                .equals((Memberships::Table, Memberships::BranchId)),
        )
        .and_where(Expr::col((Memberships::Table, Memberships::LocalPartyId)).eq(local_party_id))
        .to_owned()
}

fn select_members(local_party_id: i64) -> sea_query::SelectStatement {
    memberships_of(local_party_id)
        .expr_as(
            Expr::col((People::Table, People::Id)),
            sea_query::Alias::new("person_id"),
        )
        .expr_as(
            Expr::col((Memberships::Table, Memberships::Id)),
            sea_query::Alias::new("membership_id"),
        )
        .column((People::Table, People::PublicId))
        .columns(PERSON_COLUMNS.map(|c| (People::Table, c)))
        .columns(CONSENT_COLUMNS.map(|[flag, _, _]| (People::Table, flag)))
        .columns(
            [Memberships::MembershipNumber, Memberships::Rate].map(|c| (Memberships::Table, c)),
        )
        .inner_join(
            People::Table,
            Expr::col((People::Table, People::Id))
                .equals((Memberships::Table, Memberships::PersonId)),
        )
        .order_by((Memberships::Table, Memberships::Id), Order::Asc)
        .to_owned()
}

/// Every membership of a local party with its person and tags, in the order stored.
pub async fn all(tx: &mut Tx, local_party_id: i64) -> Result<Vec<StoredMember>> {
    let rows: Vec<MemberRow> = tx.fetch_all(&select_members(local_party_id)).await?;
    let tag_rows: Vec<(i64, String)> = tx
        .fetch_all(
            &Query::select()
                .columns([
                    (PersonTags::Table, PersonTags::PersonId),
                    (PersonTags::Table, PersonTags::Tag),
                ])
                .from(PersonTags::Table)
                .inner_join(
                    People::Table,
                    Expr::col((People::Table, People::Id))
                        .equals((PersonTags::Table, PersonTags::PersonId)),
                )
                .and_where(Expr::col((People::Table, People::LocalPartyId)).eq(local_party_id))
                .order_by((PersonTags::Table, PersonTags::Tag), Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (person, tag) in tag_rows {
        tags.entry(person).or_default().push(tag);
    }
    rows.into_iter()
        .map(|r| {
            let t = tags.remove(&r.person_id).unwrap_or_default();
            r.into_stored(t)
        })
        .collect()
}

/// membership id, kind, date, paid-until, detail
type EventRow = (i64, String, NaiveDate, Option<NaiveDate>, Option<String>);

/// Every membership's history in a local party, by membership id, oldest first.
pub async fn histories(tx: &mut Tx, local_party_id: i64) -> Result<HashMap<i64, Vec<Event>>> {
    let rows: Vec<EventRow> = tx
        .fetch_all(
            &Query::select()
                .columns([
                    (MembershipEvents::Table, MembershipEvents::MembershipId),
                    (MembershipEvents::Table, MembershipEvents::Kind),
                    (MembershipEvents::Table, MembershipEvents::OnDate),
                    (MembershipEvents::Table, MembershipEvents::PaidUntil),
                    (MembershipEvents::Table, MembershipEvents::Detail),
                ])
                .from(MembershipEvents::Table)
                .inner_join(
                    Memberships::Table,
                    Expr::col((Memberships::Table, Memberships::Id))
                        .equals((MembershipEvents::Table, MembershipEvents::MembershipId)),
                )
                .and_where(
                    Expr::col((Memberships::Table, Memberships::LocalPartyId)).eq(local_party_id),
                )
                .order_by(
                    (MembershipEvents::Table, MembershipEvents::OnDate),
                    Order::Asc,
                )
                .order_by((MembershipEvents::Table, MembershipEvents::Id), Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut out: HashMap<i64, Vec<Event>> = HashMap::new();
    for (membership, kind, on, paid_until, detail) in rows {
        let kind = EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("unknown history event '{kind}'")))?;
        out.entry(membership).or_default().push(Event {
            kind,
            on,
            paid_until,
            detail,
        });
    }
    Ok(out)
}

fn consent_values(value: Option<bool>, changed: bool, source: &ConsentSource) -> [Value; 3] {
    match (value, changed) {
        (Some(v), true) => [
            Some(v).into(),
            Some(source.source.clone()).into(),
            Some(source.at).into(),
        ],
        (None, true) => [
            None::<bool>.into(),
            None::<String>.into(),
            None::<DateTime<Utc>>.into(),
        ],
        (v, false) => [
            v.into(),
            Value::String(None),
            Value::ChronoDateTimeUtc(None),
        ],
    }
}

fn person_values(p: &PersonDetails) -> Vec<Value> {
    vec![
        p.kind.as_str().into(),
        p.first_name.clone().into(),
        p.last_name.clone().into(),
        p.email.clone().into(),
        p.mobile.clone().into(),
        p.phone.clone().into(),
        p.address_line1.clone().into(),
        p.address_line2.clone().into(),
        p.town.clone().into(),
        p.postcode.clone().into(),
        p.ward.clone().into(),
        p.date_of_birth.into(),
        p.gender.as_ref().map(|g| g.as_str().to_string()).into(),
        p.affiliate.clone().into(),
    ]
}

const PERSON_COLUMNS: [People; 14] = [
    People::Kind,
    People::FirstName,
    People::LastName,
    People::Email,
    People::Mobile,
    People::Phone,
    People::AddressLine1,
    People::AddressLine2,
    People::Town,
    People::Postcode,
    People::Ward,
    People::DateOfBirth,
    People::Gender,
    People::Affiliate,
];

const CONSENT_COLUMNS: [[People; 3]; 4] = [
    [
        People::EmailConsent,
        People::EmailConsentSource,
        People::EmailConsentAt,
    ],
    [
        People::PhoneConsent,
        People::PhoneConsentSource,
        People::PhoneConsentAt,
    ],
    [
        People::SmsConsent,
        People::SmsConsentSource,
        People::SmsConsentAt,
    ],
    [
        People::PostConsent,
        People::PostConsentSource,
        People::PostConsentAt,
    ],
];

fn consent_list(c: &Consents) -> [Option<bool>; 4] {
    [c.email, c.phone, c.sms, c.post]
}

/// Runs a multi-row insert in batches of rows that fit both engines.
async fn insert_batched<R>(
    tx: &mut Tx,
    rows: &[R],
    columns: usize,
    build: impl Fn(&[R]) -> InsertStatement,
) -> Result<()> {
    for chunk in rows.chunks(batch_rows(columns)) {
        tx.execute(&build(chunk)).await?;
    }
    Ok(())
}

/// Stores new people with their memberships, history, tags and payments. `branches` maps
/// branch slugs to ids; `progress` is told how many members are stored so far.
pub async fn insert(
    tx: &mut Tx,
    local_party_id: i64,
    branches: &HashMap<String, i64>,
    members: &[NewMember],
    source: &ConsentSource,
    progress: &dyn Fn(usize),
) -> Result<()> {
    let now = source.at;
    let person_ids: Vec<String> = members.iter().map(|_| Uuid::now_v7().to_string()).collect();
    let mut person_id_of: HashMap<String, i64> = HashMap::with_capacity(members.len());
    let person_columns = 2 + PERSON_COLUMNS.len() + 12 + 2;
    let indexed: Vec<usize> = (0..members.len()).collect();
    for chunk in indexed.chunks(batch_rows(person_columns)) {
        let mut q = Query::insert();
        q.into_table(People::Table).columns(
            [People::PublicId, People::LocalPartyId]
                .into_iter()
                .chain(PERSON_COLUMNS)
                .chain(CONSENT_COLUMNS.into_iter().flatten())
                .chain([People::CreatedAt, People::UpdatedAt]),
        );
        for &i in chunk {
            let p = &members[i].person;
            let mut values: Vec<Value> = vec![person_ids[i].clone().into(), local_party_id.into()];
            values.extend(person_values(p));
            for c in consent_list(&p.consents) {
                values.extend(consent_values(c, c.is_some(), source));
            }
            values.extend([now.into(), now.into()]);
            q.values_panic(values.into_iter().map(Expr::from));
        }
        q.returning(Query::returning().columns([People::Id, People::PublicId]));
        let ids: Vec<(i64, String)> = tx.fetch_all(&q).await?;
        person_id_of.extend(ids.into_iter().map(|(id, public)| (public, id)));
    }
    let person_id = |i: usize| {
        person_id_of.get(&person_ids[i]).copied().ok_or_else(|| {
            StoreError::Invalid("a new person's id did not come back from the database".into())
        })
    };

    let mut membership_id_of: HashMap<String, i64> = HashMap::with_capacity(members.len());
    let mut done = 0;
    for chunk in indexed.chunks(batch_rows(13)) {
        let mut q = Query::insert();
        q.into_table(Memberships::Table).columns([
            Memberships::PublicId,
            Memberships::PersonId,
            Memberships::LocalPartyId,
            Memberships::MembershipNumber,
            Memberships::Rate,
            Memberships::BranchId,
            Memberships::JoinedOn,
            Memberships::PaidUntil,
            Memberships::LeftOn,
            Memberships::LeftReason,
            Memberships::Suspended,
            Memberships::CreatedAt,
            Memberships::UpdatedAt,
        ]);
        for &i in chunk {
            let m = &members[i].membership;
            let branch_id = branch_id(branches, m.branch.as_deref())?;
            let values: [Value; 13] = [
                Uuid::now_v7().to_string().into(),
                person_id(i)?.into(),
                local_party_id.into(),
                m.number.clone().into(),
                m.rate.clone().into(),
                branch_id.into(),
                m.joined_on.into(),
                m.paid_until.into(),
                m.left.map(|(_, on)| on).into(),
                m.left.map(|(r, _)| r.as_str()).into(),
                false.into(),
                now.into(),
                now.into(),
            ];
            q.values_panic(values.into_iter().map(Expr::from));
        }
        q.returning(Query::returning().columns([Memberships::Id, Memberships::MembershipNumber]));
        let ids: Vec<(i64, String)> = tx.fetch_all(&q).await?;
        membership_id_of.extend(ids.into_iter().map(|(id, number)| (number, id)));
        done += chunk.len();
        progress(done);
    }
    tracing::debug!(people = members.len(), "people and memberships stored");
    let membership_id = |m: &NewMember| {
        membership_id_of
            .get(&m.membership.number)
            .copied()
            .ok_or_else(|| {
                StoreError::Invalid(format!("membership {} was not stored", m.membership.number))
            })
    };

    let mut events = Vec::new();
    let mut payments = Vec::new();
    let mut tags = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let id = membership_id(m)?;
        events.extend(m.events.iter().map(|e| (id, e)));
        payments.extend(m.payments.iter().map(|p| (id, p)));
        let person = person_id(i)?;
        tags.extend(m.person.tags.iter().map(|t| (person, t)));
    }
    add_events_at(tx, &events, now).await?;
    insert_batched(tx, &tags, 2, |chunk| {
        let mut q = Query::insert();
        q.into_table(PersonTags::Table)
            .columns([PersonTags::PersonId, PersonTags::Tag]);
        for (person, tag) in chunk {
            q.values_panic([(*person).into(), tag.as_str().into()]);
        }
        q
    })
    .await?;
    insert_batched(tx, &payments, 8, |chunk| {
        let mut q = Query::insert();
        q.into_table(Payments::Table).columns([
            Payments::PublicId,
            Payments::MembershipId,
            Payments::PaidOn,
            Payments::AmountPence,
            Payments::Method,
            Payments::PeriodFrom,
            Payments::PeriodTo,
            Payments::RecordedAt,
        ]);
        for (membership, p) in chunk {
            q.values_panic([
                Uuid::now_v7().to_string().into(),
                (*membership).into(),
                p.paid_on.into(),
                p.amount_pence.into(),
                p.method.as_str().into(),
                p.period_from.into(),
                p.period_to.into(),
                now.into(),
            ]);
        }
        q
    })
    .await?;
    Ok(())
}

fn branch_id(branches: &HashMap<String, i64>, slug: Option<&str>) -> Result<Option<i64>> {
    slug.map(|s| {
        branches
            .get(s)
            .copied()
            .ok_or_else(|| StoreError::Invalid(format!("no branch '{s}' in this local party")))
    })
    .transpose()
}

/// Appends history events, each `(membership id, event)`.
pub async fn add_events(tx: &mut Tx, events: &[(i64, &Event)]) -> Result<()> {
    add_events_at(tx, events, Utc::now()).await
}

async fn add_events_at(tx: &mut Tx, events: &[(i64, &Event)], now: DateTime<Utc>) -> Result<()> {
    insert_batched(tx, events, 6, |chunk| {
        let mut q = Query::insert();
        q.into_table(MembershipEvents::Table).columns([
            MembershipEvents::MembershipId,
            MembershipEvents::Kind,
            MembershipEvents::OnDate,
            MembershipEvents::PaidUntil,
            MembershipEvents::Detail,
            MembershipEvents::RecordedAt,
        ]);
        for (membership, e) in chunk {
            q.values_panic([
                (*membership).into(),
                e.kind.as_str().into(),
                e.on.into(),
                e.paid_until.into(),
                e.detail.clone().into(),
                now.into(),
            ]);
        }
        q
    })
    .await
}

/// Writes a person's new details; consent sources and times move only where a consent
/// changed, and tags are replaced only if they differ.
pub async fn update_person(
    tx: &mut Tx,
    person_id: i64,
    old: &PersonDetails,
    new: &PersonDetails,
    source: &ConsentSource,
) -> Result<()> {
    let mut q = Query::update();
    q.table(People::Table);
    for (col, value) in PERSON_COLUMNS.into_iter().zip(person_values(new)) {
        q.value(col, value);
    }
    for ((cols, new_c), old_c) in CONSENT_COLUMNS
        .into_iter()
        .zip(consent_list(&new.consents))
        .zip(consent_list(&old.consents))
    {
        if new_c != old_c {
            for (col, value) in cols.into_iter().zip(consent_values(new_c, true, source)) {
                q.value(col, value);
            }
        }
    }
    q.value(People::UpdatedAt, source.at)
        .and_where(Expr::col(People::Id).eq(person_id));
    tx.execute(&q).await?;
    if old.tags != new.tags {
        tx.execute(
            &Query::delete()
                .from_table(PersonTags::Table)
                .and_where(Expr::col(PersonTags::PersonId).eq(person_id))
                .to_owned(),
        )
        .await?;
        let rows: Vec<(i64, &String)> = new.tags.iter().map(|t| (person_id, t)).collect();
        insert_batched(tx, &rows, 2, |chunk| {
            let mut q = Query::insert();
            q.into_table(PersonTags::Table)
                .columns([PersonTags::PersonId, PersonTags::Tag]);
            for (person, tag) in chunk {
                q.values_panic([(*person).into(), tag.as_str().into()]);
            }
            q
        })
        .await?;
    }
    Ok(())
}

/// Writes a membership's new rate, branch and dates (its history is written separately).
pub async fn update_membership(
    tx: &mut Tx,
    membership_id: i64,
    branches: &HashMap<String, i64>,
    m: &MembershipDetails,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Memberships::Table)
            .value(Memberships::Rate, m.rate.as_str())
            .value(
                Memberships::BranchId,
                branch_id(branches, m.branch.as_deref())?,
            )
            .value(Memberships::JoinedOn, m.joined_on)
            .value(Memberships::PaidUntil, m.paid_until)
            .value(Memberships::LeftOn, m.left.map(|(_, on)| on))
            .value(Memberships::LeftReason, m.left.map(|(r, _)| r.as_str()))
            .value(Memberships::UpdatedAt, Utc::now())
            .and_where(Expr::col(Memberships::Id).eq(membership_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// How many people a local party has, for "is this database already populated?".
pub async fn count(tx: &mut Tx, local_party_id: Option<i64>) -> Result<i64> {
    let mut q = Query::select();
    q.expr(Expr::col(People::Id).count()).from(People::Table);
    if let Some(id) = local_party_id {
        q.and_where(Expr::col(People::LocalPartyId).eq(id));
    }
    let (n,): (i64,) = tx.fetch_optional(&q).await?.unwrap_or((0,));
    Ok(n)
}

#[derive(sqlx::FromRow)]
struct StandingRow {
    branch_slug: Option<String>,
    joined_on: NaiveDate,
    paid_until: Option<NaiveDate>,
    left_on: Option<NaiveDate>,
    left_reason: Option<String>,
    suspended: bool,
}

/// Each membership's branch and status on `on`: the light query behind counts and charts.
pub async fn standings(
    tx: &mut Tx,
    local_party_id: i64,
    rules: &crate::domain::StatusRules,
    on: NaiveDate,
) -> Result<Vec<(Option<String>, crate::domain::Status)>> {
    let rows: Vec<StandingRow> = tx.fetch_all(&memberships_of(local_party_id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let left = r
                .left_reason
                .as_deref()
                .and_then(LeftReason::parse)
                .zip(r.left_on);
            (
                r.branch_slug,
                rules.status(r.joined_on, r.paid_until, left, r.suspended, on),
            )
        })
        .collect())
}
