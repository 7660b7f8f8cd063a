//! Emails benchmark, on SQLite and on PostgreSQL: personalised messages queued (audience
//! decided, one row a person) and rendered, timed against the bar of 100,000 in
//! 10 s; then delivery to a local SMTP sink (aiosmtpd) set against a bare sender (lettre,
//! the same pre-rendered messages, the same number of connections) in the same run.
//! Run with `scripts/bench-emails`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use futures_util::StreamExt;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rosette::app::{emails, principal_of};
use rosette::domain::Rules;
use rosette::domain::emails::{Frame, Merge, Purpose, render};
use rosette::mail::Mailer;
use rosette::store::{Db, accounts, migrate};
use sqlx::Connection;

/// People in the local party (the demo keeps one party below 50,000).
const PEOPLE: usize = 45_000;
/// Messages queued and rendered, across as many emails to everyone entitled as it takes.
const MESSAGES: usize = 100_000;
/// Messages delivered to the sink by each sender.
const DELIVERED: usize = 4_000;
/// Connections (and messages in flight) for both senders.
const CONNECTIONS: usize = 8;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

async fn database(engine: &str) -> (Db, Option<tempfile::TempDir>) {
    match engine {
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (Db::connect(&url).await.unwrap(), Some(dir))
        }
        _ => {
            let admin = std::env::var("ROSETTE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("rosette_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (Db::connect(&format!("{base}/{name}")).await.unwrap(), None)
        }
    }
}

struct Sink {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Sink {
    fn start() -> Sink {
        let python = std::env::var("ROSETTE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(dir.path().join("received.jsonl"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Sink {
            child,
            port: line.trim().parse().expect("the SMTP sink's port"),
            _dir: dir,
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn run(engine: &str) {
    let rules = Rules::defaults().unwrap();
    let (db, _dir) = database(engine).await;
    migrate(&db).await.unwrap();
    rosette::demo::generate(&db, &rules, PEOPLE, 3, today(), &|_| {})
        .await
        .unwrap();
    rosette::demo::add_officers(&db, "https://rosette.example")
        .await
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    let user = accounts::user_by_email(&mut tx, "membership@example.org")
        .await
        .unwrap()
        .unwrap();
    let officer = principal_of(&mut tx, user.id).await.unwrap().unwrap();
    tx.commit().await.unwrap();

    // Queued: drafts to everyone entitled to notices, sent, until MESSAGES are queued.
    let started = Instant::now();
    let mut queued = 0usize;
    let mut emails_made = 0;
    while queued < MESSAGES {
        let mut tx = db.begin().await.unwrap();
        let draft = emails::Draft {
            subject: "Annual meeting, {{ first_name }}".into(),
            body: "Dear {{ first_name }} {{ last_name }},\n\nThe **annual meeting** of {{ local_party }} is on Thursday. Your membership number is {{ membership_number }} ({{ branch }}), paid until {{ paid_until }}.".into(),
            purpose: "notice".into(),
            audience: String::new(),
            ..Default::default()
        };
        let id = emails::create(&mut tx, &officer, &draft).await.unwrap();
        let f = emails::send(&mut tx, &officer, &rules, today(), &id, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        queued += f.queued as usize;
        emails_made += 1;
    }
    let queue_time = started.elapsed();

    // Rendered: each person's own message, as delivery makes it.
    let frame = Frame {
        purpose: Purpose::Notice,
        imprint: None,
        local_party: "Anytown",
    };
    let subject = "Annual meeting, {{ first_name }}";
    let body = "Dear {{ first_name }} {{ last_name }},\n\nThe **annual meeting** of {{ local_party }} is on Thursday. Your membership number is {{ membership_number }} ({{ branch }}), paid until {{ paid_until }}.";
    let started = Instant::now();
    let mut rendered = Vec::with_capacity(MESSAGES);
    for i in 0..MESSAGES {
        let merge = Merge {
            first_name: format!("Person{i}"),
            last_name: "Example".into(),
            membership_number: format!("A{i:06}"),
            branch: "Riverside".into(),
            paid_until: "1 Jan 2027".into(),
            local_party: "Anytown".into(),
            ..Merge::default()
        };
        rendered.push(render(subject, body, &merge, &frame).unwrap());
    }
    let render_time = started.elapsed();
    println!(
        "{engine}: {queued} messages queued in {emails_made} emails in {:.2} s ({:.0}/s); {MESSAGES} rendered in {:.2} s ({:.0}/s); together {:.2} s for the 10 s bar",
        queue_time.as_secs_f64(),
        queued as f64 / queue_time.as_secs_f64(),
        render_time.as_secs_f64(),
        MESSAGES as f64 / render_time.as_secs_f64(),
        (queue_time + render_time).as_secs_f64() * MESSAGES as f64 / queued as f64,
    );

    // Delivery: Rosette's rounds against a bare sender, same sink, same connections.
    let sink = Sink::start();
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let mailer = Mailer::new(Some(&url), "Rosette <rosette@example.org>", "unused".into()).unwrap();
    let mut tx = db.begin().await.unwrap();
    let lp = officer.home_party().unwrap();
    let mut settings = rosette::store::emails::settings(&mut tx, lp)
        .await
        .unwrap()
        .unwrap();
    settings.email_per_minute = Some(1_000_000);
    rosette::store::emails::set_settings(&mut tx, lp, &settings)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while sent < DELIVERED {
        let round = emails::deliver(
            &db,
            &mailer,
            &rules,
            "https://rosette.example",
            today(),
            Utc::now(),
        )
        .await
        .unwrap();
        assert!(round.sent > 0, "{round:?}");
        sent += round.sent;
    }
    let ours = sent as f64 / started.elapsed().as_secs_f64();

    let bare: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .unwrap()
            .build();
    let from: Mailbox = "Rosette <rosette@example.org>".parse().unwrap();
    let messages: Vec<Message> = rendered
        .iter()
        .take(sent)
        .enumerate()
        .map(|(i, r)| {
            Message::builder()
                .from(from.clone())
                .to(format!("person{i}@example.org").parse().unwrap())
                .subject(r.subject.as_str())
                .multipart(MultiPart::alternative_plain_html(
                    r.text.clone(),
                    r.html.clone(),
                ))
                .unwrap()
        })
        .collect();
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(messages)
        .map(|m| bare.send(m))
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok));
    let theirs = results.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "{engine}: delivery {ours:.0} messages/s against a bare sender's {theirs:.0}/s over {CONNECTIONS} connections: {:.2}x",
        ours / theirs
    );
}

#[tokio::main]
async fn main() {
    for engine in ["sqlite", "postgres"] {
        run(engine).await;
    }
}
