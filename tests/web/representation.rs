//! Representation figures checked against counts made directly in SQL on the demo, with
//! small counts hidden, and the page showing no names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;
use chrono::Datelike;
use rosette::domain::representation::{Counted, Figure, counted};
use rosette::domain::{Rules, Status};
use serde_json::json;

use crate::common::TestDb;
use crate::common::web::*;

/// Rows of a query whose every column is text (or null), straight from the database.
async fn rows(t: &TestDb, sql: &str) -> Vec<Vec<Option<String>>> {
    use sqlx::Row;
    if t.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
        let found = sqlx::query(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        found
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<Option<String>, _>(i))
                    .collect()
            })
            .collect()
    } else {
        let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
        let found = sqlx::query(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        found
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<Option<String>, _>(i))
                    .collect()
            })
            .collect()
    }
}

/// How many women, people in their own words, and everyone among these genders.
fn tally(genders: &[Option<String>]) -> (Figure, Figure, Figure) {
    let n = |c: Counted| {
        genders
            .iter()
            .filter(|g| counted(g.as_deref()) == c)
            .count() as u64
    };
    (
        Figure::of(n(Counted::Woman)),
        Figure::of(n(Counted::OwnWords)),
        Figure::of(genders.len() as u64),
    )
}

fn figures_of(r: &serde_json::Value, section: &str, name: &str) -> (Figure, Figure, Figure) {
    let g = r[section]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == name || g["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {section}"));
    let f = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => Figure::Count(n.as_u64().unwrap()),
        _ => Figure::FewerThan5,
    };
    (
        f(&g["figures"]["women"]),
        f(&g["figures"]["own_words"]),
        f(&g["figures"]["total"]),
    )
}

async fn representation_matches_counts_made_in_sql(t: TestDb) {
    // Who came to a meeting "in the last year" goes by the real clock, so the register,
    // its meeting and today do too, whenever this runs.
    let app = App::on_the_real_clock(&t).await;
    let today = rosette::cli::today;
    let meeting_day = today() - chrono::Duration::days(30);
    let token = app.token(SECRETARY).await;
    // Officers are counted by their own records, found by address.
    for (first, email, gender) in [
        ("Wendy", "women@example.org", "woman"),
        ("Mona", "membership@example.org", "woman"),
        ("Sam", "secretary@example.org", "man"),
    ] {
        let r = app
            .api(
                "POST",
                "/api/v1/members",
                Some(&token),
                Some(
                    json!({"first_name": first, "last_name": "Quenby", "email": email,
                    "gender": gender, "rate": "standard", "joined_on": "2015-01-01",
                    "paid_until": format!("{}-12-31", next_year())}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // A meeting some came to.
    let r = app
        .api(
            "POST",
            "/api/v1/events",
            Some(&token),
            Some(json!({"title": "Autumn meeting", "kind": "members_meeting",
                "unit": "local-party", "starts_at": format!("{meeting_day} 19:00"),
                "ends_at": format!("{meeting_day} 21:00")})),
        )
        .await;
    let meeting = r.json()["id"].as_str().unwrap().to_string();
    let attending: Vec<String> = app
        .all(&token, "kind=member")
        .await
        .iter()
        .take(13)
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    for p in &attending {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/events/{meeting}/check-ins"),
                Some(&token),
                Some(json!({"person": p})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    let rules = Rules::defaults().unwrap();
    let mut tx = app.db.begin_read().await.unwrap();
    let figures = rosette::app::representation::of_unit(&mut tx, &rules, "local-party", today())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = serde_json::to_value(&figures).unwrap();

    // Members, new members and a branch: every membership's dates straight from SQL, its
    // status by the rules.
    let members = rows(
        &t,
        "SELECT p.gender, CAST(m.joined_on AS TEXT), CAST(m.paid_until AS TEXT), m.left_reason, \
         CAST(m.left_on AS TEXT), CASE WHEN m.suspended THEN 'y' ELSE 'n' END, b.name \
         FROM people p JOIN memberships m ON m.person_id = p.id \
         LEFT JOIN units b ON b.id = m.branch_id WHERE p.kind = 'member'",
    )
    .await;
    let date = |s: &Option<String>| {
        s.as_deref()
            .map(|d| chrono::NaiveDate::parse_from_str(&d[..10], "%Y-%m-%d").unwrap())
    };
    let status = |row: &Vec<Option<String>>| {
        rules.status.status_recorded(
            date(&row[1]).unwrap(),
            date(&row[2]),
            (row[3].as_deref(), date(&row[4])),
            row[5].as_deref() == Some("y"),
            today(),
        )
    };
    let in_good_standing: Vec<&Vec<Option<String>>> = members
        .iter()
        .filter(|row| {
            matches!(
                status(row),
                Status::New | Status::Current | Status::InArrears
            )
        })
        .collect();
    let genders =
        |rows: &[&Vec<Option<String>>]| rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(
        figures_of(&r, "groups", "members"),
        tally(&genders(&in_good_standing))
    );
    let new: Vec<_> = in_good_standing
        .iter()
        .copied()
        .filter(|row| status(row) == Status::New)
        .collect();
    assert_eq!(
        figures_of(&r, "groups", "new_members"),
        tally(&genders(&new))
    );
    let branch = in_good_standing[0][6].clone().expect("a branch");
    let in_branch: Vec<_> = in_good_standing
        .iter()
        .copied()
        .filter(|row| row[6].as_deref() == Some(branch.as_str()))
        .collect();
    assert_eq!(
        figures_of(&r, "branches", &branch),
        tally(&genders(&in_branch))
    );
    assert!(
        matches!(figures_of(&r, "groups", "members").0, Figure::Count(n) if n > 50),
        "the demo has many women members: {r}"
    );

    // Officers of the party, each once, by their own record's gender.
    let officers = rows(
        &t,
        "SELECT p.gender FROM users u \
         LEFT JOIN people p ON lower(p.email) = lower(u.email) \
         WHERE u.id IN (SELECT r.user_id FROM role_assignments r JOIN units un ON un.id = r.unit_id \
                        WHERE un.slug = 'local-party' AND r.role NOT IN ('caller', 'buddy'))",
    )
    .await;
    let officers: Vec<Option<String>> = officers.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(figures_of(&r, "groups", "officers"), tally(&officers));

    // Who came to a meeting in the last year.
    let came = rows(
        &t,
        "SELECT p.gender FROM people p WHERE p.id IN (SELECT ep.person_id FROM event_people ep \
         JOIN events e ON e.id = ep.event_id WHERE ep.state = 'attended' \
         AND e.kind IN ('members_meeting', 'agm'))",
    )
    .await;
    let came: Vec<Option<String>> = came.into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(came.len(), 13);
    assert_eq!(figures_of(&r, "groups", "meeting_attenders"), tally(&came));

    // New members by the month they joined: this month's.
    let month = today().format("%Y-%m").to_string();
    let joined: Vec<Option<String>> = members
        .iter()
        .filter(|row| row[1].as_deref().is_some_and(|d| d.starts_with(&month)))
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(
        figures_of(&r, "months", &today().format("%b %Y").to_string()),
        tally(&joined)
    );

    // Members month by month: this month's are today's members; one six months back is
    // counted from the same rows at that month's end.
    assert_eq!(
        figures_of(&r, "over_time", &today().format("%b %Y").to_string()),
        figures_of(&r, "groups", "members")
    );
    let month = rosette::domain::dates::sub_months(today(), 6);
    let end = month
        .with_day(1)
        .unwrap()
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    let then: Vec<Option<String>> = members
        .iter()
        .filter(|row| date(&row[1]).unwrap() <= end)
        .filter(|row| {
            matches!(
                rules.status.status_recorded(
                    date(&row[1]).unwrap(),
                    date(&row[2]),
                    (row[3].as_deref(), date(&row[4])),
                    row[5].as_deref() == Some("y"),
                    end,
                ),
                Status::New | Status::Current | Status::InArrears
            )
        })
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(
        figures_of(&r, "over_time", &month.format("%b %Y").to_string()),
        tally(&then)
    );

    // The page: figures and the 50:50 line, no names; audited.
    let s = app.sign_in(WOMEN).await;
    let page = app.get("/reports/representation", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Meeting attenders") && page.body.contains("x1=\"50\""));
    for name in ["Wendy", "Mona", "Quenby"] {
        assert!(!page.body.contains(name), "{name} is named");
    }
    let c = app.sign_in(CALLER).await;
    assert_eq!(
        app.get("/reports/representation", Some(&c)).await.status,
        StatusCode::FORBIDDEN
    );
}

crate::both!(
    representation_matches_counts_made_in_sql,
    the_meeting_presentation_shows_figures_and_no_one,
);

async fn the_meeting_presentation_shows_figures_and_no_one(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let page = app.get("/present", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body.matches("<section class=\"slide\"").count(), 8);
    for heading in [
        "Members now and a year ago",
        "Joined and lapsed, month by month",
        "Calling members",
        "Welcoming new members",
        "Coming up",
        "Who takes part: women's share",
    ] {
        assert!(page.body.contains(heading), "{heading}");
    }
    // No one on any slide: no name and no membership number of anyone on the register.
    let token = app.token(SECRETARY).await;
    for p in app.all(&token, "").await {
        let name = format!(
            "{} {}",
            p["first_name"].as_str().unwrap(),
            p["last_name"].as_str().unwrap()
        );
        assert!(!page.body.contains(&name), "{name} is on a slide");
        let number = p["membership_number"].as_str().unwrap();
        assert!(!page.body.contains(number), "{number} is on a slide");
    }
    let c = app.sign_in(CALLER).await;
    assert_eq!(
        app.get("/present", Some(&c)).await.status,
        StatusCode::FORBIDDEN
    );
}
