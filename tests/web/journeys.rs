//! Journeys: a new member welcomed end to end by the default journey, each step once with
//! two workers at once; the board; taking someone off; changing the steps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use rosette::domain::Rules;
use serde_json::{Value, json};

use crate::common::TestDb;
use crate::common::web::*;

/// Runs `n` journey rounds on `db`; returns the steps taken.
async fn rounds(db: rosette::store::Db, n: usize) -> usize {
    let rules = Rules::defaults().unwrap();
    let mut steps = 0;
    for _ in 0..n {
        steps += rosette::app::journeys::run_due(&db, &rules, today(), chrono::Utc::now())
            .await
            .expect("a round")
            .steps;
    }
    steps
}

async fn add(app: &App, token: &str, body: Value) -> String {
    let r = app
        .api("POST", "/api/v1/members", Some(token), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

async fn a_new_member_is_welcomed_end_to_end_once(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    // The first round makes the local party's default journey, on from now: nobody who
    // joined before is put on it.
    assert_eq!(rounds(app.db.clone(), 1).await, 0);
    let s = app.sign_in(SECRETARY).await;
    let list = app.get("/journeys", Some(&s)).await;
    assert!(list.body.contains("Welcome new members"), "{}", list.body);
    let journey = list
        .body
        .split("href=\"/journeys/")
        .skip(1)
        .find(|r| r.contains("\">Welcome new members</a>"))
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();

    // Two join today in the Branch Secretary's branch: a woman and a man.
    let b = app.token(BRANCH).await;
    let branch = app.all(&b, "").await[0]["branch"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let joined = today().to_string();
    let ada = add(
        &app,
        &token,
        json!({"first_name": "Ada", "last_name": "Joiner", "gender": "woman", "rate": "standard",
            "branch": branch, "joined_on": joined, "paid_until": "2027-12-31",
            "email": "ada.joiner@example.net"}),
    )
    .await;
    let ben = add(
        &app,
        &token,
        json!({"first_name": "Ben", "last_name": "Joiner", "gender": "man", "rate": "standard",
            "branch": branch, "joined_on": joined, "paid_until": "2027-12-31",
            "email": "ben.joiner@example.net"}),
    )
    .await;
    // Two servers take rounds at once: each step is taken once.
    let other = rosette::store::Db::connect(&t.url).await.unwrap();
    let (a, b2) = tokio::join!(rounds(app.db.clone(), 3), rounds(other, 3));
    assert_eq!(a + b2, 2, "one run each, taken once");
    let mut tx = app.db.begin_read().await.unwrap();
    let sent = rosette::store::outbox::recent(&mut tx, 500).await.unwrap();
    tx.commit().await.unwrap();
    for (to, name) in [
        ("ada.joiner@example.net", "Ada"),
        ("ben.joiner@example.net", "Ben"),
    ] {
        let mine: Vec<_> = sent.iter().filter(|m| m.to_address == to).collect();
        assert_eq!(mine.len(), 1, "one welcome to {to}");
        assert_eq!(mine[0].subject, format!("Welcome to Local Party, {name}"));
        assert!(
            mine[0].body.contains("Your membership number is"),
            "{}",
            mine[0].body
        );
    }
    // A welcome one-to-one for their branch, and a buddy's call-back.
    let bms = app.sign_in("branch-membership@example.org").await;
    let tasks = app.get("/tasks", Some(&bms)).await;
    assert!(
        tasks.body.contains("Ada Joiner") && tasks.body.contains("Ben Joiner"),
        "{}",
        tasks.body
    );
    let board = app.get(&format!("/journeys/{journey}"), Some(&s)).await;
    let finished = board.body.split("<h2>Finished</h2>").nth(1).unwrap();
    assert!(
        finished.contains(&ada) && finished.contains(&ben),
        "{}",
        board.body
    );
    assert!(finished.contains("emailed"), "{finished}");
    assert!(
        finished.contains("Welcome one-to-one for branch-membership@example.org"),
        "{finished}"
    );
    assert!(finished.contains("buddy caller"), "{finished}");
    let record = app.get(&format!("/members/{ada}"), Some(&s)).await;
    assert!(
        record.body.contains("Welcome new members") && record.body.contains("finished"),
        "{}",
        record.body
    );
    // The new woman member is also on the Women's Officer's welcome queue.
    let wo = app.sign_in(WOMEN).await;
    let home = app.get("/women", Some(&wo)).await;
    assert!(home.body.contains(&ada) && !home.body.contains(&ben));
    // Further rounds take nothing again.
    assert_eq!(rounds(app.db.clone(), 2).await, 0);

    // The same through the API: the journeys with their steps, who is on one.
    let listed = app
        .api("GET", "/api/v1/journeys", Some(&token), None)
        .await
        .json();
    let welcome = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == journey.as_str())
        .expect("listed");
    assert_eq!(welcome["trigger"], "joined");
    assert_eq!(welcome["steps"][1], "Give them a buddy in their branch");
    let runs = app
        .api(
            "GET",
            &format!("/api/v1/journeys/{journey}/runs"),
            Some(&token),
            None,
        )
        .await
        .json();
    let ada_run = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["person"] == ada.as_str())
        .expect("Ada's run");
    assert_eq!(ada_run["state"], "done");
    assert!(
        ada_run["note"].as_str().unwrap().starts_with("emailed"),
        "{ada_run}"
    );
    let r = app
        .api(
            "POST",
            &format!("/api/v1/journeys/{journey}/take-off"),
            Some(&token),
            Some(json!({"person": ada})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "finished, not on it now"
    );

    // Changed: a wait first. Mistakes are named by line; nothing is saved with them.
    let r = app
        .post(
            &format!("/journeys/{journey}/edit"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Welcome new members"),
                (
                    "steps",
                    "wait 2 days\nfly\ntask call_back if gender = woman\n",
                ),
                ("active", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("line 2: &#39;fly&#39; is not a step"),
        "{}",
        r.body
    );
    let r = app
        .post(
            &format!("/journeys/{journey}/edit"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Welcome new members"),
                ("steps", "wait 2 days\ntask call_back if gender = woman\n"),
                ("active", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cy = add(
        &app,
        &token,
        json!({"first_name": "Cy", "last_name": "Joiner", "rate": "standard",
            "joined_on": joined, "paid_until": "2027-12-31"}),
    )
    .await;
    assert_eq!(rounds(app.db.clone(), 1).await, 1);
    let board = app.get(&format!("/journeys/{journey}"), Some(&s)).await;
    let waiting = board.body.split("<h2>Step 2").nth(1).unwrap();
    assert!(
        waiting.contains(&cy),
        "waiting for the follow-up: {}",
        board.body
    );
    // Taken off: no step is taken for them again.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/journeys/{journey}/take-off"),
            Some(&token),
            Some(json!({"person": cy})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let board = app.get(&format!("/journeys/{journey}"), Some(&s)).await;
    let off = board.body.split("Taken off").nth(1).unwrap();
    assert!(off.contains(&cy) && off.contains("taken off by"), "{off}");
    let r = app
        .post(
            &format!("/journeys/{journey}/take-off"),
            Some(&s),
            &[("csrf", &s.csrf), ("person", &cy)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Only officers who look after everyone change a journey.
    let bs = app.sign_in(BRANCH).await;
    let r = app
        .post(
            &format!("/journeys/{journey}/edit"),
            Some(&bs),
            &[
                ("csrf", &bs.csrf),
                ("name", "Mine"),
                ("steps", "buddy"),
                ("active", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn a_new_branch_officer_gets_their_own_journey(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let s = app.sign_in(SECRETARY).await;
    assert_eq!(rounds(app.db.clone(), 1).await, 0);
    let form = app.get("/journeys/new", Some(&s)).await;
    assert!(form.body.contains("When someone becomes an officer"));
    let r = app
        .post(
            "/journeys",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "New branch officers"),
                ("trigger", "cake"),
                ("steps", "nap"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"e-trigger\"") && r.body.contains("line 1:"),
        "{}",
        r.body
    );
    // Every local party has this one from the start: a one-to-one for each new officer.
    let list = app.get("/journeys", Some(&s)).await;
    let journey = list
        .body
        .split("href=\"/journeys/")
        .skip(1)
        .find(|r| r.contains("\">New branch officers</a>"))
        .and_then(|r| r.split('"').next())
        .expect("the default journey for new officers")
        .to_string();
    // A member of long standing becomes their branch's secretary.
    let b = app.token(BRANCH).await;
    let branch = app.all(&b, "").await[0]["branch"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .api(
            "POST",
            "/api/v1/members",
            Some(&token),
            Some(
                json!({"first_name": "Olwen", "last_name": "Officer", "rate": "standard",
                "branch": branch, "email": "olwen.officer@example.net",
                "joined_on": "2012-05-01", "paid_until": "2027-05-01"}),
            ),
        )
        .await;
    let olwen = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        rounds(app.db.clone(), 1).await,
        0,
        "a member, not yet an officer"
    );
    let mut tx = app.db.begin().await.unwrap();
    rosette::app::officers::add_officer(
        &mut tx,
        "Olwen.Officer@example.net",
        "Olwen Officer",
        rosette::domain::Role::BranchSecretary,
        &branch,
        Some("a long demo password 1"),
        "https://rosette.example",
        "test",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(rounds(app.db.clone(), 2).await, 1, "their one-to-one, once");
    let board = app.get(&format!("/journeys/{journey}"), Some(&s)).await;
    let finished = board.body.split("<h2>Finished</h2>").nth(1).unwrap();
    assert!(finished.contains(&olwen), "{}", board.body);
    assert!(finished.contains("Welcome one-to-one for"), "{finished}");
    // Not a new member: the welcome journey left them alone.
    let record = app.get(&format!("/members/{olwen}"), Some(&s)).await;
    assert!(
        !record.body.contains("Welcome new members"),
        "{}",
        record.body
    );
}

async fn a_member_who_rejoins_is_put_on_a_rejoined_journey(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let s = app.sign_in(SECRETARY).await;
    // On the register before any journey: a member who lapsed.
    let lapsed = add(
        &app,
        &token,
        json!({"first_name": "Ros", "last_name": "Returner", "rate": "standard",
            "joined_on": "2018-01-01", "paid_until": "2024-01-01"}),
    )
    .await;
    assert_eq!(rounds(app.db.clone(), 1).await, 0);
    let r = app
        .post(
            "/journeys",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Welcome back"),
                ("trigger", "rejoined"),
                ("steps", "task call_back\n"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let journey = r.location.trim_start_matches("/journeys/").to_string();
    assert_eq!(rounds(app.db.clone(), 1).await, 0, "lapsed, not yet back");
    // A payment from a lapsed member is a rejoining.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/members/{lapsed}/payments"),
            Some(&token),
            Some(json!({"amount": "60.00", "method": "card"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(rounds(app.db.clone(), 2).await, 1, "welcomed back once");
    let board = app.get(&format!("/journeys/{journey}"), Some(&s)).await;
    let finished = board.body.split("<h2>Finished</h2>").nth(1).unwrap();
    assert!(
        finished.contains(&lapsed) && finished.contains("Call back for"),
        "{}",
        board.body
    );
}

async fn a_branch_officers_training_is_recorded(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let s = app.sign_in(SECRETARY).await;
    let person = app.all(&token, "kind=member").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("/members/{person}/training"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("course", "Chairing  meetings"),
                ("on", "2026-11-14"),
                ("provider", "Regional office"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("/members/{person}"), Some(&s)).await;
    let training = page.body.split("<h2>Training</h2>").nth(1).unwrap();
    assert!(
        training.contains("<strong>Chairing meetings</strong>")
            && training.contains("14 Nov 2026 · Regional office"),
        "{training}"
    );
    for (course, on, why) in [
        ("", "", "say which course"),
        ("First aid", "2099-01-01", "in the future"),
        ("First aid", "soon", "soon"),
    ] {
        let r = app
            .post(
                &format!("/members/{person}/training"),
                Some(&s),
                &[("csrf", &s.csrf), ("course", course), ("on", on)],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{course} {on}");
        assert!(r.body.contains(why), "{why}: {}", r.body);
    }
    // Someone outside a Branch Secretary's branch is not theirs to record.
    let b = app.sign_in(BRANCH).await;
    let own = app.all(&app.token(BRANCH).await, "").await[0]["branch"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let outside = app
        .all(&token, "kind=member")
        .await
        .into_iter()
        .find(|m| m["branch"]["slug"].as_str() != Some(own.as_str()))
        .unwrap();
    let r = app
        .post(
            &format!("/members/{}/training", outside["id"].as_str().unwrap()),
            Some(&b),
            &[("csrf", &b.csrf), ("course", "Anything")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn a_notice_reaches_every_branch_officer_and_says_who_read_it(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let r = app
        .post(
            "/notices",
            Some(&s),
            &[("csrf", &s.csrf), ("subject", " "), ("body", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-subject\"") && r.body.contains("id=\"e-body\""));
    let r = app
        .post(
            "/notices",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("subject", "Branch AGMs by March"),
                (
                    "body",
                    "Please hold your branch AGM before the end of March.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let notice = r.location.clone();
    let mut tx = app.db.begin_read().await.unwrap();
    let sent = rosette::store::outbox::recent(&mut tx, 50).await.unwrap();
    tx.commit().await.unwrap();
    let mut to: Vec<&str> = sent
        .iter()
        .filter(|m| m.subject == "Notice: Branch AGMs by March")
        .map(|m| m.to_address.as_str())
        .collect();
    to.sort();
    assert_eq!(to, ["branch-membership@example.org", "branch@example.org"]);
    // The Branch Secretary is told on their home page, and opening it marks it read.
    let b = app.sign_in(BRANCH).await;
    assert!(
        app.get("/", Some(&b))
            .await
            .body
            .contains("Notices for you to read")
    );
    let opened = app.get(&notice, Some(&b)).await;
    assert!(opened.body.contains("before the end of March"));
    assert!(
        !opened.body.contains("Who has read it"),
        "only the senders see that"
    );
    assert!(
        !app.get("/", Some(&b))
            .await
            .body
            .contains("Notices for you to read")
    );
    let read = app.get(&notice, Some(&s)).await;
    let who = read
        .body
        .split("Who has read it: 1 of 2")
        .nth(1)
        .expect("1 of 2");
    assert!(who.contains("branch@example.org · Read"), "{who}");
    assert!(
        who.contains("branch-membership@example.org · Not yet"),
        "{who}"
    );
    // Neither a caller nor a branch officer sends them; a caller cannot open one.
    let c = app.sign_in(CALLER).await;
    assert_eq!(
        app.get(&notice, Some(&c)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post(
            "/notices",
            Some(&b),
            &[("csrf", &b.csrf), ("subject", "Mine"), ("body", "Hello")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Gives someone a role with a sign-in of their own.
async fn give_role(app: &App, email: &str, name: &str, role: rosette::domain::Role, unit: &str) {
    let mut tx = app.db.begin().await.unwrap();
    rosette::app::officers::add_officer(
        &mut tx,
        email,
        name,
        role,
        unit,
        Some(rosette::demo::PASSWORD),
        "https://rosette.example",
        "test",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn a_branch_buddy_is_given_before_a_caller_and_a_captain_reads_the_branch(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    assert_eq!(rounds(app.db.clone(), 1).await, 0);
    let b = app.token(BRANCH).await;
    let branch = app.all(&b, "").await[0]["branch"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    give_role(
        &app,
        "bea.buddy@example.org",
        "Bea Buddy",
        rosette::domain::Role::Buddy,
        &branch,
    )
    .await;
    give_role(
        &app,
        "cal.captain@example.org",
        "Cal Captain",
        rosette::domain::Role::BranchCaptain,
        &branch,
    )
    .await;
    let new = add(
        &app,
        &token,
        json!({"first_name": "Nia", "last_name": "Newcomer", "rate": "standard",
            "branch": branch, "joined_on": today().to_string(), "paid_until": "2027-12-31",
            "email": "nia.newcomer@example.net"}),
    )
    .await;
    assert_eq!(rounds(app.db.clone(), 2).await, 1);
    // The buddy, not a caller: shared Nia, with a welcome call-back on their tasks.
    let bea = app.sign_in("bea.buddy@example.org").await;
    let tasks = app.get("/tasks", Some(&bea)).await;
    assert!(tasks.body.contains("Nia Newcomer"), "{}", tasks.body);
    assert_eq!(
        app.get(&format!("/members/{new}"), Some(&bea)).await.status,
        StatusCode::OK
    );
    let someone_else = app.all(&b, "").await[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/members/{someone_else}"), Some(&bea))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a buddy sees only the people shared with them"
    );
    // A captain reads their branch's members but changes and exports nobody.
    let cal = app.token("cal.captain@example.org").await;
    let theirs = app.all(&cal, "").await;
    assert_eq!(
        theirs.len(),
        app.all(&b, "").await.len(),
        "the whole branch"
    );
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/members/{new}"),
            Some(&cal),
            Some(json!({"phone": "01632 960001"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let cal_session = app.sign_in("cal.captain@example.org").await;
    assert_eq!(
        app.get("/members/export?format=csv", Some(&cal_session))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The Secretary's roles page offers both roles.
    let s = app.sign_in(SECRETARY).await;
    let roles = app.get("/roles", Some(&s)).await;
    assert!(roles.body.contains("Buddy") && roles.body.contains("Branch Captain"));
    // On the ladder, a captain leads and a buddy volunteers (found by their address).
    let mut on_register = Vec::new();
    for (first, email) in [
        ("Cal", "cal.captain@example.org"),
        ("Bea", "bea.buddy@example.org"),
    ] {
        on_register.push(
            add(
                &app,
                &token,
                json!({"first_name": first, "last_name": "Ladder", "rate": "standard",
                    "branch": branch, "joined_on": "2015-01-01", "paid_until": "2027-12-31",
                    "email": email}),
            )
            .await,
        );
    }
    let ids = |people: Vec<Value>| -> Vec<String> {
        people
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(ids(app.all(&token, "rung=leads&q=Ladder").await) == vec![on_register[0].clone()]);
    assert!(
        ids(app.all(&token, "rung=volunteered&q=Ladder").await) == vec![on_register[1].clone()]
    );
}

async fn a_journey_queues_for_a_call_list_and_branches_on_a_survey(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let s = app.sign_in(SECRETARY).await;
    assert_eq!(rounds(app.db.clone(), 1).await, 0);
    let list = app.arrears_call_list(&s, &[CALLER]).await;
    let survey = crate::surveys::make(
        &app,
        &s,
        &[
            ("unit", "local-party"),
            ("title", "Why did you join?"),
            ("questions", "text: Why did you join?"),
            ("public_link", "contact"),
        ],
    )
    .await;
    let steps = format!(
        "queue arrears\ntask recruit if answered {survey}\ntask call_back if not answered {survey}\n"
    );
    let r = app
        .post(
            "/journeys",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "Answered or not"),
                ("trigger", "joined"),
                ("steps", &steps),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let journey = r.location.clone();
    let board = app.get(&journey, Some(&s)).await;
    assert!(
        board.body.contains("(only those who answered the survey)"),
        "{}",
        board.body
    );
    // Two join: Pia agrees to calls and answers the survey; Quin does neither.
    let pia = add(
        &app,
        &token,
        json!({"first_name": "Pia", "last_name": "Joiner", "rate": "standard",
            "joined_on": today().to_string(), "paid_until": "2027-12-31",
            "email": "pia.joiner@example.net", "mobile": "07700 900123", "phone_consent": "yes"}),
    )
    .await;
    let quin = add(
        &app,
        &token,
        json!({"first_name": "Quin", "last_name": "Joiner", "rate": "standard",
            "joined_on": today().to_string(), "paid_until": "2027-12-31",
            "email": "quin.joiner@example.net"}),
    )
    .await;
    let r = app
        .post(
            &format!("/s/{survey}"),
            None,
            &[
                ("q1", "A friend asked me."),
                ("first_name", "Pia"),
                ("last_name", "Joiner"),
                ("email", "pia.joiner@example.net"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(rounds(app.db.clone(), 2).await >= 2);
    let board = app.get(&journey, Some(&s)).await;
    let finished = board
        .body
        .split("<h2>Finished</h2>")
        .nth(1)
        .expect("finished");
    let note_of = |id: &str| -> String {
        let at = finished
            .find(id)
            .unwrap_or_else(|| panic!("{id} finished: {finished}"));
        finished[at..].split("</li>").next().unwrap().to_string()
    };
    let (pia_note, quin_note) = (note_of(&pia), note_of(&quin));
    assert!(
        pia_note.contains("on the call list &#34;Arrears&#34;"),
        "{pia_note}"
    );
    assert!(
        pia_note.contains("Ask them to join") && !pia_note.contains("Call back"),
        "{pia_note}"
    );
    assert!(
        quin_note.contains("not queued: has not agreed to phone calls"),
        "{quin_note}"
    );
    assert!(
        quin_note.contains("Call back") && !quin_note.contains("Ask them to join"),
        "{quin_note}"
    );
    let on_list = app.get(&list, Some(&s)).await;
    assert!(on_list.body.contains("Pia Joiner"), "{}", on_list.body);
    assert!(!on_list.body.contains("Quin Joiner"));
}

async fn a_branch_makes_a_journey_for_its_own_people(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    assert_eq!(rounds(app.db.clone(), 1).await, 0);
    let bs = app.sign_in(BRANCH).await;
    let b = app.token(BRANCH).await;
    let branch = app.all(&b, "").await[0]["branch"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app
        .all(&token, "")
        .await
        .iter()
        .filter_map(|p| p["branch"]["slug"].as_str().map(str::to_string))
        .find(|s| *s != branch)
        .expect("another branch");
    let form = app.get("/journeys/new", Some(&bs)).await;
    assert!(
        form.body.contains(&format!("value=\"{branch}\"")),
        "{}",
        form.body
    );
    // Not the whole local party's, nor another branch's.
    for unit in ["local-party", other.as_str()] {
        let r = app
            .post(
                "/journeys",
                Some(&bs),
                &[
                    ("csrf", &bs.csrf),
                    ("name", "Ours"),
                    ("trigger", "joined"),
                    ("unit", unit),
                    ("steps", "task call_back"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{unit}");
        assert!(r.body.contains("id=\"e-unit\""));
    }
    let r = app
        .post(
            "/journeys",
            Some(&bs),
            &[
                ("csrf", &bs.csrf),
                ("name", "Our branch's hello"),
                ("trigger", "joined"),
                ("unit", &branch),
                ("steps", "task call_back"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let journey = r.location.clone();
    let list = app.get("/journeys", Some(&bs)).await;
    assert!(list.body.contains("only · On"), "{}", list.body);
    let ours = add(
        &app,
        &token,
        json!({"first_name": "Ola", "last_name": "Ours", "rate": "standard", "branch": branch,
            "joined_on": today().to_string(), "paid_until": "2027-12-31"}),
    )
    .await;
    let theirs = add(
        &app,
        &token,
        json!({"first_name": "Tam", "last_name": "Theirs", "rate": "standard", "branch": other,
            "joined_on": today().to_string(), "paid_until": "2027-12-31"}),
    )
    .await;
    rounds(app.db.clone(), 2).await;
    let s = app.sign_in(SECRETARY).await;
    let board = app.get(&journey, Some(&s)).await;
    assert!(board.body.contains(&ours), "{}", board.body);
    assert!(
        !board.body.contains(&theirs),
        "another branch's member is not on it"
    );
    // Its branch's officer changes it; the Women's Officer does not.
    let edit = |who: &Session| {
        vec![
            ("csrf", who.csrf.clone()),
            ("name", "Our branch's welcome".to_string()),
            ("steps", "task welcome_one_to_one".to_string()),
            ("active", "yes".to_string()),
        ]
    };
    let form: Vec<(&str, String)> = edit(&bs);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post(&format!("{journey}/edit"), Some(&bs), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let wo = app.sign_in(WOMEN).await;
    let form: Vec<(&str, String)> = edit(&wo);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post(&format!("{journey}/edit"), Some(&wo), &form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let listed = app
        .api("GET", "/api/v1/journeys", Some(&token), None)
        .await
        .json();
    let mine = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "Our branch's welcome")
        .expect("listed");
    assert_eq!(mine["unit"], branch.as_str());
}

crate::both!(
    a_branch_makes_a_journey_for_its_own_people,
    a_journey_queues_for_a_call_list_and_branches_on_a_survey,
    a_branch_buddy_is_given_before_a_caller_and_a_captain_reads_the_branch,
    a_notice_reaches_every_branch_officer_and_says_who_read_it,
    a_branch_officers_training_is_recorded,
    a_new_member_is_welcomed_end_to_end_once,
    a_new_branch_officer_gets_their_own_journey,
    a_member_who_rejoins_is_put_on_a_rejoined_journey,
);
