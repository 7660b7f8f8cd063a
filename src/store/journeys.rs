//! Journeys and each person's run through one: which step they are at, when the next is
//! due, and whether they finished or were taken off. A run is claimed by a conditional
//! update before its step is taken, so two workers never take one step twice.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use uuid::Uuid;

use super::schema::{
    EventPeople, Events, JourneyRuns, Journeys, MembershipEvents, Memberships, People,
    RoleAssignments, Units, Users,
};
use super::{Mode, Result, Tx};

/// A journey as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Journey {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub name: String,
    pub trigger: String,
    /// The steps in their text form (`domain::journeys::parse_steps`).
    pub steps: String,
    pub active: bool,
    /// People whom its trigger catches from this moment on are put on it.
    pub active_since: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The branch (or forum branch) whose people alone it takes; none for the whole
    /// local party.
    pub unit_id: Option<i64>,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Journeys::Id,
            Journeys::PublicId,
            Journeys::LocalPartyId,
            Journeys::Name,
            Journeys::Trigger,
            Journeys::Steps,
            Journeys::Active,
            Journeys::ActiveSince,
            Journeys::UpdatedAt,
            Journeys::UnitId,
        ])
        .from(Journeys::Table)
        .to_owned()
}

pub async fn create(
    tx: &mut Tx,
    (local_party_id, unit_id): (i64, Option<i64>),
    name: &str,
    trigger: &str,
    steps: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    tx.execute(
        &Query::insert()
            .into_table(Journeys::Table)
            .columns([
                Journeys::PublicId,
                Journeys::LocalPartyId,
                Journeys::Name,
                Journeys::Trigger,
                Journeys::Steps,
                Journeys::Active,
                Journeys::ActiveSince,
                Journeys::CreatedBy,
                Journeys::CreatedAt,
                Journeys::UpdatedAt,
                Journeys::UnitId,
            ])
            .values_panic([
                public_id.clone().into(),
                local_party_id.into(),
                name.into(),
                trigger.into(),
                steps.into(),
                true.into(),
                now.into(),
                by.into(),
                now.into(),
                now.into(),
                unit_id.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

/// The journeys of these local parties, by name.
pub async fn list(tx: &mut Tx<impl Mode>, parties: &[i64]) -> Result<Vec<Journey>> {
    let mut q = select();
    q.and_where(Expr::col(Journeys::LocalPartyId).is_in(parties.iter().copied()))
        .order_by(Journeys::Name, Order::Asc)
        .order_by(Journeys::Id, Order::Asc);
    tx.fetch_all(&q).await
}

pub async fn get(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    public_id: &str,
) -> Result<Option<Journey>> {
    let mut q = select();
    q.and_where(Expr::col(Journeys::LocalPartyId).is_in(parties.iter().copied()))
        .and_where(Expr::col(Journeys::PublicId).eq(public_id));
    tx.fetch_optional(&q).await
}

/// Changes a journey; switching it on again starts its trigger afresh from `now`, so
/// nobody who joined while it was off is put on it late.
pub async fn update(
    tx: &mut Tx,
    j: &Journey,
    name: &str,
    steps: &str,
    active: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let since = if active && !j.active {
        now
    } else {
        j.active_since
    };
    tx.execute(
        &Query::update()
            .table(Journeys::Table)
            .value(Journeys::Name, name)
            .value(Journeys::Steps, steps)
            .value(Journeys::Active, active)
            .value(Journeys::ActiveSince, since)
            .value(Journeys::UpdatedAt, now)
            .and_where(Expr::col(Journeys::Id).eq(j.id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Puts these people on a journey, each once however often asked; returns how many
/// were new to it.
pub async fn enrol(
    tx: &mut Tx,
    journey_id: i64,
    people: &[i64],
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut added = 0;
    for p in people {
        added += tx
            .execute(
                &Query::insert()
                    .into_table(JourneyRuns::Table)
                    .columns([
                        JourneyRuns::PublicId,
                        JourneyRuns::JourneyId,
                        JourneyRuns::PersonId,
                        JourneyRuns::Step,
                        JourneyRuns::NextAt,
                        JourneyRuns::State,
                        JourneyRuns::StartedAt,
                        JourneyRuns::UpdatedAt,
                    ])
                    .values_panic([
                        Uuid::now_v7().to_string().into(),
                        journey_id.into(),
                        (*p).into(),
                        0.into(),
                        now.into(),
                        "active".into(),
                        now.into(),
                        now.into(),
                    ])
                    .on_conflict(
                        OnConflict::columns([JourneyRuns::JourneyId, JourneyRuns::PersonId])
                            .do_nothing()
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
    }
    Ok(added)
}

/// Members of a local party who came onto the register at or after `since` (by hand, an
/// import or a sign-up) having joined on or after `joined_from`, and are on no run of
/// `journey_id` yet. So a file imported on Monday brings its recent joiners on, and the
/// first import of a register brings nobody who joined long ago.
pub async fn joined_since(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    journey_id: i64,
    since: DateTime<Utc>,
    joined_from: NaiveDate,
) -> Result<Vec<i64>> {
    not_yet_on(
        tx,
        journey_id,
        (People::Table, People::Id),
        Query::select()
            .column((People::Table, People::Id))
            .from(Memberships::Table)
            .inner_join(
                People::Table,
                Expr::col((People::Table, People::Id))
                    .equals((Memberships::Table, Memberships::PersonId)),
            )
            .and_where(
                Expr::col((Memberships::Table, Memberships::LocalPartyId)).eq(local_party_id),
            )
            .and_where(Expr::col((People::Table, People::Kind)).eq("member"))
            .and_where(Expr::col((People::Table, People::CreatedAt)).gte(since))
            .and_where(Expr::col((Memberships::Table, Memberships::JoinedOn)).gte(joined_from))
            .to_owned(),
    )
    .await
}

/// People of a local party whose membership was recorded as rejoined at or after
/// `since`, and who are on no run of `journey_id` yet.
pub async fn rejoined_since(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    journey_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<i64>> {
    not_yet_on(
        tx,
        journey_id,
        (Memberships::Table, Memberships::PersonId),
        Query::select()
            .distinct()
            .column((Memberships::Table, Memberships::PersonId))
            .from(MembershipEvents::Table)
            .inner_join(
                Memberships::Table,
                Expr::col((Memberships::Table, Memberships::Id))
                    .equals((MembershipEvents::Table, MembershipEvents::MembershipId)),
            )
            .and_where(
                Expr::col((Memberships::Table, Memberships::LocalPartyId)).eq(local_party_id),
            )
            .and_where(Expr::col((MembershipEvents::Table, MembershipEvents::Kind)).eq("rejoined"))
            .and_where(
                Expr::col((MembershipEvents::Table, MembershipEvents::RecordedAt)).gte(since),
            )
            .to_owned(),
    )
    .await
}

/// People of a local party given an officer's role (not a caller's) in it or one of its
/// branches at or after `since`, found by their address, and on no run of `journey_id`.
pub async fn became_officer_since(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    journey_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<i64>> {
    not_yet_on(
        tx,
        journey_id,
        (People::Table, People::Id),
        Query::select()
            .distinct()
            .column((People::Table, People::Id))
            .from(RoleAssignments::Table)
            .inner_join(
                Users::Table,
                Expr::col((Users::Table, Users::Id))
                    .equals((RoleAssignments::Table, RoleAssignments::UserId)),
            )
            .inner_join(
                Units::Table,
                Expr::col((Units::Table, Units::Id))
                    .equals((RoleAssignments::Table, RoleAssignments::UnitId)),
            )
            .inner_join(
                People::Table,
                Expr::expr(sea_query::Func::lower(Expr::col((
                    People::Table,
                    People::Email,
                ))))
                .eq(sea_query::Func::lower(Expr::col((
                    Users::Table,
                    Users::Email,
                )))),
            )
            .inner_join(
                Memberships::Table,
                Expr::col((Memberships::Table, Memberships::PersonId))
                    .equals((People::Table, People::Id)),
            )
            .and_where(
                Expr::col((Memberships::Table, Memberships::LocalPartyId)).eq(local_party_id),
            )
            .and_where(
                Expr::col((Units::Table, Units::Id))
                    .eq(local_party_id)
                    .or(Expr::col((Units::Table, Units::ParentId)).eq(local_party_id)),
            )
            .and_where(
                Expr::col((RoleAssignments::Table, RoleAssignments::Role))
                    .is_not_in(crate::domain::Role::volunteer_names()),
            )
            .and_where(Expr::col((RoleAssignments::Table, RoleAssignments::CreatedAt)).gte(since))
            .to_owned(),
    )
    .await
}

/// The people `q` selects (one column, their ids) who are on no run of `journey_id` yet;
/// `person` is the column `q` selects them by.
async fn not_yet_on(
    tx: &mut Tx<impl Mode>,
    journey_id: i64,
    person: (
        impl sea_query::IntoIden + 'static,
        impl sea_query::IntoIden + 'static,
    ),
    mut q: sea_query::SelectStatement,
) -> Result<Vec<i64>> {
    q.and_where(Expr::col(person).not_in_subquery(runs_of(journey_id)));
    let rows: Vec<(i64,)> = tx.fetch_all(&q).await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

fn runs_of(journey_id: i64) -> sea_query::SelectStatement {
    Query::select()
        .column(JourneyRuns::PersonId)
        .from(JourneyRuns::Table)
        .and_where(Expr::col(JourneyRuns::JourneyId).eq(journey_id))
        .to_owned()
}

/// People of a local party who came to their first event at or after `since` (none
/// before it) and are on no run of `journey_id` yet.
pub async fn first_event_since(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    journey_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let attended = |after: bool| {
        let at = Expr::col((EventPeople::Table, EventPeople::CheckedInAt));
        Query::select()
            .column((EventPeople::Table, EventPeople::PersonId))
            .from(EventPeople::Table)
            .inner_join(
                Events::Table,
                Expr::col((Events::Table, Events::Id))
                    .equals((EventPeople::Table, EventPeople::EventId)),
            )
            .and_where(Expr::col((Events::Table, Events::LocalPartyId)).eq(local_party_id))
            .and_where(Expr::col((EventPeople::Table, EventPeople::State)).eq("attended"))
            .and_where(if after { at.gte(since) } else { at.lt(since) })
            .to_owned()
    };
    not_yet_on(
        tx,
        journey_id,
        (EventPeople::Table, EventPeople::PersonId),
        attended(true)
            .distinct()
            .and_where(
                Expr::col((EventPeople::Table, EventPeople::PersonId))
                    .not_in_subquery(attended(false)),
            )
            .to_owned(),
    )
    .await
}

/// One person's run through a journey.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Run {
    pub id: i64,
    pub public_id: String,
    pub journey_id: i64,
    pub person_id: i64,
    pub step: i32,
    pub next_at: DateTime<Utc>,
    pub state: String,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

fn runs() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            JourneyRuns::Id,
            JourneyRuns::PublicId,
            JourneyRuns::JourneyId,
            JourneyRuns::PersonId,
            JourneyRuns::Step,
            JourneyRuns::NextAt,
            JourneyRuns::State,
            JourneyRuns::Note,
            JourneyRuns::UpdatedAt,
        ])
        .from(JourneyRuns::Table)
        .to_owned()
}

/// Active runs whose next step is due, oldest first.
pub async fn due(tx: &mut Tx<impl Mode>, now: DateTime<Utc>, limit: u64) -> Result<Vec<Run>> {
    let mut q = runs();
    q.and_where(Expr::col(JourneyRuns::State).eq("active"))
        .and_where(Expr::col(JourneyRuns::NextAt).lte(now))
        .order_by(JourneyRuns::NextAt, Order::Asc)
        .order_by(JourneyRuns::Id, Order::Asc)
        .limit(limit);
    tx.fetch_all(&q).await
}

/// Every run of a journey.
pub async fn of_journey(tx: &mut Tx<impl Mode>, journey_id: i64) -> Result<Vec<Run>> {
    let mut q = runs();
    q.and_where(Expr::col(JourneyRuns::JourneyId).eq(journey_id))
        .order_by(JourneyRuns::StartedAt, Order::Asc);
    tx.fetch_all(&q).await
}

/// Takes a run at its step for this transaction: true for exactly one caller while it is
/// active, at `step` and due. Its next step is pushed past `hold`, so nobody else takes
/// it; `finish` then says where it goes.
pub async fn claim(
    tx: &mut Tx,
    run_id: i64,
    step: i32,
    now: DateTime<Utc>,
    hold: DateTime<Utc>,
) -> Result<bool> {
    let n = tx
        .execute(
            &Query::update()
                .table(JourneyRuns::Table)
                .value(JourneyRuns::NextAt, hold)
                .and_where(Expr::col(JourneyRuns::Id).eq(run_id))
                .and_where(Expr::col(JourneyRuns::Step).eq(step))
                .and_where(Expr::col(JourneyRuns::State).eq("active"))
                .and_where(Expr::col(JourneyRuns::NextAt).lte(now))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Where a claimed run goes: its next step and when, or done; with what was done last.
pub async fn finish(
    tx: &mut Tx,
    run_id: i64,
    step: i32,
    next_at: DateTime<Utc>,
    state: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(JourneyRuns::Table)
            .value(JourneyRuns::Step, step)
            .value(JourneyRuns::NextAt, next_at)
            .value(JourneyRuns::State, state)
            .value(JourneyRuns::Note, note)
            .value(JourneyRuns::UpdatedAt, now)
            .and_where(Expr::col(JourneyRuns::Id).eq(run_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Takes a person off a journey. False if they were not on it (or already off).
pub async fn stop(
    tx: &mut Tx,
    journey_id: i64,
    person_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = tx
        .execute(
            &Query::update()
                .table(JourneyRuns::Table)
                .value(JourneyRuns::State, "stopped")
                .value(JourneyRuns::Note, note)
                .value(JourneyRuns::UpdatedAt, now)
                .and_where(Expr::col(JourneyRuns::JourneyId).eq(journey_id))
                .and_where(Expr::col(JourneyRuns::PersonId).eq(person_id))
                .and_where(Expr::col(JourneyRuns::State).eq("active"))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// A person's run on one journey, as their record shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OnJourney {
    pub public_id: String,
    pub name: String,
    pub state: String,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The journeys a person is or was on, latest first.
pub async fn of_person(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<OnJourney>> {
    tx.fetch_all(
        &Query::select()
            .columns([
                (Journeys::Table, Journeys::PublicId),
                (Journeys::Table, Journeys::Name),
            ])
            .columns([
                (JourneyRuns::Table, JourneyRuns::State),
                (JourneyRuns::Table, JourneyRuns::Note),
                (JourneyRuns::Table, JourneyRuns::UpdatedAt),
            ])
            .from(JourneyRuns::Table)
            .inner_join(
                Journeys::Table,
                Expr::col((Journeys::Table, Journeys::Id))
                    .equals((JourneyRuns::Table, JourneyRuns::JourneyId)),
            )
            .and_where(Expr::col((JourneyRuns::Table, JourneyRuns::PersonId)).eq(person_id))
            .order_by((JourneyRuns::Table, JourneyRuns::UpdatedAt), Order::Desc)
            .to_owned(),
    )
    .await
}
