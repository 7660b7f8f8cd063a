//! The web app and API driven in-process, on both engines: sign-in, every role over every
//! route (including records of another branch, and a man for the Women's Officer), scoped
//! lists, status filters against the domain rules, CSRF, escaping, invalid input, payments,
//! invitations and the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use common::TestDb;
use http_body_util::BodyExt;
use rosette::domain::{Rules, Status};
use rosette::mail::Mailer;
use rosette::store::{Db, outbox};
use rosette::web::{AppState, WebConfig, router};
use rosette::{demo, officers};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default()
}

struct App {
    db: Db,
    app: axum::Router,
}

struct Session {
    cookie: String,
    csrf: String,
}

struct Reply {
    status: StatusCode,
    location: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl App {
    async fn new(t: &TestDb) -> App {
        let rules = Rules::defaults().expect("rules");
        demo::generate(&t.db, &rules, 400, 7, today(), &|_| {})
            .await
            .expect("demo");
        demo::add_officers(&t.db, "https://rosette.example")
            .await
            .expect("officers");
        let mail_dir = std::env::temp_dir().join(format!("rosette-mail-{}", uuid::Uuid::new_v4()));
        let state = AppState {
            db: t.db.clone(),
            rules: Arc::new(rules),
            today,
            config: Arc::new(WebConfig {
                public_url: "https://rosette.example".into(),
                mailer: Mailer::new(None, "Rosette <rosette@example.org>", mail_dir)
                    .expect("mailer"),
            }),
        };
        App {
            db: t.db.clone(),
            app: router(state),
        }
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, s: Option<&Session>) -> Reply {
        let mut r = Request::get(path);
        if let Some(s) = s {
            r = r.header(header::COOKIE, &s.cookie);
        }
        self.send(r.body(Body::empty()).expect("request")).await
    }

    async fn post(&self, path: &str, s: Option<&Session>, form: &[(&str, &str)]) -> Reply {
        let mut r =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = s {
            r = r.header(header::COOKIE, &s.cookie);
        }
        let body = serde_urlencoded::to_string(form).expect("form");
        self.send(r.body(Body::from(body)).expect("request")).await
    }

    async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut r = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                r = r.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(r.body(body).expect("request")).await
    }

    async fn sign_in(&self, email: &str) -> Session {
        let r = Request::post("/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                serde_urlencoded::to_string([
                    ("email", email),
                    ("password", demo::PASSWORD),
                    ("next", "/"),
                ])
                .expect("form"),
            ))
            .expect("request");
        let res = self.app.clone().oneshot(r).await.expect("response");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
        let set = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("cookie")
            .to_string();
        for attr in [
            "__Host-rosette=",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
        ] {
            assert!(set.contains(attr), "{attr} missing from {set}");
        }
        let cookie = set.split(';').next().expect("pair").to_string();
        let mut s = Session {
            cookie,
            csrf: String::new(),
        };
        let mut home = self.get("/", Some(&s)).await;
        if !home.location.is_empty() {
            home = self.get(&home.location.clone(), Some(&s)).await;
        }
        s.csrf = home
            .body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("csrf on the page")
            .to_string();
        s
    }

    async fn token(&self, email: &str) -> String {
        officers::create_token(&self.db, email)
            .await
            .expect("token")
    }

    /// Every member the token can list, following cursors.
    async fn all(&self, token: &str, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        loop {
            let sep = if query.is_empty() { "" } else { "&" };
            let r = self
                .api(
                    "GET",
                    &format!("/api/v1/members?limit=37{sep}{query}{cursor}"),
                    Some(token),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let v = r.json();
            items.extend(v["items"].as_array().expect("items").iter().cloned());
            match v["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return items,
            }
        }
    }
}

const SECRETARY: &str = "secretary@example.org";
const MEMBERSHIP: &str = "membership@example.org";
const WOMEN: &str = "women@example.org";
const BRANCH: &str = "branch@example.org";
const CALLER: &str = "caller@example.org";

async fn roles_see_what_design_says(t: TestDb) {
    let app = App::new(&t).await;
    let sec = app.token(SECRETARY).await;
    let everyone = app.all(&sec, "").await;
    assert_eq!(everyone.len(), 400);
    let ids: std::collections::HashSet<&str> = everyone
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 400, "paging repeats or skips nobody");
    for key in [
        "id",
        "membership_number",
        "first_name",
        "last_name",
        "branch",
        "status",
        "kind",
        "gender",
    ] {
        assert!(everyone[0].get(key).is_some(), "{key} in {}", everyone[0]);
    }

    let branch_token = app.token(BRANCH).await;
    let units = app
        .api("GET", "/api/v1/units", Some(&branch_token), None)
        .await
        .json();
    let my_branch = units["items"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["kind"] == "branch")
        .and_then(|u| u["slug"].as_str())
        .expect("branch")
        .to_string();
    let mine = app.all(&branch_token, "").await;
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|m| m["branch"]["slug"] == my_branch.as_str())
    );
    let in_branch = everyone
        .iter()
        .filter(|m| m["branch"]["slug"] == my_branch.as_str())
        .count();
    assert_eq!(mine.len(), in_branch);
    let other = everyone
        .iter()
        .find(|m| m["branch"]["slug"] != my_branch.as_str())
        .expect("another branch");
    let other_id = other["id"].as_str().expect("id");
    let own_id = mine[0]["id"].as_str().expect("id");

    let women_token = app.token(WOMEN).await;
    let women = app.all(&women_token, "").await;
    assert!(!women.is_empty() && women.iter().all(|m| m["gender"] == "woman"));
    let man = everyone
        .iter()
        .find(|m| m["gender"] == "man")
        .expect("a man");
    let man_id = man["id"].as_str().expect("id");
    let woman_id = women[0]["id"].as_str().expect("id");

    let caller_token = app.token(CALLER).await;
    let chair_token = app.token("chair@example.org").await;
    let bms_token = app.token("branch-membership@example.org").await;
    assert!(
        app.all(&caller_token, "").await.is_empty(),
        "a caller sees nobody until people are shared"
    );

    // Pages, walked by each role: (role, path, expected status).
    let member = |id: &str| format!("/members/{id}");
    // Each role with the column of the table below it follows: the Chair sees what the
    // Membership Officer sees, a Branch Membership Secretary what a Branch Secretary sees.
    let sessions = [
        (SECRETARY, app.sign_in(SECRETARY).await, 0),
        (MEMBERSHIP, app.sign_in(MEMBERSHIP).await, 1),
        (WOMEN, app.sign_in(WOMEN).await, 2),
        (BRANCH, app.sign_in(BRANCH).await, 3),
        (CALLER, app.sign_in(CALLER).await, 4),
        (
            "chair@example.org",
            app.sign_in("chair@example.org").await,
            1,
        ),
        (
            "branch-membership@example.org",
            app.sign_in("branch-membership@example.org").await,
            3,
        ),
    ];
    let ok = StatusCode::OK;
    let nf = StatusCode::NOT_FOUND;
    let no = StatusCode::FORBIDDEN;
    let expect: Vec<(&str, String, [StatusCode; 5])> = vec![
        ("home", "/".into(), [ok, ok, ok, ok, ok]),
        ("list", "/members".into(), [ok, ok, ok, ok, ok]),
        (
            "other branch",
            member(other_id),
            [
                ok,
                ok,
                if other["gender"] == "woman" { ok } else { nf },
                nf,
                nf,
            ],
        ),
        (
            "own branch",
            member(own_id),
            [
                ok,
                ok,
                if mine[0]["gender"] == "woman" { ok } else { nf },
                ok,
                nf,
            ],
        ),
        (
            "a man",
            member(man_id),
            [
                ok,
                ok,
                nf,
                if man["branch"]["slug"] == my_branch.as_str() {
                    ok
                } else {
                    nf
                },
                nf,
            ],
        ),
        (
            "a woman",
            member(woman_id),
            [
                ok,
                ok,
                ok,
                if women[0]["branch"]["slug"] == my_branch.as_str() {
                    ok
                } else {
                    nf
                },
                nf,
            ],
        ),
        (
            "edit a man",
            format!("/members/{man_id}/edit"),
            [
                ok,
                ok,
                nf,
                if man["branch"]["slug"] == my_branch.as_str() {
                    ok
                } else {
                    nf
                },
                nf,
            ],
        ),
        (
            "pay other branch",
            format!("/members/{other_id}/payment"),
            [
                ok,
                ok,
                if other["gender"] == "woman" { ok } else { nf },
                nf,
                nf,
            ],
        ),
        (
            "leaving",
            format!("/members/{woman_id}/leaving"),
            [
                ok,
                ok,
                ok,
                if women[0]["branch"]["slug"] == my_branch.as_str() {
                    ok
                } else {
                    nf
                },
                nf,
            ],
        ),
        (
            "unknown member",
            member("01900000-0000-7000-8000-000000000000"),
            [nf, nf, nf, nf, nf],
        ),
        ("segments", "/segments".into(), [ok, ok, ok, ok, ok]),
        ("roles", "/roles".into(), [ok, ok, ok, ok, no]),
        ("audit", "/audit".into(), [ok, no, no, no, no]),
        ("reports", "/reports".into(), [ok, ok, ok, ok, no]),
        ("tasks", "/tasks".into(), [ok, ok, ok, ok, ok]),
        ("calls", "/calls".into(), [ok, ok, ok, ok, ok]),
        (
            "export",
            "/members/export?format=csv".into(),
            [ok, ok, ok, ok, no],
        ),
    ];
    for (what, path, statuses) in &expect {
        for (who, s, column) in &sessions {
            let r = app.get(path, Some(s)).await;
            assert_eq!(r.status, statuses[*column], "{who} GET {path} ({what})");
        }
    }
    // The API with the same scope: out of scope is 404, whatever the id.
    for (token, id, want) in [
        (&branch_token, other_id, nf),
        (&branch_token, own_id, ok),
        (&women_token, man_id, nf),
        (&women_token, woman_id, ok),
        (&caller_token, own_id, nf),
        (&sec, man_id, ok),
        (&chair_token, man_id, ok),
        (&bms_token, other_id, nf),
        (&bms_token, own_id, ok),
    ] {
        let r = app
            .api("GET", &format!("/api/v1/members/{id}"), Some(token), None)
            .await;
        assert_eq!(r.status, want, "GET member {id}: {}", r.body);
        let r = app
            .api(
                "PATCH",
                &format!("/api/v1/members/{id}"),
                Some(token),
                Some(serde_json::json!({"town": "Rivermouth"})),
            )
            .await;
        assert_eq!(
            r.status,
            if want == ok { ok } else { nf },
            "PATCH {id}: {}",
            r.body
        );
        let r = app
            .api(
                "GET",
                &format!("/api/v1/members/{id}/payments"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            if want == ok {
                ok
            } else if token == &caller_token {
                no
            } else {
                nf
            },
            "payments {id}"
        );
    }
    for path in [
        "/api/v1/members",
        "/api/v1/units",
        "/api/v1/segments",
        &format!("/api/v1/members/{own_id}"),
    ] {
        assert_eq!(
            app.api("GET", path, None, None).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            app.api("GET", path, Some("not-a-token"), None).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let spec = app.api("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(spec.status, ok);
    assert_eq!(spec.json()["openapi"], "3.1.0");

    // Sharing someone with the caller lets her see just them, and only name and phone.
    let sec_session = &sessions[0].1;
    let roles = app.get("/roles", Some(sec_session)).await;
    assert!(roles.body.contains("Dee Campbell"));
    let page = app.get(&member(man_id), Some(sec_session)).await;
    let caller_id = page
        .body
        .split("name=\"caller\"")
        .nth(1)
        .and_then(|sel| sel.split("<option value=\"").nth(1))
        .and_then(|r| r.split('"').next())
        .expect("a caller to share with")
        .to_string();
    let r = app
        .post(
            &format!("/members/{man_id}/share"),
            Some(sec_session),
            &[("csrf", &sec_session.csrf), ("caller", &caller_id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let caller_session = &sessions[4].1;
    let seen = app.get(&member(man_id), Some(caller_session)).await;
    assert_eq!(seen.status, ok);
    assert!(
        !seen.body.contains("Membership history") && !seen.body.contains("Consents"),
        "a caller sees name and phone only"
    );
    let listed = app.all(&caller_token, "").await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("email").is_none());
    assert_eq!(
        app.get(&member(other_id), Some(caller_session))
            .await
            .status,
        if other_id == man_id { ok } else { nf }
    );
    assert_eq!(
        app.get(&format!("/members/{man_id}/edit"), Some(caller_session))
            .await
            .status,
        no
    );
}

async fn status_filters_agree_with_the_rules(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(MEMBERSHIP).await;
    let everyone = app.all(&token, "").await;
    let mut total = 0;
    for status in Status::ALL {
        let picked = app
            .all(&token, &format!("status={}", status.as_str()))
            .await;
        assert!(
            picked.iter().all(|m| m["status"] == status.as_str()),
            "{status}: SQL and rules disagree"
        );
        let by_rules = everyone
            .iter()
            .filter(|m| m["status"] == status.as_str())
            .count();
        assert_eq!(picked.len(), by_rules, "{status}");
        total += picked.len();
    }
    assert_eq!(total, everyone.len(), "every member has exactly one status");
    let r = app
        .api(
            "GET",
            "/api/v1/members?status=asleep&limit=900",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["field"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(fields, ["status"]);
    let r = app
        .api("GET", "/api/v1/members?limit=501", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Search by number, postcode and name finds the person.
    let m = &everyone[5];
    for q in [
        m["membership_number"].as_str().unwrap_or(""),
        m["last_name"].as_str().unwrap_or(""),
    ] {
        let found = app
            .all(&token, &serde_urlencoded::to_string([("q", q)]).expect("q"))
            .await;
        assert!(found.iter().any(|x| x["id"] == m["id"]), "search {q}");
    }
    if let Some(pc) = m["postcode"].as_str() {
        let found = app
            .all(
                &token,
                &serde_urlencoded::to_string([("q", pc.to_lowercase())]).expect("q"),
            )
            .await;
        assert!(
            found.iter().all(|x| x["postcode"] == pc) && !found.is_empty(),
            "postcode {pc}"
        );
    }
}

both!(
    roles_see_what_design_says,
    status_filters_agree_with_the_rules
);

#[tokio::test]
async fn edits_are_escaped_checked_protected_and_audited() {
    let t = TestDb::sqlite().await;
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let token = app.token(SECRETARY).await;
    let someone = &app.all(&token, "status=current").await[0];
    let id = someone["id"].as_str().expect("id").to_string();
    let edit = format!("/members/{id}/edit");
    let base = [
        ("first_name", "<script>alert(1)</script>"),
        ("last_name", "O'Brien & Sons"),
        ("mobile", "07700 900461"),
        ("email", ""),
        ("kind", "member"),
    ];

    // No CSRF token: refused, nothing saved.
    let r = app.post(&edit, Some(&s), &base).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A post from another site is refused before the handler.
    let req = Request::post(&edit)
        .header(header::COOKIE, &s.cookie)
        .header(header::HOST, "rosette.example")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "csrf={}&first_name=x&last_name=y",
            s.csrf
        )))
        .expect("request");
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    // Invalid input: a message next to the field, nothing saved.
    let mut bad: Vec<(&str, &str)> = base.to_vec();
    bad.push(("csrf", &s.csrf));
    bad.retain(|(k, _)| *k != "mobile");
    bad.push(("mobile", "12345"));
    let r = app.post(&edit, Some(&s), &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"e-mobile\""),
        "message next to the field"
    );
    assert!(r.body.contains("aria-invalid=\"true\""));
    let after = app
        .api("GET", &format!("/api/v1/members/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(after["first_name"], someone["first_name"], "nothing saved");

    let mut good: Vec<(&str, &str)> = base.to_vec();
    good.push(("csrf", &s.csrf));
    let r = app.post(&edit, Some(&s), &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app
        .api("GET", &format!("/api/v1/members/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(after["mobile"], "+447700900461");
    for page in [
        format!("/members/{id}"),
        "/members?q=O%27Brien".to_string(),
        "/audit".to_string(),
    ] {
        let r = app.get(&page, Some(&s)).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        assert!(
            !r.body.contains("<script>alert(1)</script>"),
            "{page} shows the name as markup"
        );
        if page != "/audit" {
            assert!(
                r.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                    || r.body.contains("&lt;script&gt;"),
                "{page}"
            );
        }
    }

    // A payment moves paid-until on and is written to the history and the audit log.
    let before = after["paid_until"]
        .as_str()
        .expect("paid until")
        .to_string();
    let r = app
        .post(
            &format!("/members/{id}/payment"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("amount", "fifty"),
                ("paid_on", ""),
                ("method", "card"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-amount\""));
    let r = app
        .post(
            &format!("/members/{id}/payment"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("amount", "£60.00"),
                ("paid_on", "2026-11-19"),
                ("method", "card"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let paid = app
        .api("GET", &format!("/api/v1/members/{id}"), Some(&token), None)
        .await
        .json();
    assert!(paid["paid_until"].as_str().expect("paid") > before.as_str());
    let page = app.get(&format!("/members/{id}"), Some(&s)).await.body;
    assert!(
        page.contains("Renewed") && page.contains("£60.00"),
        "history and payments show it"
    );
    let audit = app.get(&format!("/audit?about={id}"), Some(&s)).await.body;
    for action in ["member.update", "payment.record", "member.view"] {
        assert!(audit.contains(action), "{action} in the audit log");
    }
    // The API records payments with the same checks.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/members/{id}/payments"),
            Some(&token),
            Some(serde_json::json!({"amount": "-1", "method": "card"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Leaving: a resignation is history, and the status follows.
    let r = app
        .post(
            &format!("/members/{id}/leaving"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("reason", "resigned"),
                ("on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let gone = app
        .api("GET", &format!("/api/v1/members/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(gone["status"], "resigned");

    // Export within scope, audited.
    let csv = app
        .get("/members/export?format=csv&status=resigned", Some(&s))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("membership_number,"));
    assert!(
        csv.body.contains("<script>alert(1)</script>"),
        "a CSV holds the name as written: {}",
        csv.body
    );
    assert!(
        app.get("/audit?action=export", Some(&s))
            .await
            .body
            .contains("member export")
    );

    // Signing out ends the session.
    let r = app.post("/sign-out", Some(&s), &[("csrf", &s.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        app.get("/members", Some(&s))
            .await
            .location
            .starts_with("/sign-in")
    );
}

#[tokio::test]
async fn sign_in_is_throttled_and_invitations_set_passwords() {
    let t = TestDb::sqlite().await;
    let app = App::new(&t).await;
    for _ in 0..5 {
        let r = app
            .post(
                "/sign-in",
                None,
                &[("email", BRANCH), ("password", "wrong password here")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("do not match"));
    }
    let r = app
        .post(
            "/sign-in",
            None,
            &[("email", BRANCH), ("password", demo::PASSWORD)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the sixth try is refused even with the right password"
    );
    // An unknown address gets the same answer as a wrong password.
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "nobody@example.org"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("do not match"));

    // The Secretary invites a Branch Secretary, who sets a password from the emailed link.
    let s = app.sign_in(SECRETARY).await;
    let roles = app.get("/roles", Some(&s)).await.body;
    let units = roles.split("name=\"unit\"").nth(1).expect("unit select");
    let branch = units
        .split("<option value=\"")
        .skip(1)
        .filter_map(|o| o.split('"').next())
        .find(|v| *v != "local-party")
        .expect("a branch")
        .to_string();
    let r = app
        .post(
            "/roles",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Ada Lovegood"),
                ("email", "ada@example.org"),
                ("role", "branch-secretary"),
                ("unit", "local-party"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a branch role is refused for the local party"
    );
    let r = app
        .post(
            "/roles",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Ada Lovegood"),
                ("email", "ada@example.org"),
                ("role", "branch-secretary"),
                ("unit", &branch),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{branch}: {}", r.body);
    assert!(r.body.contains("sent an invitation"));
    let mut tx = app.db.begin().await.expect("tx");
    let mail = outbox::recent(&mut tx, 5).await.expect("outbox");
    drop(tx);
    let invite = mail
        .iter()
        .find(|m| m.to_address == "ada@example.org")
        .expect("invitation queued");
    let link = invite
        .body
        .split_whitespace()
        .find(|w| w.contains("/welcome/"))
        .expect("link");
    let path = link.trim_start_matches("https://rosette.example");
    assert_eq!(app.get(path, None).await.status, StatusCode::OK);
    let r = app
        .post(
            path,
            None,
            &[("password", "password1"), ("password_again", "password1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            path,
            None,
            &[
                ("password", "tulip harbour lantern"),
                ("password_again", "tulip harbour lantern"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(path, None).await.status,
        StatusCode::GONE,
        "a link works once"
    );
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "ada@example.org"),
                ("password", "tulip harbour lantern"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A forgotten password: the same answer for any address, a one-hour link for a real one.
    let r = app
        .post("/reset", None, &[("email", "nobody@example.org")])
        .await;
    assert!(r.body.contains("If that address has an account"));
    let r = app
        .post("/reset", None, &[("email", "ada@example.org")])
        .await;
    assert!(r.body.contains("If that address has an account"));
    let mut tx = app.db.begin().await.expect("tx");
    let mail = outbox::recent(&mut tx, 10).await.expect("outbox");
    drop(tx);
    assert!(!mail.iter().any(|m| m.to_address == "nobody@example.org"));
    let reset = mail
        .iter()
        .find(|m| m.subject.contains("Reset"))
        .expect("reset mail");
    let path = reset
        .body
        .split_whitespace()
        .find(|w| w.contains("/reset/"))
        .expect("link")
        .trim_start_matches("https://rosette.example")
        .to_string();
    let r = app
        .post(
            &path,
            None,
            &[
                ("password", "copper kettle meadow"),
                ("password_again", "copper kettle meadow"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "ada@example.org"),
                ("password", "tulip harbour lantern"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("email", "ada@example.org"),
                ("password", "copper kettle meadow"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Only the Secretary gives roles.
    let m = app.sign_in(MEMBERSHIP).await;
    let r = app
        .post(
            "/roles",
            Some(&m),
            &[
                ("csrf", &m.csrf),
                ("name", "X Y"),
                ("email", "x@example.org"),
                ("role", "secretary"),
                ("unit", "local-party"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_step_sign_in_can_be_set_up_used_and_required() {
    let t = TestDb::sqlite().await;
    let app = App::new(&t).await;
    let now = || u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let s = app.sign_in(SECRETARY).await;
    let r = app
        .post("/account/two-factor/start", Some(&s), &[("csrf", &s.csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/account/two-factor", Some(&s)).await.body;
    let secret = page
        .split("id=\"totp-key\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the key to type in")
        .to_string();
    let r = app
        .post(
            "/account/two-factor/confirm",
            Some(&s),
            &[("csrf", &s.csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = rosette::secrets::totp_code(&secret, now()).expect("code");
    let r = app
        .post(
            "/account/two-factor/confirm",
            Some(&s),
            &[("csrf", &s.csrf), ("code", &code)],
        )
        .await;
    assert_eq!(r.location, "/account/two-factor?done=on");

    // Next sign-in: the password alone reaches nothing.
    let req = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={SECRETARY}&password=rosette+demo+sign-in&next=%2Fmembers"
        )))
        .expect("request");
    let res = app.app.clone().oneshot(req).await.expect("response");
    let to = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(to.starts_with("/sign-in/code"), "{to}");
    let pending = Session {
        cookie: res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("cookie")
            .to_string(),
        csrf: String::new(),
    };
    assert!(
        app.get("/members", Some(&pending))
            .await
            .location
            .starts_with("/sign-in/code")
    );
    assert_eq!(
        app.api("GET", "/sign-in/code", None, None).await.location,
        "/sign-in"
    );
    let r = app
        .post(
            "/sign-in/code",
            Some(&pending),
            &[("code", &code), ("next", "/members")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a code works once");
    let next = rosette::secrets::totp_code(&secret, now() + 30).expect("code");
    let r = app
        .post(
            "/sign-in/code",
            Some(&pending),
            &[("code", &next), ("next", "/members")],
        )
        .await;
    assert_eq!(r.location, "/members");
    let home = app.get("/", Some(&pending)).await;
    assert_eq!(home.status, StatusCode::OK);
    let csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf")
        .to_string();
    let full = Session {
        cookie: pending.cookie.clone(),
        csrf,
    };

    // The Secretary requires it of officers who see every member.
    let r = app
        .post(
            "/roles/two-factor",
            Some(&full),
            &[("csrf", &full.csrf), ("require", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let m = app.sign_in(MEMBERSHIP).await;
    assert_eq!(
        app.get("/members", Some(&m)).await.location,
        "/account/two-factor"
    );
    assert!(
        app.get("/account/two-factor", Some(&m))
            .await
            .body
            .contains("asks officers who can see every member")
    );
    let b = app.sign_in(BRANCH).await;
    assert_eq!(
        app.get("/members", Some(&b)).await.status,
        StatusCode::OK,
        "a branch officer is not asked"
    );
    let r = app
        .post(
            "/account/two-factor/off",
            Some(&full),
            &[("csrf", &full.csrf), ("code", &next)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cannot be turned off while required"
    );
}

#[tokio::test]
async fn action_reports_show_each_officer_their_slice() {
    let t = TestDb::sqlite().await;
    let app = App::new(&t).await;
    let s = app.sign_in(MEMBERSHIP).await;
    let r = app.post("/reports", Some(&s), &[("csrf", &s.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location.clone();
    assert!(path.starts_with("/reports/"));
    let again = app.post("/reports", Some(&s), &[("csrf", &s.csrf)]).await;
    assert_eq!(again.location, path, "the same period is kept once");
    let whole = app.get(&path, Some(&s)).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert!(whole.body.contains("In arrears") && whole.body.contains("Entered arrears"));
    let b = app.sign_in(BRANCH).await;
    let slice = app.get(&path, Some(&b)).await;
    assert_eq!(slice.status, StatusCode::OK);
    let count = |body: &str| body.matches("href=\"/members/").count();
    assert!(
        count(&slice.body) < count(&whole.body),
        "a branch sees its slice"
    );
    let token = app.token(BRANCH).await;
    let mine: Vec<String> = app
        .all(&token, "")
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap_or("").to_string())
        .collect();
    for link in slice.body.split("href=\"/members/").skip(1) {
        let id = link.split('"').next().unwrap_or("");
        assert!(mine.iter().any(|m| m == id), "{id} is not in the branch");
    }
    let csv = app
        .get(&format!("{path}/export?format=csv"), Some(&b))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("section,membership_number"));
    assert_eq!(
        csv.body.lines().count() - 1,
        count(&slice.body),
        "the export is the slice"
    );
    assert!(slice.body.contains("contacted"), "progress is shown");
    let c = app.sign_in(CALLER).await;
    assert_eq!(app.get(&path, Some(&c)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("{path}/export"), Some(&c)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/reports", Some(&b), &[("csrf", &b.csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN,
        "a branch officer cannot make the whole report"
    );
}

#[tokio::test]
async fn call_lists_share_people_between_callers_without_overlap() {
    let t = TestDb::sqlite().await;
    let app = App::new(&t).await;
    let m = app.sign_in(MEMBERSHIP).await;
    let report = app
        .post("/reports", Some(&m), &[("csrf", &m.csrf)])
        .await
        .location;
    let report_id = report.trim_start_matches("/reports/").to_string();
    let from = format!("report:{report_id}:in_arrears");
    let page = app.get(&format!("/calls/new?from={from}"), Some(&m)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("left out for want of phone consent or a number")
    );
    let callers: Vec<String> = page
        .body
        .split("name=\"caller\" value=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next().map(str::to_string))
        .collect();
    assert!(callers.len() >= 2);
    let users: Vec<(String, String)> = {
        let mut tx = t.db.begin_read().await.expect("tx");
        let mut out = Vec::new();
        for email in [CALLER, "caller2@example.org"] {
            let u = rosette::store::accounts::user_by_email(&mut tx, email)
                .await
                .expect("q")
                .expect("user");
            out.push((email.to_string(), u.public_id));
        }
        out
    };
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &m.csrf),
        ("from", &from),
        ("name", "Arrears this fortnight"),
        ("script", "Hello, I'm calling from your local party…"),
        ("done_when", "reached"),
        ("min_gap_hours", "24"),
    ];
    for (_, id) in &users {
        form.push(("caller", id));
    }
    let r = app.post("/calls", Some(&m), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = r.location.clone();

    // Two callers ask for the next person at the same moment: they get different people.
    let c1 = app.sign_in(CALLER).await;
    let c2 = app.sign_in("caller2@example.org").await;
    let next = format!("{list}/next");
    let (f1, f2) = ([("csrf", c1.csrf.as_str())], [("csrf", c2.csrf.as_str())]);
    let (a, b) = tokio::join!(
        app.post(&next, Some(&c1), &f1),
        app.post(&next, Some(&c2), &f2)
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let person_of = |body: &str| {
        body.split("name=\"person\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_string)
    };
    let p1 = person_of(&app.get(&format!("{list}/call"), Some(&c1)).await.body)
        .expect("caller 1 has someone");
    let call2 = app.get(&format!("{list}/call"), Some(&c2)).await;
    let p2 = person_of(&call2.body).expect("caller 2 has someone");
    assert_ne!(p1, p2, "two callers never get the same person");
    assert!(call2.body.contains("href=\"tel:+44"), "a tel: link");
    cannot_open(&app, &c2, &p1).await;

    // Recording for someone you do not hold is refused; your own is saved and timelined.
    let r = app
        .post(
            &format!("{list}/outcome"),
            Some(&c2),
            &[
                ("csrf", &c2.csrf),
                ("person", &p1),
                ("outcome", "no_answer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &format!("{list}/outcome"),
            Some(&c1),
            &[("csrf", &c1.csrf), ("person", &p1), ("outcome", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &format!("{list}/outcome"),
            Some(&c1),
            &[
                ("csrf", &c1.csrf),
                ("person", &p1),
                ("outcome", "do_not_call"),
                ("notes", "asked politely"),
                ("needs_officer", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let member = app.get(&format!("/members/{p1}"), Some(&m)).await.body;
    assert!(
        member.contains("Call: Spoke: do not call again") && member.contains("asked politely"),
        "on the timeline"
    );
    let organiser = app.get(&list, Some(&m)).await.body;
    assert!(
        organiser.contains(&format!("/members/{p1}")),
        "flagged for an officer"
    );
    // Asked not to be called: phone consent is withdrawn, so a new list leaves them out.
    let token = app.token(MEMBERSHIP).await;
    let consent = app
        .api("GET", &format!("/api/v1/members/{p1}"), Some(&token), None)
        .await
        .json();
    assert_eq!(consent["consents"]["phone"], false);
    // The next person for caller 1 is someone new, never p1 or p2.
    app.post(&next, Some(&c1), &[("csrf", &c1.csrf)]).await;
    let p3 = person_of(&app.get(&format!("{list}/call"), Some(&c1)).await.body);
    assert!(p3.as_deref() != Some(p1.as_str()) && p3.as_deref() != Some(p2.as_str()));
    // Caller 1 lets p3 go (no answer), so the second list may offer them.
    if let Some(p) = &p3 {
        app.post(
            &format!("{list}/outcome"),
            Some(&c1),
            &[("csrf", &c1.csrf), ("person", p), ("outcome", "no_answer")],
        )
        .await;
    }
    // "Call back" makes a follow-up for the caller, due when the person asked.
    let r = app
        .post(
            &format!("{list}/outcome"),
            Some(&c2),
            &[
                ("csrf", &c2.csrf),
                ("person", &p2),
                ("outcome", "call_back"),
                ("call_back_on", "2026-11-25"),
                ("notes", "after work"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mine = app.get("/tasks", Some(&c2)).await.body;
    assert!(
        mine.contains("Call back")
            && mine.contains(&format!("/members/{p2}"))
            && mine.contains("25 Nov 2026"),
        "{mine}"
    );
    let task = mine
        .split("action=\"/tasks/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("task id")
        .to_string();
    let r = app
        .post(
            &format!("/tasks/{task}/done"),
            Some(&c1),
            &[("csrf", &c1.csrf)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "only the assignee closes a task"
    );
    let r = app
        .post(
            &format!("/tasks/{task}/done"),
            Some(&c2),
            &[("csrf", &c2.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !app.get("/tasks", Some(&c2))
            .await
            .body
            .contains(&format!("/members/{p2}"))
    );
    // An officer gives a follow-up by hand from the member's page.
    let member = app.get(&format!("/members/{p2}"), Some(&m)).await.body;
    let branch_user = member
        .split("name=\"assignee\"")
        .nth(1)
        .and_then(|sel| {
            sel.split("<option value=\"")
                .skip(1)
                .find(|o| o.contains("Tom Ashworth"))
        })
        .and_then(|o| o.split('"').next())
        .expect("the Branch Secretary to assign")
        .to_string();
    let r = app
        .post(
            &format!("/members/{p2}/tasks"),
            Some(&m),
            &[
                ("csrf", &m.csrf),
                ("kind", "welcome_one_to_one"),
                ("assignee", &branch_user),
                ("due_on", "01/12/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let b = app.sign_in(BRANCH).await;
    assert!(
        app.get("/tasks", Some(&b))
            .await
            .body
            .contains("Welcome one-to-one")
    );
    let member = app.get(&format!("/members/{p1}"), Some(&m)).await.body;
    assert!(
        member.contains("no phone calls") && !member.contains("href=\"tel:"),
        "no tel: link once they said no"
    );
    // A "done when renewed" list: someone who renews meanwhile is never called.
    let p3 = p3.expect("a third person");
    let mut form2: Vec<(&str, &str)> = vec![
        ("csrf", &m.csrf),
        ("from", &from),
        ("name", "Until renewed"),
        ("done_when", "renewed"),
        ("min_gap_hours", "24"),
    ];
    form2.push(("caller", &users[1].1));
    let list2 = app.post("/calls", Some(&m), &form2).await.location;
    assert!(list2.starts_with("/calls/"), "{list2}");
    let r = app
        .post(
            &format!("/members/{p3}/payment"),
            Some(&m),
            &[("csrf", &m.csrf), ("amount", "60.00"), ("method", "card")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut called = Vec::new();
    for _ in 0..40 {
        app.post(&format!("{list2}/next"), Some(&c2), &[("csrf", &c2.csrf)])
            .await;
        let Some(p) = person_of(&app.get(&format!("{list2}/call"), Some(&c2)).await.body) else {
            break;
        };
        assert!(!called.contains(&p), "{p} offered twice");
        app.post(
            &format!("{list2}/outcome"),
            Some(&c2),
            &[("csrf", &c2.csrf), ("person", &p), ("outcome", "no_answer")],
        )
        .await;
        called.push(p);
    }
    assert!(!called.is_empty());
    assert!(
        !called.contains(&p3),
        "the member who renewed was not called"
    );
    assert!(
        !called.contains(&p1),
        "the member who said no to calls is not on a new list"
    );
    // A caller not on the list cannot see it.
    assert_eq!(
        app.get(&format!("{list}/call"), Some(&b)).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A caller cannot open a person held by another caller.
async fn cannot_open(app: &App, caller: &Session, other: &str) {
    assert_eq!(
        app.get(&format!("/members/{other}"), Some(caller))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn buggy_handler() -> &'static str {
    let pages: Vec<&'static str> = Vec::new();
    pages[3]
}

/// A handler that panics still gets an answer (the 500 page, not a dropped connection),
/// and every answer carries a request id, the caller's own when it sent one.
#[tokio::test]
async fn a_panicking_handler_is_answered_and_every_response_has_a_request_id() {
    let app = rosette::web::with_layers(
        axum::Router::new().route("/boom", axum::routing::get(buggy_handler)),
    );
    let res = app
        .clone()
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().contains_key("x-request-id"));
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("Something went wrong"));

    let res = app
        .oneshot(
            Request::get("/boom")
                .header("x-request-id", "probe-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "probe-42");
}
