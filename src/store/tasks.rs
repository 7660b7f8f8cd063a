//! Follow-ups (call back, send a renewal link, update details, welcome one-to-one), each
//! for one person, with an assignee and a due date.

use chrono::{NaiveDate, Utc};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::{People, Tasks, Users};
use super::{Mode, Result, Tx};

/// What a new task is.
pub struct NewTask<'a> {
    pub local_party_id: i64,
    pub person_id: i64,
    pub kind: &'a str,
    pub assignee_id: i64,
    pub due_on: NaiveDate,
    pub notes: Option<&'a str>,
    pub by: &'a str,
}

pub async fn create(tx: &mut Tx, t: &NewTask<'_>) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    tx.execute(
        &Query::insert()
            .into_table(Tasks::Table)
            .columns([
                Tasks::PublicId,
                Tasks::LocalPartyId,
                Tasks::PersonId,
                Tasks::Kind,
                Tasks::AssigneeId,
                Tasks::DueOn,
                Tasks::Notes,
                Tasks::CreatedBy,
                Tasks::CreatedAt,
            ])
            .values_panic([
                public_id.clone().into(),
                t.local_party_id.into(),
                t.person_id.into(),
                t.kind.into(),
                t.assignee_id.into(),
                t.due_on.into(),
                t.notes.map(str::to_string).into(),
                t.by.into(),
                Utc::now().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

/// An open task with its person and assignee.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Open {
    pub public_id: String,
    pub person_id: i64,
    pub local_party_id: i64,
    pub kind: String,
    pub due_on: NaiveDate,
    pub notes: Option<String>,
    pub person_public_id: String,
    pub first_name: String,
    pub last_name: String,
    pub assignee: String,
}

fn open_tasks() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            (Tasks::Table, Tasks::PublicId),
            (Tasks::Table, Tasks::PersonId),
            (Tasks::Table, Tasks::LocalPartyId),
            (Tasks::Table, Tasks::Kind),
            (Tasks::Table, Tasks::DueOn),
            (Tasks::Table, Tasks::Notes),
        ])
        .expr_as(
            Expr::col((People::Table, People::PublicId)),
            Alias::new("person_public_id"),
        )
        .columns([
            (People::Table, People::FirstName),
            (People::Table, People::LastName),
        ])
        .expr_as(
            Expr::col((Users::Table, Users::Name)),
            Alias::new("assignee"),
        )
        .from(Tasks::Table)
        .inner_join(
            People::Table,
            Expr::col((People::Table, People::Id)).equals((Tasks::Table, Tasks::PersonId)),
        )
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Tasks::Table, Tasks::AssigneeId)),
        )
        .and_where(Expr::col((Tasks::Table, Tasks::DoneAt)).is_null())
        .order_by((Tasks::Table, Tasks::DueOn), Order::Asc)
        .to_owned()
}

/// A user's open tasks, soonest first.
pub async fn mine(tx: &mut Tx<impl Mode>, user_id: i64) -> Result<Vec<Open>> {
    let mut q = open_tasks();
    q.and_where(Expr::col((Tasks::Table, Tasks::AssigneeId)).eq(user_id));
    tx.fetch_all(&q).await
}

/// How many open tasks a user has.
pub async fn count_mine(tx: &mut Tx<impl Mode>, user_id: i64) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_optional(
            &Query::select()
                .expr(Expr::col(Tasks::Id).count())
                .from(Tasks::Table)
                .and_where(Expr::col(Tasks::AssigneeId).eq(user_id))
                .and_where(Expr::col(Tasks::DoneAt).is_null())
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    Ok(n)
}

/// A person's open tasks.
pub async fn for_person(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<Open>> {
    let mut q = open_tasks();
    q.and_where(Expr::col((Tasks::Table, Tasks::PersonId)).eq(person_id));
    tx.fetch_all(&q).await
}

/// Marks a task done, if it is the user's own; returns the person's internal id, local
/// party and the task's kind when it was.
pub async fn complete(
    tx: &mut Tx,
    public_id: &str,
    user_id: i64,
    closing_note: Option<&str>,
) -> Result<Option<(i64, i64, String)>> {
    let found: Option<(i64, i64, String)> = tx
        .fetch_optional(
            &Query::select()
                .columns([Tasks::PersonId, Tasks::LocalPartyId, Tasks::Kind])
                .from(Tasks::Table)
                .and_where(Expr::col(Tasks::PublicId).eq(public_id))
                .and_where(Expr::col(Tasks::AssigneeId).eq(user_id))
                .and_where(Expr::col(Tasks::DoneAt).is_null())
                .to_owned(),
        )
        .await?;
    if found.is_some() {
        let mut done = Query::update();
        done.table(Tasks::Table)
            .value(Tasks::DoneAt, Utc::now())
            .and_where(Expr::col(Tasks::PublicId).eq(public_id));
        if let Some(note) = closing_note {
            done.value(Tasks::ClosingNote, note);
        }
        tx.execute(&done).await?;
    }
    Ok(found)
}
