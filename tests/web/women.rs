//! The Women's Officer's home: her women members, the new ones still to welcome, marked
//! welcomed with how, by whom and when, her forum branch and its events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use serde_json::json;

use crate::common::TestDb;
use crate::common::web::*;

async fn the_womens_officer_welcomes_new_women_members(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    // Two new women members, one of them joined earlier.
    let mut new_women = Vec::new();
    for (first, joined) in [("Ada", "2026-11-02"), ("Bea", "2026-10-20")] {
        let r = app
            .api(
                "POST",
                "/api/v1/members",
                Some(&token),
                Some(
                    json!({"first_name": first, "last_name": "Newjoiner", "gender": "woman",
                    "rate": "standard", "joined_on": joined, "paid_until": "2027-10-19",
                    "email": format!("{}.newjoiner@example.net", first.to_lowercase())}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        new_women.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let wo = app.sign_in(WOMEN).await;
    let dashboard = app.get("/", Some(&wo)).await;
    assert!(
        dashboard.body.contains("New women members to welcome"),
        "her home page leads with them: {}",
        dashboard.body
    );
    let home = app.get("/women", Some(&wo)).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(home.body.contains("href=\"/women\""), "her menu offers it");
    // Everyone the queue shows is a new woman member, as the member list's filter says.
    let women_token = app.token(WOMEN).await;
    let expected = app
        .all(&women_token, "kind=member&gender=woman&status=new")
        .await;
    for p in &expected {
        assert!(
            home.body.contains(p["id"].as_str().unwrap()),
            "{} is not in the queue",
            p["first_name"]
        );
    }
    let bea = home.body.find(&new_women[1]).unwrap();
    let ada = home.body.find(&new_women[0]).unwrap();
    assert!(bea < ada, "longest waiting first");
    let all = app
        .all(
            &women_token,
            "kind=member&gender=woman&status=new&status=current&status=in_arrears",
        )
        .await;
    assert!(
        home.body.contains(&format!("{} women members", all.len())),
        "{}",
        home.body
    );

    // Marked welcomed: off the queue, onto "welcomed lately" with how and who; audited.
    let r = app
        .post(
            "/women/welcomed",
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("person", &new_women[1]),
                ("how", "one_to_one"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = app.get("/women", Some(&wo)).await;
    let lately = home
        .body
        .split("Welcomed lately")
        .nth(1)
        .expect("welcomed lately");
    assert!(
        lately.contains(&new_women[1]) && lately.contains("One-to-one"),
        "{lately}"
    );
    let record = app
        .get(&format!("/members/{}", new_women[1]), Some(&wo))
        .await;
    assert!(
        record.body.contains("Welcomed: One-to-one"),
        "on her record, with who and when: {}",
        record.body
    );
    let queue = home.body.split("Welcomed lately").next().unwrap();
    assert!(!queue.contains(&new_women[1]));
    assert!(queue.contains(&new_women[0]));
    let r = app
        .post(
            "/women/welcomed",
            Some(&wo),
            &[
                ("csrf", &wo.csrf),
                ("person", &new_women[0]),
                ("how", "carrier pigeon"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let secretary = app.sign_in(SECRETARY).await;
    let log = app.get("/audit", Some(&secretary)).await;
    assert!(
        log.body.contains("Marked a new member welcomed"),
        "{}",
        log.body
    );
    // A man is not hers to mark; a caller has no such page.
    let man = app
        .all(&token, "kind=member&gender=man")
        .await
        .first()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .unwrap();
    let r = app
        .post(
            "/women/welcomed",
            Some(&wo),
            &[("csrf", &wo.csrf), ("person", &man), ("how", "call")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let c = app.sign_in(CALLER).await;
    assert_eq!(
        app.get("/women", Some(&c)).await.status,
        StatusCode::FORBIDDEN
    );

    // Her forum branch, its events, and one email to every woman member.
    assert!(home.body.contains("Women's branches"));
    assert!(
        home.body
            .contains("/emails/new?audience=kind%3Dmember%26gender%3Dwoman"),
        "{}",
        home.body
    );
    let compose = app
        .get(
            "/emails/new?audience=kind%3Dmember%26gender%3Dwoman%26status%3Dnew%26status%3Dcurrent%26status%3Din_arrears",
            Some(&wo),
        )
        .await;
    assert_eq!(compose.status, StatusCode::OK);
    assert!(compose.body.contains("gender=woman"), "{}", compose.body);
}

crate::both!(the_womens_officer_welcomes_new_women_members);
