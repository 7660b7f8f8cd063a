//! Membership Action Reports: each officer sees their slice, exports it and its trends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;

use crate::common::TestDb;
use crate::common::web::*;

async fn action_reports_show_each_officer_their_slice(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(MEMBERSHIP).await;
    let r = app.post("/reports", Some(&s), &[("csrf", &s.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location.clone();
    assert!(path.starts_with("/reports/"));
    let again = app.post("/reports", Some(&s), &[("csrf", &s.csrf)]).await;
    assert_eq!(again.location, path, "the same period is kept once");
    let listed = app.get("/reports", Some(&s)).await.body;
    assert!(
        listed.contains("made by Priya Natarajan") && !listed.contains("made by membership@"),
        "who made it, by name: {listed}"
    );
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
        .map(|m| m["id"].as_str().expect("id").to_string())
        .collect();
    for link in slice.body.split("href=\"/members/").skip(1) {
        let id = link.split('"').next().expect("a closing quote");
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

crate::both!(action_reports_show_each_officer_their_slice);
