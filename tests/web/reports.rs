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
    assert!(whole.body.contains("In arrears") && whole.body.contains("Newly in arrears"));
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
    assert!(
        csv.body.starts_with("section,membership_number")
            && csv
                .body
                .lines()
                .next()
                .unwrap_or("")
                .ends_with(",section_name,status_name")
    );
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

/// A count read from a page: the number in `<span class="count">` after `marker`.
fn count_after(page: &str, marker: &str) -> usize {
    page.split(marker)
        .nth(1)
        .and_then(|r| r.split("class=\"count\">").nth(1))
        .and_then(|r| r.split('<').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count after {marker}"))
}

/// One figure, one definition: a report made up to today counts the people in arrears the
/// home page counts, counts each person once, says what each section means, and an
/// on-demand report starts the day after the last kept one ended.
async fn report_and_home_page_agree_and_periods_do_not_overlap(t: TestDb) {
    use rosette::domain::report::Period;
    let app = App::new(&t).await;
    let rules = rosette::domain::Rules::defaults().expect("rules");
    let mut tx = app.db.begin_read().await.expect("tx");
    let lp = rosette::store::units::get(&mut tx, "local-party")
        .await
        .expect("lp");
    tx.commit().await.expect("commit");
    let earlier = Period::ending(today() - chrono::Duration::days(6), 14);
    rosette::app::report::keep(&app.db, &rules, &lp, earlier, "schedule", "http://x")
        .await
        .expect("kept");
    let m = app.sign_in(MEMBERSHIP).await;
    let path = app
        .post("/reports", Some(&m), &[("csrf", &m.csrf)])
        .await
        .location;
    let report = app.get(&path, Some(&m)).await.body;
    let day = |d: chrono::NaiveDate| d.format("%-d %b %Y").to_string();
    assert!(
        report.contains(&format!(
            "{} to {}",
            day(earlier.to + chrono::Duration::days(1)),
            day(today())
        )),
        "starts the day after the last kept report: {report}"
    );
    let home = app.get("/", Some(&m)).await.body;
    let arrears_home = count_after(&home, "Remind members in arrears");
    let arrears_report = count_after(&report, "<h2 id=\"in_arrears\">");
    assert!(arrears_home > 0);
    assert_eq!(arrears_home, arrears_report, "the same people in arrears");
    assert!(
        report.contains("People who fell behind with their payments during the period"),
        "each section says what it counts"
    );
    assert!(!report.contains(">entered arrears<") && !report.contains(">Entered arrears<"));
    // Each person once, though the newly in arrears are in arrears too.
    let people: std::collections::BTreeSet<&str> = report
        .split("<a href=\"/members/")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    assert!(
        report.contains(&format!("{} people you can see", people.len())),
        "{report}"
    );
    // Contacted means spoken to or messaged; a call nobody answered is counted apart.
    let list = app.arrears_call_list(&m, &[CALLER]).await;
    let c = app.sign_in(CALLER).await;
    for outcome in ["no_answer", "left_message"] {
        let person = person_on(&app.next_call(&list, &c).await).expect("someone to call");
        let r = app.outcome(&list, &c, &person, outcome, &[]).await;
        assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.body);
    }
    let after = app.get(&path, Some(&m)).await.body;
    assert!(
        after.contains(&format!(
            "</progress> 1 of {arrears_report} contacted; 1 more called, not reached"
        )),
        "{after}"
    );
    // Branches by name, not by their slugs.
    let mut tx = app.db.begin_read().await.expect("tx");
    let branches = rosette::store::units::branches(&mut tx, lp.id)
        .await
        .expect("branches");
    tx.commit().await.expect("commit");
    assert!(!branches.is_empty());
    for b in &branches {
        if b.slug != b.name {
            assert!(
                !report.contains(&format!("· {}</span>", b.slug))
                    && !report.contains(&format!("<td>{}</td>", b.slug)),
                "{} shows as its slug",
                b.name
            );
        }
    }
    assert!(
        branches
            .iter()
            .any(|b| report.contains(&format!("· {}</span>", b.name))),
        "people's branches by name: {report}"
    );
    let maker = app.user(MEMBERSHIP).await.name;
    assert!(
        report.contains(&format!(" by {maker} ·")) && !report.contains(&format!("by {MEMBERSHIP}")),
        "who kept it, by name"
    );
}

crate::both!(
    action_reports_show_each_officer_their_slice,
    report_and_home_page_agree_and_periods_do_not_overlap,
);
