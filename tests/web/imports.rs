//! A member file imported from the web: uploaded, its columns matched and its values
//! mapped, checked with every problem by row and column, then imported all or nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::http::StatusCode;

use crate::common::TestDb;
use crate::common::web::*;

const FILE: &str = "Ref,Forename,Surname,Joined,Expires,Band,Membership Status,Shoe Size\n\
                    W1,Ada,Quill,14/03/2020,13/03/2027,General,Current,5\n\
                    W2,Ben,Rook,15/04/2021,14/04/2025,General,Cancelled,9\n\
                    W3,Cy,Stone,16/05/2022,15/05/2027,Concession,Current,7\n";

async fn a_file_is_matched_checked_and_imported_from_the_web(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let before = app.all(&token, "").await.len();
    let s = app.sign_in(SECRETARY).await;
    let page = app.get("/import", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("href=\"/import\""), "in the menu");
    // Only the Secretary and the Membership Officer import.
    let b = app.sign_in(BRANCH).await;
    assert_eq!(
        app.get("/import", Some(&b)).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !app.get("/", Some(&b))
            .await
            .body
            .contains("href=\"/import\"")
    );
    let m = app.sign_in(MEMBERSHIP).await;
    assert_eq!(app.get("/import", Some(&m)).await.status, StatusCode::OK);

    // Without the session's token, nothing is kept.
    let r = app
        .upload("/import", &s, "wrong", "members.csv", FILE.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .upload("/import", &s, &s.csrf, "members.csv", FILE.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let file = r.location.clone();
    assert!(file.starts_with("/import/"));
    let shown = app.get(&file, Some(&s)).await;
    assert!(
        shown.body.contains("no column for membership_number"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("name=\"m:Ref\""));
    assert!(shown.body.contains("name=\"m:Shoe Size\""));
    // Another officer's upload is not to be found by a Branch Secretary.
    assert_eq!(app.get(&file, Some(&b)).await.status, StatusCode::NOT_FOUND);

    // Matched and mapped, but one status is the file's own word: the check lists it.
    let check = |value_maps: &'static str| {
        let (app, s, file) = (&app, &s, &file);
        async move {
            app.post(
                file,
                Some(s),
                &[
                    ("csrf", &s.csrf),
                    ("action", "check"),
                    ("m:Ref", "membership_number"),
                    ("m:Band", "rate"),
                    ("m:Shoe Size", "-"),
                    ("value_maps", value_maps),
                    ("date_order", ""),
                ],
            )
            .await
        }
    };
    let r = check("rate:General=standard\nrate:Concession=reduced").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let done = app.settled(&file, &s).await;
    assert!(
        done.body.contains("The check found 1 problem in 1 row"),
        "{}",
        done.body
    );
    assert!(
        done.body
            .contains("<td>Row 3</td><td data-label=\"Column\">Membership Status (status)</td>"),
        "{}",
        done.body
    );
    assert!(done.body.contains("columns not imported: Shoe Size"));
    assert!(!done.body.contains("Import now"));
    // An import before a clean check is refused.
    let r = app
        .post(&file, Some(&s), &[("csrf", &s.csrf), ("action", "import")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("check the file first"));
    // A value map that is not one is refused before anything is kept.
    let r = check("rate=standard").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("FIELD:VALUE=CODE"), "{}", r.body);

    let r =
        check("rate:General=standard\nrate:Concession=reduced\nstatus:Cancelled=resigned").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let done = app.settled(&file, &s).await;
    assert!(
        done.body
            .contains("dry run, nothing written: 3 rows: 3 added"),
        "{}",
        done.body
    );
    assert!(done.body.contains("Import now"));
    assert_eq!(
        app.all(&token, "").await.len(),
        before,
        "a check writes nothing"
    );

    let r = app
        .post(&file, Some(&s), &[("csrf", &s.csrf), ("action", "import")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let done = app.settled(&file, &s).await;
    assert!(done.body.contains("3 rows: 3 added"), "{}", done.body);
    let all = app.all(&token, "q=Quill").await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["joined_on"], "2020-03-14");
    assert_eq!(all[0]["rate"], "standard");
    let ben = app.all(&token, "q=Rook").await;
    assert_eq!(ben[0]["status"], "resigned");
    assert_eq!(app.all(&token, "").await.len(), before + 3);
    let list = app.get("/import", Some(&s)).await;
    assert!(list.body.contains("members.csv") && list.body.contains("imported"));
    let audit = app.get("/audit", Some(&s)).await;
    assert!(audit.body.contains("Imported a file"));
}

async fn an_unreadable_upload_says_why(t: TestDb) {
    let app = App::new(&t).await;
    let s = app.sign_in(SECRETARY).await;
    let r = app
        .upload("/import", &s, &s.csrf, "book.xlsx", b"PK\x03\x04 not csv")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let shown = app.get(&r.location, Some(&s)).await;
    assert!(
        shown
            .body
            .contains("this is a spreadsheet workbook (.xlsx), not CSV"),
        "{}",
        shown.body
    );
    let r = app.upload("/import", &s, &s.csrf, "empty.csv", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("choose a CSV file"));
}

crate::both!(
    a_file_is_matched_checked_and_imported_from_the_web,
    an_unreadable_upload_says_why,
);
