//! Events: created within scope, sign-ups with a waiting list, and the door's answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};

use crate::common::TestDb;
use crate::common::web::*;

async fn a_meeting_takes_sign_ups_and_the_door_says_who_may_vote(t: TestDb) {
    let app = App::on_the_real_clock(&t).await;
    let token = app.token(SECRETARY).await;
    let api = |method: &'static str, path: String, body: Option<Value>| {
        let (app, token) = (&app, &token);
        async move { app.api(method, &path, Some(token), body).await }
    };
    // The event list, the register and members' standing go by the real clock, so the
    // meeting is a fortnight away whenever this runs; the door goes by the meeting's date
    // and its freeze date, six weeks before it.
    let y = next_year();
    let day = rosette::cli::today() + Duration::days(14);
    let meeting = json!({
        "title": "Branch AGM", "kind": "members_meeting", "unit": "local-party",
        "starts_at": format!("{day} 19:30"), "ends_at": format!("{day} 21:00"),
        "capacity": 3, "freeze_date": (day - Duration::weeks(6)).to_string()
    });
    // Mistakes are named; a time the clocks skip is refused.
    let r = api(
        "POST",
        "/api/v1/events".into(),
        Some(json!({
            "title": " ", "kind": "rave", "unit": "local-party",
            "starts_at": format!("{} 01:30", clocks_go_forward(y)),
            "ends_at": format!("{} 01:00", clocks_go_forward(y))
        })),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        problem_fields(&r.json()),
        vec!["title", "kind", "starts_at", "ends_at"]
    );
    let r = api("POST", "/api/v1/events".into(), Some(meeting.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let event = r.json();
    assert_eq!(event["audience"], "members");
    assert_eq!(event["time_zone"], "Europe/London");
    let id = event["id"].as_str().expect("id").to_string();
    // Local times become UTC by the season, on next year's dates: GMT in January, BST
    // in July.
    for (title, day, time, utc) in [
        (
            "New year social",
            format!("{y}-01-15"),
            "12:00",
            format!("{y}-01-15T12:00:00Z"),
        ),
        (
            "Summer social",
            format!("{y}-07-01"),
            "18:00",
            format!("{y}-07-01T17:00:00Z"),
        ),
    ] {
        let social = api(
            "POST",
            "/api/v1/events".into(),
            Some(json!({
                "title": title, "kind": "social", "unit": "local-party",
                "starts_at": format!("{day} {time}"), "ends_at": format!("{day} 23:00")
            })),
        )
        .await
        .json();
        assert_eq!(social["starts_at"], utc, "{title}");
        assert_eq!(social["audience"], "public");
    }

    // Within scope: a Branch Secretary for their branch, not the whole party; a caller never.
    let b = app.token(BRANCH).await;
    let own = app.all(&b, "").await[0]["branch"]["slug"]
        .as_str()
        .expect("branch")
        .to_string();
    let mut theirs = meeting.clone();
    let r = app
        .api("POST", "/api/v1/events", Some(&b), Some(theirs.clone()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_fields(&r.json()), vec!["unit"]);
    theirs["unit"] = json!(own);
    let r = app
        .api("POST", "/api/v1/events", Some(&b), Some(theirs))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = app.token(CALLER).await;
    let r = app
        .api("POST", "/api/v1/events", Some(&c), Some(meeting.clone()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // People to meet at the door.
    let add = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let r = app
                .api("POST", "/api/v1/members", Some(token), Some(body))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["id"].as_str().expect("id").to_string()
        }
    };
    let long = add(
        json!({"first_name": "Lena", "last_name": "Longstanding", "rate": "standard",
        "joined_on": "2020-01-01", "paid_until": (day + Duration::days(180)).to_string()}),
    )
    .await;
    // Five weeks a member at the freeze date, eleven at the meeting.
    let joined = day - Duration::weeks(11);
    let five_weeks = add(
        json!({"first_name": "Fay", "last_name": "Fiveweeks", "rate": "standard",
        "joined_on": joined.to_string(), "paid_until": (joined + Duration::days(364)).to_string()}),
    )
    .await;
    let lapsed = add(
        json!({"first_name": "Lou", "last_name": "Lapsedd", "rate": "standard",
        "joined_on": "2018-01-01", "paid_until": "2025-01-01"}),
    )
    .await;
    let supporter =
        add(json!({"first_name": "Sid", "last_name": "Supporter", "kind": "supporter"})).await;

    // Three places: the fourth waits. Someone new by name and email becomes a supporter.
    let mut states = Vec::new();
    for p in [&long, &five_weeks, &lapsed, &supporter] {
        let r = api(
            "POST",
            format!("/api/v1/events/{id}/signups"),
            Some(json!({"person": p})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        states.push(r.json()["state"].as_str().unwrap_or("").to_string());
    }
    assert_eq!(states, ["signed_up", "signed_up", "signed_up", "waiting"]);
    let r = api(
        "POST",
        format!("/api/v1/events/{id}/signups"),
        Some(json!({"name": "Nia Newcomer", "email": "nia.newcomer@example.org"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["state"], "waiting");
    let nia = r.json()["person"].as_str().expect("person").to_string();
    // The same address again is the same person, not a second one.
    let again = api(
        "POST",
        format!("/api/v1/events/{id}/signups"),
        Some(json!({"name": "Nia N", "email": "NIA.newcomer@example.org"})),
    )
    .await;
    assert_eq!(again.json()["person"], nia.as_str(), "{}", again.body);

    let door = |person: String| {
        let api = &api;
        let id = id.clone();
        async move {
            let r = api(
                "POST",
                format!("/api/v1/events/{id}/check-ins"),
                Some(json!({"person": person})),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.json()
        }
    };
    let l = door(long.clone()).await;
    assert_eq!(
        (
            l["first_time"].as_bool(),
            l["new_member"].as_bool(),
            l["may_attend"].as_bool(),
            l["may_vote"].as_bool()
        ),
        (Some(true), Some(false), Some(true), Some(true)),
        "{l}"
    );
    assert!(l["reason"].is_null());
    let f = door(five_weeks.clone()).await;
    assert_eq!(f["new_member"], true);
    assert_eq!(f["may_vote"], false);
    assert!(f["reason"].as_str().unwrap_or("").contains("weeks"), "{f}");
    let g = door(lapsed.clone()).await;
    assert_eq!(
        (g["may_attend"].as_bool(), g["may_vote"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(g["reason"].as_str().unwrap_or("").contains("lapsed"), "{g}");
    let s = door(supporter.clone()).await;
    assert_eq!(s["may_attend"], false);
    assert!(
        s["reason"].as_str().unwrap_or("").contains("supporter"),
        "{s}"
    );

    // A first-timer's welcome is a follow-up: with no branch, the Membership Officer's.
    let mo = app.sign_in(MEMBERSHIP).await;
    let tasks = app.get("/tasks", Some(&mo)).await;
    assert!(tasks.body.contains("Lena Longstanding"), "{}", tasks.body);
    assert!(tasks.body.contains("First time at an event: Branch AGM"));
    // Here before: not a first-timer at the next event.
    let next = api(
        "POST",
        "/api/v1/events".into(),
        Some(json!({
        "title": "Winter social", "kind": "social", "unit": "local-party",
        "starts_at": format!("{} 19:00", day + Duration::days(7)),
        "ends_at": format!("{} 22:00", day + Duration::days(7))})),
    )
    .await
    .json();
    let r = api(
        "POST",
        format!(
            "/api/v1/events/{}/check-ins",
            next["id"].as_str().expect("id")
        ),
        Some(json!({"person": long})),
    )
    .await
    .json();
    assert_eq!(r["first_time"], false);
    assert_eq!(r["may_vote"], false, "no vote at a social");

    let people = api("GET", format!("/api/v1/events/{id}/people"), None)
        .await
        .json();
    let attended = people["items"]
        .as_array()
        .expect("people")
        .iter()
        .filter(|p| p["state"] == "attended")
        .count();
    assert_eq!(attended, 4);
    let listed = api("GET", "/api/v1/events?limit=2".into(), None)
        .await
        .json();
    assert_eq!(listed["items"][0]["id"], id.as_str(), "soonest first");
    let cursor = listed["next_cursor"].as_str().expect("more").to_string();
    let rest = api("GET", format!("/api/v1/events?cursor={cursor}"), None)
        .await
        .json();
    assert!(
        !rest["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["id"] == id.as_str())
    );

    // The pages: the list, the event with its counts, and the door on a phone.
    let s = app.sign_in(SECRETARY).await;
    assert!(
        app.get("/events", Some(&s))
            .await
            .body
            .contains("Branch AGM")
    );
    let page = app.get(&format!("/events/{id}"), Some(&s)).await;
    assert!(
        page.body.contains("<dt>Came</dt><dd>4</dd>"),
        "{}",
        page.body
    );
    let found = app
        .get(&format!("/events/{id}/door?q=Fiveweeks"), Some(&s))
        .await;
    assert!(
        found.body.contains("Sign in Fay Fiveweeks"),
        "{}",
        found.body
    );
    let r = app
        .post(
            &format!("/events/{id}/door"),
            Some(&s),
            &[("csrf", &s.csrf), ("person", &five_weeks)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("New member") && r.body.contains("May not vote"),
        "{}",
        r.body
    );
    // Someone not on the list is added as a supporter and signed in; a near match is not.
    let r = app
        .post(
            &format!("/events/{id}/walk-in"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("first_name", "Wally"),
                ("last_name", "Walkin"),
                ("email", "wally.walkin@example.org"),
                ("email_consent", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Wally Walkin") && r.body.contains("First time at any event"));
    let wally = app.all(&token, "q=Walkin").await;
    assert_eq!(wally[0]["kind"], "supporter");
    let r = app
        .post(
            &format!("/events/{id}/walk-in"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("first_name", "W"),
                ("last_name", "Walkin"),
                ("email", "wally.walkin@example.org"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("find them by name instead"));
    // The register closes only once the event has begun; then who did not come is marked.
    let r = app
        .post(
            &format!("/events/{id}/close"),
            Some(&s),
            &[("csrf", &s.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "not begun yet");
    let past = api(
        "POST",
        "/api/v1/events".into(),
        Some(json!({
        "title": "Last month's social", "kind": "social", "unit": "local-party",
        "starts_at": "2026-10-01 19:00", "ends_at": "2026-10-01 22:00"})),
    )
    .await
    .json();
    let past = past["id"].as_str().expect("id").to_string();
    for p in [&long, &five_weeks] {
        api(
            "POST",
            format!("/api/v1/events/{past}/signups"),
            Some(json!({"person": p})),
        )
        .await;
    }
    api(
        "POST",
        format!("/api/v1/events/{past}/check-ins"),
        Some(json!({"person": long})),
    )
    .await;
    let r = app
        .post(
            &format!("/events/{past}/close"),
            Some(&s),
            &[("csrf", &s.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("/events/{past}"), Some(&s)).await;
    assert!(
        page.body.contains("<dt>Did not come</dt><dd>1</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<dt>Came</dt><dd>1</dd>"));
    // Attendance in the member list, and so in segments.
    let ids = |found: Vec<Value>| -> Vec<String> {
        found
            .iter()
            .filter_map(|m| m["id"].as_str().map(str::to_string))
            .collect()
    };
    let no_show = ids(app.all(&token, "attended=no_show").await);
    assert_eq!(
        no_show,
        vec![five_weeks.clone()],
        "signed up and did not come"
    );
    let at_past = ids(app.all(&token, &format!("event={past}")).await);
    assert_eq!(at_past, vec![long.clone()]);
    let never = ids(app.all(&token, "attended=never").await);
    assert!(
        !never.contains(&long) && !never.contains(&supporter),
        "they came"
    );
    assert!(
        never.len() > 300,
        "the demo's people have come to nothing yet"
    );
    let since = ids(app.all(&token, "attended_since=2026-11-01").await);
    assert!(since.contains(&lapsed) && !since.is_empty());
    let segment = app
        .segment(&token, "Did not come", "attended=no_show")
        .await;
    let listed = app
        .api(
            "GET",
            &format!("/api/v1/segments/{segment}/members"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(listed["items"][0]["id"], five_weeks.as_str());
    let form = app.get("/events/new", Some(&s)).await;
    assert_eq!(form.status, StatusCode::OK);
    let r = app
        .post(
            "/events/new",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("title", "Stall on the high street"),
                ("kind", "street_stall"),
                ("unit", "local-party"),
                ("starts_at", "2026-12-05 10:00"),
                ("ends_at", "2026-12-05 09:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-ends_at\""));
}

/// The events in an iCalendar feed as Python's `icalendar` library reads them: each
/// one's summary and start as a UTC instant, one a line.
fn read_with_icalendar(ics: &str) -> String {
    let dir = std::env::temp_dir().join(format!("rosette-ics-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("feed.ics");
    std::fs::write(&file, ics).expect("write");
    let python = std::env::var("ROSETTE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = "import sys, datetime, icalendar\n\
                  cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
                  for e in cal.walk('VEVENT'):\n\
                  \x20   start = e.decoded('DTSTART')\n\
                  \x20   print(e.get('SUMMARY'), start.astimezone(datetime.timezone.utc).isoformat(), start.tzinfo is not None)\n";
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn the_public_calendar_is_read_by_a_real_calendar_library_across_the_clock_change(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    // The feed holds what is to come by the real clock: next year's change.
    let change = clocks_go_forward(next_year());
    let (before, after) = (change.pred_opt().unwrap(), change.succ_opt().unwrap());
    for (title, kind, starts, ends) in [
        (
            "Winter stall",
            "street_stall",
            format!("{before} 10:00"),
            format!("{before} 12:00"),
        ),
        (
            "Spring stall",
            "street_stall",
            format!("{change} 10:00"),
            format!("{change} 12:00"),
        ),
        (
            "Members only",
            "members_meeting",
            format!("{after} 19:00"),
            format!("{after} 21:00"),
        ),
    ] {
        let r = app
            .api(
                "POST",
                "/api/v1/events",
                Some(&token),
                Some(json!({"title": title, "kind": kind, "unit": "local-party",
                    "starts_at": starts, "ends_at": ends, "place": "Market Square, by the clock"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // No account needed; no members-only event in it.
    let feed = app.get("/calendar/local-party.ics", None).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(
        feed.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/calendar; charset=utf-8")
    );
    assert!(!feed.body.contains("Members only"));
    let read = read_with_icalendar(&feed.body);
    assert!(
        read.contains(&format!("Winter stall {before}T10:00:00+00:00 True")),
        "10:00 GMT: {read}"
    );
    assert!(
        read.contains(&format!("Spring stall {change}T09:00:00+00:00 True")),
        "10:00 BST, the day the clocks go forward: {read}"
    );
    assert_eq!(
        app.get("/calendar/nowhere.ics", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/calendar/local-party", None).await.status,
        StatusCode::NOT_FOUND
    );
    // One event's file, for an officer.
    let events = app
        .api("GET", "/api/v1/events", Some(&token), None)
        .await
        .json();
    let id = events["items"][0]["id"].as_str().expect("id").to_string();
    let s = app.sign_in(SECRETARY).await;
    let one = app
        .get(&format!("/events/{id}/calendar.ics"), Some(&s))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(read_with_icalendar(&one.body).lines().count(), 1);
    assert_ne!(
        app.get(&format!("/events/{id}/calendar.ics"), None)
            .await
            .status,
        StatusCode::OK
    );
}

/// The day British clocks go forward in `year`: the last Sunday in March.
fn clocks_go_forward(year: i32) -> chrono::NaiveDate {
    use chrono::Datelike;
    let end = chrono::NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
    end - Duration::days(i64::from(end.weekday().num_days_from_sunday()))
}

/// A local date `days` from now with a time: how the event forms take it.
fn days_ahead(days: i64, time: &str) -> String {
    let day = (chrono::Utc::now() + Duration::days(days))
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    format!("{day} {time}")
}

/// Creates an event through the API as the Secretary; returns its id.
async fn event(app: &App, token: &str, body: Value) -> String {
    let r = app
        .api("POST", "/api/v1/events", Some(token), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().expect("id").to_string()
}

async fn party(app: &App) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    let id = rosette::store::units::get(&mut tx, "local-party")
        .await
        .unwrap()
        .id;
    tx.commit().await.unwrap();
    id
}

/// Everyone in the local party with this email address.
pub(crate) async fn by_email(app: &App, email: &str) -> Vec<rosette::store::roster::Listed> {
    let lp = party(app).await;
    let mut tx = app.db.begin_read().await.unwrap();
    let found = rosette::store::roster::by_email(&mut tx, lp, email)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    found
}

/// The messages waiting in the outbox, newest first.
async fn outbox(app: &App) -> Vec<rosette::store::outbox::Message> {
    let mut tx = app.db.begin_read().await.unwrap();
    let found = rosette::store::outbox::recent(&mut tx, 500).await.unwrap();
    tx.commit().await.unwrap();
    found
}

/// The path (and query) of the first link in `text` that starts with `prefix`, after
/// undoing quoted-printable encoding.
pub(crate) fn link_in(text: &str, prefix: &str) -> String {
    let plain = text
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = plain
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {plain}"));
    let link: String = plain[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | '"' | '<' | '>'))
        .collect();
    link.trim_start_matches("https://rosette.example")
        .to_string()
}

fn state_of(people: &Value, person: &str) -> String {
    people["items"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["id"] == person)
        .map(|p| p["state"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

async fn a_public_social_takes_sign_ups_without_an_account(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let id = event(
        &app,
        &token,
        json!({"title": "Winter social", "kind": "social", "unit": "local-party",
            "starts_at": days_ahead(20, "19:00"), "ends_at": days_ahead(20, "22:00"),
            "capacity": 2, "place": "The Red Lion", "contact": "Wendy, women@example.org"}),
    )
    .await;
    let page = app.get(&format!("/e/{id}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Winter social",
        "The Red Lion",
        "Wendy, women@example.org",
        "may email me about its campaigns, events and news.",
        "name=\"website\"",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    // Every mistake named, nothing stored.
    let r = app
        .post(&format!("/e/{id}"), None, &[("email", "not an address")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["first_name", "last_name", "email"] {
        assert!(r.body.contains(&format!("id=\"e-{field}\"")), "{field}");
    }
    let sign_up = |first: &'static str, last: &'static str, email: &'static str| {
        let (app, id) = (&app, &id);
        async move {
            app.post(
                &format!("/e/{id}"),
                None,
                &[
                    ("first_name", first),
                    ("last_name", last),
                    ("email", email),
                    ("phone", ""),
                    ("agree_email", "yes"),
                    ("website", ""),
                ],
            )
            .await
        }
    };
    let r = sign_up("Zed", "Public", "zed.public@example.net").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("You are signed up"), "{}", r.body);
    let zed = by_email(&app, "zed.public@example.net").await;
    assert_eq!(zed.len(), 1);
    assert_eq!(zed[0].kind, "supporter");
    assert_eq!(zed[0].email_consent, Some(true));
    // The consent's source keeps the words the page showed.
    let mut tx = app.db.begin_read().await.unwrap();
    let source: Option<(Option<String>,)> = tx
        .fetch_optional(
            &sea_query::Query::select()
                .column(sea_query::Alias::new("email_consent_source"))
                .from(sea_query::Alias::new("people"))
                .and_where(sea_query::ExprTrait::eq(
                    sea_query::Expr::col(sea_query::Alias::new("id")),
                    zed[0].person_id,
                ))
                .to_owned(),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let source = source.and_then(|(s,)| s).unwrap_or_default();
    assert!(
        source.contains("Winter social") && source.contains("may email me about"),
        "{source}"
    );
    // The confirmation: the event as a calendar file, and a link to cancel.
    let sent = outbox(&app).await;
    let confirmation = sent
        .iter()
        .find(|m| m.to_address == "zed.public@example.net")
        .expect("a confirmation");
    assert_eq!(confirmation.subject, "You're signed up: Winter social");
    let ics = confirmation.calendar.as_deref().expect("a calendar file");
    assert!(
        read_with_icalendar(ics).starts_with("Winter social "),
        "{ics}"
    );
    let cancel = link_in(&confirmation.body, "https://rosette.example/e/");
    assert!(cancel.contains("/cancel/"), "{cancel}");

    // The same address again is the same person; a member's address is the member.
    let r = sign_up("Zeddy", "P", "ZED.public@example.net").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(by_email(&app, "zed.public@example.net").await.len(), 1);
    let member = app
        .all(&token, "kind=member")
        .await
        .into_iter()
        .find(|m| m["email"].as_str().is_some_and(|e| !e.is_empty()))
        .expect("a member with an address");
    let address = member["email"].as_str().unwrap().to_string();
    let before = by_email(&app, &address).await.len();
    let r = app
        .post(
            &format!("/e/{id}"),
            None,
            &[
                ("first_name", "Someone"),
                ("last_name", "Else"),
                ("email", &address),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        by_email(&app, &address).await.len(),
        before,
        "not entered twice"
    );
    let people = app
        .api(
            "GET",
            &format!("/api/v1/events/{id}/people"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        state_of(&people, member["id"].as_str().unwrap()),
        "signed_up",
        "{people}"
    );
    // Two places: the third waits.
    let r = sign_up("Wyn", "Waiting", "wyn.waiting@example.net").await;
    assert!(r.body.contains("You are on the waiting list"), "{}", r.body);
    let wyn = by_email(&app, "wyn.waiting@example.net").await[0]
        .public_id
        .clone();

    // A near match (same phone and surname, another address) is a new supporter, listed
    // among the possible duplicates for an officer to merge.
    let known = app
        .all(&token, "kind=member")
        .await
        .into_iter()
        .find(|m| m["mobile"].as_str().is_some_and(|p| !p.is_empty()))
        .expect("a member with a mobile");
    let (first, last) = (
        known["first_name"].as_str().unwrap().to_string(),
        known["last_name"].as_str().unwrap().to_string(),
    );
    let r = app
        .post(
            &format!("/e/{id}"),
            None,
            &[
                ("first_name", &first),
                ("last_name", &last),
                ("email", "near.match@example.net"),
                ("phone", known["mobile"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let near = by_email(&app, "near.match@example.net").await[0]
        .public_id
        .clone();
    let s = app.sign_in(SECRETARY).await;
    let dupes = app.get("/people/duplicates", Some(&s)).await;
    assert!(
        dupes.body.contains(&near) && dupes.body.contains(known["id"].as_str().unwrap()),
        "{}",
        dupes.body
    );

    // A bot that fills the hidden field is thanked and forgotten.
    let r = app
        .post(
            &format!("/e/{id}"),
            None,
            &[
                ("first_name", "Bot"),
                ("last_name", "Bot"),
                ("email", "bot@example.net"),
                ("website", "https://spam.example"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("You are signed up"));
    assert!(by_email(&app, "bot@example.net").await.is_empty());
    assert!(
        !outbox(&app)
            .await
            .iter()
            .any(|m| m.to_address == "bot@example.net")
    );

    // Cancelling through the link: a button first (a mail scanner cancels nothing), then
    // the place goes to whoever waited longest, who is told.
    let r = app.get(&cancel, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Cancel my place"));
    let r = app.post(&cancel, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Your place is cancelled, Zed"));
    let people = app
        .api(
            "GET",
            &format!("/api/v1/events/{id}/people"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(state_of(&people, &zed[0].public_id), "cancelled");
    assert_eq!(state_of(&people, &wyn), "signed_up");
    assert!(
        outbox(&app)
            .await
            .iter()
            .any(|m| m.to_address == "wyn.waiting@example.net"
                && m.subject == "You're signed up: Winter social")
    );
    let forged = cancel.replace("/cancel/", "/cancel/x");
    assert_eq!(app.get(&forged, None).await.status, StatusCode::NOT_FOUND);

    // A members' meeting has no public page; nor has an event that is not there.
    let meeting = event(
        &app,
        &token,
        json!({"title": "Members' meeting", "kind": "members_meeting", "unit": "local-party",
            "starts_at": days_ahead(21, "19:00"), "ends_at": days_ahead(21, "21:00")}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/e/{meeting}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/e/nothing", None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = sign_up("Zed", "Public", "zed.public@example.net").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "signing up again after cancelling"
    );

    // Too many tries from one address are refused for an hour.
    let mut refused = None;
    for n in 0..25 {
        let r = app.post(&format!("/e/{id}"), None, &[("email", "x")]).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(n);
            assert!(r.body.contains("too many sign-ups from here"), "{}", r.body);
            break;
        }
    }
    assert!(refused.is_some(), "a script is stopped");
}

async fn a_members_meeting_is_invited_changed_and_cancelled(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let s = app.sign_in(SECRETARY).await;
    let id = event(
        &app,
        &token,
        json!({"title": "General meeting", "kind": "members_meeting", "unit": "local-party",
            "starts_at": days_ahead(30, "19:30"), "ends_at": days_ahead(30, "21:00"),
            "place": "Community Hall"}),
    )
    .await;
    for first in ["Ivy", "Ian"] {
        let r = app
            .api(
                "POST",
                "/api/v1/members",
                Some(&token),
                Some(
                    json!({"first_name": first, "last_name": "Invitee", "rate": "standard",
                    "email": format!("{}.invitee@example.net", first.to_lowercase()),
                    "joined_on": "2020-01-01", "paid_until": "2027-12-31"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let segment = app.segment(&token, "Invitees", "q=Invitee").await;
    let r = app
        .post(
            &format!("/events/{id}/invite"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("audience", &format!("segment:{segment}")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("The invitation is drafted"), "{}", r.body);
    assert!(
        !r.body.contains("Short notice"),
        "a month ahead is notice enough"
    );
    let draft = link_in(&r.body, "/emails/")
        .trim_start_matches("/emails/")
        .to_string();
    let r = app.send_email(&token, &draft).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let sent = crate::emails::deliver(&app, &crate::emails::mail_dir()).await;
    assert_eq!(sent.len(), 2, "a members' notice to both");
    let ivy_mail = sent
        .iter()
        .find(|m| m.contains("ivy.invitee@example.net"))
        .expect("Ivy's invitation");
    let link = link_in(ivy_mail, "https://rosette.example/e/");
    assert!(link.contains("?i="), "{link}");
    // Her own link: a page that knows her, one button, no form.
    let page = app.get(&link, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Hello Ivy"), "{}", page.body);
    let invitation = link.split("?i=").nth(1).expect("token").to_string();
    let r = app
        .post(&format!("/e/{id}"), None, &[("invitation", &invitation)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("You are signed up"));
    let ivy = by_email(&app, "ivy.invitee@example.net").await[0]
        .public_id
        .clone();
    let people = app
        .api(
            "GET",
            &format!("/api/v1/events/{id}/people"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(state_of(&people, &ivy), "signed_up");
    // Without the link, or with one for another event, the meeting has no page.
    assert_eq!(
        app.get(&format!("/e/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    let other = event(
        &app,
        &token,
        json!({"title": "Other meeting", "kind": "members_meeting", "unit": "local-party",
            "starts_at": days_ahead(31, "19:30"), "ends_at": days_ahead(31, "21:00")}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/e/{other}?i={invitation}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Inviting too late for the notice members are owed warns the officer.
    let user = app.user(SECRETARY).await;
    let mut tx = app.db.begin().await.unwrap();
    let who = rosette::app::principal_of(&mut tx, user.id)
        .await
        .unwrap()
        .unwrap();
    let rules = rosette::domain::Rules::defaults().unwrap();
    let meeting_day = chrono::NaiveDate::parse_from_str(&days_ahead(30, ""), "%Y-%m-%d ").unwrap();
    let (_, warning) = rosette::app::events::invite(
        &mut tx,
        &who,
        &rules,
        meeting_day - chrono::Days::new(5),
        &id,
        &format!("segment:{segment}"),
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(
        warning.as_deref(),
        Some(
            "Short notice: members are owed 7 days of a members' meeting, and an invitation sent today gives 5 days."
        )
    );

    // Changed: everyone with a place is told, and calendars take the new version.
    let before = app
        .get(&format!("/events/{id}/calendar.ics"), Some(&s))
        .await
        .body;
    assert!(before.contains("SEQUENCE:0"), "{before}");
    let edit = app.get(&format!("/events/{id}/edit"), Some(&s)).await;
    assert!(
        edit.body.contains("Community Hall"),
        "the form comes filled in"
    );
    let r = app
        .post(
            &format!("/events/{id}/edit"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("title", "General meeting"),
                ("kind", "members_meeting"),
                ("unit", "local-party"),
                ("starts_at", &days_ahead(30, "18:30")),
                ("ends_at", &days_ahead(30, "20:00")),
                ("place", "Library, upstairs"),
                ("audience", "members"),
                ("remind_hours", "48"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app
        .get(&format!("/events/{id}/calendar.ics"), Some(&s))
        .await
        .body;
    assert!(
        after.contains("SEQUENCE:1") && after.contains("Library"),
        "{after}"
    );
    let changed = outbox(&app).await;
    let told = changed
        .iter()
        .find(|m| m.subject == "Changed: General meeting")
        .expect("Ivy is told");
    assert_eq!(told.to_address, "ivy.invitee@example.net");
    assert!(
        told.calendar
            .as_deref()
            .is_some_and(|c| c.contains("SEQUENCE:1"))
    );

    // Cancelled: told again, and the calendar file says so.
    let r = app
        .post(
            &format!("/events/{id}/cancel"),
            Some(&s),
            &[("csrf", &s.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let gone = app
        .get(&format!("/events/{id}/calendar.ics"), Some(&s))
        .await
        .body;
    assert!(
        gone.contains("STATUS:CANCELLED") && gone.contains("SEQUENCE:2"),
        "{gone}"
    );
    assert!(outbox(&app).await.iter().any(|m| {
        m.subject == "Cancelled: General meeting"
            && m.calendar
                .as_deref()
                .is_some_and(|c| c.contains("STATUS:CANCELLED"))
    }));
    let page = app.get(&format!("/events/{id}"), Some(&s)).await;
    assert!(page.body.contains("This event is cancelled"));
    let r = app
        .post(
            &format!("/events/{id}/invite"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("audience", &format!("segment:{segment}")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The month's view lists it, crossed out.
    let month = &days_ahead(30, "")[..7];
    let view = app.get(&format!("/events?month={month}"), Some(&s)).await;
    assert!(view.body.contains("Cancelled · "), "{}", view.body);
    assert_eq!(
        app.get("/events?month=2026-13", Some(&s)).await.status,
        StatusCode::BAD_REQUEST
    );

    // A Branch Secretary may see the meeting but not change or cancel the party's.
    let b = app.sign_in(BRANCH).await;
    assert_eq!(
        app.get(&format!("/events/{other}/edit"), Some(&b))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            &format!("/events/{other}/cancel"),
            Some(&b),
            &[("csrf", &b.csrf)]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

async fn a_stall_records_people_met_and_an_officer_has_a_private_feed(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let s = app.sign_in(SECRETARY).await;
    let stall = event(
        &app,
        &token,
        json!({"title": "High street stall", "kind": "street_stall", "unit": "local-party",
            "starts_at": days_ahead(3, "10:00"), "ends_at": days_ahead(3, "12:00")}),
    )
    .await;
    let form = app.get(&format!("/events/{stall}/met"), Some(&s)).await;
    assert_eq!(form.status, StatusCode::OK);
    let r = app
        .post(
            &format!("/events/{stall}/met"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("first_name", "Mo"),
                ("last_name", "Passerby"),
                ("email", "mo.passerby@example.net"),
                ("mobile", "07700 900123"),
                ("tags", "housing, buses"),
                ("email_consent", "yes"),
                ("interested", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Mo Passerby is recorded as a supporter, with a follow-up"),
        "{}",
        r.body
    );
    let mo = &by_email(&app, "mo.passerby@example.net").await[0];
    assert_eq!(mo.kind, "supporter");
    let record = app
        .api(
            "GET",
            &format!("/api/v1/members/{}", mo.public_id),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(record["tags"], json!(["buses", "housing"]), "{record}");
    let people = app
        .api(
            "GET",
            &format!("/api/v1/events/{stall}/people"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(state_of(&people, &mo.public_id), "attended");
    let mo_tasks = app
        .get("/tasks", Some(&app.sign_in(MEMBERSHIP).await))
        .await;
    assert!(
        mo_tasks
            .body
            .contains("Interested in joining: met at High street stall"),
        "{}",
        mo_tasks.body
    );
    // Met again, by the same address: the same record, with the new issue added.
    let r = app
        .post(
            &format!("/events/{stall}/met"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("first_name", "Mo"),
                ("last_name", "P"),
                ("email", "MO.passerby@example.net"),
                ("tags", "parks"),
            ],
        )
        .await;
    assert!(r.body.contains("already known"), "{}", r.body);
    assert_eq!(by_email(&app, "mo.passerby@example.net").await.len(), 1);
    let record = app
        .api(
            "GET",
            &format!("/api/v1/members/{}", mo.public_id),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(record["tags"], json!(["buses", "housing", "parks"]));
    let r = app
        .post(
            &format!("/events/{stall}/met"),
            Some(&s),
            &[("csrf", &s.csrf), ("first_name", "No"), ("email", "nope")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-email\""), "{}", r.body);

    // The list by unit: the party's own stall, not a branch's.
    let branch = app.all(&token, "").await[0]["branch"]["slug"]
        .as_str()
        .expect("branch")
        .to_string();
    let own = app.get("/events?unit=local-party", Some(&s)).await;
    assert!(own.body.contains("High street stall"), "{}", own.body);
    let theirs = app.get(&format!("/events?unit={branch}"), Some(&s)).await;
    assert!(!theirs.body.contains("High street stall"));
    assert_eq!(
        app.get("/events?unit=nowhere", Some(&s)).await.status,
        StatusCode::BAD_REQUEST
    );

    // A private feed: members-only events too, a secret address, revoked by a new one.
    event(
        &app,
        &token,
        json!({"title": "Members only evening", "kind": "members_meeting", "unit": "local-party",
            "starts_at": days_ahead(10, "19:00"), "ends_at": days_ahead(10, "21:00")}),
    )
    .await;
    let made = app
        .post(
            "/account/calendar",
            Some(&s),
            &[("csrf", &s.csrf), ("action", "new")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let feed = link_in(&made.body, "https://rosette.example/calendar/private/");
    let read = app.get(&feed, None).await;
    assert_eq!(read.status, StatusCode::OK);
    let events = read_with_icalendar(&read.body);
    assert!(
        events.contains("Members only evening") && events.contains("High street stall"),
        "{events}"
    );
    let again = app
        .post(
            "/account/calendar",
            Some(&s),
            &[("csrf", &s.csrf), ("action", "new")],
        )
        .await;
    let newer = link_in(&again.body, "https://rosette.example/calendar/private/");
    assert_eq!(app.get(&feed, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&newer, None).await.status, StatusCode::OK);
    app.post(
        "/account/calendar",
        Some(&s),
        &[("csrf", &s.csrf), ("action", "stop")],
    )
    .await;
    assert_eq!(app.get(&newer, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/calendar/private/not-a-token.ics", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn reminders_go_once_to_each_person_however_many_workers_run(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let soon = (chrono::Utc::now() + Duration::hours(3))
        .with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let id = event(
        &app,
        &token,
        json!({"title": "Soon social", "kind": "social", "unit": "local-party",
            "starts_at": soon, "ends_at": days_ahead(2, "23:00")}),
    )
    .await;
    let later = event(
        &app,
        &token,
        json!({"title": "Later social", "kind": "social", "unit": "local-party",
            "starts_at": days_ahead(4, "19:00"), "ends_at": days_ahead(4, "22:00")}),
    )
    .await;
    let sign_up = |event: String, body: Value| {
        let (app, token) = (&app, &token);
        async move {
            let r = app
                .api(
                    "POST",
                    &format!("/api/v1/events/{event}/signups"),
                    Some(token),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
    };
    for (name, email) in [
        ("Rita Remind", "rita@example.net"),
        ("Rex Remind", "rex@example.net"),
    ] {
        sign_up(id.clone(), json!({"name": name, "email": email})).await;
        sign_up(later.clone(), json!({"name": name, "email": email})).await;
    }
    let r = app
        .api(
            "POST",
            "/api/v1/members",
            Some(&token),
            Some(json!({"first_name": "Noel", "last_name": "Noaddress", "kind": "supporter"})),
        )
        .await;
    let noel = r.json()["id"].as_str().expect("id").to_string();
    sign_up(id.clone(), json!({"person": noel})).await;

    // Two servers, each with its own pool and its own rounds, at once.
    let other = rosette::store::Db::connect(&t.url).await.unwrap();
    let rounds = |db: rosette::store::Db| async move {
        let mut queued = 0;
        for _ in 0..4 {
            queued += rosette::app::signups::remind_due(&db, chrono::Utc::now())
                .await
                .expect("a reminder round");
        }
        queued
    };
    let (a, b) = tokio::join!(rounds(app.db.clone()), rounds(other.clone()));
    assert_eq!(a + b, 2, "one each for the two with an address");
    let reminders = |subject: &'static str| {
        let app = &app;
        async move {
            let mut to: Vec<String> = outbox(app)
                .await
                .into_iter()
                .filter(|m| m.subject == subject)
                .map(|m| m.to_address)
                .collect();
            to.sort();
            to
        }
    };
    assert_eq!(
        reminders("Reminder: Soon social").await,
        ["rex@example.net", "rita@example.net"]
    );
    assert!(
        reminders("Reminder: Later social").await.is_empty(),
        "not due yet"
    );
    // A late sign-up is reminded too, once.
    sign_up(
        id.clone(),
        json!({"name": "Lottie Late", "email": "lottie@example.net"}),
    )
    .await;
    let (a, b) = tokio::join!(rounds(app.db.clone()), rounds(other));
    assert_eq!(a + b, 1);
    assert_eq!(reminders("Reminder: Soon social").await.len(), 3);
    // An officer may remind everyone again by hand; the automatic one does not follow it.
    let s = app.sign_in(SECRETARY).await;
    let r = app
        .post(
            &format!("/events/{id}/remind"),
            Some(&s),
            &[("csrf", &s.csrf)],
        )
        .await;
    assert!(
        r.body.contains("A reminder is on its way to 3 people."),
        "{}",
        r.body
    );
    assert_eq!(reminders("Reminder: Soon social").await.len(), 6);
    assert_eq!(rounds(app.db.clone()).await, 0);
}

crate::both!(
    reminders_go_once_to_each_person_however_many_workers_run,
    a_members_meeting_is_invited_changed_and_cancelled,
    a_stall_records_people_met_and_an_officer_has_a_private_feed,
    a_meeting_takes_sign_ups_and_the_door_says_who_may_vote,
    the_public_calendar_is_read_by_a_real_calendar_library_across_the_clock_change,
    a_public_social_takes_sign_ups_without_an_account,
);
