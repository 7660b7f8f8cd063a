//! The job queue's table. A job is claimed by one conditional update (on PostgreSQL its
//! candidate row is locked with `FOR UPDATE SKIP LOCKED`, so two workers never wait on or
//! take the same row; on SQLite the update runs under the database's single write lock),
//! so each claim goes to exactly one worker. A claim is a lease: a job whose worker died
//! is claimed again once its lease runs out, so job handlers must be safe to repeat.

use chrono::{DateTime, Duration, Utc};
use sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Order, Query};

use super::schema::Jobs;
use super::{Mode, Result, Tx};

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    /// JSON, read by the job's handler.
    pub payload: String,
    /// While a job with this key is queued or running, another with the same key is not
    /// added.
    pub unique_key: Option<&'a str>,
    pub run_at: DateTime<Utc>,
    pub max_attempts: i32,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub unique_key: Option<String>,
    /// Counting this one.
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Queues `job` in the caller's transaction. False when a job with its unique key is
/// already waiting or running.
pub async fn enqueue(tx: &mut Tx, job: &NewJob<'_>) -> Result<bool> {
    let n = tx
        .execute(
            &Query::insert()
                .into_table(Jobs::Table)
                .columns([
                    Jobs::Kind,
                    Jobs::Payload,
                    Jobs::UniqueKey,
                    Jobs::State,
                    Jobs::RunAt,
                    Jobs::Attempts,
                    Jobs::MaxAttempts,
                    Jobs::CreatedAt,
                ])
                .values_panic([
                    job.kind.into(),
                    job.payload.clone().into(),
                    job.unique_key.map(str::to_string).into(),
                    "queued".into(),
                    job.run_at.into(),
                    0.into(),
                    Ord::max(job.max_attempts, 1).into(),
                    Utc::now().into(),
                ])
                .on_conflict(OnConflict::column(Jobs::UniqueKey).do_nothing().to_owned())
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Claims the job that has waited longest among those due at `now` (or whose worker's
/// lease ran out), for `worker`, until `now + lease`.
pub async fn claim(
    tx: &mut Tx<impl Mode>,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<Job>> {
    let due = || {
        Expr::col(Jobs::State)
            .eq("queued")
            .and(Expr::col(Jobs::RunAt).lte(now))
            .or(Expr::col(Jobs::State)
                .eq("running")
                .and(Expr::col(Jobs::LockedUntil).lt(now)))
    };
    let candidate = Query::select()
        .column(Jobs::Id)
        .from(Jobs::Table)
        .and_where(due())
        .order_by(Jobs::RunAt, Order::Asc)
        .order_by(Jobs::Id, Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    tx.fetch_optional(
        &Query::update()
            .table(Jobs::Table)
            .value(Jobs::State, "running")
            .value(Jobs::Attempts, Expr::col(Jobs::Attempts).add(1))
            .value(Jobs::LockedBy, worker)
            .value(Jobs::LockedUntil, now + lease)
            // `=` a scalar subquery, which PostgreSQL evaluates once; under `IN` it may run
            // the locking subquery again for each row and claim many jobs at once.
            .and_where(Expr::col(Jobs::Id).eq(Expr::from(candidate)))
            // Checked again on the row itself: a candidate read before another claim
            // committed is no longer due.
            .and_where(due())
            .returning(Query::returning().columns([
                Jobs::Id,
                Jobs::Kind,
                Jobs::Payload,
                Jobs::UniqueKey,
                Jobs::Attempts,
                Jobs::MaxAttempts,
            ]))
            .to_owned(),
    )
    .await
}

/// What becomes of a job its worker has finished with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished for good; its unique key is free again.
    Done,
    /// Failed for good, with the error.
    Failed(String),
    /// Queued again for `at` (a retry, or the next run of a recurring job), with the
    /// error if it failed; a recurring job starts its attempts afresh.
    Again {
        at: DateTime<Utc>,
        error: Option<String>,
        fresh: bool,
    },
}

/// Records `outcome` for a job `worker` holds. False if the worker's lease had run out and
/// the job was claimed by another since.
pub async fn finish(tx: &mut Tx, id: i64, worker: &str, outcome: &Outcome) -> Result<bool> {
    let mut q = Query::update();
    q.table(Jobs::Table)
        .value(Jobs::LockedBy, Option::<String>::None)
        .value(Jobs::LockedUntil, Option::<DateTime<Utc>>::None)
        .and_where(Expr::col(Jobs::Id).eq(id))
        .and_where(Expr::col(Jobs::State).eq("running"))
        .and_where(Expr::col(Jobs::LockedBy).eq(worker));
    match outcome {
        Outcome::Done | Outcome::Failed(_) => {
            let (state, error) = match outcome {
                Outcome::Failed(e) => ("failed", Some(e.clone())),
                _ => ("done", None),
            };
            q.value(Jobs::State, state)
                .value(Jobs::LastError, error)
                .value(Jobs::UniqueKey, Option::<String>::None)
                .value(Jobs::FinishedAt, Utc::now());
        }
        Outcome::Again { at, error, fresh } => {
            q.value(Jobs::State, "queued")
                .value(Jobs::RunAt, *at)
                .value(Jobs::LastError, error.clone());
            if *fresh {
                q.value(Jobs::Attempts, 0);
            }
        }
    }
    Ok(tx.execute(&q).await? == 1)
}

/// One job as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// Jobs of `kind`, oldest first.
pub async fn of_kind(tx: &mut Tx<impl Mode>, kind: &str) -> Result<Vec<Listed>> {
    tx.fetch_all(
        &Query::select()
            .columns([
                Jobs::Id,
                Jobs::Kind,
                Jobs::State,
                Jobs::Attempts,
                Jobs::RunAt,
                Jobs::LastError,
            ])
            .from(Jobs::Table)
            .and_where(Expr::col(Jobs::Kind).eq(kind))
            .order_by(Jobs::Id, Order::Asc)
            .to_owned(),
    )
    .await
}
