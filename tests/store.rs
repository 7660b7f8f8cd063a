//! The store, the import and the export, run alike on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

mod common;

use chrono::NaiveDate;
use common::TestDb;
use rosette::app::export;
use rosette::domain::access::{Grant, Reach, sees_branch};
use rosette::domain::dates::DateOrder;
use rosette::domain::filter::{Cursor, MemberFilter, Sort};
use rosette::domain::{EventKind, Role, Rules, Status, UnitKind};
use rosette::import::{self, ImportError, Options, Quiet, Summary};
use rosette::store::units::{self, NewUnit};
use rosette::store::{Backend, Db, accounts, audit, bulk, members, migrate, roster};
use std::collections::HashMap;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

const TODAY: (i32, u32, u32) = (2026, 11, 20);

fn options() -> Options {
    Options {
        local_party: "local-party".into(),
        dry_run: false,
        skip_invalid: false,
        maps: vec![],
        value_maps: vec![],
        date_order: None,
        today: d(TODAY.0, TODAY.1, TODAY.2),
        actor: "test".into(),
    }
}

async fn with_branches(t: &TestDb) {
    let mut tx = t.db.begin().await.expect("tx");
    for (name, wards) in [
        ("Riverside", vec!["Riverside", "Docks"]),
        ("Hillside", vec!["Hillside North", "Hillside South"]),
    ] {
        units::add(
            &mut tx,
            &NewUnit {
                name: name.into(),
                wards: wards.into_iter().map(String::from).collect(),
                ..NewUnit::default()
            },
        )
        .await
        .expect("add branch");
    }
    tx.commit().await.expect("commit");
}

async fn run(t: &TestDb, csv: &str, options: &Options) -> Result<Summary, ImportError> {
    let rules = Rules::defaults().expect("rules");
    import::import_members(
        &t.db,
        &rules,
        "members.csv",
        csv.as_bytes(),
        options,
        &Quiet,
    )
    .await
}

async fn count(t: &TestDb) -> i64 {
    let mut tx = t.db.begin().await.expect("tx");
    members::count(&mut tx, None).await.expect("count")
}

async fn export_rows(t: &TestDb, status: Option<Status>) -> Vec<Vec<String>> {
    let mut tx = t.db.begin().await.expect("tx");
    let rows = export::member_rows(
        &mut tx,
        &Rules::defaults().expect("rules"),
        "local-party",
        status,
        d(TODAY.0, TODAY.1, TODAY.2),
        "test",
    )
    .await
    .expect("export");
    tx.commit().await.expect("commit");
    rows
}

fn col(name: &str) -> usize {
    export::COLUMNS
        .iter()
        .position(|c| *c == name)
        .expect("column")
}

const HEADER: &str = "membership_number,first_name,last_name,email,mobile,postcode,ward,branch,rate,joined_on,paid_until,left_on,left_reason,gender,kind,affiliate,email_consent,tags\n";

fn file(rows: &[&str]) -> String {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

const ADA: &str = "L001,Ada,Lovelace,ada@example.org,07700 900001,sw1a1aa,Docks,,standard,2020-01-15,2026-12-31,,,woman,,,yes,canvasser";
const GRACE: &str =
    "L002,Grace,Hopper,,+44 7700 900002,,,Hillside,reduced,15/03/2024,14/03/2025,,,F,,,,";
const ALAN: &str = "L003,Alan,Turing,alan@example.org,,,,,youth,2026-10-01,2027-09-30,,,man,,,no,";

async fn migrations_are_idempotent_and_create_the_default_local_party(t: TestDb) {
    assert_eq!(migrate(&t.db).await.expect("migrate again"), 0);
    let mut tx = t.db.begin().await.expect("tx");
    let list = units::list(&mut tx).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].slug.as_str(), list[0].kind.as_str()),
        ("local-party", "local_party")
    );
    assert!(!list[0].public_id.is_empty() && list[0].public_id != list[0].id.to_string());
}

/// A read left open (its transaction dropped uncommitted, or cut off as it began) does not
/// keep its snapshot: the next read on the same connection sees what was committed since.
async fn a_read_left_open_does_not_hold_its_snapshot(t: TestDb) {
    async fn added_then_seen(db: &Db, name: &str) {
        let mut tx = db.begin().await.expect("tx");
        let unit = NewUnit {
            name: name.into(),
            ..NewUnit::default()
        };
        let added = units::add(&mut tx, &unit).await.expect("add");
        tx.commit().await.expect("commit");
        // More reads than there are readers, one after another, so each reuses one;
        // outside a transaction and in one by turns.
        for i in 0..8 {
            let read = if i % 2 == 0 {
                db.read_once().await
            } else {
                db.begin_read().await
            };
            let mut read = read.expect("read");
            let found = units::find(&mut read, &added.slug).await.expect("find");
            assert!(found.is_some(), "{name} not seen by read {i}");
            read.commit().await.expect("end");
        }
    }
    let mut open = t.db.begin_read().await.expect("read");
    units::get(&mut open, "local-party").await.expect("lp");
    drop(open);
    added_then_seen(&t.db, "Riverside").await;
    // Cut off while it began: whether or not its BEGIN arrived, nothing is left open.
    for _ in 0..4 {
        let _ = tokio::time::timeout(std::time::Duration::ZERO, t.db.begin_read()).await;
    }
    added_then_seen(&t.db, "Docks").await;
}

async fn units_form_a_tree_with_wards(t: TestDb) {
    with_branches(&t).await;
    let mut tx = t.db.begin().await.expect("tx");
    let women = units::add(
        &mut tx,
        &NewUnit {
            name: "Women's Branch".into(),
            forum: true,
            ..NewUnit::default()
        },
    )
    .await
    .expect("forum");
    assert_eq!(women.branch_type.as_deref(), Some("forum"));
    assert_eq!(women.parent_slug.as_deref(), Some("local-party"));
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let mut wards = units::wards(&mut tx, lp.id).await.expect("wards");
    wards.sort();
    assert_eq!(wards[0], ("docks".to_string(), "riverside".to_string()));
    assert_eq!(wards.len(), 4);
    assert_eq!(
        units::branches(&mut tx, lp.id)
            .await
            .expect("branches")
            .len(),
        3
    );

    let dup = units::add(
        &mut tx,
        &NewUnit {
            name: "riverside".into(),
            ..NewUnit::default()
        },
    )
    .await
    .expect_err("duplicate slug");
    assert!(dup.to_string().contains("already exists"), "{dup}");
    let taken = units::add(
        &mut tx,
        &NewUnit {
            name: "Docklands".into(),
            wards: vec!["DOCKS".into()],
            ..NewUnit::default()
        },
    )
    .await
    .expect_err("ward taken");
    assert!(
        taken
            .to_string()
            .contains("already belongs to branch 'riverside'"),
        "{taken}"
    );
    let orphan = units::add(
        &mut tx,
        &NewUnit {
            name: "Nowhere".into(),
            parent: Some("no-such".into()),
            ..NewUnit::default()
        },
    )
    .await
    .expect_err("unknown parent");
    assert!(orphan.to_string().contains("no-such"), "{orphan}");
    let nested = units::add(
        &mut tx,
        &NewUnit {
            name: "Sub".into(),
            parent: Some("riverside".into()),
            ..NewUnit::default()
        },
    )
    .await
    .expect_err("branch under branch");
    assert!(nested.to_string().contains("cannot sit under"), "{nested}");
    let region = units::add(
        &mut tx,
        &NewUnit {
            kind: Some(UnitKind::Region),
            name: "North".into(),
            ..NewUnit::default()
        },
    )
    .await
    .expect_err("region at top");
    assert!(
        region.to_string().contains("cannot sit under the top"),
        "{region}"
    );
}

async fn a_valid_file_is_stored_in_full(t: TestDb) {
    with_branches(&t).await;
    let summary = run(&t, &file(&[ADA, GRACE, ALAN]), &options())
        .await
        .expect("imports");
    assert_eq!(
        (
            summary.rows,
            summary.added,
            summary.updated,
            summary.unchanged
        ),
        (3, 3, 0, 0)
    );
    let rows = export_rows(&t, None).await;
    assert_eq!(rows.len(), 3);
    let ada = &rows[0];
    assert_eq!(ada[col("email")], "ada@example.org");
    assert_eq!(ada[col("mobile")], "+447700900001");
    assert_eq!(ada[col("postcode")], "SW1A 1AA");
    assert_eq!(ada[col("branch")], "riverside", "found by ward");
    assert_eq!(ada[col("status")], "current");
    assert_eq!(ada[col("in_good_standing")], "true");
    assert_eq!(ada[col("continuous_since")], "2020-01-15");
    assert_eq!(ada[col("email_consent")], "yes");
    assert_eq!(ada[col("tags")], "canvasser");
    let grace = &rows[1];
    assert_eq!(grace[col("joined_on")], "2024-03-15", "UK date read");
    assert_eq!(grace[col("status")], "lapsed");
    assert_eq!(grace[col("continuous_since")], "");
    assert_eq!(grace[col("gender")], "woman");
    assert_eq!(rows[2][col("status")], "new");
    assert_eq!(export_rows(&t, Some(Status::Lapsed)).await.len(), 1);

    let mut tx = t.db.begin().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let histories = members::histories(&mut tx, lp.id).await.expect("histories");
    assert!(histories.values().all(|h| h[0].kind == EventKind::Joined));
    let log = audit::search(
        &mut tx,
        &audit::Search {
            local_parties: vec![lp.id],
            ..Default::default()
        },
        10,
    )
    .await
    .expect("audit");
    assert!(
        log.iter()
            .any(|e| e.action == "import" && e.detail.contains("3 added")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.action == "export" && e.detail.contains("3 people")),
        "{log:?}"
    );
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("sample file")
}

fn value_maps(pairs: &[&str]) -> Vec<(String, String, String)> {
    pairs
        .iter()
        .map(|p| {
            let (field, rest) = p.split_once(':').expect("field");
            let (value, code) = rest.split_once('=').expect("value");
            (field.into(), value.into(), code.into())
        })
        .collect()
}

/// A row of the export by membership number, as a map of column to value.
async fn exported(t: &TestDb) -> HashMap<String, HashMap<&'static str, String>> {
    export_rows(t, None)
        .await
        .into_iter()
        .map(|row| {
            let by_col: HashMap<&'static str, String> =
                export::COLUMNS.iter().copied().zip(row).collect();
            (by_col["membership_number"].clone(), by_col)
        })
        .collect()
}

async fn a_civicrm_export_imports_with_value_maps_and_no_hand_edits(t: TestDb) {
    let csv = sample("civicrm-contacts.csv");
    // US dates are never guessed: the file shows month first, and the import says so.
    let err = run(&t, &csv, &options()).await.expect_err("month first");
    let text = err.to_string();
    assert!(text.contains("--date-order mdy"), "{text}");
    assert!(
        text.contains("row 2, Member Since (joined_on): '03/14/2016'"),
        "{text}"
    );
    // Told the order but not what its own words mean: every such row is listed, with the
    // columns nobody reads.
    let told = Options {
        date_order: Some(DateOrder::Mdy),
        ..options()
    };
    let Err(ImportError::Invalid {
        problems, ignored, ..
    }) = run(&t, &csv, &told).await
    else {
        panic!("the CiviCRM words are not Rosette's");
    };
    assert!(ignored.contains(&"Contact ID".to_string()), "{ignored:?}");
    assert!(
        problems.iter().any(|p| p.row == 5
            && p.column == "Membership Status (status)"
            && p.message
                .contains("--map-value \"status:Cancelled=resigned\"")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.column == "Membership Type (rate)" && p.message.contains("'General'")),
        "{problems:?}"
    );
    assert_eq!(count(&t).await, 0, "nothing written");

    let mapped = Options {
        date_order: Some(DateOrder::Mdy),
        value_maps: value_maps(&[
            "kind:individual=member",
            "rate:General=standard",
            "rate:STUDENT=youth",
            "rate:Concession=reduced",
            "status:Cancelled=resigned",
        ]),
        ..options()
    };
    let summary = run(&t, &csv, &mapped).await.expect("imports");
    assert_eq!((summary.rows, summary.added), (8, 8), "{summary}");
    assert_eq!(
        summary.ignored_columns,
        vec!["Contact ID", "Membership Start Date"]
    );
    let rows = exported(&t).await;
    let status = |n: &str| rows[n]["status"].as_str();
    assert_eq!(status("C1001"), "current");
    assert_eq!(status("C1002"), "in_arrears", "Grace");
    assert_eq!(status("C1003"), "lapsed", "Expired");
    assert_eq!(status("C1004"), "resigned", "Cancelled, as mapped");
    assert_eq!(
        rows["C1004"]["left_on"], "2025-06-16",
        "dated by its end date"
    );
    assert_eq!(status("C1005"), "deceased");
    assert_eq!(rows["C1005"]["left_on"], "2023-10-31");
    assert_eq!(status("C1006"), "new");
    assert_eq!(
        rows["C1001"]["joined_on"], "2016-03-14",
        "Member Since, month first"
    );
    assert_eq!(rows["C1001"]["paid_until"], "2027-03-13");
    assert_eq!(rows["C1001"]["date_of_birth"], "1961-07-21");
    assert_eq!(rows["C1001"]["rate"], "standard");
    assert_eq!(rows["C1002"]["rate"], "youth");
    assert_eq!(rows["C1003"]["rate"], "reduced");
    assert_eq!(rows["C1001"]["gender"], "woman");
    assert_eq!(rows["C1001"]["tags"], "leafleter;volunteer");
    assert_eq!(rows["C1002"]["address_line2"], "4 Station Road");
    // The history says when each left.
    let mut tx = t.db.begin().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let histories = members::histories(&mut tx, lp.id).await.expect("histories");
    tx.commit().await.expect("commit");
    let kinds: Vec<Vec<EventKind>> = histories
        .values()
        .map(|h| h.iter().map(|e| e.kind).collect())
        .collect();
    assert!(kinds.contains(&vec![EventKind::Joined, EventKind::Resigned]));
    assert!(kinds.contains(&vec![EventKind::Joined, EventKind::Died]));
    // The same file again changes nothing.
    let again = run(&t, &csv, &mapped).await.expect("again");
    assert_eq!(again.unchanged, 8, "{again}");
}

async fn a_nationbuilder_export_imports_with_its_timestamps_and_words(t: TestDb) {
    let csv = sample("nationbuilder-people.csv");
    let mapped = Options {
        value_maps: value_maps(&["rate:Student=youth", "status:canceled=resigned"]),
        ..options()
    };
    let summary = run(&t, &csv, &mapped).await.expect("imports");
    assert_eq!((summary.rows, summary.added), (5, 5), "{summary}");
    assert_eq!(summary.ignored_columns, vec!["nationbuilder_id"]);
    let rows = exported(&t).await;
    assert_eq!(
        rows["N2001"]["joined_on"], "2021-05-02",
        "the day in the timestamp"
    );
    assert_eq!(rows["N2002"]["joined_on"], "2024-10-01");
    assert_eq!(rows["N2003"]["joined_on"], "2019-01-20");
    assert_eq!(rows["N2001"]["status"], "current");
    assert_eq!(rows["N2002"]["status"], "lapsed");
    assert_eq!(rows["N2003"]["status"], "in_arrears");
    assert_eq!(rows["N2004"]["status"], "resigned");
    assert_eq!(rows["N2004"]["left_on"], "2025-07-06");
    assert_eq!(rows["N2005"]["rate"], "youth");
    assert_eq!(rows["N2001"]["tags"], "canvasser;driver");
    assert_eq!(rows["N2001"]["postcode"], "AT4 1JJ");
    assert_eq!(rows["N2004"]["address_line2"], "Garden Flat");
    // A rules file's [import.values] does what --map-value does.
    let rules = Rules::from_toml(
        "test.toml",
        &format!(
            "{}\n[import.values.rate]\nStudent = \"youth\"\n[import.values.status]\ncanceled = \"resigned\"\n",
            include_str!("../rules/default.toml")
        ),
    )
    .expect("rules");
    let again = import::import_members(&t.db, &rules, "nb.csv", csv.as_bytes(), &options(), &Quiet)
        .await
        .expect("with the rules file's maps");
    assert_eq!(again.unchanged, 5, "{again}");
}

async fn ambiguous_dates_are_refused_until_the_order_is_given(t: TestDb) {
    let csv = file(&["L001,Ada,Lovelace,,,,,,standard,05/02/2021,,,,,,,,"]);
    let err = run(&t, &csv, &options()).await.expect_err("ambiguous");
    assert!(
        err.to_string().contains("could be day/month or month/day"),
        "{err}"
    );
    for (order, number, joined) in [
        (DateOrder::Dmy, "L001", "2021-02-05"),
        (DateOrder::Mdy, "L002", "2021-05-02"),
    ] {
        let given = Options {
            date_order: Some(order),
            ..options()
        };
        let csv = csv.replace("L001", number);
        run(&t, &csv, &given).await.expect("the order is given");
        assert_eq!(exported(&t).await[number]["joined_on"], joined);
    }
    // A date the order given cannot read says so against its row.
    let us = file(&["L003,Ada,Lovelace,,,,,,standard,25/02/2021,,,,,,,,"]);
    let Err(ImportError::Invalid { problems, .. }) = run(
        &t,
        &us,
        &Options {
            date_order: Some(DateOrder::Mdy),
            ..options()
        },
    )
    .await
    else {
        panic!("25 is no month");
    };
    assert_eq!(problems[0].row, 2);
    assert!(
        problems[0].message.contains("looks day first"),
        "{problems:?}"
    );
}

async fn strict_import_writes_nothing_and_lists_every_problem(t: TestDb) {
    with_branches(&t).await;
    let bad = file(&[
        ADA,
        "L002,Grace,Hopper,grace@,07700,XX,,Nowhere,platinum,31/02/2024,,,,,,,perhaps,",
        "L001,Ada,Again,,,,,,standard,2020-01-01,,,,,,,,",
        "L002,Grace,Again,,,,,,standard,2020-01-01,,,,,,,,",
    ]);
    let Err(ImportError::Invalid { problems, .. }) = run(&t, &bad, &options()).await else {
        panic!("a bad file must be refused");
    };
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    for want in [
        "row 3, email: 'grace@'",
        "row 3, mobile: '07700'",
        "row 3, postcode: 'XX'",
        "row 3, branch: 'Nowhere' is not a branch",
        "row 3, rate: 'platinum' is not a known rate",
        "row 3, joined_on: '31/02/2024' is not a real date",
        "row 3, email_consent: 'perhaps' is not yes or no",
        "row 4, membership_number: L001 is also on row 2",
        "row 5, membership_number: L002 is also on row 3",
    ] {
        assert!(
            text.iter().any(|p| p.starts_with(want)),
            "missing «{want}» in {text:#?}"
        );
    }
    assert_eq!(count(&t).await, 0, "nothing written");

    let dry = run(
        &t,
        &file(&[ADA]),
        &Options {
            dry_run: true,
            ..options()
        },
    )
    .await
    .expect("dry run");
    assert_eq!(dry.added, 1);
    assert_eq!(count(&t).await, 0, "a dry run writes nothing");

    let partial = run(
        &t,
        &bad,
        &Options {
            skip_invalid: true,
            ..options()
        },
    )
    .await
    .expect("skip invalid");
    assert_eq!(partial.added, 1);
    assert_eq!(partial.skipped.len(), text.len());
    assert_eq!(count(&t).await, 1);
}

async fn reimporting_the_same_file_changes_nothing(t: TestDb) {
    with_branches(&t).await;
    let csv = file(&[ADA, GRACE, ALAN]);
    run(&t, &csv, &options()).await.expect("first import");
    let before = export_rows(&t, None).await;
    let again = run(&t, &csv, &options()).await.expect("second import");
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(export_rows(&t, None).await, before);
    let mut tx = t.db.begin().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let events: usize = members::histories(&mut tx, lp.id)
        .await
        .expect("histories")
        .values()
        .map(Vec::len)
        .sum();
    assert_eq!(events, 3, "no history added");
}

async fn a_later_file_renews_rejoins_moves_and_resigns(t: TestDb) {
    with_branches(&t).await;
    run(&t, &file(&[ADA, GRACE, ALAN]), &options())
        .await
        .expect("first import");
    let later = file(&[
        "L001,Ada,Lovelace,ada@example.org,07700 900001,sw1a1aa,,Hillside,standard,2020-01-15,2027-12-31,,,woman,,,yes,canvasser",
        "L002,Grace,Hopper,,+44 7700 900002,,,Hillside,reduced,01/11/2026,31/10/2027,,,F,,,,",
        "L003,Alan,Turing,alan@example.org,,,,,youth,2026-10-01,2027-09-30,2026-11-15,resigned,man,,,no,",
    ]);
    let s = run(&t, &later, &options()).await.expect("later import");
    assert_eq!(
        (s.updated, s.renewed, s.rejoined, s.left),
        (3, 1, 1, 1),
        "{s}"
    );
    let rows = export_rows(&t, None).await;
    assert_eq!(rows[0][col("branch")], "hillside");
    assert_eq!(rows[0][col("paid_until")], "2027-12-31");
    assert_eq!(rows[1][col("status")], "new");
    assert_eq!(
        rows[1][col("continuous_since")],
        "2026-11-01",
        "the rejoin starts a new span"
    );
    assert_eq!(rows[2][col("status")], "resigned");

    let mut tx = t.db.begin().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let histories = members::histories(&mut tx, lp.id).await.expect("histories");
    let mut kinds: Vec<Vec<EventKind>> = histories
        .values()
        .map(|h| h.iter().map(|e| e.kind).collect())
        .collect();
    kinds.sort();
    assert!(
        kinds.contains(&vec![EventKind::Joined, EventKind::Rejoined]),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&vec![EventKind::Joined, EventKind::Resigned]),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|k| k.contains(&EventKind::Renewed) && k.contains(&EventKind::Moved)),
        "{kinds:?}"
    );
    drop(tx);

    // A paid-until moved back is refused with its row, and nothing else in the file lands.
    let backwards = file(&[
        "L001,Ada,Lovelace,ada@example.org,,,,Hillside,standard,2020-01-15,2025-01-01,,,,,,,",
        ALAN.replace("L003", "L004").as_str(),
    ]);
    let Err(ImportError::Invalid { problems, .. }) = run(&t, &backwards, &options()).await else {
        panic!("an earlier paid-until must be refused");
    };
    assert_eq!(
        problems[0].to_string().split(':').next(),
        Some("row 2, paid_until")
    );
    assert_eq!(count(&t).await, 3);
}

async fn a_file_without_a_column_leaves_that_field_alone(t: TestDb) {
    with_branches(&t).await;
    run(&t, &file(&[ADA]), &options())
        .await
        .expect("first import");
    let narrow = "membership_number,first_name,last_name,joined_on,paid_until\nL001,Ada,King,2020-01-15,2026-12-31\n";
    let s = run(&t, narrow, &options()).await.expect("narrow import");
    assert_eq!(s.updated, 1);
    let rows = export_rows(&t, None).await;
    assert_eq!(rows[0][col("last_name")], "King");
    assert_eq!(rows[0][col("email")], "ada@example.org");
    assert_eq!(rows[0][col("branch")], "riverside");
    assert_eq!(rows[0][col("tags")], "canvasser");

    // A ward column moves the branch only when the ward leads to one.
    let wards = |ward: &str| {
        format!(
            "membership_number,first_name,last_name,joined_on,ward\nL001,Ada,King,2020-01-15,{ward}\n"
        )
    };
    run(&t, &wards(""), &options()).await.expect("empty ward");
    assert_eq!(export_rows(&t, None).await[0][col("branch")], "riverside");
    run(&t, &wards("Hillside North"), &options())
        .await
        .expect("mapped ward");
    assert_eq!(export_rows(&t, None).await[0][col("branch")], "hillside");
}

async fn an_export_imports_back_unchanged(t: TestDb) {
    with_branches(&t).await;
    run(&t, &file(&[ADA, GRACE, ALAN]), &options())
        .await
        .expect("import");
    let mut out = Vec::new();
    export::write_csv(&mut out, export::COLUMNS, &export_rows(&t, None).await).expect("csv");
    let s = run(&t, &String::from_utf8(out).expect("utf-8"), &options())
        .await
        .expect("round trip");
    assert_eq!(
        (s.added, s.updated, s.unchanged),
        (0, 0, 3),
        "{s}; ignored {:?}",
        s.ignored_columns
    );
}

/// `people` synthetic people generated from `seed` into `db` on `TODAY` by the default
/// rules, which it gives back with the day.
async fn demo(db: &rosette::store::Db, people: usize, seed: u64) -> (Rules, NaiveDate) {
    let rules = Rules::defaults().expect("rules");
    let today = d(TODAY.0, TODAY.1, TODAY.2);
    rosette::demo::generate(db, &rules, people, seed, today, &|_| {})
        .await
        .expect("demo");
    (rules, today)
}

async fn the_demo_is_deterministic_and_plausible(t: TestDb) {
    let (rules, today) = demo(&t.db, 1500, 7).await;
    let mut tx = t.db.begin().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let standings = members::standings(&mut tx, lp.id, &rules.status, today)
        .await
        .expect("standings");
    drop(tx);
    assert_eq!(standings.len(), 1500);
    let share = |s: Status| standings.iter().filter(|(_, x)| *x == s).count() as f64 / 1500.0;
    assert!(
        share(Status::Current) > 0.3,
        "current {}",
        share(Status::Current)
    );
    assert!(
        share(Status::Lapsed) > 0.05,
        "lapsed {}",
        share(Status::Lapsed)
    );
    assert!(standings.iter().all(|(b, _)| b.is_some()));
    let rows = export_rows(&t, None).await;
    let women = rows.iter().filter(|r| r[col("gender")] == "woman").count();
    assert!((600..=800).contains(&women), "{women} women of 1500");

    // Every synthetic person passes the import's checks, and reads back unchanged.
    let mut out = Vec::new();
    export::write_csv(&mut out, export::COLUMNS, &rows).expect("csv");
    let again = run(&t, &String::from_utf8(out).expect("utf-8"), &options())
        .await
        .expect("the demo's export imports");
    assert_eq!(
        (again.added, again.updated, again.unchanged),
        (0, 0, 1500),
        "{again}"
    );

    let other = TestDb::sqlite().await;
    demo(&other.db, 1500, 7).await;
    let again = export_rows(&other, None).await;
    assert_eq!(again, rows, "same seed, same people");
}

/// Every index and foreign key of the database, by name, as the engine's catalog lists them.
async fn schema_objects(t: &TestDb) -> Vec<String> {
    use sqlx::Connection;
    match t.db.backend() {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&t.url).await.expect("open");
            sqlx::query_scalar(
                "SELECT type || ' ' || name FROM sqlite_master WHERE type = 'index' \
                 UNION ALL SELECT 'fk ' || m.name || '.' || f.\"from\" \
                 FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' \
                 ORDER BY 1",
            )
            .fetch_all(&mut c)
            .await
            .expect("catalog")
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&t.url).await.expect("open");
            sqlx::query_scalar(
                "SELECT 'index ' || indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                 UNION ALL SELECT 'fk ' || conname::text FROM pg_constraint WHERE contype = 'f' ORDER BY 1",
            )
            .fetch_all(&mut c)
            .await
            .expect("catalog")
        }
    }
}

/// `n` synthetic members of the test branches, as the demo makes them.
fn synthetic(n: usize) -> Vec<members::NewMember> {
    use rand::SeedableRng;
    let branches = vec![
        (
            "riverside".to_string(),
            vec!["Riverside".to_string(), "Docks".to_string()],
        ),
        ("hillside".to_string(), vec!["Hillside North".to_string()]),
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let rules = Rules::defaults().expect("rules");
    rosette::demo::people(
        &rules,
        &mut rng,
        &branches,
        0,
        n,
        d(TODAY.0, TODAY.1, TODAY.2),
    )
}

async fn a_bulk_load_keeps_every_index_and_reference(t: TestDb) {
    with_branches(&t).await;
    let before = schema_objects(&t).await;
    assert!(before.len() > 20, "{before:?}");
    let n = bulk::MIN_ROWS;
    let rows: Vec<Vec<String>> = synthetic(n)
        .iter()
        .map(|m| export::cells(&m.person, &m.membership, None, None))
        .collect();
    let mut csv = Vec::new();
    export::write_csv(&mut csv, export::COLUMNS, &rows).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");

    assert!(bulk::worth_it(n, count(&t).await), "takes the bulk path");
    let summary = run(&t, &csv, &options()).await.expect("bulk import");
    assert_eq!((summary.added, summary.skipped.len()), (n, 0));
    assert_eq!(schema_objects(&t).await, before, "indexes and keys rebuilt");
    assert_eq!(count(&t).await, n as i64);
    let exported = export_rows(&t, None).await;
    assert_eq!(exported.len(), n);
    let number = col("membership_number");
    assert_eq!(
        exported[0][number], rows[0][0],
        "ids line people up with their rows"
    );
    assert_eq!(exported[n - 1][col("last_name")], rows[n - 1][2]);

    // The same file again takes the ordinary path and finds nothing to change.
    let again = run(&t, &csv, &options()).await.expect("reimport");
    assert_eq!((again.added, again.unchanged), (0, n));
}

/// What `members::insert` is given: a consent source, the local party's id and its
/// branches' ids by slug.
async fn for_store_writes(t: &TestDb) -> (members::ConsentSource, i64, HashMap<String, i64>) {
    let mut tx = t.db.begin_read().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let branch_ids = units::branches(&mut tx, lp.id)
        .await
        .expect("branches")
        .into_iter()
        .map(|b| (b.slug, b.id))
        .collect();
    let source = members::ConsentSource {
        source: "test".into(),
        at: chrono::Utc::now(),
    };
    (source, lp.id, branch_ids)
}

async fn a_bulk_load_that_breaks_a_rule_leaves_nothing(t: TestDb) {
    with_branches(&t).await;
    let before = schema_objects(&t).await;
    let (source, lp, mut branch_ids) = for_store_writes(&t).await;

    assert!(bulk::worth_it(bulk::MIN_ROWS, 0), "takes the bulk path");
    // A repeated membership number: the rebuilt unique index refuses it.
    let mut twice = synthetic(bulk::MIN_ROWS);
    twice[1].membership.number = twice[0].membership.number.clone();
    let mut tx = t.db.begin().await.expect("tx");
    let refused = members::insert(&mut tx, lp, &branch_ids, &twice, &source, &|_| {}).await;
    assert!(refused.is_err(), "a repeated number was stored");
    drop(tx);

    // A branch that does not exist: the re-checked foreign key refuses it.
    branch_ids.insert("riverside".into(), 987_654);
    let mut tx = t.db.begin().await.expect("tx");
    let refused = members::insert(
        &mut tx,
        lp,
        &branch_ids,
        &synthetic(bulk::MIN_ROWS),
        &source,
        &|_| {},
    )
    .await;
    assert!(refused.is_err(), "a membership of no branch was stored");
    drop(tx);

    assert_eq!(count(&t).await, 0, "nothing half-written");
    assert_eq!(schema_objects(&t).await, before, "schema as it was");
}

async fn what_is_set_aside_is_lifted_until_restored_then_checked(t: TestDb) {
    use sea_query::{Alias, IntoIden};
    with_branches(&t).await;
    let before = schema_objects(&t).await;
    let (source, lp, branch_ids) = for_store_writes(&t).await;
    let mut tx = t.db.begin().await.expect("tx");
    let tables = ["people", "memberships"].map(|t| Alias::new(t).into_iden());
    let aside = bulk::set_aside(&mut tx, &tables).await.expect("set aside");

    // With the unique index on membership numbers lifted, a repeat goes in...
    let ada = synthetic(1);
    for _ in 0..2 {
        members::insert(&mut tx, lp, &branch_ids, &ada, &source, &|_| {})
            .await
            .expect("no unique index while set aside");
    }
    // ...and on PostgreSQL so does a membership of no branch (SQLite keeps its keys).
    let ghost: HashMap<String, i64> = branch_ids.keys().map(|b| (b.clone(), 987_654)).collect();
    let mut stray = synthetic(2);
    stray.remove(0);
    assert!(
        stray[0].membership.branch.is_some(),
        "a member of some branch"
    );
    let dangling = members::insert(&mut tx, lp, &ghost, &stray, &source, &|_| {}).await;
    assert_eq!(
        dangling.is_ok(),
        t.db.backend() == Backend::Postgres,
        "{dangling:?}"
    );
    // Restoring builds the index and checks the keys again, and refuses what broke them.
    assert!(bulk::restore(&mut tx, aside).await.is_err());
    drop(tx);
    assert_eq!(count(&t).await, 0);
    assert_eq!(schema_objects(&t).await, before);
}

/// A session's or a token's user comes with every role they hold, read in one
/// statement; a user who holds none is still found (with no roles), and an unknown
/// session or token finds nobody.
async fn a_session_or_token_brings_its_user_and_every_role(t: TestDb) {
    with_branches(&t).await;
    let mut tx = t.db.begin().await.expect("tx");
    let party = units::find(&mut tx, "local-party")
        .await
        .expect("find")
        .expect("party");
    let branch = units::find(&mut tx, "riverside")
        .await
        .expect("find")
        .expect("branch");
    let both = accounts::ensure_user(&mut tx, "both@example.org", "Both")
        .await
        .expect("user");
    let none = accounts::ensure_user(&mut tx, "none@example.org", "None")
        .await
        .expect("user");
    accounts::assign(&mut tx, both.id, Role::Secretary, party.id, "test")
        .await
        .expect("assign");
    accounts::assign(&mut tx, both.id, Role::BranchSecretary, branch.id, "test")
        .await
        .expect("assign");
    accounts::create_session(&mut tx, "s-both", both.id, "csrf-both", false)
        .await
        .expect("session");
    accounts::create_session(&mut tx, "s-none", none.id, "csrf-none", true)
        .await
        .expect("session");
    accounts::add_token(&mut tx, both.id, "t-both")
        .await
        .expect("token");
    accounts::add_token(&mut tx, none.id, "t-none")
        .await
        .expect("token");
    tx.commit().await.expect("commit");

    let mut read = t.db.read_once().await.expect("read");
    let (session, user, mut roles) = accounts::signed_in(&mut read, "s-both")
        .await
        .expect("read")
        .expect("found");
    roles.sort_by_key(|a| a.unit_id);
    assert_eq!(
        (session.user_id, session.csrf.as_str()),
        (both.id, "csrf-both")
    );
    assert_eq!(user, both);
    assert_eq!(
        roles
            .iter()
            .map(|a| (a.role, a.unit_id, a.local_party_id))
            .collect::<Vec<_>>(),
        vec![
            (Role::Secretary, party.id, party.id),
            (Role::BranchSecretary, branch.id, party.id)
        ]
    );
    assert!(roles.iter().all(|a| !a.party_requires_second_factor));
    // Once the local party asks for a second factor, the party's role and the branch's
    // (through its parent) both say so.
    let mut tx = t.db.begin().await.expect("tx");
    units::set_requires_second_factor(&mut tx, party.id, true)
        .await
        .expect("require");
    tx.commit().await.expect("commit");
    let (_, _, roles) = accounts::signed_in(&mut read, "s-both")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(roles.len(), 2);
    assert!(
        roles.iter().all(|a| a.party_requires_second_factor),
        "{roles:?}"
    );
    let (session, user, roles) = accounts::signed_in(&mut read, "s-none")
        .await
        .expect("read")
        .expect("found");
    assert!(session.second_factor_pending);
    assert_eq!((user, roles.len()), (none.clone(), 0));
    assert!(
        accounts::signed_in(&mut read, "s-unknown")
            .await
            .expect("read")
            .is_none()
    );

    let (last_used, user, roles) = accounts::token_holder(&mut read, "t-both")
        .await
        .expect("read")
        .expect("found");
    assert_eq!((last_used.last_used_at, user, roles.len()), (None, both, 2));
    let (_, user, roles) = accounts::token_holder(&mut read, "t-none")
        .await
        .expect("read")
        .expect("found");
    assert_eq!((user, roles.len()), (none, 0));
    assert!(
        accounts::token_holder(&mut read, "t-unknown")
            .await
            .expect("read")
            .is_none()
    );
}

/// Entries written together (as taking in the audit journal writes many requests' entries
/// in one transaction) are numbered apart and each names its own people, however they overlap.
async fn entries_written_together_each_name_their_own_people(t: TestDb) {
    let (lp, people) = three_imported(&t).await;
    let mut tx = t.db.begin().await.expect("tx");
    let id = |first_name: &str| {
        people
            .iter()
            .find(|m| m.person.first_name == first_name)
            .map(|m| (m.person_id, m.public_id.clone()))
            .expect("imported")
    };
    let (ada, grace, alan) = (id("Ada"), id("Grace"), id("Alan"));
    let note = |subject: &'static str| audit::Note {
        actor: "tester@example.org",
        local_party_id: Some(lp.id),
        action: "member.search",
        subject,
        detail: "together",
        people: &[],
    };
    // One entry names Ada twice; one names nobody.
    let first = [ada.0, grace.0, ada.0];
    let second = [grace.0];
    let notes = [
        audit::Note {
            people: &first,
            ..note("first")
        },
        note("nobody"),
        audit::Note {
            people: &second,
            ..note("second")
        },
    ];
    audit::record_all(&mut tx, &notes).await.expect("written");
    audit::record(
        &mut tx,
        audit::Note {
            people: &first,
            ..note("third")
        },
    )
    .await
    .expect("one more");
    tx.commit().await.expect("commit");

    let mut tx = t.db.begin_read().await.expect("tx");
    let mut subjects = Vec::new();
    for who in [&ada, &grace, &alan] {
        let search = audit::Search {
            local_parties: vec![lp.id],
            about: Some(who.1.clone()),
            action: Some("member.search".into()),
            ..Default::default()
        };
        let found = audit::search(&mut tx, &search, 10).await.expect("search");
        let mut names: Vec<String> = found.into_iter().map(|e| e.subject).collect();
        names.sort();
        subjects.push(names);
    }
    assert_eq!(
        subjects,
        vec![
            vec!["first".to_string(), "third".into()],
            vec!["first".into(), "second".into(), "third".into()],
            vec![],
        ]
    );
    let all = audit::search(
        &mut tx,
        &audit::Search {
            local_parties: vec![lp.id],
            action: Some("member.search".into()),
            ..Default::default()
        },
        10,
    )
    .await
    .expect("search");
    let mut ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "four entries, each its own id: {all:?}");
}

/// A page read packed into one value (`roster::counted`) holds exactly the rows, in the
/// same order, that reading them row by row (`roster::list`) gives, every column
/// included, with the same next-page cursors and the same total, for every sort. Among
/// the demo's people are some whose order turns on case, accents, a name that begins
/// another, numbers kept as text and shared names and dates, where an order taken other
/// than from the engine's own would differ.
async fn a_packed_page_reads_as_row_by_row(t: TestDb) {
    let (rules, today) = demo(&t.db, 290, 11).await;
    let tricky = [
        "10,Ana,de Souza,,,,,,standard,2021-05-01,2027-04-30,,,,,,,",
        "9,Ana,De Souza,,,,,,standard,2021-05-01,2027-04-30,,,,,,,",
        "A1,Eva,Åberg,,,,,,standard,2019-02-02,2027-02-01,,,,,,,",
        "a1,Eva,Aberg,,,,,,standard,2019-02-02,2027-02-01,,,,,,,",
        "Z-7,Zed,Smith,,,,,,standard,2022-09-09,2027-09-08,,,,,,,",
        "Z-70,Al,Smithson,,,,,,standard,2022-09-09,2027-09-08,,,,,,,",
        "z-7,Zed,Smith,,,,,,standard,2022-09-09,2027-09-08,,,,,,,",
        "0007,Cy,O'Brien,,,,,,standard,2018-12-31,2027-12-30,,,,,,,",
        "Ö-1,amy,zed,,,,,,standard,2023-01-01,2027-01-01,,,,,,,",
        "7,Bo,Ölund,,,,,,standard,2023-01-01,2027-01-01,,,,,,,",
    ];
    run(&t, &file(&tricky), &options())
        .await
        .expect("tricky names import");
    let mut tx = t.db.begin_read().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let grants = [Grant::everyone_in(lp.id)];
    // The units the page is shown with, read beside it: every branch of the party, which
    // the grant sees whole, by name, and the party itself, as plain reads find them.
    let branches = units::branches(&mut tx, lp.id).await.expect("branches");
    let apart = (
        branches.into_iter().map(|b| (lp.id, b)).collect::<Vec<_>>(),
        units::named(&mut tx, &[lp.id]).await.expect("the party"),
    );
    assert!(apart.0.len() > 1 && apart.1.len() == 1, "{apart:?}");
    assert_eq!(
        units::branches_and_named(&mut tx, &grants, &[lp.id])
            .await
            .expect("units on their own"),
        apart
    );
    // For grants limited to branches, grants of the whole party, and both together, the
    // branches read are those `sees_branch` keeps of the party's branches one by one.
    let (first, second) = (&apart.0[0].1, &apart.0[1].1);
    for reaches in [
        vec![Reach::Branch(first.id)],
        vec![Reach::GeographicBranch(first.id), Reach::Branch(second.id)],
        vec![Reach::Branch(first.id), Reach::Everyone],
        vec![Reach::Women],
        vec![Reach::AssignedToMe],
    ] {
        let grants: Vec<Grant> = reaches
            .iter()
            .map(|&reach| Grant {
                local_party_id: lp.id,
                reach,
            })
            .collect();
        let seen: Vec<_> = apart
            .0
            .iter()
            .filter(|(_, b)| sees_branch(&grants, lp.id, b.id))
            .cloned()
            .collect();
        let read = units::branches_and_named(&mut tx, &grants, &[lp.id])
            .await
            .expect("units for the grants");
        assert_eq!((read.0, read.1), (seen, apart.1.clone()), "{reaches:?}");
    }
    // Which of a row's numbers and address `contact` took: mobile, phone, email, none.
    let mut reached_by = std::collections::HashSet::new();
    for sort in Sort::ALL {
        let filter = MemberFilter {
            sort,
            ..Default::default()
        };
        let q = roster::ListQuery {
            grants: &grants,
            user_id: 0,
            filter: &filter,
            bounds: rules.status.bounds(today),
        };
        let total = roster::count(&mut tx, &q).await.expect("count");
        assert_eq!(total, 300, "{sort:?}");
        let (mut after, mut pages, mut read) = (None, 0, 0);
        let mut last: Option<roster::Listed>;
        loop {
            let (rows, next) = roster::list(&mut tx, &q, after.as_ref(), 37)
                .await
                .expect("row by row");
            let units = units::packed_branches_and_named(tx.backend(), &grants, &[lp.id]);
            let packed = roster::counted(&mut tx, &q, after.as_ref(), 37, units)
                .await
                .expect("packed");
            let lines: Vec<roster::Line> = rows.iter().map(roster::Line::from).collect();
            assert_eq!(packed.rows, lines, "{sort:?}, page {pages}");
            assert_eq!(packed.next, next, "{sort:?}, page {pages}");
            assert_eq!(packed.total, total, "{sort:?}, page {pages}");
            let beside =
                units::unpack_branches_and_named(packed.beside.as_deref(), &grants, &[lp.id])
                    .expect("units beside");
            assert_eq!(beside, apart, "{sort:?}, page {pages}");
            reached_by.extend(rows.iter().map(|r| {
                [&r.mobile, &r.phone, &r.email]
                    .iter()
                    .position(|c| c.is_some())
            }));
            read += rows.len();
            last = rows.last().cloned();
            pages += 1;
            match next {
                Some(c) => after = Some(c),
                None => break,
            }
        }
        assert_eq!((read, pages), (300, 9), "{sort:?}");
        // Past the end (a stale cursor), a page is empty but still counts everyone.
        if sort == Sort::JoinedOldest {
            let last = last.expect("a last row");
            let end = Cursor {
                key: last.joined_on.to_string(),
                id: last.public_id,
            };
            let units = units::packed_branches_and_named(tx.backend(), &grants, &[lp.id]);
            let page = roster::counted(&mut tx, &q, Some(&end), 37, units)
                .await
                .expect("past the end");
            assert_eq!((page.rows.len(), page.next, page.total), (0, None, 300));
        }
    }
    assert!(
        [Some(0), Some(1), Some(2)]
            .iter()
            .all(|way| reached_by.contains(way)),
        "the demo has people with a mobile, with a phone and no mobile, and with an email \
         only: {reached_by:?}"
    );
    // Nothing found: no rows, nothing next, none in all.
    let filter = MemberFilter::parse(&[("q".into(), "zzzz-nobody".into())]).expect("filter");
    let q = roster::ListQuery {
        grants: &grants,
        user_id: 0,
        filter: &filter,
        bounds: rules.status.bounds(today),
    };
    let units = units::packed_branches_and_named(tx.backend(), &grants, &[lp.id]);
    let page = roster::counted(&mut tx, &q, None, 37, units)
        .await
        .expect("none");
    assert_eq!((page.rows.len(), page.next, page.total), (0, None, 0));
    // Units still come beside an empty page.
    let beside = units::unpack_branches_and_named(page.beside.as_deref(), &grants, &[lp.id])
        .expect("units beside nothing");
    assert_eq!(beside, apart);
}

/// The audit journal: what is appended reaches the log once, at the time it happened,
/// naming its people; through a crash before it was taken in, a crash after the commit
/// but before the file was deleted, and lines a power cut or a hand spoiled.
async fn the_audit_journal_takes_every_entry_in_once(t: TestDb) {
    use rosette::store::journal::Journal;
    let (lp, people) = three_imported(&t).await;
    let ids: Vec<i64> = people.iter().map(|m| m.person_id).collect();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:30:00Z")
        .expect("time")
        .to_utc();
    let entry = |subject: &str, people: &[i64]| audit::Journaled {
        at,
        actor: "tester@example.org".into(),
        local_party_id: Some(lp.id),
        action: "member.list".into(),
        subject: subject.into(),
        detail: "journal".into(),
        people: people.to_vec(),
    };
    let logged = |subject: &'static str| {
        let db = t.db.clone();
        async move {
            let mut tx = db.begin_read().await.expect("tx");
            let search = audit::Search {
                local_parties: vec![lp.id],
                about: Some(subject.into()),
                ..Default::default()
            };
            audit::search(&mut tx, &search, 100).await.expect("search")
        }
    };
    let dir = tempfile::tempdir().expect("journal folder");
    let segments = || {
        std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").path())
            .collect::<Vec<_>>()
    };

    // Appended, then the process dies before taking anything in.
    let crashed = Journal::open(dir.path()).expect("journal");
    crashed
        .append(&[entry("first", &ids), entry("nobody", &[])])
        .expect("append");
    crashed
        .append(&[entry("second", &ids[..1])])
        .expect("append");
    assert!(logged("first").await.is_empty(), "not in the log yet");
    drop(crashed);

    // The next start takes them in, each at its own time, naming its people.
    let journal = Journal::open(dir.path()).expect("reopened");
    let taken = journal.take_in(&t.db).await.expect("taken in");
    assert_eq!((taken.segments, taken.entries), (1, 3));
    assert!(taken.damaged.is_empty());
    let first = logged("first").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].at, at);
    assert_eq!(first[0].actor, "tester@example.org");
    for person in &people {
        let named = logged_about(&t, lp.id, &person.public_id).await;
        let expected: Vec<&str> = if person.person_id == ids[0] {
            vec!["second", "first"]
        } else {
            vec!["first"]
        };
        assert_eq!(named, expected, "{}", person.person.first_name);
    }
    assert_eq!(logged("nobody").await.len(), 1);
    // Only the open segment is left, and nothing more is taken in.
    assert_eq!(segments().len(), 1);
    assert_eq!(
        journal.take_in(&t.db).await.expect("again"),
        Default::default()
    );

    // A crash after the commit, before the file went: it is not taken in twice.
    journal.append(&[entry("third", &ids)]).expect("append");
    drop(journal);
    let left = segments();
    let copies: Vec<(std::path::PathBuf, Vec<u8>)> = left
        .iter()
        .map(|p| (p.clone(), std::fs::read(p).expect("read")))
        .collect();
    let journal = Journal::open(dir.path()).expect("reopened");
    assert_eq!(journal.take_in(&t.db).await.expect("in").entries, 1);
    for (path, bytes) in &copies {
        std::fs::write(path, bytes).expect("put back");
    }
    let again = journal.take_in(&t.db).await.expect("in again");
    assert_eq!((again.segments, again.entries), (0, 0));
    assert_eq!(logged("third").await.len(), 1, "once");
    assert_eq!(segments().len(), 1, "the copy is gone");

    // Lines that are not entries are kept aside; the rest of the segment goes in.
    journal.append(&[entry("fourth", &ids)]).expect("append");
    drop(journal);
    let open = segments().pop().expect("a segment");
    let mut bytes = std::fs::read(&open).expect("read");
    bytes.extend_from_slice(b"{\"at\": \"cut off by a power c");
    std::fs::write(&open, bytes).expect("spoil");
    let journal = Journal::open(dir.path()).expect("reopened");
    let taken = journal.take_in(&t.db).await.expect("in");
    assert_eq!(taken.entries, 1);
    assert_eq!(taken.damaged.len(), 1);
    assert_eq!(taken.damaged[0].1, vec![2]);
    assert!(taken.damaged[0].0.exists(), "kept for a person to read");
    assert_eq!(logged("fourth").await.len(), 1);
    assert_eq!(journal.take_in(&t.db).await.expect("again").entries, 0);
}

/// Ada, Grace and Alan imported into the local party: the party and its members.
async fn three_imported(t: &TestDb) -> (units::Unit, Vec<members::StoredMember>) {
    with_branches(t).await;
    run(t, &file(&[ADA, GRACE, ALAN]), &options())
        .await
        .expect("imports");
    let mut tx = t.db.begin_read().await.expect("tx");
    let lp = units::get(&mut tx, "local-party").await.expect("lp");
    let people = members::all(&mut tx, lp.id).await.expect("members");
    (lp, people)
}

/// The subjects of the entries naming a person (by the audit's table of people), newest first.
async fn logged_about(t: &TestDb, lp: i64, public_id: &str) -> Vec<String> {
    let mut tx = t.db.begin_read().await.expect("tx");
    let search = audit::Search {
        local_parties: vec![lp],
        about: Some(public_id.into()),
        ..Default::default()
    };
    audit::search(&mut tx, &search, 100)
        .await
        .expect("search")
        .into_iter()
        .map(|e| e.subject)
        .collect()
}

both!(
    a_read_left_open_does_not_hold_its_snapshot,
    the_audit_journal_takes_every_entry_in_once,
    a_packed_page_reads_as_row_by_row,
    entries_written_together_each_name_their_own_people,
    a_session_or_token_brings_its_user_and_every_role,
    what_is_set_aside_is_lifted_until_restored_then_checked,
    a_bulk_load_keeps_every_index_and_reference,
    a_bulk_load_that_breaks_a_rule_leaves_nothing,
    migrations_are_idempotent_and_create_the_default_local_party,
    units_form_a_tree_with_wards,
    a_valid_file_is_stored_in_full,
    strict_import_writes_nothing_and_lists_every_problem,
    a_civicrm_export_imports_with_value_maps_and_no_hand_edits,
    a_nationbuilder_export_imports_with_its_timestamps_and_words,
    ambiguous_dates_are_refused_until_the_order_is_given,
    reimporting_the_same_file_changes_nothing,
    a_later_file_renews_rejoins_moves_and_resigns,
    a_file_without_a_column_leaves_that_field_alone,
    an_export_imports_back_unchanged,
    the_demo_is_deterministic_and_plausible,
);
