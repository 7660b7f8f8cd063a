//! Every role over every route and the API, and the status filters against the domain rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;

use rosette::domain::Status;

use crate::common::TestDb;
use crate::common::web::*;

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
        ("emails", "/emails".into(), [ok, ok, ok, ok, no]),
        ("compose", "/emails/new".into(), [ok, ok, ok, ok, no]),
        (
            "email settings",
            "/emails/settings".into(),
            [ok, no, no, no, no],
        ),
        ("bounced", "/emails/bounced".into(), [ok, ok, ok, ok, no]),
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
        // Payments are out of a caller's scope, so they read as not there (404).
        assert_eq!(r.status, want, "payments {id}");
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
    assert!(
        roles
            .body
            .contains("<td data-label=\"Role\">Branch Membership Secretary</td>")
            && !roles.body.contains(">branch-membership-secretary<"),
        "roles by the names people use, not their codes"
    );
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
    for field in [
        "email",
        "postcode",
        "status",
        "rate",
        "gender",
        "paid_until",
    ] {
        assert!(listed[0][field].is_null(), "a caller is not given {field}");
    }
    let payments = app
        .api(
            "GET",
            &format!("/api/v1/members/{man_id}/payments"),
            Some(&caller_token),
            None,
        )
        .await;
    assert_eq!(
        payments.status, nf,
        "someone shared with a caller still has no payments for her to see"
    );
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
        .map(|p| p["field"].as_str().expect("field").to_string())
        .collect();
    assert_eq!(fields, ["status"]);
    let r = app
        .api("GET", "/api/v1/members?limit=501", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Search by number, postcode and name finds the person.
    let m = &everyone[5];
    for q in [
        m["membership_number"].as_str().expect("number"),
        m["last_name"].as_str().expect("last name"),
    ] {
        let found = app
            .all(&token, &serde_urlencoded::to_string([("q", q)]).expect("q"))
            .await;
        assert!(found.iter().any(|x| x["id"] == m["id"]), "search {q}");
    }
    let pc = everyone
        .iter()
        .find_map(|m| m["postcode"].as_str())
        .expect("the demo gives people postcodes");
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

crate::both!(
    roles_see_what_design_says,
    status_filters_agree_with_the_rules
);
