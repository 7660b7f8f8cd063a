//! The job queue on both engines: two workers, each with its own connection pool as two
//! servers would have, share one database and every job runs exactly once; failures are
//! retried with backoff and then given up; a recurring job stays one row however many
//! workers schedule it; a job whose worker died is taken over once its lease runs out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use chrono::{Duration, Utc};
use common::TestDb;
use rosette::domain::Rules;
use rosette::jobs::{self, Ran, Worker};
use rosette::mail::Mailer;
use rosette::store::jobs as queue;
use rosette::store::{Db, migrate};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const JOBS: usize = 200;

async fn queue_numbered(db: &Db, n: usize) {
    let mut tx = db.begin().await.unwrap();
    for i in 0..n {
        assert!(
            jobs::enqueue(
                &mut tx,
                "test.count",
                &serde_json::json!({ "n": i }),
                Some(&format!("count-{i}")),
                Utc::now(),
            )
            .await
            .unwrap()
        );
    }
    // The same key while the first is still waiting adds nothing.
    assert!(
        !jobs::enqueue(
            &mut tx,
            "test.count",
            &serde_json::json!({}),
            Some("count-0"),
            Utc::now()
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
}

/// Runs jobs until none is due, recording which job numbers this worker ran.
async fn drain(db: Db, name: &'static str, seen: Arc<Mutex<Vec<(usize, &'static str)>>>) {
    loop {
        let seen = seen.clone();
        let ran = jobs::run_one(&db, name, |job| async move {
            let n = serde_json::from_str::<serde_json::Value>(&job.payload).unwrap()["n"]
                .as_u64()
                .unwrap() as usize;
            seen.lock().unwrap().push((n, name));
            // Long enough that the other worker's claims interleave with this one's.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            Ran {
                result: Ok(()),
                next: None,
            }
        })
        .await
        .unwrap();
        if !ran {
            return;
        }
    }
}

async fn two_workers_run_every_job_exactly_once(t: TestDb) {
    queue_numbered(&t.db, JOBS).await;
    // A second server: its own pool on the same database.
    let other = Db::connect(&t.url).await.unwrap();
    migrate(&other).await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    tokio::join!(
        drain(t.db.clone(), "worker-a", seen.clone()),
        drain(other, "worker-b", seen.clone()),
    );
    let seen = seen.lock().unwrap().clone();
    let mut times: BTreeMap<usize, usize> = BTreeMap::new();
    for (n, _) in &seen {
        *times.entry(*n).or_default() += 1;
    }
    assert_eq!(times.len(), JOBS, "every job ran");
    assert!(
        times.values().all(|&k| k == 1),
        "no job ran twice: {times:?}"
    );
    let by_a = seen.iter().filter(|(_, w)| *w == "worker-a").count();
    assert!(
        by_a > 0 && by_a < JOBS,
        "both workers took jobs (a took {by_a} of {JOBS})"
    );
    let mut tx = t.db.begin_read().await.unwrap();
    let rows = queue::of_kind(&mut tx, "test.count").await.unwrap();
    assert_eq!(rows.len(), JOBS);
    assert!(rows.iter().all(|r| r.state == "done" && r.attempts == 1));
    tx.commit().await.unwrap();

    // A finished job's key is free again.
    let mut tx = t.db.begin().await.unwrap();
    assert!(
        jobs::enqueue(
            &mut tx,
            "test.count",
            &serde_json::json!({"n": 0}),
            Some("count-0"),
            Utc::now()
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
}

async fn a_failing_job_is_retried_with_backoff_then_given_up(t: TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    queue::enqueue(
        &mut tx,
        &queue::NewJob {
            kind: "test.fail",
            payload: "{}".into(),
            unique_key: None,
            run_at: Utc::now(),
            max_attempts: 2,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let fail = |_job| async {
        Ran {
            result: Err("the far end said no".into()),
            next: None,
        }
    };
    assert!(jobs::run_one(&t.db, "w", fail).await.unwrap());
    let mut tx = t.db.begin_read().await.unwrap();
    let first = queue::of_kind(&mut tx, "test.fail")
        .await
        .unwrap()
        .remove(0);
    tx.commit().await.unwrap();
    assert_eq!(first.state, "queued");
    assert_eq!(first.last_error.as_deref(), Some("the far end said no"));
    assert!(
        first.run_at > Utc::now() + Duration::seconds(30),
        "backed off"
    );
    // Not due yet: nothing runs.
    assert!(!jobs::run_one(&t.db, "w", fail).await.unwrap());

    // Once due, the second and last attempt fails for good.
    let mut tx = t.db.begin().await.unwrap();
    let later = Utc::now() + Duration::hours(1);
    let claimed = queue::claim(&mut tx, "w", later, Duration::minutes(15))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.attempts, 2);
    let outcome = jobs::outcome(
        &claimed,
        Ran {
            result: Err("still no".into()),
            next: None,
        },
        later,
    );
    assert!(
        queue::finish(&mut tx, claimed.id, "w", &outcome)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = t.db.begin_read().await.unwrap();
    let last = queue::of_kind(&mut tx, "test.fail")
        .await
        .unwrap()
        .remove(0);
    tx.commit().await.unwrap();
    assert_eq!(last.state, "failed");
    assert_eq!(last.last_error.as_deref(), Some("still no"));
}

async fn an_abandoned_job_is_taken_over_when_its_lease_runs_out(t: TestDb) {
    queue_numbered(&t.db, 1).await;
    let now = Utc::now();
    let mut tx = t.db.begin().await.unwrap();
    let held = queue::claim(&mut tx, "crashed", now, Duration::minutes(15))
        .await
        .unwrap()
        .unwrap();
    // Held: nobody else gets it.
    assert!(
        queue::claim(
            &mut tx,
            "other",
            now + Duration::minutes(14),
            Duration::minutes(15)
        )
        .await
        .unwrap()
        .is_none()
    );
    let taken = queue::claim(
        &mut tx,
        "other",
        now + Duration::minutes(16),
        Duration::minutes(15),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(taken.id, held.id);
    assert_eq!(taken.attempts, 2);
    // The worker that lost its lease cannot finish the job any more.
    assert!(
        !queue::finish(&mut tx, held.id, "crashed", &queue::Outcome::Done)
            .await
            .unwrap()
    );
    assert!(
        queue::finish(&mut tx, held.id, "other", &queue::Outcome::Done)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

async fn recurring_jobs_are_one_row_each_however_many_workers_start(t: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let worker = |name: &str| Worker {
        db: t.db.clone(),
        rules: Arc::new(Rules::defaults().unwrap()),
        mailer: Mailer::new(None, "rosette@example.org", dir.path().to_path_buf()).unwrap(),
        bounces: None,
        public_url: "https://rosette.example".into(),
        today: rosette::cli::today,
        name: name.into(),
    };
    let (a, b) = (worker("a"), worker("b"));
    let (ra, rb) = tokio::join!(a.schedule(), b.schedule());
    ra.unwrap();
    rb.unwrap();
    a.schedule().await.unwrap();
    let mut tx = t.db.begin_read().await.unwrap();
    for kind in [jobs::KEEP_REPORTS, jobs::DELIVER_MAIL] {
        let rows = queue::of_kind(&mut tx, kind).await.unwrap();
        assert_eq!(rows.len(), 1, "{kind}");
        assert_eq!(rows[0].state, "queued");
    }
    tx.commit().await.unwrap();
}

both!(
    two_workers_run_every_job_exactly_once,
    a_failing_job_is_retried_with_backoff_then_given_up,
    an_abandoned_job_is_taken_over_when_its_lease_runs_out,
    recurring_jobs_are_one_row_each_however_many_workers_start,
);
