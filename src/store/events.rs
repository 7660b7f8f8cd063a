//! Events and the people at each: who signed up, who is waiting, who came.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::{EventPeople, Events, People, Units};
use super::{Mode, Result, StoreError, Tx};

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub unit_id: i64,
    pub unit_slug: String,
    pub unit_name: String,
    pub kind: String,
    pub title: String,
    pub description: Option<String>,
    pub place: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub capacity: Option<i32>,
    pub audience: String,
    pub vote_right: Option<String>,
    pub freeze_date: Option<NaiveDate>,
    pub contact: Option<String>,
    pub remind_hours: i32,
    pub sequence: i32,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Stored {
    /// The time zone its times were written in (the default if the name is unknown).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.time_zone
            .parse()
            .unwrap_or(crate::domain::events::DEFAULT_TIME_ZONE)
    }
}

/// An event to store.
pub struct New<'a> {
    pub local_party_id: i64,
    pub unit_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub place: Option<&'a str>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: &'a str,
    pub capacity: Option<i32>,
    pub audience: &'a str,
    pub vote_right: Option<&'a str>,
    pub freeze_date: Option<NaiveDate>,
    pub contact: Option<&'a str>,
    pub remind_hours: i32,
    pub created_by: &'a str,
}

/// Stores an event; returns its public id.
pub async fn create(tx: &mut Tx, e: &New<'_>) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    let now = Utc::now();
    tx.execute(
        &Query::insert()
            .into_table(Events::Table)
            .columns([
                Events::PublicId,
                Events::LocalPartyId,
                Events::UnitId,
                Events::Kind,
                Events::Title,
                Events::Description,
                Events::Place,
                Events::StartsAt,
                Events::EndsAt,
                Events::TimeZone,
                Events::Capacity,
                Events::Audience,
                Events::VoteRight,
                Events::FreezeDate,
                Events::Contact,
                Events::RemindHours,
                Events::CreatedBy,
                Events::CreatedAt,
                Events::UpdatedAt,
            ])
            .values_panic([
                public_id.clone().into(),
                e.local_party_id.into(),
                e.unit_id.into(),
                e.kind.into(),
                e.title.into(),
                e.description.into(),
                e.place.into(),
                e.starts_at.into(),
                e.ends_at.into(),
                e.time_zone.into(),
                e.capacity.into(),
                e.audience.into(),
                e.vote_right.into(),
                e.freeze_date.into(),
                e.contact.into(),
                e.remind_hours.into(),
                e.created_by.into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns(
            [
                Events::Id,
                Events::PublicId,
                Events::LocalPartyId,
                Events::UnitId,
                Events::Kind,
                Events::Title,
                Events::Description,
                Events::Place,
                Events::StartsAt,
                Events::EndsAt,
                Events::TimeZone,
                Events::Capacity,
                Events::Audience,
                Events::VoteRight,
                Events::FreezeDate,
                Events::Contact,
                Events::RemindHours,
                Events::Sequence,
                Events::CancelledAt,
                Events::UpdatedAt,
            ]
            .map(|c| (Events::Table, c)),
        )
        .expr_as(
            Expr::col((Units::Table, Units::Slug)),
            Alias::new("unit_slug"),
        )
        .expr_as(
            Expr::col((Units::Table, Units::Name)),
            Alias::new("unit_name"),
        )
        .from(Events::Table)
        .inner_join(
            Units::Table,
            Expr::col((Units::Table, Units::Id)).equals((Events::Table, Events::UnitId)),
        )
        .to_owned()
}

/// Changes an event to `e` (all but who made it), bumping its sequence so calendars
/// that hold it take the new version.
pub async fn update(tx: &mut Tx, id: i64, e: &New<'_>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Events::Table)
            .value(Events::UnitId, e.unit_id)
            .value(Events::Kind, e.kind)
            .value(Events::Title, e.title)
            .value(Events::Description, e.description)
            .value(Events::Place, e.place)
            .value(Events::StartsAt, e.starts_at)
            .value(Events::EndsAt, e.ends_at)
            .value(Events::TimeZone, e.time_zone)
            .value(Events::Capacity, e.capacity)
            .value(Events::Audience, e.audience)
            .value(Events::VoteRight, e.vote_right)
            .value(Events::FreezeDate, e.freeze_date)
            .value(Events::Contact, e.contact)
            .value(Events::RemindHours, e.remind_hours)
            .value(Events::Sequence, Expr::col(Events::Sequence).add(1))
            .value(Events::UpdatedAt, Utc::now())
            .and_where(Expr::col(Events::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Marks an event cancelled (a new sequence, so calendars show it cancelled). False if
/// it already was.
pub async fn cancel(tx: &mut Tx, id: i64, at: DateTime<Utc>) -> Result<bool> {
    let n = tx
        .execute(
            &Query::update()
                .table(Events::Table)
                .value(Events::CancelledAt, at)
                .value(Events::Sequence, Expr::col(Events::Sequence).add(1))
                .value(Events::UpdatedAt, at)
                .and_where(Expr::col(Events::Id).eq(id))
                .and_where(Expr::col(Events::CancelledAt).is_null())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Any event by public id, whoever asks: for its public page, which decides what to show.
pub async fn by_public_id(tx: &mut Tx<impl Mode>, public_id: &str) -> Result<Option<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Events::Table, Events::PublicId)).eq(public_id));
    tx.fetch_optional(&q).await
}

/// The events of `parties` that start in `[from, to)`, in order: a month's view.
pub async fn between(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Events::Table, Events::LocalPartyId)).is_in(parties.iter().copied()))
        .and_where(Expr::col((Events::Table, Events::StartsAt)).gte(from))
        .and_where(Expr::col((Events::Table, Events::StartsAt)).lt(to))
        .order_by((Events::Table, Events::StartsAt), Order::Asc)
        .order_by((Events::Table, Events::Id), Order::Asc)
        .limit(1_000);
    tx.fetch_all(&q).await
}

/// An event of one of `parties`, by public id.
pub async fn get(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    public_id: &str,
) -> Result<Option<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Events::Table, Events::PublicId)).eq(public_id))
        .and_where(Expr::col((Events::Table, Events::LocalPartyId)).is_in(parties.iter().copied()));
    tx.fetch_optional(&q).await
}

/// The events of `parties` (of one unit of them, if `unit` says), from `from` on (or
/// before it, latest first, when `past`), after the event with id `after` in that order.
pub async fn list(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    unit: Option<i64>,
    from: DateTime<Utc>,
    past: bool,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<Stored>> {
    let mut q = select();
    let starts = Expr::col((Events::Table, Events::StartsAt));
    q.and_where(Expr::col((Events::Table, Events::LocalPartyId)).is_in(parties.iter().copied()));
    if let Some(unit) = unit {
        q.and_where(Expr::col((Events::Table, Events::UnitId)).eq(unit));
    }
    let (order, cmp_from) = if past {
        (Order::Desc, starts.clone().lt(from))
    } else {
        (Order::Asc, starts.clone().gte(from))
    };
    q.and_where(cmp_from);
    if let Some((at, id)) = after {
        let id_col = Expr::col((Events::Table, Events::Id));
        q.and_where(if past {
            starts
                .clone()
                .lt(at)
                .or(starts.clone().eq(at).and(id_col.lt(id)))
        } else {
            starts
                .clone()
                .gt(at)
                .or(starts.clone().eq(at).and(id_col.gt(id)))
        });
    }
    q.order_by((Events::Table, Events::StartsAt), order.clone())
        .order_by((Events::Table, Events::Id), order)
        .limit(limit);
    tx.fetch_all(&q).await
}

/// The public events of these units that end after `since`, soonest first.
pub async fn public_of(
    tx: &mut Tx<impl Mode>,
    unit_ids: &[i64],
    since: DateTime<Utc>,
) -> Result<Vec<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Events::Table, Events::UnitId)).is_in(unit_ids.iter().copied()))
        .and_where(Expr::col((Events::Table, Events::Audience)).eq("public"))
        .and_where(Expr::col((Events::Table, Events::EndsAt)).gte(since))
        .order_by((Events::Table, Events::StartsAt), Order::Asc)
        .limit(500);
    tx.fetch_all(&q).await
}

/// One person's place at an event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Place {
    pub person_id: i64,
    pub public_id: String,
    pub first_name: String,
    pub last_name: String,
    pub state: String,
    pub signed_up_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// Everyone with a place at an event, by name.
pub async fn people(tx: &mut Tx<impl Mode>, event_id: i64) -> Result<Vec<Place>> {
    tx.fetch_all(
        &Query::select()
            .expr_as(
                Expr::col((People::Table, People::Id)),
                Alias::new("person_id"),
            )
            .columns([
                (People::Table, People::PublicId),
                (People::Table, People::FirstName),
                (People::Table, People::LastName),
            ])
            .columns([
                (EventPeople::Table, EventPeople::State),
                (EventPeople::Table, EventPeople::SignedUpAt),
                (EventPeople::Table, EventPeople::CheckedInAt),
            ])
            .from(EventPeople::Table)
            .inner_join(
                People::Table,
                Expr::col((People::Table, People::Id))
                    .equals((EventPeople::Table, EventPeople::PersonId)),
            )
            .and_where(Expr::col((EventPeople::Table, EventPeople::EventId)).eq(event_id))
            .order_by((People::Table, People::LastName), Order::Asc)
            .order_by((People::Table, People::FirstName), Order::Asc)
            .to_owned(),
    )
    .await
}

/// A person's state at an event, if they have a place.
pub async fn state_of(
    tx: &mut Tx<impl Mode>,
    event_id: i64,
    person_id: i64,
) -> Result<Option<String>> {
    let row: Option<(String,)> = tx
        .fetch_optional(
            &Query::select()
                .column(EventPeople::State)
                .from(EventPeople::Table)
                .and_where(Expr::col(EventPeople::EventId).eq(event_id))
                .and_where(Expr::col(EventPeople::PersonId).eq(person_id))
                .to_owned(),
        )
        .await?;
    Ok(row.map(|(s,)| s))
}

/// How many hold a place (signed up or came) at an event.
pub async fn places_taken(tx: &mut Tx<impl Mode>, event_id: i64) -> Result<u32> {
    let (n,): (i64,) = tx
        .fetch_optional(
            &Query::select()
                .expr(Expr::col(EventPeople::Id).count())
                .from(EventPeople::Table)
                .and_where(Expr::col(EventPeople::EventId).eq(event_id))
                .and_where(Expr::col(EventPeople::State).is_in(["signed_up", "attended"]))
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    u32::try_from(n).map_err(|_| StoreError::Invalid(format!("{n} places")))
}

/// Gives a person a place (or changes the one they have) at an event; `source` says how
/// a new place came (`officer`, `public`, `invitation`, `stall`).
pub async fn set_state(
    tx: &mut Tx,
    event_id: i64,
    person_id: i64,
    state: &str,
    checked_in: Option<DateTime<Utc>>,
    source: &str,
) -> Result<()> {
    let changed = tx
        .execute(
            &Query::update()
                .table(EventPeople::Table)
                .value(EventPeople::State, state)
                .value(EventPeople::CheckedInAt, checked_in)
                .and_where(Expr::col(EventPeople::EventId).eq(event_id))
                .and_where(Expr::col(EventPeople::PersonId).eq(person_id))
                .to_owned(),
        )
        .await?;
    if changed == 0 {
        tx.execute(
            &Query::insert()
                .into_table(EventPeople::Table)
                .columns([
                    EventPeople::EventId,
                    EventPeople::PersonId,
                    EventPeople::State,
                    EventPeople::SignedUpAt,
                    EventPeople::CheckedInAt,
                    EventPeople::Source,
                ])
                .values_panic([
                    event_id.into(),
                    person_id.into(),
                    state.into(),
                    Utc::now().into(),
                    checked_in.into(),
                    source.into(),
                ])
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// How many events a person came to, other than `except`.
pub async fn attended_elsewhere(
    tx: &mut Tx<impl Mode>,
    person_id: i64,
    except: i64,
) -> Result<usize> {
    let (n,): (i64,) = tx
        .fetch_optional(
            &Query::select()
                .expr(Expr::col(EventPeople::Id).count())
                .from(EventPeople::Table)
                .and_where(Expr::col(EventPeople::PersonId).eq(person_id))
                .and_where(Expr::col(EventPeople::EventId).ne(except))
                .and_where(Expr::col(EventPeople::State).eq("attended"))
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    Ok(usize::try_from(n).unwrap_or(0))
}

/// How many are signed up and waiting at each of these events, by event id.
pub async fn sign_up_counts(
    tx: &mut Tx<impl Mode>,
    event_ids: &[i64],
) -> Result<std::collections::HashMap<i64, (i64, i64)>> {
    let rows: Vec<(i64, String, i64)> = tx
        .fetch_all(
            &Query::select()
                .column(EventPeople::EventId)
                .column(EventPeople::State)
                .expr(Expr::col(EventPeople::Id).count())
                .from(EventPeople::Table)
                .and_where(Expr::col(EventPeople::EventId).is_in(event_ids.iter().copied()))
                .and_where(Expr::col(EventPeople::State).is_in(["signed_up", "waiting"]))
                .group_by_col(EventPeople::EventId)
                .group_by_col(EventPeople::State)
                .to_owned(),
        )
        .await?;
    let mut out = std::collections::HashMap::new();
    for (event, state, n) in rows {
        let entry: &mut (i64, i64) = out.entry(event).or_default();
        if state == "waiting" {
            entry.1 = n;
        } else {
            entry.0 = n;
        }
    }
    Ok(out)
}

/// A person's places at events, latest first.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attended {
    pub public_id: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub state: String,
}

pub async fn of_person(
    tx: &mut Tx<impl Mode>,
    person_id: i64,
    limit: u64,
) -> Result<Vec<Attended>> {
    tx.fetch_all(
        &Query::select()
            .columns([
                (Events::Table, Events::PublicId),
                (Events::Table, Events::Title),
                (Events::Table, Events::StartsAt),
            ])
            .column((EventPeople::Table, EventPeople::State))
            .from(EventPeople::Table)
            .inner_join(
                Events::Table,
                Expr::col((Events::Table, Events::Id))
                    .equals((EventPeople::Table, EventPeople::EventId)),
            )
            .and_where(Expr::col((EventPeople::Table, EventPeople::PersonId)).eq(person_id))
            .order_by((Events::Table, Events::StartsAt), Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

/// Marks everyone still signed up as not having come; returns how many.
pub async fn mark_no_shows(tx: &mut Tx, event_id: i64) -> Result<u64> {
    tx.execute(
        &Query::update()
            .table(EventPeople::Table)
            .value(EventPeople::State, "no_show")
            .and_where(Expr::col(EventPeople::EventId).eq(event_id))
            .and_where(Expr::col(EventPeople::State).eq("signed_up"))
            .to_owned(),
    )
    .await
}

/// The person longest on an event's waiting list, if anyone is waiting.
pub async fn first_waiting(tx: &mut Tx<impl Mode>, event_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(EventPeople::PersonId)
                .from(EventPeople::Table)
                .and_where(Expr::col(EventPeople::EventId).eq(event_id))
                .and_where(Expr::col(EventPeople::State).eq("waiting"))
                .order_by(EventPeople::SignedUpAt, Order::Asc)
                .order_by(EventPeople::Id, Order::Asc)
                .limit(1)
                .to_owned(),
        )
        .await?;
    Ok(row.map(|(p,)| p))
}

/// Events not cancelled that start in `[from, to)`, for the reminder round.
pub async fn starting_between(
    tx: &mut Tx<impl Mode>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Events::Table, Events::StartsAt)).gte(from))
        .and_where(Expr::col((Events::Table, Events::StartsAt)).lt(to))
        .and_where(Expr::col((Events::Table, Events::CancelledAt)).is_null())
        .order_by((Events::Table, Events::StartsAt), Order::Asc);
    tx.fetch_all(&q).await
}

/// Someone with a place at an event whom a message about it may reach.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attendee {
    pub place_id: i64,
    pub person_id: i64,
    pub public_id: String,
    pub first_name: String,
    pub email: Option<String>,
    pub state: String,
}

/// The people with a place in one of `states` at an event; with `not_reminded_since`,
/// only those not reminded since then.
pub async fn attendees(
    tx: &mut Tx<impl Mode>,
    event_id: i64,
    states: &[&str],
    not_reminded_since: Option<DateTime<Utc>>,
) -> Result<Vec<Attendee>> {
    let mut q = Query::select()
        .expr_as(
            Expr::col((EventPeople::Table, EventPeople::Id)),
            Alias::new("place_id"),
        )
        .expr_as(
            Expr::col((People::Table, People::Id)),
            Alias::new("person_id"),
        )
        .columns([
            (People::Table, People::PublicId),
            (People::Table, People::FirstName),
            (People::Table, People::Email),
        ])
        .column((EventPeople::Table, EventPeople::State))
        .from(EventPeople::Table)
        .inner_join(
            People::Table,
            Expr::col((People::Table, People::Id))
                .equals((EventPeople::Table, EventPeople::PersonId)),
        )
        .and_where(Expr::col((EventPeople::Table, EventPeople::EventId)).eq(event_id))
        .and_where(
            Expr::col((EventPeople::Table, EventPeople::State)).is_in(states.iter().copied()),
        )
        .order_by((EventPeople::Table, EventPeople::Id), Order::Asc)
        .to_owned();
    if let Some(since) = not_reminded_since {
        q.and_where(not_reminded(since));
    }
    tx.fetch_all(&q).await
}

fn not_reminded(since: DateTime<Utc>) -> sea_query::SimpleExpr {
    let at = Expr::col((EventPeople::Table, EventPeople::RemindedAt));
    at.clone().is_null().or(at.lt(since))
}

/// Takes a place's reminder: true for exactly one caller however many workers ask, when
/// nobody has reminded them since `since`.
pub async fn claim_reminder(
    tx: &mut Tx,
    place_id: i64,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut q = Query::update()
        .table(EventPeople::Table)
        .value(EventPeople::RemindedAt, now)
        .and_where(Expr::col((EventPeople::Table, EventPeople::Id)).eq(place_id))
        .to_owned();
    if let Some(since) = since {
        q.and_where(not_reminded(since));
    }
    Ok(tx.execute(&q).await? == 1)
}

/// The people of a local party who came to an event of one of `kinds` that started in
/// `[since, until)`, each once.
pub async fn came_to_kinds(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    kinds: &[&str],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            &Query::select()
                .distinct()
                .column((EventPeople::Table, EventPeople::PersonId))
                .from(EventPeople::Table)
                .inner_join(
                    Events::Table,
                    Expr::col((Events::Table, Events::Id))
                        .equals((EventPeople::Table, EventPeople::EventId)),
                )
                .and_where(Expr::col((Events::Table, Events::LocalPartyId)).eq(local_party_id))
                .and_where(Expr::col((Events::Table, Events::Kind)).is_in(kinds.iter().copied()))
                .and_where(Expr::col((Events::Table, Events::StartsAt)).gte(since))
                .and_where(Expr::col((Events::Table, Events::StartsAt)).lt(until))
                .and_where(Expr::col((EventPeople::Table, EventPeople::State)).eq("attended"))
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}
