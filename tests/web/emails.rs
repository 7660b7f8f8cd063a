//! Emails to members: who gets one and why not, the imprint, delivery that checks consent
//! again at send time and sends one copy per address, and one-click unsubscribe.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::TestDb;
use crate::common::web::*;
use rosette::domain::Rules;
use rosette::mail::Mailer;

const IMPRINT: &str =
    "Promoted by A. Agent on behalf of Anytown Party, both at 1 High Street, Anytown AN1 1AA";

pub(crate) async fn set_imprint(app: &App) {
    let s = app.sign_in(SECRETARY).await;
    let r = app
        .post(
            "/emails/settings",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("imprint", IMPRINT),
                ("sender_name", "Anytown Party"),
                ("reply_to", "membership@example.org"),
                ("per_minute", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// Runs delivery rounds into a folder until none is left; returns the messages by file.
pub(crate) async fn deliver(app: &App, dir: &Path) -> Vec<String> {
    let mailer = Mailer::new(None, "Rosette <rosette@example.org>", dir.to_path_buf()).unwrap();
    let rules = Rules::defaults().unwrap();
    for _ in 0..20 {
        let round = rosette::app::emails::deliver(
            &app.db,
            &mailer,
            &rules,
            "https://rosette.example",
            today(),
            chrono::Utc::now(),
        )
        .await
        .expect("delivery round");
        if round == rosette::app::emails::Round::default() {
            break;
        }
    }
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            out.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
        }
    }
    out
}

fn header_of<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

pub(crate) fn mail_dir() -> PathBuf {
    std::env::temp_dir().join(format!("rosette-emails-{}", uuid::Uuid::new_v4()))
}

fn emails_of(people: &[Value]) -> HashSet<String> {
    people
        .iter()
        .filter_map(|p| p["email"].as_str().map(str::to_lowercase))
        .collect()
}

async fn a_campaign_reaches_only_people_who_agreed_and_each_address_once(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(MEMBERSHIP).await;
    let draft = json!({
        "subject": "Hello {{ first_name }}",
        "body": "Dear {{ first_name }} {{ last_name }},\n\nYour membership {{ membership_number }} ran out on {{ paid_until }}.\n\n[Renew here]({{ preferences_url }})",
        "purpose": "campaign",
        "filter": "status=in_arrears",
    });
    let r = app.draft_email(&token, draft.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let made = r.json();
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(made["state"], "draft");

    // Who it reaches, worked out from the member list: in arrears, agreed to email, with
    // an address.
    let all = app.all(&token, "status=in_arrears").await;
    let agreed = app.all(&token, "status=in_arrears&consent=email").await;
    let expected: Vec<&Value> = agreed.iter().filter(|p| p["email"].is_string()).collect();
    assert!(expected.len() >= 3, "the demo has people to write to");
    assert_eq!(made["recipients"], expected.len() as i64);
    let skipped: i64 = made["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(skipped as usize + expected.len(), all.len());

    // A campaign does not go while the local party has no imprint.
    let r = app.send_email(&token, &id).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("imprint"), "{}", r.body);
    set_imprint(&app).await;

    // Between queueing and delivery: one recipient withdraws consent, and another takes
    // the first one's address (two people, one inbox).
    let r = app.send_email(&token, &id).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.json()["queued"], expected.len() as i64);
    let withdrawn = expected[0]["id"].as_str().unwrap();
    app.patch_member(&token, withdrawn, json!({"email_consent": false}))
        .await;
    let shared = expected[1]["email"].as_str().unwrap();
    let third = expected[2]["id"].as_str().unwrap();
    app.patch_member(&token, third, json!({"email": shared}))
        .await;

    let dir = mail_dir();
    let sent = deliver(&app, &dir).await;
    let got = app
        .api("GET", &format!("/api/v1/emails/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(got["state"], "sent", "{got}");
    // Consent and addresses are checked again as each message goes: the one who said no
    // is skipped, and the inbox two people now share gets one copy.
    assert_eq!(got["sent"].as_i64().unwrap() as usize, sent.len());
    assert_eq!(sent.len(), expected.len() - 2, "{got}");
    let refused = made["skipped"]["no_consent"].as_i64().unwrap_or(0);
    assert_eq!(got["skipped"]["no_consent"], refused + 1, "{got}");
    assert_eq!(got["skipped"]["same_address"], 1, "{got}");
    let to: Vec<&str> = sent.iter().filter_map(|m| header_of(m, "To")).collect();
    let withdrawn_email = expected[0]["email"].as_str().unwrap();
    assert!(!to.iter().any(|t| t.contains(withdrawn_email)));
    let unique: HashSet<&&str> = to.iter().collect();
    assert_eq!(unique.len(), sent.len(), "one copy per address");
    for m in &sent {
        assert_eq!(
            header_of(m, "List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        let link = header_of(m, "List-Unsubscribe").unwrap();
        assert!(
            link.starts_with("<https://rosette.example/email/u/"),
            "{link}"
        );
        assert!(m.contains("multipart/alternative"));
        // Drafted before the sender name was set: the local party's name, at Rosette's
        // own address.
        let from = header_of(m, "From").unwrap();
        assert!(
            from.ends_with("<rosette@example.org>") && from.len() > 25,
            "{from}"
        );
        let subject = header_of(m, "Subject").unwrap();
        assert!(
            subject.starts_with("Hello ") && !subject.contains("{{"),
            "{subject}"
        );
    }
    // The same email cannot be sent twice.
    let r = app.send_email(&token, &id).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(deliver(&app, &dir).await.len() == sent.len());

    // Every copy went to someone in arrears who had agreed to email when it was queued.
    let agreed_addresses = emails_of(&agreed);
    for t in &to {
        assert!(
            agreed_addresses.iter().any(|e| t.contains(e.as_str())),
            "{t} had not agreed"
        );
    }
}

async fn email_consent(app: &App, token: &str, person: &str) -> Value {
    app.api(
        "GET",
        &format!("/api/v1/members/{person}"),
        Some(token),
        None,
    )
    .await
    .json()["consents"]["email"]
        .clone()
}

async fn one_click_unsubscribe_works_without_a_session_and_refuses_a_forged_link(t: TestDb) {
    let app = App::new(&t).await;
    set_imprint(&app).await;
    let token = app.token(MEMBERSHIP).await;
    let r = app
        .draft_email(&token, json!({"subject": "News", "body": "Hello {{ first_name }}", "purpose": "campaign", "filter": "status=current"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_string();
    app.send_email(&token, &id).await;
    let sent = deliver(&app, &mail_dir()).await;
    assert!(!sent.is_empty());
    let link = header_of(&sent[0], "List-Unsubscribe")
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    let path = link
        .trim_start_matches("https://rosette.example")
        .to_string();
    let address = header_of(&sent[0], "To").unwrap().to_string();
    let person = app
        .all(&token, "status=current&consent=email")
        .await
        .into_iter()
        .find(|p| p["email"].as_str().is_some_and(|e| address.contains(e)))
        .expect("the recipient");
    let person_id = person["id"].as_str().unwrap().to_string();
    assert_eq!(email_consent(&app, &token, &person_id).await, json!(true));

    // Opening the link (as a link scanner would) changes nothing; it shows one button.
    let page = app.get(&path, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Unsubscribe me"));
    assert!(page.body.contains("/preferences"));
    assert_eq!(email_consent(&app, &token, &person_id).await, json!(true));

    // A forged or altered token changes nothing.
    let one_click = |path: String| {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://mail.provider.example")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .unwrap()
    };
    let mut altered = path.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == '0' { '1' } else { '0' });
    for bad in [
        altered,
        format!("{path}x"),
        "/email/u/0190aaaa-0000-7000-8000-000000000000.00000000000000000000000000000000".into(),
    ] {
        let r = app.send(one_click(bad.clone())).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(email_consent(&app, &token, &person_id).await, json!(true));

    // The mail provider's one-click POST: no session, no CSRF token, another origin.
    let r = app.send(one_click(path.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(email_consent(&app, &token, &person_id).await, json!(false));
    let got = app
        .api("GET", &format!("/api/v1/emails/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(got["unsubscribed"], 1, "{got}");
    // The next campaign says why they are left out.
    let again = app
        .draft_email(&token, json!({"subject": "More news", "body": "Hello", "purpose": "campaign", "filter": "status=current"}),
        )
        .await
        .json();
    assert_eq!(again["skipped"]["unsubscribed"], 1, "{again}");
    // Recorded with its source, and audited.
    let m = app.sign_in(MEMBERSHIP).await;
    let record = app.get(&format!("/members/{person_id}"), Some(&m)).await;
    assert!(
        record.body.contains("through the link in the email"),
        "{}",
        record.body
    );
    let s = app.sign_in(SECRETARY).await;
    let audit = app.get("/audit", Some(&s)).await;
    assert!(audit.body.contains("(email link)"), "{}", audit.body);

    // The same token reaches the person's choices, without an account.
    let r = app
        .send(
            Request::post(format!("{path}/preferences"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("channel=post&channel=phone"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let detail = app
        .api(
            "GET",
            &format!("/api/v1/members/{person_id}"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(detail["consents"]["post"], json!(true));
    assert_eq!(detail["consents"]["email"], json!(false));
}

async fn a_notice_goes_to_everyone_entitled_and_drafts_are_checked(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(MEMBERSHIP).await;
    // A template mistake is reported against its field with its line.
    let r = app
        .draft_email(&token, json!({"subject": "AGM", "body": "Dear {{ first_name }},\n\n{{ membership_numbr }}", "purpose": "notice", "filter": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("line 3"), "{}", r.body);
    for bad in [
        json!({"subject": "S", "body": "B", "purpose": "spam", "filter": ""}),
        json!({"subject": "S", "body": "B", "purpose": "notice"}),
        json!({"subject": "S", "body": "B", "purpose": "notice", "filter": "status=nonsense"}),
        json!({"subject": "S", "body": "B", "purpose": "notice", "segment": "no-such"}),
    ] {
        let r = app.draft_email(&token, bad.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    // A caller sends nobody anything.
    let caller = app.token(CALLER).await;
    let r = app
        .draft_email(
            &caller,
            json!({"subject": "S", "body": "B", "purpose": "notice", "filter": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // A notice needs no marketing consent and no imprint, but only members entitled to
    // members' communications get it.
    let r = app
        .draft_email(&token, json!({"subject": "AGM notice", "body": "The AGM is on Thursday.", "purpose": "notice", "filter": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let made = r.json();
    assert!(made["skipped"].get("no_consent").is_none(), "{made}");
    assert!(
        made["skipped"]["not_entitled"].as_i64().unwrap() > 0,
        "{made}"
    );
    let mut entitled = 0;
    for status in ["new", "current", "in_arrears"] {
        entitled += app
            .all(&token, &format!("status={status}&kind=member"))
            .await
            .into_iter()
            .filter(|p| p["email"].is_string())
            .count();
    }
    assert_eq!(made["recipients"], entitled as i64, "{made}");

    // The Women's Officer's audience is women members only; the Branch Secretary's,
    // their branch.
    for (who, check) in [(WOMEN, "gender"), (BRANCH, "branch")] {
        let t = app.token(who).await;
        let r = app
            .draft_email(
                &t,
                json!({"subject": "S", "body": "B", "purpose": "notice", "filter": ""}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{who}: {}", r.body);
        let v = r.json();
        let total: i64 = v["recipients"].as_i64().unwrap()
            + v["skipped"]
                .as_object()
                .unwrap()
                .values()
                .map(|n| n.as_i64().unwrap())
                .sum::<i64>();
        let theirs = app.all(&t, "").await;
        assert_eq!(total, theirs.len() as i64, "{who} ({check})");
        assert!(total < app.all(&token, "").await.len() as i64);
    }

    // The page flow: compose, check, preview as a recipient, test, schedule, cancel.
    let m = app.sign_in(MEMBERSHIP).await;
    let page = app
        .get("/emails/new?audience=status%3Din_arrears", Some(&m))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("status=in_arrears"));
    let r = app
        .post(
            "/emails",
            Some(&m),
            &[
                ("csrf", &m.csrf),
                ("subject", "Renew, {{ first_name }}"),
                ("body", "Dear {{ first_name }}"),
                ("purpose", "notice"),
                ("audience", "status=in_arrears"),
                ("sender_name", ""),
                ("reply_to", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let email = r.location.clone();
    let page = app.get(&email, Some(&m)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("will get it"), "{}", page.body);
    assert!(
        page.body.contains("to the member list: status in arrears,"),
        "the audience in words, not a query string: {}",
        page.body
    );
    assert!(
        page.body.contains("Subject:</strong> Renew, "),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Renew, Sam"),
        "previewed as a real recipient"
    );
    let r = app
        .post(&format!("{email}/test"), Some(&m), &[("csrf", &m.csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut tx = app.db.begin_read().await.unwrap();
    let outbox = rosette::store::outbox::recent(&mut tx, 5).await.unwrap();
    drop(tx);
    assert!(
        outbox.iter().any(|o| o.to_address == MEMBERSHIP
            && o.subject.starts_with("[Test] Renew, ")
            && o.html.as_deref().is_some_and(|h| h.contains("<p>Dear "))),
        "{outbox:?}"
    );
    let r = app
        .post(
            &format!("{email}/send"),
            Some(&m),
            &[("csrf", &m.csrf), ("at", "2099-01-01T09:00")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&email, Some(&m)).await;
    assert!(
        page.body.contains("<strong>scheduled</strong>"),
        "{}",
        page.body
    );
    let dir = mail_dir();
    assert!(deliver(&app, &dir).await.is_empty(), "not before its time");
    let r = app
        .post(&format!("{email}/cancel"), Some(&m), &[("csrf", &m.csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&email, Some(&m)).await;
    assert!(page.body.contains("<strong>cancelled</strong>"));
    // A caller sees no emails: the page is not found for them, as an id out of scope is.
    let r = app.get(&email, Some(&app.sign_in(CALLER).await)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A round too slow for its claims loses them to the next round, and then can neither
/// send them nor record anything against them: each person still gets one copy.
async fn a_round_that_lost_its_claim_sends_nothing(t: TestDb) {
    use rosette::store::emails as stored;
    let app = App::new(&t).await;
    let token = app.token(MEMBERSHIP).await;
    let r = app
        .draft_email(
            &token,
            json!({"subject": "S", "body": "B", "purpose": "notice", "filter": "status=current"}),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let recipients = r.json()["recipients"].as_u64().unwrap() as usize;
    let r = app.send_email(&token, &id).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let mut tx = app.db.begin().await.unwrap();
    let lp = app.user(MEMBERSHIP).await;
    let lp = rosette::app::principal_of(&mut tx, lp.id)
        .await
        .unwrap()
        .unwrap()
        .home_party()
        .unwrap();
    let n = stored::claim(&mut tx, lp, "slow", chrono::Utc::now(), 5)
        .await
        .unwrap();
    assert_eq!(n, 5);
    let slow: Vec<i64> = stored::claimed(&mut tx, "slow")
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    tx.commit().await.unwrap();
    // Half an hour on, the next round finds the slow one's claims stale, takes them back
    // and sends everything.
    let dir = mail_dir();
    let mailer = Mailer::new(None, "Rosette <rosette@example.org>", dir.clone()).unwrap();
    let later = chrono::Utc::now() + chrono::Duration::minutes(30);
    for _ in 0..5 {
        rosette::app::emails::deliver(
            &app.db,
            &mailer,
            &Rules::defaults().unwrap(),
            "https://rosette.example",
            today(),
            later,
        )
        .await
        .unwrap();
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), recipients);
    let mut tx = app.db.begin().await.unwrap();
    let held = stored::handing_over(&mut tx, "slow", &slow, chrono::Utc::now())
        .await
        .unwrap();
    assert!(held.is_empty(), "the slow round holds nothing any more");
    stored::finish(
        &mut tx,
        "slow",
        slow[0],
        None,
        &stored::Delivery::Failed("late".into()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let f = app
        .api("GET", &format!("/api/v1/emails/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(
        (f["sent"].as_u64(), f["failed"].as_u64()),
        (Some(recipients as u64), Some(0)),
        "{f}"
    );
}

crate::both!(
    a_round_that_lost_its_claim_sends_nothing,
    a_campaign_reaches_only_people_who_agreed_and_each_address_once,
    one_click_unsubscribe_works_without_a_session_and_refuses_a_forged_link,
    a_notice_goes_to_everyone_entitled_and_drafts_are_checked,
);
