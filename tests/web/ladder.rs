//! From member to activist: each person on their highest rung, the filters for each, and
//! the funnel's counts agreeing with them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use serde_json::json;

use crate::common::TestDb;
use crate::common::web::*;

async fn ids(app: &App, token: &str, query: &str) -> Vec<String> {
    app.all(token, query)
        .await
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

async fn the_ladder_puts_each_person_on_their_highest_rung(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let add = |first: &'static str, email: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            let r = app
                .api(
                    "POST",
                    "/api/v1/members",
                    Some(token),
                    Some(
                        json!({"first_name": first, "last_name": "Ladder", "email": email,
                        "rate": "standard", "joined_on": "2020-01-01", "paid_until": "2027-12-31"}),
                    ),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["id"].as_str().unwrap().to_string()
        }
    };
    let stall_helper = add("Sal", "sal.ladder@example.net").await;
    let twice = add("Tia", "tia.ladder@example.net").await;
    let once = add("Oona", "oona.ladder@example.net").await;
    let caller = add("Cal", CALLER).await;
    let officer = add("Bea", BRANCH).await;
    let event = |title: &'static str, kind: &'static str, day: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            let r = app
                .api(
                    "POST",
                    "/api/v1/events",
                    Some(token),
                    Some(json!({"title": title, "kind": kind, "unit": "local-party",
                        "starts_at": format!("{day} 10:00"), "ends_at": format!("{day} 12:00")})),
                )
                .await;
            r.json()["id"].as_str().unwrap().to_string()
        }
    };
    let check_in = |event: String, person: String| {
        let (app, token) = (&app, &token);
        async move {
            let r = app
                .api(
                    "POST",
                    &format!("/api/v1/events/{event}/check-ins"),
                    Some(token),
                    Some(json!({"person": person})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    };
    let stall = event("Market stall", "street_stall", "2026-10-03").await;
    let quiz = event("Quiz night", "social", "2026-10-10").await;
    let talk = event("A talk", "training", "2026-10-17").await;
    check_in(stall, stall_helper.clone()).await;
    check_in(quiz.clone(), twice.clone()).await;
    check_in(talk, twice.clone()).await;
    check_in(quiz, once.clone()).await;

    let on = |rung: &'static str| {
        let (app, token) = (&app, &token);
        async move { ids(app, token, &format!("q=Ladder&rung={rung}")).await }
    };
    let mut volunteered = on("volunteered").await;
    volunteered.sort();
    let mut expected = vec![stall_helper.clone(), caller.clone()];
    expected.sort();
    assert_eq!(volunteered, expected, "a stall's helper and a caller");
    assert_eq!(on("leads").await, vec![officer.clone()]);
    let mut attended = on("attended").await;
    attended.sort();
    let mut expected = vec![twice.clone(), once.clone()];
    expected.sort();
    assert_eq!(attended, expected);
    assert!(on("member").await.is_empty(), "everyone here has climbed");
    assert_eq!(
        ids(&app, &token, "q=Ladder&rung=attended&attended_min=2").await,
        vec![twice.clone()],
        "came twice, never volunteered"
    );
    let r = app
        .api("GET", "/api/v1/members?rung=hero", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_fields(&r.json()), vec!["rung"]);

    // The funnel: each rung's count is the filter's, and reached never widens.
    let s = app.sign_in(SECRETARY).await;
    let page = app.get("/reports/ladder", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    let everyone = page.body.split("<h2").nth(1).unwrap();
    for rung in ["member", "attended", "volunteered", "leads"] {
        let n = app
            .all(
                &token,
                &format!("kind=member&status=new&status=current&status=in_arrears&rung={rung}"),
            )
            .await
            .len();
        let link = format!("rung={rung}\">{n} ");
        assert!(everyone.contains(&link), "{rung}: {n} in {everyone}");
    }
    assert!(page.body.contains("attended_min=2"));
}

crate::both!(the_ladder_puts_each_person_on_their_highest_rung);
