//! People added and moved by hand, through pages and the API, within scope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::TestDb;
use crate::common::web::*;

/// The demo's geographic branches, by slug.
async fn branches(app: &App, token: &str) -> Vec<String> {
    app.api("GET", "/api/v1/units", Some(token), None)
        .await
        .json()["items"]
        .as_array()
        .expect("units")
        .iter()
        .filter(|u| u["kind"] == "branch" && !u["name"].as_str().unwrap_or("").contains("Women"))
        .map(|u| u["slug"].as_str().expect("slug").to_string())
        .collect()
}

async fn people_are_added_by_hand_with_the_imports_checks(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let all = branches(&app, &token).await;
    let post = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            app.api("POST", "/api/v1/members", Some(token), Some(body))
                .await
        }
    };

    // Every field that is wrong is named, and nothing is saved.
    let before = app.all(&token, "").await.len();
    let r = post(json!({
        "first_name": "Ada", "last_name": " ", "email": "not an address",
        "joined_on": "2099-01-01", "branch": "atlantis"
    }))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields = problem_fields(&r.json());
    for f in ["last_name", "email", "joined_on", "branch", "rate"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    let r = post(json!({"first_name": "Ada", "last_name": "Quist", "colour": "blue"})).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an unknown field: {}",
        r.body
    );
    assert_eq!(app.all(&token, "").await.len(), before, "nothing saved");

    // A member with the fields a volunteer has to hand: a local number, joined today.
    let r = post(json!({
        "first_name": "Ada", "last_name": "Quist", "email": "Ada.Quist@Example.org",
        "rate": "standard", "branch": all[0], "email_consent": "yes", "gender": "woman"
    }))
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ada = r.json();
    assert_eq!(ada["membership_number"], "R0000001");
    assert_eq!(ada["email"], "Ada.Quist@example.org");
    assert_eq!(ada["joined_on"], today().to_string());
    assert_eq!(ada["branch"]["slug"], all[0].as_str());
    let ada_id = ada["id"].as_str().expect("id").to_string();

    // The same address again is probably the same person: shown, not saved.
    let twin = json!({
        "first_name": "Adaline", "last_name": "Quist", "email": "ada.quist@example.org",
        "kind": "supporter"
    });
    let r = post(twin.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let dup = r.json();
    assert_eq!(dup["error"], "duplicate");
    assert_eq!(dup["duplicates"][0]["id"], ada_id.as_str());
    assert_eq!(dup["duplicates"][0]["why"][0], "same_email");
    let mut anyway = twin.clone();
    anyway["allow_duplicate"] = json!(true);
    let r = post(anyway).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["membership_number"], "R0000002");
    assert_eq!(r.json()["kind"], "supporter");
    // A number already in use is refused against its field.
    let r = post(json!({
        "first_name": "Bo", "last_name": "Ng", "membership_number": "R0000001", "kind": "contact"
    }))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(problem_fields(&r.json()), vec!["membership_number"]);

    // Within scope only: a Branch Secretary adds to their own branch, the Women's Officer
    // adds women, a caller adds nobody. A refusal saves nothing.
    let b = app.token(BRANCH).await;
    let own = app.all(&b, "").await[0]["branch"]["slug"]
        .as_str()
        .expect("branch")
        .to_string();
    let other = all.iter().find(|s| **s != own).expect("another branch");
    let mine = app.all(&b, "").await.len();
    let r = app
        .api(
            "POST",
            "/api/v1/members",
            Some(&b),
            Some(
                json!({"first_name": "Cy", "last_name": "Dove", "rate": "youth", "branch": other}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(problem_fields(&r.json()), vec!["branch"]);
    let r = app
        .api(
            "POST",
            "/api/v1/members",
            Some(&b),
            Some(json!({"first_name": "Cy", "last_name": "Dove", "rate": "youth", "branch": own})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(app.all(&b, "").await.len(), mine + 1);
    let w = app.token(WOMEN).await;
    let r = app
        .api(
            "POST",
            "/api/v1/members",
            Some(&w),
            Some(json!({"first_name": "Ed", "last_name": "Fry", "rate": "standard", "gender": "man"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(problem_fields(&r.json()), vec!["gender"]);
    let c = app.token(CALLER).await;
    let r = app
        .api(
            "POST",
            "/api/v1/members",
            Some(&c),
            Some(json!({"first_name": "Ed", "last_name": "Fry", "kind": "contact"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(app.all(&token, "").await.len(), before + 3);

    // The page: a form reached from the member list, messages beside the fields, the
    // duplicate warning with a way through, and the new person's page after.
    let s = app.sign_in(SECRETARY).await;
    let list = app.get("/members", Some(&s)).await;
    assert!(list.body.contains("href=\"/members/new\""));
    let form = app.get("/members/new", Some(&s)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&format!("value=\"{}\"", all[0])));
    let r = app
        .post(
            "/members/new",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("first_name", "Gil"),
                ("last_name", ""),
                ("rate", "standard"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"e-last_name\""), "{}", r.body);
    assert!(r.body.contains("value=\"Gil\""), "what was typed is kept");
    let gil = [
        ("csrf", s.csrf.as_str()),
        ("kind", "member"),
        ("first_name", "Gil"),
        ("last_name", "Quist"),
        ("mobile", "07700 900999"),
        ("rate", "standard"),
        ("joined_on", "01/11/2026"),
    ];
    let r = app.post("/members/new", Some(&s), &gil).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&r.location, Some(&s)).await;
    assert!(page.body.contains("Gil Quist"));
    let mut again = gil.to_vec();
    again.retain(|(k, _)| *k != "first_name");
    again.push(("first_name", "Gilbert"));
    let r = app.post("/members/new", Some(&s), &again).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("same phone number and surname"),
        "{}",
        r.body
    );
    assert!(r.body.contains("name=\"allow_duplicate\""));
    again.push(("allow_duplicate", "yes"));
    let r = app.post("/members/new", Some(&s), &again).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let audit = app.get("/audit", Some(&s)).await;
    assert!(audit.body.contains("added by hand"), "audited");
}

async fn a_member_moves_branch_and_rate_with_the_dates_in_their_history(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let all = branches(&app, &token).await;
    let someone = app
        .all(&token, "status=current&kind=member")
        .await
        .into_iter()
        .find(|m| m["rate"] == "standard" && m["branch"]["slug"] != all[1].as_str())
        .expect("a current member");
    let id = someone["id"].as_str().expect("id").to_string();
    let url = format!("/api/v1/members/{id}/move");
    let mv = |body: Value| {
        let (app, token, url) = (&app, &token, &url);
        async move { app.api("POST", url, Some(token), Some(body)).await }
    };

    let r = mv(json!({"branch": someone["branch"]["slug"], "rate": "standard"})).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no change: {}",
        r.body
    );
    let r = mv(json!({"branch": "atlantis", "rate": "gold", "on": "2099-01-01"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = problem_fields(&r.json());
    assert_eq!(fields, vec!["branch", "rate", "on"]);

    let r = mv(json!({"branch": all[1], "rate": "reduced", "on": "2026-10-01"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let moved = r.json();
    assert_eq!(moved["branch"]["slug"], all[1].as_str());
    assert_eq!(moved["rate"], "reduced");
    let s = app.sign_in(SECRETARY).await;
    let page = app.get(&format!("/members/{id}"), Some(&s)).await;
    assert!(page.body.contains("Moved branch"), "{}", page.body);
    assert!(page.body.contains("Rate changed"));
    assert!(
        page.body.contains("1 Oct 2026"),
        "the move is dated as asked"
    );

    // A Branch Secretary may not move their member out of their reach.
    let b = app.token(BRANCH).await;
    let theirs = &app.all(&b, "kind=member").await[0];
    let own = theirs["branch"]["slug"].as_str().expect("branch");
    let other = all.iter().find(|s| *s != own).expect("another branch");
    let r = app
        .api(
            "POST",
            &format!(
                "/api/v1/members/{}/move",
                theirs["id"].as_str().expect("id")
            ),
            Some(&b),
            Some(json!({"branch": other, "rate": theirs["rate"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let still = app.all(&b, "kind=member").await;
    assert!(
        still.iter().any(|m| m["id"] == theirs["id"]),
        "nothing moved"
    );

    // The page.
    let form = app.get(&format!("/members/{id}/move"), Some(&s)).await;
    assert_eq!(form.status, StatusCode::OK);
    let r = app
        .post(
            &format!("/members/{id}/move"),
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("branch", &all[0]),
                ("rate", "reduced"),
                ("on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = app
        .api("GET", &format!("/api/v1/members/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(back["branch"]["slug"], all[0].as_str());
}

async fn duplicates_are_listed_in_scope_and_merged_with_everything_following(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
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
    let kept = add(json!({
        "first_name": "Zora", "last_name": "Ng", "email": "zora.ng@example.org",
        "rate": "standard", "email_consent": "yes", "tags": "driver",
        "joined_on": "2025-01-10", "paid_until": "2025-12-31"
    }))
    .await;
    let other = add(json!({
        "first_name": "Zora", "last_name": "Ng", "email": "zora.ng@example.org",
        "mobile": "07700 900777", "rate": "standard", "email_consent": "no",
        "tags": "leafleter", "allow_duplicate": true, "joined_on": "2024-06-01",
        "paid_until": "2027-05-31"
    }))
    .await;
    let paid = app
        .api(
            "POST",
            &format!("/api/v1/members/{other}/payments"),
            Some(&token),
            Some(json!({"amount": "60.00", "method": "cash", "paid_on": "2026-11-01"})),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);

    // Listed for the Secretary, with a way to merge; not for the Branch Secretary, who
    // sees neither; a caller may not ask.
    let s = app.sign_in(SECRETARY).await;
    let list = app.get("/people/duplicates", Some(&s)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("same email address"), "{}", list.body);
    assert!(
        list.body
            .contains(&format!("/people/merge?a={kept}&amp;b={other}"))
    );
    let b = app.sign_in(BRANCH).await;
    let theirs = app.get("/people/duplicates", Some(&b)).await;
    assert!(!theirs.body.contains("Zora"), "outside their branch");
    let c = app.sign_in(CALLER).await;
    assert_eq!(
        app.get("/people/duplicates", Some(&c)).await.status,
        StatusCode::FORBIDDEN
    );

    let compare = app
        .get(&format!("/people/merge?a={kept}&b={other}"), Some(&s))
        .await;
    assert_eq!(compare.status, StatusCode::OK);
    assert!(compare.body.contains("+447700900777"));
    // Keeping a record that is neither of the two is refused.
    let r = app
        .post(
            "/people/merge",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("a", &kept),
                ("b", &other),
                ("keep", "someone-else"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post(
            "/people/merge",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("a", &kept),
                ("b", &other),
                ("keep", &kept),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("/members/{kept}?saved=merged"));

    // The other record is gone; everything it had is on the kept one.
    let gone = app
        .api(
            "GET",
            &format!("/api/v1/members/{other}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let now = app
        .api(
            "GET",
            &format!("/api/v1/members/{kept}"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(now["mobile"], "+447700900777", "a blank filled");
    assert_eq!(now["consents"]["email"], false, "the most recent answer");
    assert_eq!(
        now["paid_until"], "2028-05-31",
        "paid to the later date, payment and all"
    );
    assert_eq!(now["joined_on"], "2024-06-01", "the two overlapped");
    let tags: Vec<&str> = now["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert_eq!(tags, vec!["driver", "leafleter"]);
    let payments = app
        .api(
            "GET",
            &format!("/api/v1/members/{kept}/payments"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(payments["items"].as_array().map(Vec::len), Some(1));
    let page = app.get(&format!("/members/{kept}"), Some(&s)).await;
    assert!(
        page.body.contains("Merged with a duplicate record"),
        "on the timeline"
    );
    assert!(page.body.contains("with Zora Ng (R0000002)"));
    let audit = app.get("/audit", Some(&s)).await;
    assert!(audit.body.contains("Merged two records of one person"));
    // No longer a pair.
    let list = app.get("/people/duplicates", Some(&s)).await;
    assert!(!list.body.contains("Zora"), "{}", list.body);
    // A record cannot be merged into itself.
    let r = app
        .post(
            "/people/merge",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("a", &kept),
                ("b", &kept),
                ("keep", &kept),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn forum_branches_hold_members_alongside_their_ward_branch(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let units = app
        .api("GET", "/api/v1/units", Some(&token), None)
        .await
        .json();
    let forum = units["items"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["name"].as_str().unwrap_or("").contains("Women"))
        .expect("the demo's women's branch")["slug"]
        .as_str()
        .expect("slug")
        .to_string();

    // By its rule, the women's branch holds the demo's women, each still in a ward branch.
    let held = app.all(&token, &format!("branch={forum}")).await;
    assert!(held.len() > 20, "{} in the women's branch", held.len());
    for m in &held {
        assert_eq!(m["gender"], "woman");
        assert!(
            m["branch"]["slug"] != forum.as_str(),
            "a ward branch too: {m}"
        );
    }
    let woman = held[0]["id"].as_str().expect("id").to_string();
    let s = app.sign_in(SECRETARY).await;
    let page = app.get(&format!("/members/{woman}"), Some(&s)).await;
    assert!(page.body.contains("Forum branches"));
    assert!(
        page.body.contains("by the branch&#39;s rule")
            || page.body.contains("by the branch's rule"),
        "{}",
        page.body
    );
    // Taking her out of a forum she is in by its rule is refused: the rule would put her back.
    let r = app
        .post(
            &format!("/members/{woman}/forums"),
            Some(&s),
            &[("csrf", &s.csrf), ("forum", &forum), ("action", "leave")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // A man opts in, and is in its list until he opts out; the dates stay on his record.
    let man = app.all(&token, "gender=man&status=current").await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = app
        .post(
            &format!("/members/{man}/forums"),
            Some(&s),
            &[("csrf", &s.csrf), ("forum", &forum), ("action", "join")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let listed = |id: String| {
        let (app, token, forum) = (&app, &token, &forum);
        async move {
            app.all(token, &format!("branch={forum}"))
                .await
                .iter()
                .any(|m| m["id"] == id.as_str())
        }
    };
    assert!(listed(man.clone()).await);
    let page = app.get(&format!("/members/{man}"), Some(&s)).await;
    assert!(page.body.contains("opted in"));
    let r = app
        .post(
            &format!("/members/{man}/forums"),
            Some(&s),
            &[("csrf", &s.csrf), ("forum", &forum), ("action", "leave")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!listed(man.clone()).await);
    let page = app.get(&format!("/members/{man}"), Some(&s)).await;
    assert!(
        page.body
            .contains(&format!("{} to {}", "20 Nov 2026", "20 Nov 2026")),
        "the stint's dates"
    );

    // A record changed so the rule no longer matches leaves the forum by it.
    app.patch_member(&token, &woman, json!({"gender": "man"}))
        .await;
    assert!(!listed(woman.clone()).await);

    // The forum's own officer sees its members, and only them.
    let mut tx = app.db.begin().await.expect("tx");
    rosette::app::officers::add_officer(
        &mut tx,
        "forum.secretary@example.org",
        "Fay Forum",
        rosette::domain::Role::BranchSecretary,
        &forum,
        Some("a long demo password 1"),
        "https://rosette.example",
        "test",
    )
    .await
    .expect("officer");
    tx.commit().await.expect("commit");
    let f = app.token("forum.secretary@example.org").await;
    let theirs = app.all(&f, "").await;
    assert_eq!(
        theirs.len(),
        held.len() - 1,
        "the women's branch, less the one who left"
    );
    assert!(theirs.iter().all(|m| m["gender"] == "woman"));
}

crate::both!(
    forum_branches_hold_members_alongside_their_ward_branch,
    duplicates_are_listed_in_scope_and_merged_with_everything_following,
    people_are_added_by_hand_with_the_imports_checks,
    a_member_moves_branch_and_rate_with_the_dates_in_their_history,
);
