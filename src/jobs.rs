//! The job queue: everything scheduled or slow runs here, inside `rosette serve` and in
//! `rosette worker` processes, against one database. `store::jobs` hands each due job to
//! exactly one worker; this module decides what a job's result means (done, retried with
//! backoff, failed, or queued again for its next run) and runs Rosette's own kinds.
//!
//! A new kind of job: a name below, a branch in `Worker::handle`, and `jobs::enqueue`
//! from the code that has the work (in the same transaction as the change that causes it).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::future::Future;
use std::sync::Arc;

use crate::app::report::{self, ReportError};
use crate::domain::report::Period;
use crate::domain::{Rules, UnitKind};
use crate::mail::{self, Mailer};
use crate::store::jobs::{self as queue, Job, NewJob, Outcome};
use crate::store::{Db, StoreError, units};

/// Keeps every local party's Membership Action Report for its last completed period.
pub const KEEP_REPORTS: &str = "keep_reports";
/// Sends the outbox's due messages.
pub const DELIVER_MAIL: &str = "deliver_mail";

/// Sends members' emails: a round for every local party with one sending.
pub const SEND_EMAILS: &str = "send_emails";

/// Reads bounces from the mailbox `ROSETTE_IMAP_URL` names, when it names one.
pub const READ_BOUNCES: &str = "read_bounces";

/// Puts people in and out of forum branches by their rules as statuses and ages change.
pub const FORUM_RULES: &str = "forum_rules";

/// Reminds everyone signed up for an event, once each, when its reminder time comes.
pub const EVENT_REMINDERS: &str = "event_reminders";

/// Puts people on journeys as their triggers fire and takes each due step once.
pub const JOURNEYS: &str = "journeys";

/// Recurring jobs: each is one row, queued again for its next run when it finishes, under
/// a unique key so that however many servers start, there is one of each.
const RECURRING: &[(&str, i64)] = &[
    (KEEP_REPORTS, 600),
    (DELIVER_MAIL, 5),
    (SEND_EMAILS, 2),
    (READ_BOUNCES, 60),
    (FORUM_RULES, 3_600),
    (EVENT_REMINDERS, 60),
    (JOURNEYS, 60),
];

/// How long a worker holds a job before another may take it as abandoned, so a crashed
/// worker's jobs (sending members' email among them) resume within minutes. Longer than
/// jobs take (a national report round takes seconds; an email round is at most 2,000
/// messages), and safe when one does run over: report keeping stores under a unique key,
/// and mail is claimed per message, handed over only by the round that still holds it.
const LEASE_MINUTES: i64 = 3;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Mail(#[from] mail::MailError),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
    #[error(transparent)]
    Bounces(#[from] crate::bounces::BounceError),
    #[error("no worker knows jobs of kind '{0}'")]
    UnknownKind(String),
}

/// What a handler reports back: its result, and for a recurring job when to run next.
pub struct Ran {
    pub result: Result<(), String>,
    pub next: Option<DateTime<Utc>>,
}

/// What becomes of a job after an attempt. A recurring job always comes back for its next
/// run; a one-off is retried with backoff until its attempts run out.
pub fn outcome(job: &Job, ran: Ran, now: DateTime<Utc>) -> Outcome {
    match (ran.result, ran.next) {
        (Ok(()), None) => Outcome::Done,
        (result, Some(at)) => Outcome::Again {
            at,
            error: result.err(),
            fresh: true,
        },
        (Err(e), None) if job.attempts < job.max_attempts => Outcome::Again {
            at: now + mail::backoff(job.attempts),
            error: Some(e),
            fresh: false,
        },
        (Err(e), None) => Outcome::Failed(e),
    }
}

/// Queues a one-off job in the caller's transaction. False when a job with the same
/// unique key is still waiting or running.
pub async fn enqueue(
    tx: &mut crate::store::Tx,
    kind: &str,
    payload: &serde_json::Value,
    unique_key: Option<&str>,
    run_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    queue::enqueue(
        tx,
        &NewJob {
            kind,
            payload: payload.to_string(),
            unique_key,
            run_at,
            max_attempts: 8,
        },
    )
    .await
}

/// Claims one due job for `worker` and runs it with `handle`. False when nothing was due.
pub async fn run_one<F, Fut>(db: &Db, worker: &str, handle: F) -> Result<bool, StoreError>
where
    F: FnOnce(Job) -> Fut,
    Fut: Future<Output = Ran>,
{
    let mut tx = db.begin().await?;
    let job = queue::claim(
        &mut tx,
        worker,
        Utc::now(),
        Duration::minutes(LEASE_MINUTES),
    )
    .await?;
    tx.commit().await?;
    let Some(job) = job else {
        return Ok(false);
    };
    let ran = handle(job.clone()).await;
    if let Err(e) = &ran.result {
        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
    }
    let outcome = outcome(&job, ran, Utc::now());
    let mut tx = db.begin().await?;
    if !queue::finish(&mut tx, job.id, worker, &outcome).await? {
        tracing::warn!(job = job.id, kind = %job.kind, "job's lease ran out before it finished");
    }
    tx.commit().await?;
    Ok(true)
}

/// Rosette's own jobs, and what they need.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub rules: Arc<Rules>,
    pub mailer: Mailer,
    /// Where bounces arrive, if anywhere.
    pub bounces: Option<crate::bounces::Mailbox>,
    pub public_url: String,
    pub today: fn() -> NaiveDate,
    /// Names this worker in the jobs it holds (host and process).
    pub name: String,
}

impl Worker {
    /// Makes sure each recurring job exists (once, however many workers ask).
    pub async fn schedule(&self) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        for (kind, _) in RECURRING {
            queue::enqueue(
                &mut tx,
                &NewJob {
                    kind,
                    payload: "{}".into(),
                    unique_key: Some(kind),
                    run_at: Utc::now(),
                    max_attempts: 1,
                },
            )
            .await?;
        }
        tx.commit().await
    }

    async fn handle(&self, job: Job) -> Ran {
        let every = RECURRING
            .iter()
            .find(|(kind, _)| *kind == job.kind)
            .map(|(_, secs)| Duration::seconds(*secs));
        let result = match job.kind.as_str() {
            KEEP_REPORTS => {
                keep_due_reports(&self.db, &self.rules, &self.public_url, (self.today)())
                    .await
                    .map(|kept| {
                        if kept > 0 {
                            tracing::info!(reports = kept, "kept the period's action reports");
                        }
                    })
                    .map_err(JobError::from)
            }
            DELIVER_MAIL => mail::deliver_due(&self.db, &self.mailer)
                .await
                .map(|_| ())
                .map_err(JobError::from),
            SEND_EMAILS => crate::app::emails::deliver(
                &self.db,
                &self.mailer,
                &self.rules,
                &self.public_url,
                (self.today)(),
                Utc::now(),
            )
            .await
            .map(|round| {
                if round != crate::app::emails::Round::default() {
                    tracing::info!(?round, "sent members' emails");
                }
            })
            .map_err(JobError::from),
            READ_BOUNCES => match &self.bounces {
                Some(mailbox) => crate::bounces::read(&self.db, mailbox)
                    .await
                    .map(|read| {
                        if read.hard + read.soft > 0 {
                            tracing::info!(?read, "read bounces");
                        }
                    })
                    .map_err(JobError::from),
                None => Ok(()),
            },
            FORUM_RULES => follow_forum_rules(&self.db, &self.rules, (self.today)())
                .await
                .map(|(joined, left)| {
                    if joined + left > 0 {
                        tracing::info!(joined, left, "forum branches follow their rules");
                    }
                })
                .map_err(JobError::from),
            EVENT_REMINDERS => crate::app::signups::remind_due(&self.db, Utc::now())
                .await
                .map(|sent| {
                    if sent > 0 {
                        tracing::info!(sent, "event reminders queued");
                    }
                })
                .map_err(JobError::from),
            JOURNEYS => {
                crate::app::journeys::run_due(&self.db, &self.rules, (self.today)(), Utc::now())
                    .await
                    .map(|round| {
                        if round != crate::app::journeys::Round::default() {
                            tracing::info!(?round, "journeys moved on");
                        }
                    })
                    .map_err(JobError::from)
            }
            other => Err(JobError::UnknownKind(other.to_string())),
        };
        Ran {
            result: result.map_err(|e| e.to_string()),
            next: every.map(|d| Utc::now() + d),
        }
    }

    /// Runs jobs until the process stops, resting a second whenever none is due.
    pub async fn run(self) {
        if let Err(e) = self.schedule().await {
            tracing::error!(error = %e, "could not schedule the recurring jobs");
        }
        loop {
            let me = self.clone();
            match run_one(
                &self.db,
                &self.name,
                |job| async move { me.handle(job).await },
            )
            .await
            {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "the job queue could not be read"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

/// A worker's name: the host and the process, so an operator can tell who holds a job.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// Brings every local party's forum branches in line with their rules, a local party a
/// transaction. Returns how many joined and left in all.
pub async fn follow_forum_rules(
    db: &Db,
    rules: &Rules,
    today: NaiveDate,
) -> Result<(usize, usize), StoreError> {
    let mut tx = db.begin_read().await?;
    let parties: Vec<i64> = units::list(&mut tx)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::LocalParty.as_str())
        .map(|u| u.id)
        .collect();
    tx.commit().await?;
    let (mut joined, mut left) = (0, 0);
    for lp in parties {
        let mut tx = db.begin().await?;
        let (j, l) = crate::store::forums::follow_rules(&mut tx, rules, lp, None, today).await?;
        tx.commit().await?;
        joined += j;
        left += l;
    }
    Ok((joined, left))
}

/// Keeps the Membership Action Report of every local party for the last completed period,
/// where it is not kept yet. Returns how many this call kept.
pub async fn keep_due_reports(
    db: &Db,
    rules: &Rules,
    public_url: &str,
    today: NaiveDate,
) -> Result<usize, ReportError> {
    let mut tx = db.begin_read().await?;
    let parties: Vec<units::Unit> = units::list(&mut tx)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::LocalParty.as_str())
        .collect();
    let mut periods = Vec::new();
    for lp in &parties {
        let days = report::period_days(&mut tx, rules, lp.id).await?;
        periods.push(Period::last_completed(today, days));
    }
    tx.commit().await?;
    let mut kept = 0;
    for (lp, period) in parties.iter().zip(periods) {
        if report::keep(db, rules, lp, period, report::BY_SCHEDULE, public_url)
            .await?
            .is_some()
        {
            kept += 1;
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(attempts: i32, max_attempts: i32) -> Job {
        Job {
            id: 1,
            kind: "k".into(),
            payload: "{}".into(),
            unique_key: None,
            attempts,
            max_attempts,
        }
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap()
    }

    #[test]
    fn a_one_off_is_done_or_retried_with_backoff_until_its_attempts_run_out() {
        let ok = || Ran {
            result: Ok(()),
            next: None,
        };
        let err = || Ran {
            result: Err("boom".into()),
            next: None,
        };
        assert_eq!(outcome(&job(1, 3), ok(), at(0)), Outcome::Done);
        assert_eq!(
            outcome(&job(1, 3), err(), at(0)),
            Outcome::Again {
                at: at(1),
                error: Some("boom".into()),
                fresh: false
            }
        );
        assert_eq!(
            outcome(&job(2, 3), err(), at(0)),
            Outcome::Again {
                at: at(2),
                error: Some("boom".into()),
                fresh: false
            }
        );
        assert_eq!(
            outcome(&job(3, 3), err(), at(0)),
            Outcome::Failed("boom".into())
        );
    }

    #[test]
    fn a_recurring_job_comes_back_for_its_next_run_even_after_a_failure() {
        let next = at(10);
        for result in [Ok(()), Err("down".to_string())] {
            let error = result.clone().err();
            assert_eq!(
                outcome(
                    &job(1, 1),
                    Ran {
                        result,
                        next: Some(next)
                    },
                    at(0)
                ),
                Outcome::Again {
                    at: next,
                    error,
                    fresh: true
                }
            );
        }
    }
}
