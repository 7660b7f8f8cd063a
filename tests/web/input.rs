//! Text no one means to type (NUL, escape sequences, a lone carriage return) is refused
//! wherever it comes in, with the field named, and never reaches the database: on
//! PostgreSQL a NUL used to be a server error.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::TestDb;
use crate::common::web::*;

async fn control_characters_are_refused_by_name_everywhere(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(SECRETARY).await;
    let id = app.all(&token, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let member = format!("/api/v1/members/{id}");
    for (field, value) in [
        ("first_name", "Ada\u{0}"),
        ("town", "\u{1b}[31mRivermouth"),
        ("address_line1", "12 High St\rFlat 2"),
        ("notes", "ok\u{0}"),
    ] {
        let r = app
            .api(
                "PATCH",
                &member,
                Some(&token),
                Some(json!({ field: value })),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert_eq!(r.json()["problems"][0]["field"], field);
    }
    let r = app
        .api(
            "PATCH",
            &member,
            Some(&token),
            Some(json!({"notes": "Rang twice.\r\nCall back in May.\tThanks"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "notes take lines: {}", r.body);

    let r = app
        .api("GET", "/api/v1/members?q=%00", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["problems"][0]["field"], "q");
    let r = app
        .api(
            "POST",
            "/api/v1/segments",
            Some(&token),
            Some(json!({"name": "Lapsed\u{0}", "query": "status=lapsed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["problems"][0]["field"], "name");
    for path in ["/api/v1/members/%00", "/api/v1/segments/%1b/members"] {
        let r = app.api("GET", path, Some(&token), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json()["error"], "not_found");
    }

    let s = app.sign_in(SECRETARY).await;
    for (path, want) in [
        ("/members?q=%00", StatusCode::UNPROCESSABLE_ENTITY),
        ("/members?tag=a%1bb", StatusCode::UNPROCESSABLE_ENTITY),
        ("/members/%00", StatusCode::NOT_FOUND),
        ("/audit?about=%00", StatusCode::UNPROCESSABLE_ENTITY),
        ("/calls/new?from=segment:%00", StatusCode::BAD_REQUEST),
    ] {
        let r = app.get(path, Some(&s)).await;
        assert_eq!(r.status, want, "{path}: {}", r.body);
    }
    let r = app
        .post(
            "/sign-in",
            None,
            &[("email", "secretary\u{0}@example.org"), ("password", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("control character"));
    let r = app
        .post("/reset", None, &[("email", "secretary\u{0}@example.org")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the same answer as for any address"
    );
}

crate::both!(control_characters_are_refused_by_name_everywhere);
