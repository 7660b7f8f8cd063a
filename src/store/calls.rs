//! Call lists: who to call, shared among callers, and every outcome. A caller claims one
//! person at a time with a conditional update, so two callers never hold the same person.

use chrono::{DateTime, Duration, Utc};
use sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::{
    CallListCallers, CallListPeople, CallLists, CallOutcomes, CallerAssignments, Memberships,
    Payments, People, Users,
};
use super::{Mode, Result, Tx};
use crate::domain::calls::{Outcome, State};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CallList {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub name: String,
    pub script: String,
    pub done_when: String,
    pub min_gap_hours: i32,
    pub created_by: String,
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            (CallLists::Table, CallLists::Id),
            (CallLists::Table, CallLists::PublicId),
            (CallLists::Table, CallLists::LocalPartyId),
            (CallLists::Table, CallLists::Name),
            (CallLists::Table, CallLists::Script),
            (CallLists::Table, CallLists::DoneWhen),
            (CallLists::Table, CallLists::MinGapHours),
            (CallLists::Table, CallLists::CreatedBy),
        ])
        .from(CallLists::Table)
        .to_owned()
}

/// What a new list is made of.
pub struct NewList<'a> {
    pub local_party_id: i64,
    pub name: &'a str,
    pub script: &'a str,
    pub done_when: &'a str,
    pub min_gap_hours: i32,
    pub by: &'a str,
    pub people: &'a [i64],
    pub callers: &'a [i64],
}

pub async fn create(tx: &mut Tx, new: &NewList<'_>) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    let (id,): (i64,) = tx
        .fetch_optional(
            &Query::insert()
                .into_table(CallLists::Table)
                .columns([
                    CallLists::PublicId,
                    CallLists::LocalPartyId,
                    CallLists::Name,
                    CallLists::Script,
                    CallLists::DoneWhen,
                    CallLists::MinGapHours,
                    CallLists::CreatedBy,
                    CallLists::CreatedAt,
                ])
                .values_panic([
                    public_id.clone().into(),
                    new.local_party_id.into(),
                    new.name.into(),
                    new.script.into(),
                    new.done_when.into(),
                    new.min_gap_hours.into(),
                    new.by.into(),
                    Utc::now().into(),
                ])
                .returning_col(CallLists::Id)
                .to_owned(),
        )
        .await?
        .ok_or_else(|| super::StoreError::Invalid("the call list was not stored".into()))?;
    for person in new.people {
        put_on(tx, id, *person).await?;
    }
    for user in new.callers {
        tx.execute(
            &Query::insert()
                .into_table(CallListCallers::Table)
                .columns([CallListCallers::CallListId, CallListCallers::UserId])
                .values_panic([id.into(), (*user).into()])
                .to_owned(),
        )
        .await?;
    }
    Ok(public_id)
}

async fn put_on(tx: &mut Tx, list_id: i64, person_id: i64) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(CallListPeople::Table)
            .columns([
                CallListPeople::CallListId,
                CallListPeople::PersonId,
                CallListPeople::State,
            ])
            .values_panic([
                list_id.into(),
                person_id.into(),
                State::Waiting.as_str().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Puts someone on a list, waiting to be called; whether they were not on it already.
pub async fn add_person(tx: &mut Tx, list_id: i64, person_id: i64) -> Result<bool> {
    let on: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(CallListPeople::PersonId)
                .from(CallListPeople::Table)
                .and_where(Expr::col(CallListPeople::CallListId).eq(list_id))
                .and_where(Expr::col(CallListPeople::PersonId).eq(person_id))
                .to_owned(),
        )
        .await?;
    if on.is_some() {
        return Ok(false);
    }
    put_on(tx, list_id, person_id).await?;
    Ok(true)
}

/// A local party's newest call list of this name, in any case.
pub async fn by_name(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    name: &str,
) -> Result<Option<CallList>> {
    let mut q = select();
    q.and_where(Expr::col((CallLists::Table, CallLists::LocalPartyId)).eq(local_party_id))
        .and_where(
            Expr::expr(sea_query::Func::lower(Expr::col((
                CallLists::Table,
                CallLists::Name,
            ))))
            .eq(name.to_lowercase()),
        )
        .order_by((CallLists::Table, CallLists::Id), Order::Desc)
        .limit(1);
    tx.fetch_optional(&q).await
}

/// Someone who calls on a list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Caller {
    pub user_id: i64,
    pub public_id: String,
    pub name: String,
}

/// A list's callers, by name.
pub async fn callers(tx: &mut Tx<impl Mode>, list_id: i64) -> Result<Vec<Caller>> {
    tx.fetch_all(
        &Query::select()
            .expr_as(Expr::col((Users::Table, Users::Id)), Alias::new("user_id"))
            .column((Users::Table, Users::PublicId))
            .column((Users::Table, Users::Name))
            .from(CallListCallers::Table)
            .inner_join(
                Users::Table,
                Expr::col((Users::Table, Users::Id))
                    .equals((CallListCallers::Table, CallListCallers::UserId)),
            )
            .and_where(Expr::col((CallListCallers::Table, CallListCallers::CallListId)).eq(list_id))
            .order_by((Users::Table, Users::Name), Order::Asc)
            .to_owned(),
    )
    .await
}

/// Gives a list to one more caller; false if they call on it already.
pub async fn add_caller(tx: &mut Tx, list_id: i64, user_id: i64) -> Result<bool> {
    if is_caller(tx, list_id, user_id).await? {
        return Ok(false);
    }
    tx.execute(
        &Query::insert()
            .into_table(CallListCallers::Table)
            .columns([CallListCallers::CallListId, CallListCallers::UserId])
            .values_panic([list_id.into(), user_id.into()])
            .to_owned(),
    )
    .await?;
    Ok(true)
}

/// Takes a list from a caller: lets go of anyone they held on it, so another caller can
/// have them at once, and stops sharing its people with them, unless another list they
/// still call on has them too.
pub async fn remove_caller(tx: &mut Tx, list_id: i64, user_id: i64) -> Result<()> {
    tx.execute(
        &Query::delete()
            .from_table(CallListCallers::Table)
            .and_where(Expr::col(CallListCallers::CallListId).eq(list_id))
            .and_where(Expr::col(CallListCallers::UserId).eq(user_id))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::update()
            .table(CallListPeople::Table)
            .value(CallListPeople::ClaimedBy, Option::<i64>::None)
            .value(CallListPeople::ClaimedUntil, Option::<DateTime<Utc>>::None)
            .and_where(Expr::col(CallListPeople::CallListId).eq(list_id))
            .and_where(Expr::col(CallListPeople::ClaimedBy).eq(user_id))
            .to_owned(),
    )
    .await?;
    let on_this_list = Query::select()
        .column(CallListPeople::PersonId)
        .from(CallListPeople::Table)
        .and_where(Expr::col(CallListPeople::CallListId).eq(list_id))
        .to_owned();
    let still_called = Query::select()
        .column((CallListPeople::Table, CallListPeople::PersonId))
        .from(CallListPeople::Table)
        .inner_join(
            CallListCallers::Table,
            Expr::col((CallListCallers::Table, CallListCallers::CallListId))
                .equals((CallListPeople::Table, CallListPeople::CallListId)),
        )
        .and_where(Expr::col((CallListCallers::Table, CallListCallers::UserId)).eq(user_id))
        .to_owned();
    tx.execute(
        &Query::delete()
            .from_table(CallerAssignments::Table)
            .and_where(Expr::col(CallerAssignments::UserId).eq(user_id))
            .and_where(Expr::col(CallerAssignments::PersonId).in_subquery(on_this_list))
            .and_where(Expr::col(CallerAssignments::PersonId).not_in_subquery(still_called))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Everyone on a list, by internal id.
pub async fn person_ids(tx: &mut Tx<impl Mode>, list_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            &Query::select()
                .column(CallListPeople::PersonId)
                .from(CallListPeople::Table)
                .and_where(Expr::col(CallListPeople::CallListId).eq(list_id))
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Someone on a list, where they are on it, and the calls made to them from it.
#[derive(Debug, Clone)]
pub struct OnList {
    pub person_id: i64,
    pub public_id: String,
    pub first_name: String,
    pub last_name: String,
    /// A `State` code.
    pub state: String,
    pub needs_officer: bool,
    /// `Outcome` codes of the calls made from this list, oldest first.
    pub outcomes: Vec<String>,
}

/// Everyone on a list, by name, with the outcomes of its calls to them.
pub async fn people(tx: &mut Tx<impl Mode>, list_id: i64) -> Result<Vec<OnList>> {
    type Row = (i64, String, String, String, String, bool);
    let rows: Vec<Row> = tx
        .fetch_all(
            &Query::select()
                .column((People::Table, People::Id))
                .column((People::Table, People::PublicId))
                .column((People::Table, People::FirstName))
                .column((People::Table, People::LastName))
                .column((CallListPeople::Table, CallListPeople::State))
                .column((CallListPeople::Table, CallListPeople::NeedsOfficer))
                .from(CallListPeople::Table)
                .inner_join(
                    People::Table,
                    Expr::col((People::Table, People::Id))
                        .equals((CallListPeople::Table, CallListPeople::PersonId)),
                )
                .and_where(
                    Expr::col((CallListPeople::Table, CallListPeople::CallListId)).eq(list_id),
                )
                .order_by((People::Table, People::LastName), Order::Asc)
                .order_by((People::Table, People::FirstName), Order::Asc)
                .to_owned(),
        )
        .await?;
    let calls: Vec<(i64, String)> = tx
        .fetch_all(
            &Query::select()
                .columns([CallOutcomes::PersonId, CallOutcomes::Outcome])
                .from(CallOutcomes::Table)
                .and_where(Expr::col(CallOutcomes::CallListId).eq(list_id))
                .order_by(CallOutcomes::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    let mut made: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (person, outcome) in calls {
        made.entry(person).or_default().push(outcome);
    }
    Ok(rows
        .into_iter()
        .map(
            |(person_id, public_id, first_name, last_name, state, needs_officer)| OnList {
                outcomes: made.remove(&person_id).unwrap_or_default(),
                person_id,
                public_id,
                first_name,
                last_name,
                state,
                needs_officer,
            },
        )
        .collect())
}

/// The lists a user organises (every list of local parties they see whole, and those they
/// made) or calls for, newest first.
pub async fn lists_for(
    tx: &mut Tx<impl Mode>,
    organiser_of: &[i64],
    made_by: &str,
    user_id: i64,
) -> Result<Vec<CallList>> {
    let mut q = select();
    q.cond_where(
        Cond::any()
            .add(
                Expr::col((CallLists::Table, CallLists::LocalPartyId))
                    .is_in(organiser_of.iter().copied()),
            )
            .add(Expr::col((CallLists::Table, CallLists::CreatedBy)).eq(made_by))
            .add(
                Expr::col((CallLists::Table, CallLists::Id)).in_subquery(
                    Query::select()
                        .column(CallListCallers::CallListId)
                        .from(CallListCallers::Table)
                        .and_where(Expr::col(CallListCallers::UserId).eq(user_id))
                        .to_owned(),
                ),
            ),
    )
    .order_by((CallLists::Table, CallLists::Id), Order::Desc);
    tx.fetch_all(&q).await
}

pub async fn get(tx: &mut Tx<impl Mode>, public_id: &str) -> Result<Option<CallList>> {
    let mut q = select();
    q.and_where(Expr::col((CallLists::Table, CallLists::PublicId)).eq(public_id));
    tx.fetch_optional(&q).await
}

pub async fn is_caller(tx: &mut Tx<impl Mode>, list_id: i64, user_id: i64) -> Result<bool> {
    let found: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(CallListCallers::UserId)
                .from(CallListCallers::Table)
                .and_where(Expr::col(CallListCallers::CallListId).eq(list_id))
                .and_where(Expr::col(CallListCallers::UserId).eq(user_id))
                .to_owned(),
        )
        .await?;
    Ok(found.is_some())
}

fn row(list_id: i64, person_id: i64) -> Cond {
    Cond::all()
        .add(Expr::col(CallListPeople::CallListId).eq(list_id))
        .add(Expr::col(CallListPeople::PersonId).eq(person_id))
}

fn claimable(now: DateTime<Utc>) -> Cond {
    Cond::all()
        .add(Expr::col(CallListPeople::State).eq(State::Waiting.as_str()))
        .add(
            Cond::any()
                .add(Expr::col(CallListPeople::ClaimedBy).is_null())
                .add(Expr::col(CallListPeople::ClaimedUntil).lt(now)),
        )
}

/// The person `user_id` holds on this list now, if any.
pub async fn held(
    tx: &mut Tx<impl Mode>,
    list_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let found: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(CallListPeople::PersonId)
                .from(CallListPeople::Table)
                .and_where(Expr::col(CallListPeople::CallListId).eq(list_id))
                .and_where(Expr::col(CallListPeople::ClaimedBy).eq(user_id))
                .and_where(Expr::col(CallListPeople::ClaimedUntil).gte(now))
                .and_where(Expr::col(CallListPeople::State).eq(State::Waiting.as_str()))
                .to_owned(),
        )
        .await?;
    Ok(found.map(|(p,)| p))
}

/// Gives `user_id` the next person to call for `hold`, or the one they hold already.
/// People called within the list's shortest gap wait. `None`: nobody is due.
pub async fn claim_next(
    tx: &mut Tx,
    list: &CallList,
    user_id: i64,
    now: DateTime<Utc>,
    hold: Duration,
) -> Result<Option<i64>> {
    if let Some(p) = held(tx, list.id, user_id, now).await? {
        return Ok(Some(p));
    }
    let rested = now - Duration::hours(i64::from(list.min_gap_hours));
    let candidates: Vec<(i64,)> = tx
        .fetch_all(
            &Query::select()
                .column(CallListPeople::PersonId)
                .from(CallListPeople::Table)
                .and_where(Expr::col(CallListPeople::CallListId).eq(list.id))
                .cond_where(claimable(now))
                .cond_where(
                    Cond::any()
                        .add(Expr::col(CallListPeople::LastAttemptAt).is_null())
                        .add(Expr::col(CallListPeople::LastAttemptAt).lte(rested)),
                )
                .order_by(CallListPeople::PersonId, Order::Asc)
                .limit(20)
                .to_owned(),
        )
        .await?;
    for (person,) in candidates {
        // Only one of two callers racing for the same person matches this update.
        let n = tx
            .execute(
                &Query::update()
                    .table(CallListPeople::Table)
                    .value(CallListPeople::ClaimedBy, user_id)
                    .value(CallListPeople::ClaimedUntil, now + hold)
                    .cond_where(row(list.id, person))
                    .cond_where(claimable(now))
                    .to_owned(),
            )
            .await?;
        if n == 1 {
            return Ok(Some(person));
        }
    }
    Ok(None)
}

/// Records an outcome for a person the caller holds, moves them on the list, and lets
/// them go. False if the caller does not hold them (nothing is written).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut Tx,
    list_id: i64,
    person_id: i64,
    user_id: i64,
    outcome: Outcome,
    notes: Option<&str>,
    needs_officer: bool,
    state: State,
) -> Result<bool> {
    let now = Utc::now();
    let n = tx
        .execute(
            &Query::update()
                .table(CallListPeople::Table)
                .value(CallListPeople::State, state.as_str())
                .value(CallListPeople::LastAttemptAt, now)
                .value(CallListPeople::ClaimedBy, Option::<i64>::None)
                .value(CallListPeople::ClaimedUntil, Option::<DateTime<Utc>>::None)
                .value(
                    CallListPeople::NeedsOfficer,
                    Expr::col(CallListPeople::NeedsOfficer).or(Expr::val(needs_officer)),
                )
                .cond_where(row(list_id, person_id))
                .and_where(Expr::col(CallListPeople::ClaimedBy).eq(user_id))
                .and_where(Expr::col(CallListPeople::ClaimedUntil).gte(now))
                .to_owned(),
        )
        .await?;
    if n != 1 {
        return Ok(false);
    }
    tx.execute(
        &Query::insert()
            .into_table(CallOutcomes::Table)
            .columns([
                CallOutcomes::CallListId,
                CallOutcomes::PersonId,
                CallOutcomes::UserId,
                CallOutcomes::Outcome,
                CallOutcomes::Notes,
                CallOutcomes::NeedsOfficer,
                CallOutcomes::At,
            ])
            .values_panic([
                list_id.into(),
                person_id.into(),
                user_id.into(),
                outcome.as_str().into(),
                notes.map(str::to_string).into(),
                needs_officer.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    if outcome == Outcome::DoNotCall {
        // Asked not to be called: withdrawn phone consent is respected by every list.
        tx.execute(
            &Query::update()
                .table(People::Table)
                .value(People::PhoneConsent, false)
                .value(
                    People::PhoneConsentSource,
                    "asked not to be called again, on a call",
                )
                .value(People::PhoneConsentAt, now)
                .and_where(Expr::col(People::Id).eq(person_id))
                .to_owned(),
        )
        .await?;
    }
    Ok(true)
}

/// How far a list's callers have got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub waiting: i64,
    pub done: i64,
    /// People not to call after all (asked not to be, or no longer reachable).
    pub blocked: i64,
}

/// The progress of each of these lists (by internal id), counted in one query.
pub async fn progress_of(
    tx: &mut Tx<impl Mode>,
    list_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Progress>> {
    let mut out: std::collections::HashMap<i64, Progress> = list_ids
        .iter()
        .map(|id| (*id, Progress::default()))
        .collect();
    if list_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, String, i64)> = tx
        .fetch_all(
            &Query::select()
                .columns([CallListPeople::CallListId, CallListPeople::State])
                .expr(Expr::col(CallListPeople::PersonId).count())
                .from(CallListPeople::Table)
                .and_where(Expr::col(CallListPeople::CallListId).is_in(list_ids.iter().copied()))
                .group_by_col(CallListPeople::CallListId)
                .group_by_col(CallListPeople::State)
                .to_owned(),
        )
        .await?;
    for (list, state, n) in rows {
        let p = out.entry(list).or_default();
        match State::parse(&state) {
            Some(State::Waiting) => p.waiting = n,
            Some(State::Done) => p.done = n,
            Some(State::Blocked) => p.blocked = n,
            None => {}
        }
    }
    Ok(out)
}

/// One list's progress.
pub async fn progress(tx: &mut Tx<impl Mode>, list_id: i64) -> Result<Progress> {
    Ok(progress_of(tx, &[list_id])
        .await?
        .remove(&list_id)
        .unwrap_or_default())
}

/// Clears the "needs an officer" flag on a person, on every list: an officer has dealt
/// with it.
pub async fn unflag(tx: &mut Tx, person_id: i64) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(CallListPeople::Table)
            .value(CallListPeople::NeedsOfficer, false)
            .and_where(Expr::col(CallListPeople::PersonId).eq(person_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// One call made to a person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallNote {
    pub at: DateTime<Utc>,
    /// An `Outcome` code.
    pub outcome: String,
    pub notes: Option<String>,
    /// The caller's name.
    pub caller: String,
    pub needs_officer: bool,
}

/// Every call made to a person, oldest first.
pub async fn outcomes_for(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<CallNote>> {
    tx.fetch_all(
        &Query::select()
            .column((CallOutcomes::Table, CallOutcomes::At))
            .column((CallOutcomes::Table, CallOutcomes::Outcome))
            .column((CallOutcomes::Table, CallOutcomes::Notes))
            .expr_as(Expr::col((Users::Table, Users::Name)), Alias::new("caller"))
            .column((CallOutcomes::Table, CallOutcomes::NeedsOfficer))
            .from(CallOutcomes::Table)
            .inner_join(
                Users::Table,
                Expr::col((Users::Table, Users::Id))
                    .equals((CallOutcomes::Table, CallOutcomes::UserId)),
            )
            .and_where(Expr::col((CallOutcomes::Table, CallOutcomes::PersonId)).eq(person_id))
            .order_by((CallOutcomes::Table, CallOutcomes::Id), Order::Asc)
            .to_owned(),
    )
    .await
}

/// Calls made to these people (public ids) since `since`: each person with each
/// `Outcome` code recorded for them, once.
pub async fn outcomes_since(
    tx: &mut Tx<impl Mode>,
    public_ids: &[String],
    since: DateTime<Utc>,
) -> Result<Vec<(String, String)>> {
    if public_ids.is_empty() {
        return Ok(Vec::new());
    }
    tx.fetch_all(
        &Query::select()
            .distinct()
            .column((People::Table, People::PublicId))
            .column((CallOutcomes::Table, CallOutcomes::Outcome))
            .from(CallOutcomes::Table)
            .inner_join(
                People::Table,
                Expr::col((People::Table, People::Id))
                    .equals((CallOutcomes::Table, CallOutcomes::PersonId)),
            )
            .and_where(
                Expr::col((People::Table, People::PublicId))
                    .is_in(public_ids.iter().map(String::as_str)),
            )
            .and_where(Expr::col((CallOutcomes::Table, CallOutcomes::At)).gte(since))
            .to_owned(),
    )
    .await
}

/// Marks a person done without a call (they renewed meanwhile), releasing any claim.
pub async fn settle(tx: &mut Tx, list_id: i64, person_id: i64) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(CallListPeople::Table)
            .value(CallListPeople::State, State::Done.as_str())
            .value(CallListPeople::ClaimedBy, Option::<i64>::None)
            .value(CallListPeople::ClaimedUntil, Option::<DateTime<Utc>>::None)
            .cond_where(row(list_id, person_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Of the people of these local parties called since `since`: how many, and how many have
/// had a payment recorded after a call (arrears recovered by calling).
pub async fn called_and_paid(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    since: DateTime<Utc>,
) -> Result<(i64, i64)> {
    let called = |paid: bool| {
        let mut q = Query::select();
        q.expr(Expr::col((CallOutcomes::Table, CallOutcomes::PersonId)).count_distinct())
            .from(CallOutcomes::Table)
            .inner_join(
                Memberships::Table,
                Expr::col((Memberships::Table, Memberships::PersonId))
                    .equals((CallOutcomes::Table, CallOutcomes::PersonId)),
            )
            .and_where(
                Expr::col((Memberships::Table, Memberships::LocalPartyId))
                    .is_in(parties.iter().copied()),
            )
            .and_where(Expr::col((CallOutcomes::Table, CallOutcomes::At)).gte(since));
        if paid {
            q.and_where(Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(Payments::Table)
                    .and_where(
                        Expr::col((Payments::Table, Payments::MembershipId))
                            .equals((Memberships::Table, Memberships::Id)),
                    )
                    .and_where(
                        Expr::col((Payments::Table, Payments::RecordedAt))
                            .gte(Expr::col((CallOutcomes::Table, CallOutcomes::At))),
                    )
                    .to_owned(),
            ));
        }
        q
    };
    let (n,): (i64,) = tx.fetch_optional(&called(false)).await?.unwrap_or((0,));
    let (paid,): (i64,) = tx.fetch_optional(&called(true)).await?.unwrap_or((0,));
    Ok((n, paid))
}
