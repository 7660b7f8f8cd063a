//! Stakeholder organisations, their contacts (people on the register, a row each) and
//! what passed between them and the local party.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::{
    Events, OrganisationContacts as C, OrganisationDealings as D, Organisations as O, Units,
};
use super::{Mode, Result, Tx};

/// An organisation as stored, with its unit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub unit_id: i64,
    pub unit_slug: String,
    pub unit_name: String,
    pub name: String,
    pub kind: String,
    pub notes: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns(
            [
                O::Id,
                O::PublicId,
                O::LocalPartyId,
                O::UnitId,
                O::Name,
                O::Kind,
                O::Notes,
                O::CreatedBy,
                O::CreatedAt,
            ]
            .map(|c| (O::Table, c)),
        )
        .expr_as(
            Expr::col((Units::Table, Units::Slug)),
            Alias::new("unit_slug"),
        )
        .expr_as(
            Expr::col((Units::Table, Units::Name)),
            Alias::new("unit_name"),
        )
        .from(O::Table)
        .inner_join(
            Units::Table,
            Expr::col((Units::Table, Units::Id)).equals((O::Table, O::UnitId)),
        )
        .to_owned()
}

/// What an organisation is made of.
pub struct New<'a> {
    pub local_party_id: i64,
    pub unit_id: i64,
    pub name: &'a str,
    pub kind: &'a str,
    pub notes: Option<&'a str>,
}

/// Stores a new organisation; returns its public id.
pub async fn create(tx: &mut Tx, o: &New<'_>, by: &str, now: DateTime<Utc>) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    tx.execute(
        &Query::insert()
            .into_table(O::Table)
            .columns([
                O::PublicId,
                O::LocalPartyId,
                O::UnitId,
                O::Name,
                O::Kind,
                O::Notes,
                O::CreatedBy,
                O::CreatedAt,
            ])
            .values_panic([
                public_id.clone().into(),
                o.local_party_id.into(),
                o.unit_id.into(),
                o.name.into(),
                o.kind.into(),
                o.notes.map(str::to_string).into(),
                by.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

pub async fn update(tx: &mut Tx, id: i64, o: &New<'_>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(O::Table)
            .values([
                (O::UnitId, o.unit_id.into()),
                (O::Name, o.name.into()),
                (O::Kind, o.kind.into()),
                (O::Notes, o.notes.map(str::to_string).into()),
            ])
            .and_where(Expr::col(O::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn by_public_id(tx: &mut Tx<impl Mode>, public_id: &str) -> Result<Option<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((O::Table, O::PublicId)).eq(public_id));
    tx.fetch_optional(&q).await
}

/// The organisations of these local parties, by name.
pub async fn of_parties(tx: &mut Tx<impl Mode>, parties: &[i64]) -> Result<Vec<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((O::Table, O::LocalPartyId)).is_in(parties.iter().copied()))
        .order_by((O::Table, O::Name), Order::Asc)
        .limit(1000);
    tx.fetch_all(&q).await
}

/// Makes a person one of an organisation's contacts (again: their role is renewed).
pub async fn add_contact(
    tx: &mut Tx,
    organisation_id: i64,
    person_id: i64,
    role: Option<&str>,
) -> Result<()> {
    tx.execute(
        &Query::delete()
            .from_table(C::Table)
            .and_where(Expr::col(C::OrganisationId).eq(organisation_id))
            .and_where(Expr::col(C::PersonId).eq(person_id))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::insert()
            .into_table(C::Table)
            .columns([C::OrganisationId, C::PersonId, C::Role])
            .values_panic([
                organisation_id.into(),
                person_id.into(),
                role.map(str::to_string).into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Takes a person off an organisation's contacts; whether they were one.
pub async fn remove_contact(tx: &mut Tx, organisation_id: i64, person_id: i64) -> Result<bool> {
    Ok(tx
        .execute(
            &Query::delete()
                .from_table(C::Table)
                .and_where(Expr::col(C::OrganisationId).eq(organisation_id))
                .and_where(Expr::col(C::PersonId).eq(person_id))
                .to_owned(),
        )
        .await?
        > 0)
}

/// An organisation's contacts: (person id, role), in the order they were added.
pub async fn contacts(
    tx: &mut Tx<impl Mode>,
    organisation_id: i64,
) -> Result<Vec<(i64, Option<String>)>> {
    tx.fetch_all(
        &Query::select()
            .columns([C::PersonId, C::Role])
            .from(C::Table)
            .and_where(Expr::col(C::OrganisationId).eq(organisation_id))
            .order_by(C::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

/// A dealing to record.
pub struct NewDealing<'a> {
    pub organisation_id: i64,
    pub kind: &'a str,
    pub on_date: NaiveDate,
    pub note: Option<&'a str>,
    pub event_id: Option<i64>,
    pub recorded_by: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn add_dealing(tx: &mut Tx, d: &NewDealing<'_>) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(D::Table)
            .columns([
                D::OrganisationId,
                D::Kind,
                D::OnDate,
                D::Note,
                D::EventId,
                D::RecordedBy,
                D::RecordedAt,
            ])
            .values_panic([
                d.organisation_id.into(),
                d.kind.into(),
                d.on_date.into(),
                d.note.map(str::to_string).into(),
                d.event_id.into(),
                d.recorded_by.into(),
                d.at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A dealing as stored, with its event's id and title when it was a joint event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Dealing {
    pub kind: String,
    pub on_date: NaiveDate,
    pub note: Option<String>,
    pub event_public_id: Option<String>,
    pub event_title: Option<String>,
    pub recorded_by: String,
}

/// An organisation's dealings, latest first.
pub async fn dealings(tx: &mut Tx<impl Mode>, organisation_id: i64) -> Result<Vec<Dealing>> {
    tx.fetch_all(
        &Query::select()
            .columns([D::Kind, D::OnDate, D::Note, D::RecordedBy].map(|c| (D::Table, c)))
            .expr_as(
                Expr::col((Events::Table, Events::PublicId)),
                Alias::new("event_public_id"),
            )
            .expr_as(
                Expr::col((Events::Table, Events::Title)),
                Alias::new("event_title"),
            )
            .from(D::Table)
            .left_join(
                Events::Table,
                Expr::col((Events::Table, Events::Id)).equals((D::Table, D::EventId)),
            )
            .and_where(Expr::col((D::Table, D::OrganisationId)).eq(organisation_id))
            .order_by((D::Table, D::OnDate), Order::Desc)
            .order_by((D::Table, D::Id), Order::Desc)
            .limit(500)
            .to_owned(),
    )
    .await
}
