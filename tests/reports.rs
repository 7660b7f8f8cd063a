//! Kept action reports on both engines: generated once per local party and period even
//! when several servers try at the same moment, and the officers' emails carry counts
//! and a link but no personal data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use chrono::NaiveDate;
use common::TestDb;
use rosette::domain::Rules;
use rosette::store::{outbox, reports, units};
use rosette::{demo, jobs};

async fn reports_are_kept_once_and_announced_without_names(t: TestDb) {
    let rules = Rules::defaults().expect("rules");
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    demo::generate(&t.db, &rules, 300, 5, today, &|_| {})
        .await
        .expect("demo");
    demo::add_officers(&t.db, "https://rosette.example")
        .await
        .expect("officers");

    // Three "servers" at once: exactly one keeps each local party's report.
    let (a, b, c) = tokio::join!(
        jobs::keep_due_reports(&t.db, &rules, "https://rosette.example", today),
        jobs::keep_due_reports(&t.db, &rules, "https://rosette.example", today),
        jobs::keep_due_reports(&t.db, &rules, "https://rosette.example", today),
    );
    let kept = a.expect("a") + b.expect("b") + c.expect("c");
    let mut tx = t.db.begin_read().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let list = reports::list(&mut tx, &[lp.id], 10).await.expect("list");
    assert_eq!(kept, 1, "one local party, one report");
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].period_to,
        NaiveDate::from_ymd_opt(2026, 11, 15).expect("date")
    );
    assert_eq!(
        list[0].period_from,
        NaiveDate::from_ymd_opt(2026, 11, 2).expect("date")
    );
    // Running again the next day keeps nothing new.
    drop(tx);
    let again = jobs::keep_due_reports(
        &t.db,
        &rules,
        "https://rosette.example",
        today.succ_opt().expect("d"),
    )
    .await
    .expect("again");
    assert_eq!(again, 0);

    let mut tx = t.db.begin_read().await.expect("tx");
    let mail = outbox::recent(&mut tx, 50).await.expect("outbox");
    let announced: Vec<_> = mail
        .iter()
        .filter(|m| m.subject.starts_with("Membership Action Report"))
        .collect();
    let to: Vec<&str> = announced.iter().map(|m| m.to_address.as_str()).collect();
    assert_eq!(
        to.len(),
        3,
        "Membership Officer, Branch Secretary, Branch Membership Secretary: {to:?}"
    );
    assert!(to.contains(&"membership@example.org") && to.contains(&"branch@example.org"));
    assert!(!to.contains(&"secretary@example.org") && !to.contains(&"caller@example.org"));
    let body: serde_json::Value = serde_json::from_str(&list[0].body).expect("kept body");
    let mut names = Vec::new();
    for rows in body["sections"].as_object().expect("sections").values() {
        for r in rows.as_array().expect("rows") {
            names.push(r["last_name"].as_str().unwrap_or("").to_string());
            names.push(r["membership_number"].as_str().unwrap_or("").to_string());
        }
    }
    assert!(!names.is_empty(), "the report has people on it");
    for m in &announced {
        assert!(
            m.body.contains(&format!(
                "https://rosette.example/reports/{}",
                list[0].public_id
            )),
            "{}",
            m.body
        );
        assert!(m.body.contains("in arrears"), "{}", m.body);
        for n in &names {
            assert!(
                !m.body.contains(n.as_str()),
                "no personal data in the email: {n}"
            );
        }
    }
    // A local party can choose its own period: weekly here.
    let mut tx = t.db.begin().await.expect("tx");
    units::set_report_period_days(&mut tx, lp.id, Some(7))
        .await
        .expect("set");
    tx.commit().await.expect("commit");
    let weekly = jobs::keep_due_reports(&t.db, &rules, "https://rosette.example", today)
        .await
        .expect("weekly");
    assert_eq!(
        weekly, 1,
        "a weekly period ends on a different day, so it is a new report"
    );
    let mut tx = t.db.begin_read().await.expect("tx");
    let newest = &reports::list(&mut tx, &[lp.id], 1).await.expect("list")[0];
    assert_eq!((newest.period_to - newest.period_from).num_days(), 6);
    drop(tx);
}

/// The report reads only candidate memberships; over many periods, it must list exactly
/// what reading every history would.
async fn the_report_misses_nobody(t: TestDb) {
    use rosette::domain::report::{Period, sections};
    use std::collections::BTreeMap;
    let rules = Rules::defaults().expect("rules");
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    demo::generate(&t.db, &rules, 600, 11, today, &|_| {})
        .await
        .expect("demo");
    let mut tx = t.db.begin().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let all = rosette::store::members::all(&mut tx, lp.id)
        .await
        .expect("all");
    let histories = rosette::store::members::histories(&mut tx, lp.id)
        .await
        .expect("histories");
    let mut checked = 0;
    for weeks_back in (0..160).step_by(7) {
        let to = today - chrono::Duration::weeks(weeks_back);
        let period = Period::ending(to, 14);
        let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in &all {
            let events = histories.get(&m.membership_id).cloned().unwrap_or_default();
            for s in sections(&rules.status, &events, period) {
                expected
                    .entry(s.as_str().to_string())
                    .or_default()
                    .push(m.membership.number.clone());
            }
        }
        let report =
            rosette::app::report::action_report(&mut tx, &rules, "local-party", period, "test")
                .await
                .expect("report");
        let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (section, rows) in &report.sections {
            if !rows.is_empty() {
                got.insert(
                    section.clone(),
                    rows.iter().map(|r| r.membership_number.clone()).collect(),
                );
            }
        }
        for list in expected.values_mut().chain(got.values_mut()) {
            list.sort();
        }
        assert_eq!(got, expected, "period ending {to}");
        checked += expected.values().map(Vec::len).sum::<usize>();
    }
    assert!(checked > 200, "the periods had people on them: {checked}");
}

both!(
    reports_are_kept_once_and_announced_without_names,
    the_report_misses_nobody
);
