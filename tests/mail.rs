//! Mail delivery against a real SMTP server (aiosmtpd, started by each test): a message
//! is sent once and only once, a permanent refusal is not retried and is recorded against
//! the address, a temporary one is retried later, and a send interrupted mid-way is never
//! repeated. The Python with aiosmtpd is `ROSETTE_TEST_PYTHON` (scripts/test makes one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use chrono::{Duration, Utc};
use common::TestDb;
use rosette::app::officers;
use rosette::domain::Role;
use rosette::mail::{Mailer, Round, deliver_due};
use rosette::store::outbox;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Smtp {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Smtp {
        Smtp::start_with_delay(0.0)
    }

    /// A server that takes `seconds` over each message.
    fn start_with_delay(seconds: f64) -> Smtp {
        let python = std::env::var("ROSETTE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("received.jsonl");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(&log)
            .env("SMTP_DELAY", seconds.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} for the SMTP server: {e}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("port line");
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!("the SMTP server did not start (is aiosmtpd installed for {python}? run ./scripts/test)")
        });
        Smtp {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }

    fn mailer(&self) -> Mailer {
        Mailer::new(
            Some(&format!("smtp://127.0.0.1:{}", self.port)),
            "Rosette <rosette@example.org>",
            PathBuf::from("unused"),
        )
        .expect("mailer")
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real IMAP server (Debian's dovecot) for one test, with one user whose Maildir the
/// test fills directly.
struct Dovecot {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Dovecot {
    fn start() -> Dovecot {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        for d in [
            "run",
            "state",
            "home/bounces/Maildir/new",
            "home/bounces/Maildir/cur",
            "home/bounces/Maildir/tmp",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        // Mail is read and written as nobody, as dovecot will not act as root.
        for d in [
            "home",
            "home/bounces",
            "home/bounces/Maildir",
            "home/bounces/Maildir/new",
            "home/bounces/Maildir/cur",
            "home/bounces/Maildir/tmp",
        ] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        std::fs::write(root.join("users"), "bounces:{PLAIN}secret\n").unwrap();
        let r = root.display();
        let conf = format!(
            "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\nprotocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain\nfirst_valid_uid = 1\nmail_location = maildir:{r}/home/%u/Maildir\npassdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/users\n}}\nuserdb {{\n  driver = static\n  args = uid=65534 gid=65534 home={r}/home/%u\n}}\nservice imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
        );
        std::fs::write(root.join("dovecot.conf"), conf).unwrap();
        let mut child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start dovecot (apt-get install dovecot-imapd; ./scripts/test does): {e}"
                )
            });
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Dovecot { child, port, dir };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("dovecot did not start listening on {port}");
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("home/bounces/Maildir")
    }

    /// Delivers a message into the mailbox, as the mail server would.
    fn deliver(&self, name: &str, text: &str) {
        std::fs::write(self.maildir().join("new").join(name), text).unwrap();
    }

    /// Every message still in the mailbox.
    fn held(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in ["new", "cur"] {
            for e in std::fs::read_dir(self.maildir().join(d)).unwrap() {
                out.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
            }
        }
        out
    }

    fn mailbox(&self) -> rosette::bounces::Mailbox {
        rosette::bounces::Mailbox::from_url(&format!(
            "imap://bounces:secret@127.0.0.1:{}/INBOX",
            self.port
        ))
        .unwrap()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM, so dovecot takes its own processes down with it.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// A delivery status notification as a mail server sends it back.
fn dsn(to: &str, message_id: &str, action: &str, status: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example\r\nTo: bounces@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{}@mx.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n--BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; {to}\r\nAction: {action}\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {status} mailbox trouble\r\n--BB\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Anytown Party <rosette@example.org>\r\nTo: {to}\r\nMessage-ID: {message_id}\r\nSubject: Thank you\r\n--BB--\r\n",
        uuid::Uuid::new_v4()
    )
}

/// Bounces that come back later, read over IMAP from a real dovecot: a hard one suppresses
/// the address at once, three soft ones in a row do, and only the messages Rosette
/// recognises are taken out of the mailbox.
async fn bounces_are_read_from_a_mailbox_and_suppress_addresses(t: TestDb) {
    use axum::http::StatusCode;
    use common::web::{App, MEMBERSHIP};
    use serde_json::json;

    let smtp = Smtp::start();
    let imap = Dovecot::start();
    let app = App::new(&t).await;
    let token = app.token(MEMBERSHIP).await;
    let r = app
        .draft_email(
            &token,
            json!({"subject": "Thank you", "body": "Dear {{ first_name }}", "purpose": "notice", "filter": "status=current"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    app.send_email(&token, &id).await;
    emails_round(&t, &smtp).await;
    let sent: Vec<(String, String)> = smtp
        .received()
        .iter()
        .filter_map(|m| {
            let data = m["data"].as_str()?;
            let mid = data
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))?
                .trim()
                .to_string();
            Some((m["to"][0].as_str()?.to_string(), mid))
        })
        .collect();
    assert!(sent.len() >= 4);
    let (hard, soft, fine) = (&sent[0], &sent[1], &sent[2]);
    imap.deliver("1.eml", &dsn(&hard.0, &hard.1, "failed", "5.1.1"));
    for i in 0..2 {
        imap.deliver(
            &format!("s{i}.eml"),
            &dsn(&soft.0, &soft.1, "delayed", "4.2.2"),
        );
    }
    // Not ours, and not a bounce: both stay for a person.
    imap.deliver(
        "x.eml",
        &dsn("someone@else.example", "<abc@elsewhere>", "failed", "5.1.1"),
    );
    imap.deliver(
        "y.eml",
        "From: a member <m@example.org>\r\nSubject: Re: Thank you\r\n\r\nThanks!\r\n",
    );

    let read = rosette::bounces::read(&t.db, &imap.mailbox())
        .await
        .expect("read");
    assert_eq!(
        read,
        rosette::bounces::Read {
            hard: 1,
            soft: 2,
            suppressed: 1,
            left: 2
        }
    );
    let mut tx = t.db.begin().await.unwrap();
    assert!(outbox::is_suppressed(&mut tx, &hard.0).await.unwrap());
    assert!(
        !outbox::is_suppressed(&mut tx, &soft.0).await.unwrap(),
        "two soft bounces are not enough"
    );
    drop(tx);
    let held = imap.held();
    assert_eq!(held.len(), 2, "only the recognised bounces are removed");
    assert!(held.iter().any(|m| m.contains("Thanks!")));

    // The third soft bounce in a row suppresses the address; reading again changes nothing.
    imap.deliver("s2.eml", &dsn(&soft.0, &soft.1, "delayed", "4.2.2"));
    let read = rosette::bounces::read(&t.db, &imap.mailbox())
        .await
        .expect("read");
    assert_eq!((read.soft, read.suppressed, read.left), (1, 1, 2));
    let again = rosette::bounces::read(&t.db, &imap.mailbox())
        .await
        .expect("read");
    assert_eq!(
        again,
        rosette::bounces::Read {
            left: 2,
            ..Default::default()
        }
    );
    let mut tx = t.db.begin().await.unwrap();
    assert!(outbox::is_suppressed(&mut tx, &soft.0).await.unwrap());
    assert!(!outbox::is_suppressed(&mut tx, &fine.0).await.unwrap());
    drop(tx);
    // The email's figures count the bounce the server gave up on as a failure; a delay is
    // not one (the server is still trying).
    let f = app
        .api("GET", &format!("/api/v1/emails/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(
        (f["bounced"].as_i64(), f["failed"].as_i64()),
        (Some(1), Some(0)),
        "{f}"
    );
    // A wrong password is an error that says where, not a panic.
    let wrong = rosette::bounces::Mailbox::from_url(&format!(
        "imap://bounces:nope@127.0.0.1:{}",
        imap.port
    ))
    .unwrap();
    assert!(rosette::bounces::read(&t.db, &wrong).await.is_err());
}

async fn states(t: &TestDb) -> Vec<(String, String)> {
    let mut tx = t.db.begin().await.expect("tx");
    let mut list: Vec<(String, String)> = outbox::recent(&mut tx, 50)
        .await
        .expect("outbox")
        .into_iter()
        .map(|m| (m.to_address, m.state))
        .collect();
    list.sort();
    list
}

async fn each_message_goes_once(t: TestDb) {
    let smtp = Smtp::start();
    let mailer = smtp.mailer();
    let mut tx = t.db.begin().await.expect("tx");
    for to in ["ok@example.org", "bounce@example.org", "later@example.org"] {
        outbox::enqueue(&mut tx, to, "Hello", &format!("A message for {to}\n"))
            .await
            .expect("queue");
    }
    tx.commit().await.expect("commit");

    let round = deliver_due(&t.db, &mailer).await.expect("deliver");
    assert_eq!(
        round,
        Round {
            sent: 1,
            retrying: 1,
            failed: 1
        }
    );
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["to"][0], "ok@example.org");
    assert!(
        got[0]["data"]
            .as_str()
            .unwrap_or("")
            .contains("A message for ok@example.org")
    );
    assert_eq!(
        states(&t).await,
        [
            ("bounce@example.org".to_string(), "failed".to_string()),
            ("later@example.org".to_string(), "queued".to_string()),
            ("ok@example.org".to_string(), "sent".to_string()),
        ]
    );
    let mut tx = t.db.begin().await.expect("tx");
    assert!(
        outbox::is_suppressed(&mut tx, "bounce@example.org")
            .await
            .expect("suppressed")
    );
    assert!(
        !outbox::is_suppressed(&mut tx, "later@example.org")
            .await
            .expect("not")
    );
    drop(tx);

    // Running again sends nothing twice, and the temporary failure waits for its backoff.
    assert_eq!(
        deliver_due(&t.db, &mailer).await.expect("deliver"),
        Round::default()
    );
    assert_eq!(smtp.received().len(), 1);

    // A worker killed after claiming a message: it is marked for a person, not resent.
    let mut tx = t.db.begin().await.expect("tx");
    outbox::enqueue(&mut tx, "interrupted@example.org", "Hello", "body")
        .await
        .expect("queue");
    tx.commit().await.expect("commit");
    let mut tx = t.db.begin().await.expect("tx");
    let due = outbox::due(&mut tx, Utc::now(), 10).await.expect("due");
    let claimed = due
        .iter()
        .find(|m| m.to_address == "interrupted@example.org")
        .expect("due");
    assert!(
        outbox::claim(&mut tx, claimed.id, Utc::now() - Duration::minutes(20))
            .await
            .expect("claim")
    );
    assert!(
        !outbox::claim(&mut tx, claimed.id, Utc::now())
            .await
            .expect("claim"),
        "a claimed message cannot be claimed twice"
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        deliver_due(&t.db, &mailer).await.expect("deliver"),
        Round::default()
    );
    assert_eq!(smtp.received().len(), 1);
    assert!(
        states(&t)
            .await
            .contains(&("interrupted@example.org".into(), "unknown".into()))
    );
}

async fn invitations_arrive_with_a_working_link(t: TestDb) {
    let smtp = Smtp::start();
    let mut tx = t.db.begin().await.expect("tx");
    let added = officers::add_officer(
        &mut tx,
        "newsec@example.org",
        "Nia Branch",
        Role::Secretary,
        "local-party",
        None,
        "https://rosette.example",
        "test",
    )
    .await
    .expect("add");
    tx.commit().await.expect("commit");
    let link = added.invitation.expect("an invitation");
    assert!(link.starts_with("https://rosette.example/welcome/"));
    deliver_due(&t.db, &smtp.mailer()).await.expect("deliver");
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    let data = got[0]["data"].as_str().unwrap_or("");
    assert!(
        data.contains("Subject: You are invited to Rosette"),
        "{data}"
    );
    assert!(
        data.replace("=\r\n", "").replace("=\n", "").contains(&link),
        "{data}"
    );
    assert!(data.contains("Hello Nia Branch"));
}

async fn report_emails_arrive_with_counts_and_no_names(t: TestDb) {
    let smtp = Smtp::start();
    let rules = rosette::domain::Rules::defaults().expect("rules");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    rosette::demo::generate(&t.db, &rules, 300, 9, today, &|_| {})
        .await
        .expect("demo");
    rosette::demo::add_officers(&t.db, "https://rosette.example")
        .await
        .expect("officers");
    let kept = rosette::jobs::keep_due_reports(&t.db, &rules, "https://rosette.example", today)
        .await
        .expect("keep");
    assert_eq!(kept, 1);
    deliver_due(&t.db, &smtp.mailer()).await.expect("deliver");
    let got = smtp.received();
    let reports: Vec<&serde_json::Value> = got
        .iter()
        .filter(|m| {
            m["data"]
                .as_str()
                .unwrap_or("")
                .contains("Subject: Membership Action Report")
        })
        .collect();
    let to: Vec<&str> = reports.iter().filter_map(|m| m["to"][0].as_str()).collect();
    assert!(
        to.contains(&"membership@example.org") && to.contains(&"branch@example.org"),
        "{to:?}"
    );
    let mut tx = t.db.begin_read().await.expect("tx");
    let lp = rosette::store::units::get(&mut tx, "local-party")
        .await
        .expect("lp");
    let kept = rosette::store::reports::list(&mut tx, &[lp.id], 1)
        .await
        .expect("list");
    drop(tx);
    let body: serde_json::Value = serde_json::from_str(&kept[0].body).expect("body");
    for m in &reports {
        let data = m["data"]
            .as_str()
            .unwrap_or("")
            .replace("=\r\n", "")
            .replace("=\n", "");
        assert!(
            data.contains(&format!(
                "https://rosette.example/reports/{}",
                kept[0].public_id
            )),
            "{data}"
        );
        assert!(data.contains("in arrears"), "{data}");
        for rows in body["sections"].as_object().expect("sections").values() {
            for r in rows.as_array().expect("rows") {
                let number = r["membership_number"].as_str().unwrap_or("");
                assert!(!data.contains(number), "no membership numbers in the email");
            }
        }
    }
}

/// One delivery round of members' emails, now, to `smtp`.
async fn emails_round(t: &TestDb, smtp: &Smtp) -> rosette::app::emails::Round {
    rosette::app::emails::deliver(
        &t.db,
        &smtp.mailer(),
        &rosette::domain::Rules::defaults().unwrap(),
        "https://rosette.example",
        common::web::today(),
        Utc::now(),
    )
    .await
    .expect("round")
}

/// A member's email through a real SMTP server: each person's own merge fields, the
/// imprint, RFC 8058's headers, nobody without consent, nobody twice; a 5xx refusal is a
/// hard bounce that suppresses the address, a 4xx is tried again later.
async fn members_emails_arrive_personalised_once_each(t: TestDb) {
    use axum::http::StatusCode;
    use common::web::{App, MEMBERSHIP, SECRETARY};
    use serde_json::json;

    let smtp = Smtp::start();
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let imprint = "Promoted by A. Agent on behalf of Anytown Party, 1 High Street, Anytown AN1 1AA";
    let r = app
        .post(
            "/emails/settings",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("imprint", imprint),
                ("sender_name", "Anytown Party"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let token = app.token(MEMBERSHIP).await;
    let people: Vec<serde_json::Value> = app
        .all(&token, "status=current&consent=email")
        .await
        .into_iter()
        .filter(|p| p["email"].is_string())
        .collect();
    assert!(people.len() > 10);
    // One address the server refuses for good, one it asks to try later.
    for (p, address) in [
        (&people[0], "bounce-1@example.org"),
        (&people[1], "later-1@example.org"),
    ] {
        app.patch_member(&token, p["id"].as_str().unwrap(), json!({"email": address}))
            .await;
    }
    let r = app
        .draft_email(&token, json!({
                "subject": "Thank you, {{ first_name }}",
                "body": "Dear {{ first_name }} {{ last_name }},\n\nThank you for being member {{ membership_number }}.",
                "purpose": "campaign",
                "filter": "status=current",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["recipients"], people.len() as i64);
    let r = app.send_email(&token, &id).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);

    let round = emails_round(&t, &smtp).await;
    assert_eq!(round.sent, people.len() - 2, "{round:?}");
    assert_eq!((round.failed, round.retrying), (1, 1), "{round:?}");
    let got = smtp.received();
    assert_eq!(got.len(), people.len() - 2);
    let mut seen = std::collections::HashSet::new();
    for m in &got {
        let to = m["to"][0].as_str().unwrap();
        assert!(seen.insert(to.to_string()), "{to} got two copies");
        let p = people
            .iter()
            .find(|p| p["email"].as_str() == Some(to))
            .unwrap_or_else(|| panic!("{to} had not agreed to email"));
        let data = m["data"]
            .as_str()
            .unwrap()
            .replace("=\r\n", "")
            .replace("=\n", "");
        let first = p["first_name"].as_str().unwrap();
        assert!(
            data.contains(&format!("Subject: Thank you, {first}")),
            "{data}"
        );
        assert!(
            data.contains(&format!(
                "member {}",
                p["membership_number"].as_str().unwrap()
            )),
            "{data}"
        );
        assert!(data.contains(imprint), "the imprint");
        assert!(data.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(data.contains("List-Unsubscribe: <https://rosette.example/email/u/"));
        assert!(data.contains("Content-Type: text/html"));
        assert!(
            data.contains("From: \"Anytown Party\" <rosette@example.org>")
                || data.contains("From: Anytown Party <rosette@example.org>"),
            "{data}"
        );
    }
    let mut tx = t.db.begin().await.unwrap();
    assert!(
        outbox::is_suppressed(&mut tx, "bounce-1@example.org")
            .await
            .unwrap()
    );
    assert!(
        !outbox::is_suppressed(&mut tx, "later-1@example.org")
            .await
            .unwrap()
    );
    drop(tx);
    let status = app
        .api("GET", &format!("/api/v1/emails/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(
        status["state"], "sending",
        "one is waiting to be tried again: {status}"
    );
    assert_eq!(
        status["bounced"], 1,
        "a 550 at send time is a bounce: {status}"
    );
    assert_eq!(status["queued"], 1);
    // Another round sends nothing again (the one waiting is not due yet).
    let again = emails_round(&t, &smtp).await;
    assert_eq!(again, rosette::app::emails::Round::default());
    assert_eq!(smtp.received().len(), got.len());
    // The bounced address is left out of the next email, and says why.
    let r = app
        .draft_email(
            &token,
            json!({"subject": "S", "body": "B", "purpose": "campaign", "filter": "status=current"}),
        )
        .await;
    assert_eq!(r.json()["skipped"]["bounced"], 1, "{}", r.body);

    // Officers see the bounce on the person's page and in the list, and lift it there.
    let m = app.sign_in(MEMBERSHIP).await;
    let bounced_id = people[0]["id"].as_str().unwrap();
    let list = app.get("/emails/bounced", Some(&m)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(bounced_id) && list.body.contains("bounce-1@example.org"));
    let page = app.get(&format!("/members/{bounced_id}"), Some(&m)).await;
    assert!(page.body.contains("bounced on"), "{}", page.body);
    assert!(page.body.contains("not delivered: "), "{}", page.body);
    let sent_to = people[5]["id"].as_str().unwrap();
    let page = app.get(&format!("/members/{sent_to}"), Some(&m)).await;
    assert!(
        page.body.contains("Thank you, {{ first_name }}"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<span class=\"meta\">sent "),
        "{}",
        page.body
    );
    let r = app
        .post(
            &format!("/members/{bounced_id}/email-bounce"),
            Some(&m),
            &[("csrf", &m.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut tx = t.db.begin().await.unwrap();
    assert!(
        !outbox::is_suppressed(&mut tx, "bounce-1@example.org")
            .await
            .unwrap()
    );
}

/// The sending worker is killed (SIGKILL) mid-send; the worker that takes over once its
/// lease and claims have run out finishes the email, and the server holds exactly one copy
/// for every recipient, except those caught mid-handover, which are marked `unknown` (at
/// most one group) and never sent again.
async fn a_sender_killed_mid_send_never_sends_twice(t: TestDb) {
    use common::web::{App, MEMBERSHIP};
    use serde_json::json;

    let smtp = Smtp::start_with_delay(0.05);
    // The sender (another process) counts who is entitled by the real clock, so the
    // register is drawn up by it too.
    let app = App::on_the_real_clock(&t).await;
    let token = app.token(MEMBERSHIP).await;
    let r = app
        .draft_email(
            &token,
            json!({"subject": "AGM notice", "body": "Dear {{ first_name }}, the AGM is on Thursday.", "purpose": "notice", "filter": ""}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let recipients = r.json()["recipients"].as_i64().unwrap() as usize;
    assert!(recipients > 100, "{}", r.body);
    app.send_email(&token, &id).await;

    let mut worker = Command::new(env!("CARGO_BIN_EXE_rosette"))
        .arg("worker")
        .env("ROSETTE_DATABASE_URL", &t.url)
        .env(
            "ROSETTE_SMTP_URL",
            format!("smtp://127.0.0.1:{}", smtp.port),
        )
        .env("ROSETTE_MAIL_FROM", "Rosette <rosette@example.org>")
        .env("ROSETTE_PUBLIC_URL", "https://rosette.example")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker");
    let started = std::time::Instant::now();
    while smtp.received().len() < 25 {
        assert!(started.elapsed().as_secs() < 60, "the worker sent nothing");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    worker.kill().expect("SIGKILL");
    worker.wait().expect("reaped");
    let at_kill = smtp.received().len();
    assert!(
        at_kill < recipients,
        "killed mid-send ({at_kill} of {recipients})"
    );

    // The next worker, once the dead one's claims are stale.
    let rules = rosette::domain::Rules::defaults().unwrap();
    let later = Utc::now() + Duration::minutes(16);
    for _ in 0..100 {
        let round = rosette::app::emails::deliver(
            &t.db,
            &smtp.mailer(),
            &rules,
            "https://rosette.example",
            chrono::Local::now().date_naive(),
            later,
        )
        .await
        .expect("round");
        if round == rosette::app::emails::Round::default() {
            break;
        }
    }
    // A message that was still with the server when the sender died lands late. The
    // worker also sent the officers' own mail (their invitations): not counted here.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let got: Vec<serde_json::Value> = smtp
        .received()
        .into_iter()
        .filter(|m| {
            m["data"]
                .as_str()
                .unwrap_or("")
                .contains("Subject: AGM notice")
        })
        .collect();
    let mut copies: std::collections::HashMap<String, usize> = Default::default();
    for m in &got {
        *copies
            .entry(m["to"][0].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(copies.values().all(|n| *n == 1), "someone got two copies");
    let f = app
        .api("GET", &format!("/api/v1/emails/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(f["state"], "sent", "{f}");
    assert_eq!(f["queued"], 0, "{f}");
    let (sent, unknown) = (
        f["sent"].as_u64().unwrap() as usize,
        f["unknown"].as_u64().unwrap() as usize,
    );
    assert!(
        unknown <= 8,
        "at most the group being handed over is in doubt: {f}"
    );
    assert!(
        got.len() >= sent && got.len() <= sent + unknown,
        "{} received; {f}",
        got.len()
    );
    assert!(
        sent + unknown + 20 >= recipients,
        "nearly everyone had it: {f}"
    );
}

/// The calendar file attached to a message as Python's `email` and `icalendar` read it:
/// the summary, the start as a UTC instant and the status of each event.
fn attached_calendar(message: &str) -> String {
    let python = std::env::var("ROSETTE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = "import sys, email, datetime, icalendar\n\
                  msg = email.message_from_string(sys.stdin.read())\n\
                  for part in msg.walk():\n\
                  \x20   if part.get_content_type() == 'text/calendar':\n\
                  \x20       cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))\n\
                  \x20       for e in cal.walk('VEVENT'):\n\
                  \x20           start = e.decoded('DTSTART').astimezone(datetime.timezone.utc)\n\
                  \x20           print(e.get('SUMMARY'), start.isoformat(), e.get('STATUS'), part.get_filename())\n";
    let mut child = Command::new(python)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(message.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn a_sign_up_is_confirmed_with_the_event_for_a_calendar(t: TestDb) {
    use axum::http::StatusCode;
    use common::web::{App, SECRETARY, next_year};

    let smtp = Smtp::start();
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    // Sign-ups close once an event starts, by the real clock: next summer is always ahead.
    let y = next_year();
    let r = app
        .api(
            "POST",
            "/api/v1/events",
            Some(&token),
            Some(serde_json::json!({
                "title": "Summer barbecue", "kind": "social", "unit": "local-party",
                "starts_at": format!("{y}-07-03 13:00"), "ends_at": format!("{y}-07-03 17:00"),
                "place": "Riverside Park"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/e/{id}"),
            None,
            &[
                ("first_name", "Bea"),
                ("last_name", "Barbecue"),
                ("email", "bea.barbecue@example.net"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(deliver_due(&t.db, &smtp.mailer()).await.unwrap().sent, 1);
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["to"][0], "bea.barbecue@example.net");
    let data = got[0]["data"].as_str().unwrap();
    assert!(data.contains("You're signed up: Summer barbecue"), "{data}");
    assert_eq!(
        attached_calendar(data).trim(),
        format!("Summer barbecue {y}-07-03T12:00:00+00:00 CONFIRMED event.ics"),
        "13:00 in summer is 12:00 UTC"
    );
}

async fn a_new_member_imported_gets_the_welcome_once(t: TestDb) {
    use common::web::{App, CALLER, MEMBERSHIP, WOMEN, today};

    let smtp = Smtp::start();
    let app = App::new(&t).await;
    let rules = rosette::domain::Rules::defaults().unwrap();
    let round = |db: rosette::store::Db| {
        let rules = rules.clone();
        async move {
            rosette::app::journeys::run_due(&db, &rules, today(), Utc::now())
                .await
                .unwrap()
        }
    };
    // The default journey is made, on from now; the register already there is left alone.
    assert_eq!(round(app.db.clone()).await.enrolled, 0);
    // Monday's file: one new member who joined last week, one long-standing.
    let csv = format!(
        "membership_number,first_name,last_name,email,gender,rate,joined_on,paid_until\n\
         W1,Wren,Welcome,wren.welcome@example.net,woman,standard,{},2027-11-13\n\
         W2,Olu,Oldhand,olu.oldhand@example.net,man,standard,2010-01-01,2027-01-01\n",
        today() - Duration::days(7)
    );
    let options = rosette::import::Options {
        local_party: "local-party".into(),
        dry_run: false,
        skip_invalid: false,
        maps: vec![],
        value_maps: vec![],
        date_order: None,
        today: today(),
        actor: "test".into(),
    };
    rosette::import::import_members(
        &t.db,
        &rules,
        "monday.csv",
        csv.as_bytes(),
        &options,
        &rosette::import::Quiet,
    )
    .await
    .expect("import");
    // Two workers, each with its own pool.
    let other = rosette::store::Db::connect(&t.url).await.unwrap();
    let (a, b) = tokio::join!(round(app.db.clone()), round(other));
    assert_eq!(
        (a.enrolled + b.enrolled, a.steps + b.steps),
        (1, 1),
        "{a:?} {b:?}"
    );
    for _ in 0..2 {
        deliver_due(&t.db, &smtp.mailer()).await.unwrap();
    }
    let got = smtp.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["to"][0], "wren.welcome@example.net");
    let data = got[0]["data"].as_str().unwrap();
    assert!(
        data.contains("Subject: Welcome to Local Party, Wren"),
        "{data}"
    );
    // She is on the Women's Officer's welcome queue too.
    let wo = app.sign_in(WOMEN).await;
    let home = app.get("/women", Some(&wo)).await;
    assert!(home.body.contains("Wren Welcome"), "{}", home.body);
    // With no branch: a buddy among the local party's callers, and the welcome one-to-one
    // for the Membership Officer.
    let mut buddies = 0;
    for caller in [CALLER, "caller2@example.org"] {
        let s = app.sign_in(caller).await;
        buddies += usize::from(
            app.get("/tasks", Some(&s))
                .await
                .body
                .contains("Wren Welcome"),
        );
    }
    assert_eq!(buddies, 1, "one buddy");
    let m = app.sign_in(MEMBERSHIP).await;
    let tasks = app.get("/tasks", Some(&m)).await;
    assert!(tasks.body.contains("Wren Welcome"), "{}", tasks.body);
    // Nothing more, however many rounds.
    round(app.db.clone()).await;
    deliver_due(&t.db, &smtp.mailer()).await.unwrap();
    assert_eq!(smtp.received().len(), 1);
}

both!(
    a_new_member_imported_gets_the_welcome_once,
    a_sign_up_is_confirmed_with_the_event_for_a_calendar,
    bounces_are_read_from_a_mailbox_and_suppress_addresses,
    a_sender_killed_mid_send_never_sends_twice,
    members_emails_arrive_personalised_once_each,
    each_message_goes_once,
    invitations_arrive_with_a_working_link,
    report_emails_arrive_with_counts_and_no_names
);
