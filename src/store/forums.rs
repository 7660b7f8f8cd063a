//! Forum branches: their rules, and who is in each, a row for every stint with its dates.

use chrono::{NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::members::STANDING_COLUMNS;
use super::schema::{ForumMembers, Memberships, People, Units};
use super::{Cell, Mode, Result, StoreError, Tx, idens};
use crate::domain::forums::{Candidate, ForumRule, How, follow_rule};
use crate::domain::{BranchType, Gender, Kind, Rules, UnitKind};

/// A forum branch of a local party.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Forum {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The rule as written (`gender = woman`), if people join it by one.
    pub forum_rule: Option<String>,
}

impl Forum {
    pub fn rule(&self) -> Option<ForumRule> {
        self.forum_rule
            .as_deref()
            .and_then(|r| ForumRule::parse(r).ok())
    }
}

/// The forum branches of a local party, by name.
pub async fn of_party(tx: &mut Tx<impl Mode>, local_party_id: i64) -> Result<Vec<Forum>> {
    tx.fetch_all(
        &Query::select()
            .columns([Units::Id, Units::Slug, Units::Name, Units::ForumRule])
            .from(Units::Table)
            .and_where(Expr::col(Units::ParentId).eq(local_party_id))
            .and_where(Expr::col(Units::Kind).eq(UnitKind::Branch.as_str()))
            .and_where(Expr::col(Units::BranchType).eq(BranchType::Forum.as_str()))
            .order_by(Units::Name, Order::Asc)
            .to_owned(),
    )
    .await
}

/// Sets or clears a forum's rule, already checked by `ForumRule::parse`.
pub async fn set_rule(tx: &mut Tx, unit_id: i64, rule: Option<&ForumRule>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Units::Table)
            .value(Units::ForumRule, rule.map(ForumRule::text))
            .and_where(Expr::col(Units::Id).eq(unit_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Who is in a forum now, and how each came to be.
pub async fn members_now(tx: &mut Tx<impl Mode>, unit_id: i64) -> Result<Vec<(i64, How)>> {
    let rows: Vec<(i64, String)> = tx
        .fetch_all(
            &Query::select()
                .columns([ForumMembers::PersonId, ForumMembers::How])
                .from(ForumMembers::Table)
                .and_where(Expr::col(ForumMembers::UnitId).eq(unit_id))
                .and_where(Expr::col(ForumMembers::LeftOn).is_null())
                .to_owned(),
        )
        .await?;
    rows.into_iter()
        .map(|(p, how)| {
            How::parse(&how)
                .map(|h| (p, h))
                .ok_or_else(|| StoreError::Invalid(format!("forum membership by '{how}'")))
        })
        .collect()
}

/// Starts a stint in a forum for each person, from `on`.
pub async fn join(
    tx: &mut Tx,
    unit_id: i64,
    people: &[i64],
    on: NaiveDate,
    how: How,
) -> Result<()> {
    let now = Utc::now();
    tx.insert_all(
        ForumMembers::Table,
        &idens([
            ForumMembers::UnitId,
            ForumMembers::PersonId,
            ForumMembers::JoinedOn,
            ForumMembers::How,
            ForumMembers::CreatedAt,
        ]),
        people.len(),
        |i, cells| {
            cells.extend([
                Cell::Int(Some(unit_id)),
                Cell::Int(Some(people[i])),
                Cell::Date(Some(on)),
                Cell::Text(Some(how.as_str())),
                Cell::Stamp(Some(now)),
            ]);
            Ok(())
        },
    )
    .await
}

/// Ends each person's current stint in a forum on `on`.
pub async fn leave(tx: &mut Tx, unit_id: i64, people: &[i64], on: NaiveDate) -> Result<()> {
    for chunk in people.chunks(super::members::ID_CHUNK) {
        tx.execute(
            &Query::update()
                .table(ForumMembers::Table)
                .value(ForumMembers::LeftOn, on)
                .and_where(Expr::col(ForumMembers::UnitId).eq(unit_id))
                .and_where(Expr::col(ForumMembers::PersonId).is_in(chunk.iter().copied()))
                .and_where(Expr::col(ForumMembers::LeftOn).is_null())
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// One stint of a person in a forum.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stint {
    pub slug: String,
    pub name: String,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub how: String,
}

/// Every stint of a person in a forum, the current first.
pub async fn of_person(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<Stint>> {
    tx.fetch_all(
        &Query::select()
            .columns([(Units::Table, Units::Slug), (Units::Table, Units::Name)])
            .columns([
                (ForumMembers::Table, ForumMembers::JoinedOn),
                (ForumMembers::Table, ForumMembers::LeftOn),
                (ForumMembers::Table, ForumMembers::How),
            ])
            .from(ForumMembers::Table)
            .inner_join(
                Units::Table,
                Expr::col((Units::Table, Units::Id))
                    .equals((ForumMembers::Table, ForumMembers::UnitId)),
            )
            .and_where(Expr::col((ForumMembers::Table, ForumMembers::PersonId)).eq(person_id))
            .order_by((ForumMembers::Table, ForumMembers::LeftOn), Order::Asc)
            .order_by((ForumMembers::Table, ForumMembers::JoinedOn), Order::Desc)
            .to_owned(),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    person_id: i64,
    kind: String,
    gender: Option<String>,
    date_of_birth: Option<NaiveDate>,
    joined_on: NaiveDate,
    paid_until: Option<NaiveDate>,
    left_on: Option<NaiveDate>,
    left_reason: Option<String>,
    suspended: bool,
}

/// Brings every ruled forum of a local party in line with its rule on `today`, for
/// everyone or only the people in `only`. Returns how many joined and how many left.
pub async fn follow_rules(
    tx: &mut Tx,
    rules: &Rules,
    local_party_id: i64,
    only: Option<&[i64]>,
    today: NaiveDate,
) -> Result<(usize, usize)> {
    let forums: Vec<(Forum, ForumRule)> = of_party(tx, local_party_id)
        .await?
        .into_iter()
        .filter_map(|f| f.rule().map(|r| (f, r)))
        .collect();
    if forums.is_empty() {
        return Ok((0, 0));
    }
    let mut q = Query::select();
    q.expr_as(
        Expr::col((People::Table, People::Id)),
        sea_query::Alias::new("person_id"),
    )
    .columns([
        (People::Table, People::Kind),
        (People::Table, People::Gender),
        (People::Table, People::DateOfBirth),
    ])
    .columns(STANDING_COLUMNS.map(|c| (Memberships::Table, c)))
    .from(Memberships::Table)
    .inner_join(
        People::Table,
        Expr::col((People::Table, People::Id)).equals((Memberships::Table, Memberships::PersonId)),
    )
    .and_where(Expr::col((Memberships::Table, Memberships::LocalPartyId)).eq(local_party_id));
    if let Some(ids) = only {
        q.and_where(Expr::col((People::Table, People::Id)).is_in(ids.iter().copied()));
    }
    let rows: Vec<CandidateRow> = tx.fetch_all(&q).await?;
    let people: Vec<Candidate> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Candidate {
                person_id: r.person_id,
                kind: Kind::parse(&r.kind)?,
                gender: r.gender.as_deref().and_then(Gender::parse),
                date_of_birth: r.date_of_birth,
                status: rules.status.status_recorded(
                    r.joined_on,
                    r.paid_until,
                    (r.left_reason.as_deref(), r.left_on),
                    r.suspended,
                    today,
                ),
            })
        })
        .collect();
    let (mut joined, mut left) = (0, 0);
    for (forum, rule) in forums {
        let open = members_now(tx, forum.id).await?;
        let changes = follow_rule(&rule, &people, &open, today);
        join(tx, forum.id, &changes.join, today, How::Rule).await?;
        leave(tx, forum.id, &changes.leave, today).await?;
        joined += changes.join.len();
        left += changes.leave.len();
    }
    Ok((joined, left))
}
