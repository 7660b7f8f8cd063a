//! People, their memberships, history and payments. Writes come in batches sized for both
//! engines, so a national import is a few thousand statements, not millions.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{DynIden, Expr, ExprTrait, IntoIden, Order, Query, Value};
use std::collections::HashMap;
use uuid::Uuid;

use super::schema::{MembershipEvents, Memberships, Payments, People, PersonTags, Units};
use super::{Cell, Mode, Result, StoreError, Tx, bulk, idens};
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
    #[sqlx(flatten)]
    standing: StandingRow,
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
        let left = match (self.standing.left_reason.as_deref(), self.standing.left_on) {
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
                branch: self.standing.branch_slug,
                joined_on: self.standing.joined_on,
                paid_until: self.standing.paid_until,
                left,
            },
            suspended: self.standing.suspended,
        })
    }
}

/// The memberships of a local party with their branch slug and the dates status is
/// derived from; queries that need more add to it.
/// What a membership's status is read from (`StatusRules::status_recorded`).
pub(super) const STANDING_COLUMNS: [Memberships; 5] = [
    Memberships::JoinedOn,
    Memberships::PaidUntil,
    Memberships::LeftOn,
    Memberships::LeftReason,
    Memberships::Suspended,
];

fn memberships_of(local_party_id: i64) -> sea_query::SelectStatement {
    Query::select()
        .expr_as(
            Expr::col((Units::Table, Units::Slug)),
            sea_query::Alias::new("branch_slug"),
        )
        .columns(STANDING_COLUMNS.map(|c| (Memberships::Table, c)))
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
pub async fn all(tx: &mut Tx<impl Mode>, local_party_id: i64) -> Result<Vec<StoredMember>> {
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
pub async fn histories(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
) -> Result<HashMap<i64, Vec<Event>>> {
    histories_where(
        tx,
        Expr::col((Memberships::Table, Memberships::LocalPartyId)).eq(local_party_id),
    )
    .await
}

/// The histories of these memberships, by membership id, oldest first.
pub async fn histories_of(
    tx: &mut Tx<impl Mode>,
    membership_ids: &[i64],
) -> Result<HashMap<i64, Vec<Event>>> {
    let mut out = HashMap::new();
    // In chunks: both engines cap the values one statement may bind.
    for chunk in membership_ids.chunks(ID_CHUNK) {
        out.extend(
            histories_where(
                tx,
                Expr::col((Memberships::Table, Memberships::Id)).is_in(chunk.iter().copied()),
            )
            .await?,
        );
    }
    Ok(out)
}

/// How many ids one `IN (…)` list binds, well inside both engines' limits.
pub(crate) const ID_CHUNK: usize = 5_000;

async fn histories_where(tx: &mut Tx<impl Mode>, which: Expr) -> Result<HashMap<i64, Vec<Event>>> {
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
                .and_where(which)
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

/// A consent's flag, with its source and time when it is set.
fn consent_cells(value: Option<bool>, source: &ConsentSource) -> [Cell<'_>; 3] {
    match value {
        Some(v) => [
            Cell::Bool(Some(v)),
            Cell::Text(Some(&source.source)),
            Cell::Stamp(Some(source.at)),
        ],
        None => [Cell::Bool(None), Cell::Text(None), Cell::Stamp(None)],
    }
}

/// A person's details in `PERSON_COLUMNS` order.
fn person_cells(p: &PersonDetails) -> [Cell<'_>; 14] {
    [
        Cell::Text(Some(p.kind.as_str())),
        Cell::Text(Some(&p.first_name)),
        Cell::Text(Some(&p.last_name)),
        Cell::Text(p.email.as_deref()),
        Cell::Text(p.mobile.as_deref()),
        Cell::Text(p.phone.as_deref()),
        Cell::Text(p.address_line1.as_deref()),
        Cell::Text(p.address_line2.as_deref()),
        Cell::Text(p.town.as_deref()),
        Cell::Text(p.postcode.as_deref()),
        Cell::Text(p.ward.as_deref()),
        Cell::Date(p.date_of_birth),
        Cell::Text(p.gender.as_ref().map(Gender::as_str)),
        Cell::Text(p.affiliate.as_deref()),
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

pub(super) const CONSENT_COLUMNS: [[People; 3]; 4] = [
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

/// Stores new people with their memberships, history, tags and payments, and returns
/// each person's (id, public id) in order. `branches` maps branch slugs to ids; `progress` is
/// told roughly how many members are stored so far.
pub async fn insert(
    tx: &mut Tx,
    local_party_id: i64,
    branches: &HashMap<String, i64>,
    members: &[NewMember],
    source: &ConsentSource,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<(i64, String)>> {
    let now = source.at;
    let bulk = if bulk::worth_it(members.len(), count(tx, None).await?) {
        Some(bulk::set_aside(tx, &bulk_tables()).await?)
    } else {
        None
    };
    let person_ids = tx.reserve_ids(People::Table, members.len()).await?;
    let membership_ids = tx.reserve_ids(Memberships::Table, members.len()).await?;
    let person_public: Vec<String> = members.iter().map(|_| Uuid::now_v7().to_string()).collect();
    let membership_public: Vec<String> =
        members.iter().map(|_| Uuid::now_v7().to_string()).collect();
    let person_columns = idens(
        [People::Id, People::PublicId, People::LocalPartyId]
            .into_iter()
            .chain(PERSON_COLUMNS)
            .chain(CONSENT_COLUMNS.into_iter().flatten())
            .chain([People::CreatedAt, People::UpdatedAt]),
    );
    tx.insert_all(People::Table, &person_columns, members.len(), |i, cells| {
        let p = &members[i].person;
        cells.extend([
            Cell::Int(Some(person_ids[i])),
            Cell::Text(Some(&person_public[i])),
            Cell::Int(Some(local_party_id)),
        ]);
        cells.extend(person_cells(p));
        for c in consent_list(&p.consents) {
            cells.extend(consent_cells(c, source));
        }
        cells.extend([Cell::Stamp(Some(now)), Cell::Stamp(Some(now))]);
        Ok(())
    })
    .await?;
    let branch_ids: Vec<Option<i64>> = members
        .iter()
        .map(|m| branch_id(branches, m.membership.branch.as_deref()))
        .collect::<Result<_>>()?;
    tx.insert_all(
        Memberships::Table,
        &idens([
            Memberships::Id,
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
        ]),
        members.len(),
        |i, cells| {
            let m = &members[i].membership;
            if i % 1_000 == 0 {
                progress(i);
            }
            cells.extend([
                Cell::Int(Some(membership_ids[i])),
                Cell::Text(Some(&membership_public[i])),
                Cell::Int(Some(person_ids[i])),
                Cell::Int(Some(local_party_id)),
                Cell::Text(Some(&m.number)),
                Cell::Text(Some(&m.rate)),
                Cell::Int(branch_ids[i]),
                Cell::Date(Some(m.joined_on)),
                Cell::Date(m.paid_until),
                Cell::Date(m.left.map(|(_, on)| on)),
                Cell::Text(m.left.map(|(r, _)| r.as_str())),
                Cell::Bool(Some(false)),
                Cell::Stamp(Some(now)),
                Cell::Stamp(Some(now)),
            ]);
            Ok(())
        },
    )
    .await?;
    progress(members.len());
    tracing::debug!(people = members.len(), "people and memberships stored");

    let mut events = Vec::new();
    let mut payments = Vec::new();
    let mut tags = Vec::new();
    for ((m, person), &id) in members.iter().zip(&person_ids).zip(&membership_ids) {
        events.extend(m.events.iter().map(|e| (id, e)));
        payments.extend(m.payments.iter().map(|p| (id, p)));
        tags.extend(m.person.tags.iter().map(|t| (*person, t.as_str())));
    }
    add_events_at(tx, &events, now).await?;
    add_tags(tx, &tags).await?;
    add_payments(tx, &payments, now).await?;
    if let Some(aside) = bulk {
        bulk::restore(tx, aside).await?;
        tracing::debug!("indexes and references restored");
    }
    Ok(person_ids.into_iter().zip(person_public).collect())
}

/// The tables `insert` writes, whose indexes a bulk load sets aside.
fn bulk_tables() -> [DynIden; 5] {
    [
        People::Table.into_iden(),
        Memberships::Table.into_iden(),
        MembershipEvents::Table.into_iden(),
        PersonTags::Table.into_iden(),
        Payments::Table.into_iden(),
    ]
}

/// Records payments, each `(membership id, payment)`, and returns their public ids.
pub async fn add_payments(
    tx: &mut Tx,
    payments: &[(i64, &NewPayment)],
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let payment_ids: Vec<String> = payments
        .iter()
        .map(|_| Uuid::now_v7().to_string())
        .collect();
    tx.insert_all(
        Payments::Table,
        &idens([
            Payments::PublicId,
            Payments::MembershipId,
            Payments::PaidOn,
            Payments::AmountPence,
            Payments::Method,
            Payments::PeriodFrom,
            Payments::PeriodTo,
            Payments::RecordedAt,
        ]),
        payments.len(),
        |i, cells| {
            let (membership, p) = payments[i];
            cells.extend([
                Cell::Text(Some(&payment_ids[i])),
                Cell::Int(Some(membership)),
                Cell::Date(Some(p.paid_on)),
                Cell::Int(Some(p.amount_pence)),
                Cell::Text(Some(&p.method)),
                Cell::Date(Some(p.period_from)),
                Cell::Date(Some(p.period_to)),
                Cell::Stamp(Some(now)),
            ]);
            Ok(())
        },
    )
    .await?;
    Ok(payment_ids)
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

async fn add_tags(tx: &mut Tx, tags: &[(i64, &str)]) -> Result<()> {
    tx.insert_all(
        PersonTags::Table,
        &idens([PersonTags::PersonId, PersonTags::Tag]),
        tags.len(),
        |i, cells| {
            cells.extend([Cell::Int(Some(tags[i].0)), Cell::Text(Some(tags[i].1))]);
            Ok(())
        },
    )
    .await
}

/// Adds tags to a person, keeping those they have.
pub async fn add_tags_to(tx: &mut Tx, person_id: i64, tags: &[String]) -> Result<()> {
    let have: Vec<(String,)> = tx
        .fetch_all(
            &Query::select()
                .column(PersonTags::Tag)
                .from(PersonTags::Table)
                .and_where(Expr::col(PersonTags::PersonId).eq(person_id))
                .to_owned(),
        )
        .await?;
    let mut rows: Vec<(i64, &str)> = Vec::new();
    for t in tags {
        if !have.iter().any(|(h,)| h == t) && !rows.iter().any(|(_, r)| r == t) {
            rows.push((person_id, t.as_str()));
        }
    }
    add_tags(tx, &rows).await
}

/// Appends history events, each `(membership id, event)`.
pub async fn add_events(tx: &mut Tx, events: &[(i64, &Event)]) -> Result<()> {
    add_events_at(tx, events, Utc::now()).await
}

async fn add_events_at(tx: &mut Tx, events: &[(i64, &Event)], now: DateTime<Utc>) -> Result<()> {
    tx.insert_all(
        MembershipEvents::Table,
        &idens([
            MembershipEvents::MembershipId,
            MembershipEvents::Kind,
            MembershipEvents::OnDate,
            MembershipEvents::PaidUntil,
            MembershipEvents::Detail,
            MembershipEvents::RecordedAt,
        ]),
        events.len(),
        |i, cells| {
            let (membership, e) = events[i];
            cells.extend([
                Cell::Int(Some(membership)),
                Cell::Text(Some(e.kind.as_str())),
                Cell::Date(Some(e.on)),
                Cell::Date(e.paid_until),
                Cell::Text(e.detail.as_deref()),
                Cell::Stamp(Some(now)),
            ]);
            Ok(())
        },
    )
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
    for (col, cell) in PERSON_COLUMNS.into_iter().zip(person_cells(new)) {
        q.value(col, Value::from(cell));
    }
    for ((cols, new_c), old_c) in CONSENT_COLUMNS
        .into_iter()
        .zip(consent_list(&new.consents))
        .zip(consent_list(&old.consents))
    {
        if new_c != old_c {
            for (col, cell) in cols.into_iter().zip(consent_cells(new_c, source)) {
                q.value(col, Value::from(cell));
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
        let rows: Vec<(i64, &str)> = new.tags.iter().map(|t| (person_id, t.as_str())).collect();
        add_tags(tx, &rows).await?;
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

/// Moves a membership to another branch and rate (its history is written separately).
pub async fn set_place(
    tx: &mut Tx,
    membership_id: i64,
    branch_id: Option<i64>,
    rate: &str,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Memberships::Table)
            .value(Memberships::BranchId, branch_id)
            .value(Memberships::Rate, rate)
            .value(Memberships::UpdatedAt, Utc::now())
            .and_where(Expr::col(Memberships::Id).eq(membership_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Whether a membership number is already used in the local party.
pub async fn number_taken(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    number: &str,
) -> Result<bool> {
    let found: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(Memberships::Id)
                .from(Memberships::Table)
                .and_where(Expr::col(Memberships::LocalPartyId).eq(local_party_id))
                .and_where(Expr::col(Memberships::MembershipNumber).eq(number))
                .limit(1)
                .to_owned(),
        )
        .await?;
    Ok(found.is_some())
}

/// The prefix of the numbers a local party gives people added by hand, who have no
/// number from the national membership system yet.
pub const LOCAL_PREFIX: &str = "R";
const LOCAL_DIGITS: usize = 7;

/// The next free number in the local party's own series: R0000001, R0000002, …
pub async fn next_local_number(tx: &mut Tx<impl Mode>, local_party_id: i64) -> Result<String> {
    let pattern = format!("{LOCAL_PREFIX}{}", "_".repeat(LOCAL_DIGITS));
    let rows: Vec<(String,)> = tx
        .fetch_all(
            &Query::select()
                .column(Memberships::MembershipNumber)
                .from(Memberships::Table)
                .and_where(Expr::col(Memberships::LocalPartyId).eq(local_party_id))
                .and_where(Expr::col(Memberships::MembershipNumber).like(pattern))
                .to_owned(),
        )
        .await?;
    let last = rows
        .iter()
        .filter_map(|(n,)| n.get(LOCAL_PREFIX.len()..)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    Ok(format!(
        "{LOCAL_PREFIX}{:0width$}",
        last + 1,
        width = LOCAL_DIGITS
    ))
}

/// How many people a local party has, for "is this database already populated?".
pub async fn count(tx: &mut Tx<impl Mode>, local_party_id: Option<i64>) -> Result<i64> {
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
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    rules: &crate::domain::StatusRules,
    on: NaiveDate,
) -> Result<Vec<(Option<String>, crate::domain::Status)>> {
    let rows: Vec<StandingRow> = tx.fetch_all(&memberships_of(local_party_id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let left = (r.left_reason.as_deref(), r.left_on);
            (
                r.branch_slug,
                rules.status_recorded(r.joined_on, r.paid_until, left, r.suspended, on),
            )
        })
        .collect())
}
