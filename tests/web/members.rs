//! Editing a person: escaping, checks, CSRF, payments, export and the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::common::TestDb;
use crate::common::web::*;

async fn edits_are_escaped_checked_protected_and_audited(t: TestDb) {
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
    // The new mobile is in the person's own history, by whom, in words.
    assert!(
        page.contains("Details changed") && page.contains("first name, last name, "),
        "the change is in the history: {page}"
    );
    assert!(!page.contains("first_name"), "no field codes on the page");
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
    // Codes for scripts, and the same values in words beside them for people.
    let header = csv.body.lines().next().unwrap_or_default();
    assert!(
        header.ends_with(
            ",status,joined_on,paid_until,branch_label,rate_label,kind_label,status_label"
        ),
        "{header}"
    );
    assert!(
        csv.body
            .lines()
            .skip(1)
            .all(|l| l.contains(",resigned,") && l.ends_with(",Member,Resigned")),
        "{}",
        csv.body
    );
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

/// Each member's page says what they may do today under the rules file's rights, and
/// why not.
async fn a_member_page_says_what_they_may_do_and_why_not(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let s = app.sign_in(SECRETARY).await;
    let lapsed = app.all(&token, "status=lapsed&kind=member").await;
    let page = app
        .get(
            &format!("/members/{}", lapsed[0]["id"].as_str().unwrap()),
            Some(&s),
        )
        .await;
    assert!(
        page.body.contains("What they may do today"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<strong>No:</strong> Attend members&#39; meetings: needs the status")
            || page
                .body
                .contains("<strong>No:</strong> Attend members' meetings: needs the status"),
        "{}",
        page.body
    );
    let current = app
        .all(&token, "status=current&kind=member&joined_to=2024-01-01")
        .await;
    let page = app
        .get(
            &format!("/members/{}", current[0]["id"].as_str().unwrap()),
            Some(&s),
        )
        .await;
    assert!(
        page.body
            .contains("<strong>Yes:</strong> Vote in selections"),
        "{}",
        page.body
    );
}

/// The door list: a right checked for everyone an officer may see in a unit.
async fn the_eligibility_list_shows_each_officer_their_own_people(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let all = app
        .get(
            "/reports/eligibility?right=vote_at_meetings&freeze=2026-11-01",
            Some(&s),
        )
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let everyone = app.all(&app.token(SECRETARY).await, "").await.len();
    let rows = all.body.matches("<td data-label=\"May?\">").count();
    assert_eq!(
        rows, everyone,
        "the Secretary sees everyone in the local party"
    );
    assert!(all.body.contains(">Yes<") && all.body.contains(">No<"));
    assert!(all.body.contains("needs the status"), "reasons are given");
    let b = app.sign_in(BRANCH).await;
    let theirs = app
        .get("/reports/eligibility?right=vote_at_meetings", Some(&b))
        .await;
    let branch_people = app.all(&app.token(BRANCH).await, "").await.len();
    assert_eq!(
        theirs.body.matches("<td data-label=\"May?\">").count(),
        branch_people,
        "a Branch Secretary sees their branch only"
    );
    let bad = app.get("/reports/eligibility?right=fly", Some(&s)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("is not a right"));
    let c = app.sign_in(CALLER).await;
    assert_eq!(
        app.get("/reports/eligibility?right=vote_at_meetings", Some(&c))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// The count above the list is every person the filter finds, whether the first page
/// holds them all (counted from the page itself) or more pages follow (counted apart).
async fn the_list_counts_everyone_it_finds(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let token = app.token(SECRETARY).await;
    let count_line = |body: &str| -> usize {
        let line = body
            .split("class=\"count-line\" role=\"status\">")
            .nth(1)
            .expect("a count line");
        line.split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number")
    };
    let mut sizes = Vec::new();
    let everyone = app.all(&token, "").await;
    let surname = everyone[0]["last_name"].as_str().expect("a surname");
    let by_name = format!("q={}", surname.replace(' ', "+"));
    for query in ["", "status=current", &by_name, "q=zzzz-nobody"] {
        let expected = app.all(&token, query).await.len();
        sizes.push(expected);
        let first = app.get(&format!("/members?{query}"), Some(&s)).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(count_line(&first.body), expected, "?{query}, first page");
        let shown = first
            .body
            .split("<ul class=\"people\">")
            .nth(1)
            .map_or(0, |l| {
                l.split("</ul>")
                    .next()
                    .unwrap_or("")
                    .matches("<li>")
                    .count()
            });
        assert_eq!(
            shown,
            expected.min(50),
            "?{query}: the page shows the first 50"
        );
        assert_eq!(
            first.body.contains("rel=\"next\""),
            expected > 50,
            "?{query}"
        );
        if expected > 50 {
            let next = first
                .body
                .split("\" rel=\"next\"")
                .next()
                .and_then(|h| h.rsplit("href=\"").next())
                .expect("a next page link")
                .replace("&amp;", "&");
            let second = app.get(&next, Some(&s)).await;
            assert_eq!(count_line(&second.body), expected, "?{query}, next page");
        }
    }
    assert!(
        sizes.iter().any(|n| *n > 50) && sizes.iter().any(|n| (1..50).contains(n)),
        "both a paged list and a one-page list were counted: {sizes:?}"
    );
    // A page past the last one (its people left since the link was made) shows nobody
    // but still counts everyone the filter finds.
    let past_the_end = rosette::domain::filter::Cursor {
        key: "zzzzzzzzzz".into(),
        id: "zzzzzzzzzz".into(),
    };
    let stale = app
        .get(
            &format!("/members?cursor={}", past_the_end.encode()),
            Some(&s),
        )
        .await;
    assert_eq!(stale.status, StatusCode::OK, "{}", stale.body);
    assert_eq!(count_line(&stale.body), sizes[0], "a page past the end");
    assert!(
        !stale.body.contains("<ul class=\"people\">"),
        "{}",
        stale.body
    );
}

/// The list's branch filter offers every branch its reader sees and no other, and the
/// count line says whom the list is drawn from (both come from one read of the units).
async fn the_list_offers_the_branches_its_reader_sees(t: TestDb) {
    let app = App::new(&t).await;
    // Read from the whole table, not through the code under test (which the API's
    // /units shares with the list).
    let mut tx = app.db.begin_read().await.unwrap();
    let all = rosette::store::units::list(&mut tx).await.unwrap();
    drop(tx);
    let of_kind = |kind: &str| -> Vec<(String, String)> {
        all.iter()
            .filter(|u| u.kind == kind)
            .map(|u| (u.slug.clone(), u.name.clone()))
            .collect()
    };
    let branches = of_kind("branch");
    let parties = of_kind("local_party");
    assert!(branches.len() > 1 && parties.len() == 1, "{all:?}");
    // The API's units: the party, then every branch of it.
    let api = app
        .api(
            "GET",
            "/api/v1/units",
            Some(&app.token(SECRETARY).await),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let api: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let slugs: Vec<&str> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.first(), Some(&parties[0].0.as_str()), "{slugs:?}");
    let mut api_branches: Vec<&str> = slugs[1..].to_vec();
    api_branches.sort_unstable();
    let mut every_branch: Vec<&str> = branches.iter().map(|(slug, _)| slug.as_str()).collect();
    every_branch.sort_unstable();
    assert_eq!(api_branches, every_branch);
    let offered = |body: &str| -> Vec<String> {
        let mut slugs: Vec<String> = body
            .split("name=\"branch\" value=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_string())
            .collect();
        slugs.sort();
        slugs
    };
    let escaped = |name: &str| name.replace('&', "&amp;").replace('\'', "&#x27;");

    let s = app.sign_in(SECRETARY).await;
    let page = app.get("/members", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let mut every: Vec<String> = branches.iter().map(|(slug, _)| slug.clone()).collect();
    every.sort();
    assert_eq!(
        offered(&page.body),
        every,
        "the Secretary filters by any branch"
    );
    assert!(
        page.body
            .contains(&format!("from everyone in {}.", escaped(&parties[0].1))),
        "{}",
        page.body
    );

    let b = app.sign_in(BRANCH).await;
    let page = app.get("/members", Some(&b)).await;
    let theirs = offered(&page.body);
    assert_eq!(
        theirs.len(),
        1,
        "a Branch Secretary sees one branch: {theirs:?}"
    );
    let (_, name) = branches
        .iter()
        .find(|(slug, _)| *slug == theirs[0])
        .expect("one of the local party's branches");
    let words = if name.to_lowercase().ends_with("branch") {
        escaped(name)
    } else {
        format!("the {} branch", escaped(name))
    };
    let everyone = app.all(&app.token(BRANCH).await, "").await.len();
    let people = if everyone == 1 { "person" } else { "people" };
    assert!(
        page.body
            .contains(&format!("{everyone} {people}, from {words}.")),
        "the count is the branch's: {}",
        page.body
    );
}

crate::both!(
    the_list_offers_the_branches_its_reader_sees,
    the_list_counts_everyone_it_finds,
    the_eligibility_list_shows_each_officer_their_own_people,
    edits_are_escaped_checked_protected_and_audited,
    a_member_page_says_what_they_may_do_and_why_not,
);
