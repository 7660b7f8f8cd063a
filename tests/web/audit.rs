//! Every read is audited: an officer and a caller walk every page and API route that can
//! show a person, and for each person a reply shows (by name together with their id or
//! membership number) an audit entry written by that request names them.

use std::collections::HashSet;

use axum::http::StatusCode;
use rosette::store::{audit, units};

use crate::common::TestDb;
use crate::common::web::*;

struct Person {
    id: String,
    number: String,
    last_name: String,
    name: String,
}

/// The people a reply shows: their last name appears with their id or membership number
/// (a CSV puts first and last names in columns of their own).
fn shown<'a>(body: &str, people: &'a [Person]) -> Vec<&'a Person> {
    people
        .iter()
        .filter(|p| {
            body.contains(&p.last_name) && (body.contains(&p.id) || body.contains(&p.number))
        })
        .collect()
}

/// The newest audit entry's id (0 on an empty log).
async fn last_entry(t: &TestDb, app: &App, parties: &[i64]) -> i64 {
    app.audit.flush().await.expect("journal taken in");
    let mut tx = t.db.begin_read().await.expect("tx");
    let search = audit::Search {
        local_parties: parties.to_vec(),
        ..Default::default()
    };
    audit::search(&mut tx, &search, 1)
        .await
        .expect("search")
        .first()
        .map_or(0, |e| e.id)
}

/// Whether an entry newer than `after` names this person in the audit's own table of
/// people (not merely in its subject or text, which a search would also match).
async fn named_since(t: &TestDb, app: &App, after: i64, person: &str) -> bool {
    // List views' entries wait in the journal until it is taken in.
    app.audit.flush().await.expect("journal taken in");
    const SQL: &str = "SELECT count(*) FROM audit_people ap JOIN people p ON p.id = ap.person_id \
                       WHERE p.public_id = $1 AND ap.entry_id > $2";
    let n: i64 = if t.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&t.url).await.expect("sqlite");
        let n = sqlx::query_scalar(SQL)
            .bind(person)
            .bind(after)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    } else {
        let pool = sqlx::PgPool::connect(&t.url).await.expect("postgres");
        let n = sqlx::query_scalar(SQL)
            .bind(person)
            .bind(after)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    };
    n > 0
}

async fn every_route_that_shows_a_person_audits_them(t: TestDb) {
    let app = App::new(&t).await;
    let parties: Vec<i64> = {
        let mut tx = t.db.begin_read().await.expect("tx");
        units::list(&mut tx)
            .await
            .expect("units")
            .into_iter()
            .map(|u| u.id)
            .collect()
    };
    let sec_token = app.token(SECRETARY).await;
    let people: Vec<Person> = app
        .all(&sec_token, "")
        .await
        .iter()
        .map(|m| Person {
            id: m["id"].as_str().expect("id").into(),
            number: m["membership_number"].as_str().expect("number").into(),
            last_name: m["last_name"].as_str().expect("last").into(),
            name: format!(
                "{} {}",
                m["first_name"].as_str().expect("first"),
                m["last_name"].as_str().expect("last")
            ),
        })
        .collect();

    // What the walk needs to find: a kept report, a segment, a call list with a caller
    // holding someone, a person flagged for an officer and a follow-up task.
    let m = app.sign_in(MEMBERSHIP).await;
    let report = app
        .post("/reports", Some(&m), &[("csrf", &m.csrf)])
        .await
        .location;
    assert!(report.starts_with("/reports/"), "{report}");
    let segment = app
        .segment(&sec_token, "In arrears", "status=in_arrears")
        .await;
    let from = format!("segment:{segment}");
    let caller_id = app.user_id(CALLER).await;
    let list = app
        .post(
            "/calls",
            Some(&m),
            &[
                ("csrf", &m.csrf),
                ("from", &from),
                ("name", "Arrears"),
                ("script", "Hello"),
                ("done_when", "reached"),
                ("min_gap_hours", "24"),
                ("caller", &caller_id),
            ],
        )
        .await
        .location;
    let list = list.strip_suffix("?made=1").expect("made").to_string();
    assert!(list.starts_with("/calls/"), "{list}");
    let c = app.sign_in(CALLER).await;
    let next = format!("{list}/next");
    let hold = async |c: &Session| {
        app.post(&next, Some(c), &[("csrf", c.csrf.as_str())]).await;
    };
    hold(&c).await;
    let first =
        person_on(&app.get(&format!("{list}/call"), Some(&c)).await.body).expect("someone to call");
    app.outcome(
        &list,
        &c,
        &first,
        "wrong_number",
        &[("needs_officer", "yes")],
    )
    .await;
    hold(&c).await;
    let second =
        person_on(&app.get(&format!("{list}/call"), Some(&c)).await.body).expect("someone to call");
    let r = app
        .outcome(
            &list,
            &c,
            &second,
            "call_back",
            &[("call_back_on", "2026-11-27")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    hold(&c).await;

    let email = app
        .api(
            "POST",
            "/api/v1/emails",
            Some(&sec_token),
            Some(serde_json::json!({"subject": "Hello {{ first_name }}", "body": "Dear {{ first_name }}", "purpose": "campaign", "filter": "status=in_arrears"})),
        )
        .await
        .json()["id"]
        .as_str()
        .expect("email id")
        .to_string();
    let email = format!("/emails/{email}");

    let s = app.sign_in(SECRETARY).await;
    let someone = &people[7].id;

    // An organisation whose contact is someone on the register, and a survey they
    // answered by name.
    let with_email = app
        .all(&sec_token, "consent=email")
        .await
        .into_iter()
        .find(|p| p["email"].is_string())
        .expect("someone with an address");
    let address = with_email["email"].as_str().expect("email").to_string();
    let org = app
        .api(
            "POST",
            "/api/v1/organisations",
            Some(&sec_token),
            Some(serde_json::json!({"name": "Anytown Trades Council", "kind": "union_branch", "unit": "local-party"})),
        )
        .await
        .json()["id"]
        .as_str()
        .expect("organisation id")
        .to_string();
    let r = app
        .post(
            &format!("/organisations/{org}/contacts"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("first_name", "X"),
                ("last_name", "Y"),
                ("email", &address),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let survey = app
        .api(
            "POST",
            "/api/v1/surveys",
            Some(&sec_token),
            Some(serde_json::json!({"unit": "local-party", "title": "Quick one", "questions": "text: Why?", "public_link": "contact"})),
        )
        .await
        .json()["id"]
        .as_str()
        .expect("survey id")
        .to_string();
    let r = app
        .post(
            &format!("/s/{survey}"),
            None,
            &[
                ("q1", "Because."),
                ("first_name", "X"),
                ("last_name", "Y"),
                ("email", &address),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pages: Vec<(&Session, String)> = [
        "/",
        "/members",
        "/members?status=lapsed",
        &format!("/members?q={}", people[3].number),
        &format!("/members/{someone}"),
        &format!("/members/{someone}/edit"),
        &format!("/members/{someone}/payment"),
        &format!("/members/{someone}/leaving"),
        "/members/export?format=csv",
        "/segments",
        "/roles",
        "/reports",
        "/reports/trends",
        &report,
        &format!("{report}/export?format=csv"),
        "/calls",
        &format!("/calls/new?from={from}"),
        &list,
        "/tasks",
        "/account/two-factor",
        "/emails",
        "/emails/new",
        "/emails/bounced",
        &email,
        "/reports/eligibility?right=attend_meetings",
        "/organisations",
        &format!("/organisations/{org}"),
        "/surveys",
        &format!("/surveys/{survey}"),
    ]
    .iter()
    .map(|p| (&s, p.to_string()))
    .chain(
        [
            "/".to_string(),
            format!("{list}/call"),
            format!("/members/{second}"),
            "/tasks".to_string(),
            list.clone(),
        ]
        .into_iter()
        .map(|p| (&c, p)),
    )
    .collect();

    let mut showed: HashSet<String> = HashSet::new();
    for (who, path) in &pages {
        let before = last_entry(&t, &app, &parties).await;
        let r = app.get(path, Some(who)).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        for p in shown(&r.body, &people) {
            showed.insert(path.clone());
            assert!(
                named_since(&t, &app, before, &p.id).await,
                "GET {path} showed {} without an audit entry naming them",
                p.name
            );
        }
    }
    let caller_token = app.token(CALLER).await;
    let api: Vec<(&str, String)> = [
        "/api/v1/members".to_string(),
        "/api/v1/members?status=current&limit=20".into(),
        format!("/api/v1/members/{someone}"),
        format!("/api/v1/members/{someone}/payments"),
        "/api/v1/units".into(),
        "/api/v1/segments".into(),
        format!("/api/v1/segments/{segment}/members"),
        "/api/v1/eligibility?right=attend_meetings".into(),
        "/api/v1/organisations".into(),
        format!("/api/v1/organisations/{org}"),
        "/api/v1/surveys".into(),
        format!("/api/v1/surveys/{survey}"),
        format!("/api/v1/surveys/{survey}/answers"),
    ]
    .into_iter()
    .map(|p| (sec_token.as_str(), p))
    .chain(std::iter::once((
        caller_token.as_str(),
        "/api/v1/members".to_string(),
    )))
    .collect();
    for (token, path) in &api {
        let before = last_entry(&t, &app, &parties).await;
        let r = app.api("GET", path, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        for p in shown(&r.body, &people) {
            showed.insert(path.clone());
            assert!(
                named_since(&t, &app, before, &p.id).await,
                "GET {path} showed {} without an audit entry naming them",
                p.name
            );
        }
    }
    // The walk met people where it should have: it cannot pass by showing no one.
    for path in [
        "/members".to_string(),
        format!("/members/{someone}"),
        format!("/members/{someone}/edit"),
        format!("/members/{someone}/payment"),
        format!("/members/{someone}/leaving"),
        "/members/export?format=csv".into(),
        report.clone(),
        format!("{report}/export?format=csv"),
        list.clone(),
        "/tasks".into(),
        format!("{list}/call"),
        email.clone(),
        "/reports/eligibility?right=attend_meetings".into(),
        "/api/v1/members".into(),
        format!("/api/v1/segments/{segment}/members"),
        format!("/organisations/{org}"),
        format!("/api/v1/organisations/{org}"),
        format!("/api/v1/surveys/{survey}/answers"),
    ] {
        assert!(showed.contains(&path), "{path} showed nobody: {showed:?}");
    }
    // Every action the walk wrote has words for the Secretary's page.
    let mut tx = t.db.begin_read().await.expect("tx");
    let all = audit::search(
        &mut tx,
        &audit::Search {
            local_parties: parties.clone(),
            ..Default::default()
        },
        100_000,
    )
    .await
    .expect("search");
    let codes: HashSet<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert!(codes.len() > 10, "{codes:?}");
    for code in codes {
        assert!(
            rosette::domain::actions::ACTIONS
                .iter()
                .any(|(c, _)| *c == code),
            "{code} has no words on the audit page"
        );
    }
    let log = app.get("/audit", Some(&s)).await.body;
    assert!(log.contains("Opened a record") && !log.contains("member.view</"));
}

/// Many lists read at once: every one is in the journal before its reply, and in the log
/// once it is taken in, though their entries share transactions.
async fn lists_read_at_once_are_each_audited(t: TestDb) {
    use tower::ServiceExt;
    let app = App::new(&t).await;
    let token = app.token(MEMBERSHIP).await;
    let parties: Vec<i64> = {
        let mut tx = t.db.begin_read().await.expect("tx");
        units::list(&mut tx)
            .await
            .expect("units")
            .into_iter()
            .map(|u| u.id)
            .collect()
    };
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..40 {
        let router = app.app.clone();
        let token = token.clone();
        requests.spawn(async move {
            let request = axum::http::Request::get(format!("/api/v1/members?limit={}", 5 + i))
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .expect("request");
            router.oneshot(request).await.expect("reply").status()
        });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.expect("task"), StatusCode::OK);
    }
    app.audit.flush().await.expect("journal taken in");
    let mut tx = t.db.begin_read().await.expect("tx");
    let entries = audit::search(
        &mut tx,
        &audit::Search {
            local_parties: parties,
            action: Some("api.member.list".into()),
            ..Default::default()
        },
        100,
    )
    .await
    .expect("search");
    assert_eq!(entries.len(), 40, "one entry for each list read");
    let mut sizes: Vec<usize> = entries
        .iter()
        .map(|e| {
            e.detail
                .rsplit("; ")
                .next()
                .and_then(|n| n.trim_end_matches(" people").parse().ok())
                .expect("a count of people")
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(
        sizes,
        (5..45).collect::<Vec<usize>>(),
        "each names its own page"
    );
}

crate::both!(
    every_route_that_shows_a_person_audits_them,
    lists_read_at_once_are_each_audited,
);
