//! The web app driven in-process, as a browser and an API client would: a demo register
//! of 400 people with one officer per role, sessions with their CSRF token, and replies
//! read whole.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use rosette::app::officers;
use rosette::demo;
use rosette::domain::Rules;
use rosette::mail::Mailer;
use rosette::store::Db;
use rosette::web::{AppState, WebConfig, router};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

use super::TestDb;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default()
}

/// The year after this one by the real clock: dates in it are always to come, as events
/// must be for the event list, sign-ups and feeds, which go by the real clock.
pub fn next_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().year() + 1
}

pub struct App {
    pub db: Db,
    pub app: axum::Router,
    /// Takes list views' audit entries into the log: `flush` it before reading the log.
    pub audit: rosette::app::audit::Appender,
    _journal: tempfile::TempDir,
}

pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl App {
    pub async fn new(t: &TestDb) -> App {
        App::at(t, "https://rosette.example").await
    }

    /// The demo served with the machine's date for today, as Rosette itself runs: for
    /// what goes by the real clock (the event list, registers and feeds) beside members'
    /// standing, which goes by today, so that the two agree whenever the test runs.
    pub async fn on_the_real_clock(t: &TestDb) -> App {
        App::built(t, "https://rosette.example", rosette::cli::today).await
    }

    /// The demo served as if people reached it at `public_url`.
    pub async fn at(t: &TestDb, public_url: &str) -> App {
        App::built(t, public_url, today).await
    }

    async fn built(t: &TestDb, public_url: &str, today: fn() -> NaiveDate) -> App {
        let rules = Rules::defaults().expect("rules");
        demo::generate(&t.db, &rules, 400, 7, today(), &|_| {})
            .await
            .expect("demo");
        demo::women_by_rule(&t.db, &rules, today())
            .await
            .expect("the women's branch");
        demo::add_officers(&t.db, public_url)
            .await
            .expect("officers");
        let mail_dir = std::env::temp_dir().join(format!("rosette-mail-{}", uuid::Uuid::new_v4()));
        let journal = tempfile::tempdir().expect("audit journal folder");
        let audit =
            rosette::app::audit::Appender::start(t.db.clone(), journal.path()).expect("journal");
        let state = AppState {
            audit: audit.clone(),
            db: t.db.clone(),
            rules: Arc::new(rules),
            today,
            config: Arc::new(WebConfig {
                public_url: public_url.into(),
                mailer: Mailer::new(None, "Rosette <rosette@example.org>", mail_dir)
                    .expect("mailer"),
            }),
        };
        App {
            db: t.db.clone(),
            app: router(state),
            audit,
            _journal: journal,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            location,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, s: Option<&Session>) -> Reply {
        let mut r = Request::get(path);
        if let Some(s) = s {
            r = r.header(header::COOKIE, &s.cookie);
        }
        self.send(r.body(Body::empty()).expect("request")).await
    }

    pub async fn post(&self, path: &str, s: Option<&Session>, form: &[(&str, &str)]) -> Reply {
        let mut r =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = s {
            r = r.header(header::COOKIE, &s.cookie);
        }
        let body = serde_urlencoded::to_string(form).expect("form");
        self.send(r.body(Body::from(body)).expect("request")).await
    }

    /// Posts a file as a page's `multipart/form-data` form does, with `csrf` first.
    pub async fn upload(
        &self,
        path: &str,
        s: &Session,
        csrf: &str,
        name: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "rosette-test-boundary-7d1f";
        let mut body = format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             content-type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, &s.cookie)
            .body(Body::from(body))
            .expect("request");
        self.send(r).await
    }

    /// A page that refreshes itself while a run is under way, once the run is over.
    pub async fn settled(&self, path: &str, s: &Session) -> Reply {
        for _ in 0..400 {
            let r = self.get(path, Some(s)).await;
            if !r.body.contains("http-equiv=\"refresh\"") {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("{path} is still running");
    }

    pub async fn api(
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

    pub async fn sign_in(&self, email: &str) -> Session {
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

    /// A user, by email.
    pub async fn user(&self, email: &str) -> rosette::store::accounts::User {
        let mut tx = self.db.begin_read().await.expect("tx");
        rosette::store::accounts::user_by_email(&mut tx, email)
            .await
            .expect("query")
            .expect("user")
    }

    /// A user's public id, as forms name them.
    pub async fn user_id(&self, email: &str) -> String {
        self.user(email).await.public_id
    }

    /// Saves a segment through the API; returns its id.
    pub async fn segment(&self, token: &str, name: &str, query: &str) -> String {
        let r = self
            .api(
                "POST",
                "/api/v1/segments",
                Some(token),
                Some(serde_json::json!({"name": name, "query": query})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_str().expect("segment id").to_string()
    }

    /// `officer` keeps this fortnight's report and makes a call list called "Arrears"
    /// from its arrears section for the callers with these emails; returns its path.
    pub async fn arrears_call_list(&self, officer: &Session, callers: &[&str]) -> String {
        let report = self
            .post("/reports", Some(officer), &[("csrf", &officer.csrf)])
            .await
            .location;
        let from = format!(
            "report:{}:in_arrears",
            report.trim_start_matches("/reports/")
        );
        let mut ids = Vec::new();
        for email in callers {
            ids.push(self.user_id(email).await);
        }
        let mut form = vec![
            ("csrf", officer.csrf.as_str()),
            ("from", from.as_str()),
            ("name", "Arrears"),
        ];
        form.extend(ids.iter().map(|id| ("caller", id.as_str())));
        let made = self.post("/calls", Some(officer), &form).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        made.location
            .strip_suffix("?made=1")
            .expect("the list's page says it was made")
            .to_string()
    }

    /// `caller` asks for the next person on the call list at `list`; returns the call
    /// page they land on (`person_on` reads who it offers).
    pub async fn next_call(&self, list: &str, caller: &Session) -> String {
        self.post(
            &format!("{list}/next"),
            Some(caller),
            &[("csrf", &caller.csrf)],
        )
        .await;
        self.get(&format!("{list}/call"), Some(caller)).await.body
    }

    /// `caller` records `outcome` for `person` on the call list at `list`, with any
    /// further fields of the form.
    pub async fn outcome(
        &self,
        list: &str,
        caller: &Session,
        person: &str,
        outcome: &str,
        more: &[(&str, &str)],
    ) -> Reply {
        let mut form = vec![
            ("csrf", caller.csrf.as_str()),
            ("person", person),
            ("outcome", outcome),
        ];
        form.extend_from_slice(more);
        self.post(&format!("{list}/outcome"), Some(caller), &form)
            .await
    }

    pub async fn token(&self, email: &str) -> String {
        officers::create_token(&self.db, email)
            .await
            .expect("token")
    }

    /// Drafts an email through the API.
    pub async fn draft_email(&self, token: &str, body: Value) -> Reply {
        self.api("POST", "/api/v1/emails", Some(token), Some(body))
            .await
    }

    /// Sends a drafted email now through the API.
    pub async fn send_email(&self, token: &str, id: &str) -> Reply {
        self.api(
            "POST",
            &format!("/api/v1/emails/{id}/send"),
            Some(token),
            None,
        )
        .await
    }

    /// Changes a person through the API, expecting success.
    pub async fn patch_member(&self, token: &str, id: &str, body: Value) {
        let r = self
            .api(
                "PATCH",
                &format!("/api/v1/members/{id}"),
                Some(token),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    /// Every member the token can list, following cursors.
    pub async fn all(&self, token: &str, query: &str) -> Vec<Value> {
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

pub const SECRETARY: &str = "secretary@example.org";
pub const MEMBERSHIP: &str = "membership@example.org";
pub const WOMEN: &str = "women@example.org";
pub const BRANCH: &str = "branch@example.org";
pub const CALLER: &str = "caller@example.org";

/// The first follow-up a "My tasks" page offers to close.
/// The fields an API reply of 422 names, in order.
pub fn problem_fields(reply: &Value) -> Vec<String> {
    reply["problems"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| p["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub fn first_task(tasks_page: &str) -> String {
    tasks_page
        .split("action=\"/tasks/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("a task to close")
        .to_string()
}

/// The person a caller's call page offers, if it offers anyone.
pub fn person_on(call_page: &str) -> Option<String> {
    call_page
        .split("name=\"person\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(str::to_string)
}
