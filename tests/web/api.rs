//! The OpenAPI document is the API: every operation it lists is served (and asks for a
//! token), every route the API serves is listed, and what is served at
//! `/api/v1/openapi.json` is the document the code generates.

use axum::http::StatusCode;
use serde_json::Value;

use crate::common::TestDb;
use crate::common::web::*;

/// Every operation in the document, as (method, path with its ids filled in).
fn operations(doc: &Value, member: &str, segment: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("path item") {
            let filled = if path.starts_with("/segments/") {
                path.replace("{id}", segment)
            } else {
                path.replace("{id}", member)
            };
            out.push((method.to_uppercase(), format!("/api/v1{filled}")));
        }
    }
    out
}

async fn the_document_lists_exactly_what_is_served(t: TestDb) {
    let app = App::new(&t).await;
    let served = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(served.status, StatusCode::OK);
    let doc = served.json();
    assert_eq!(
        doc,
        serde_json::to_value(rosette::web::api_document()).expect("document"),
        "the served document is the generated one"
    );
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let token = app.token(SECRETARY).await;
    let member = app.all(&token, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let segment = app.segment(&token, "Lapsed", "status=lapsed").await;

    let ops = operations(&doc, &member, &segment);
    let mut listed: Vec<String> = ops.iter().map(|(m, p)| format!("{m} {p}")).collect();
    listed.sort();
    let mut expected = [
        format!("GET /api/v1/emails/{member}"),
        "POST /api/v1/emails".to_string(),
        "GET /api/v1/eligibility".to_string(),
        format!("POST /api/v1/emails/{member}/send"),
        "GET /api/v1/members".to_string(),
        format!("GET /api/v1/members/{member}"),
        format!("GET /api/v1/members/{member}/payments"),
        "GET /api/v1/segments".to_string(),
        format!("GET /api/v1/segments/{segment}/members"),
        "GET /api/v1/units".to_string(),
        format!("PATCH /api/v1/members/{member}"),
        format!("POST /api/v1/members/{member}/payments"),
        "POST /api/v1/members".to_string(),
        "POST /api/v1/events".to_string(),
        "GET /api/v1/events".to_string(),
        format!("GET /api/v1/events/{member}/people"),
        format!("POST /api/v1/events/{member}/signups"),
        format!("POST /api/v1/events/{member}/check-ins"),
        format!("POST /api/v1/members/{member}/move"),
        "POST /api/v1/segments".to_string(),
        "GET /api/v1/journeys".to_string(),
        format!("GET /api/v1/journeys/{member}/runs"),
        format!("POST /api/v1/journeys/{member}/take-off"),
        "GET /api/v1/surveys".to_string(),
        "POST /api/v1/surveys".to_string(),
        format!("GET /api/v1/surveys/{member}"),
        format!("GET /api/v1/surveys/{member}/answers"),
        "GET /api/v1/organisations".to_string(),
        "POST /api/v1/organisations".to_string(),
        format!("GET /api/v1/organisations/{member}"),
    ];
    expected.sort();
    assert_eq!(
        listed, expected,
        "the operations the README's interface names"
    );
    for (method, path) in &ops {
        // Served: without a token the route itself answers 401, not 404 or 405.
        let r = app.api(method, path, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(r.json()["error"], "unauthorized");
        // Every status it answers with a token is one the document gives.
        let r = app
            .api(
                method,
                path,
                Some(&token),
                (method != "GET").then(|| serde_json::json!({})),
            )
            .await;
        let documented = &doc["paths"][path
            .trim_start_matches("/api/v1")
            .replace(&member, "{id}")
            .replace(&segment, "{id}")][method.to_lowercase()]["responses"];
        assert!(
            documented.get(r.status.as_str()).is_some(),
            "{method} {path} answered {} which the document does not give: {}",
            r.status,
            r.body
        );
    }
    // The scheme's name is case-insensitive (RFC 9110).
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let r = app
            .send(
                axum::http::Request::get("/api/v1/units")
                    .header("authorization", format!("{scheme} {token}"))
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{scheme}");
    }
    // A route the document does not list is not served.
    for (method, path) in [
        ("GET", "/api/v1/people"),
        ("DELETE", &format!("/api/v1/members/{member}") as &str),
        ("GET", "/api/v1/members/x/history"),
    ] {
        let r = app.api(method, path, Some(&token), None).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            r.status
        );
    }
}

/// Two saves of one segment name at once: one is saved, the other is told the name is
/// taken (422 naming the field), never a server error.
async fn a_taken_name_is_a_field_problem_even_in_a_race(t: TestDb) {
    let app = App::new(&t).await;
    let token = app.token(MEMBERSHIP).await;
    let save = || {
        app.api(
            "POST",
            "/api/v1/segments",
            Some(&token),
            Some(serde_json::json!({"name": "New this month", "query": "status=new"})),
        )
    };
    let (a, b) = tokio::join!(save(), save());
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY],
        "{} / {}",
        a.body,
        b.body
    );
    let refused = if a.status == StatusCode::CREATED {
        b
    } else {
        a
    };
    assert_eq!(refused.json()["problems"][0]["field"], "name");
    assert!(
        refused.json()["problems"][0]["message"]
            .as_str()
            .expect("message")
            .contains("already a segment called 'New this month'")
    );
}

/// The document states the limits the server enforces, and the server enforces them: an
/// empty page size is an error, an unknown field is refused, a blank name is named.
async fn the_documented_limits_are_the_enforced_ones(t: TestDb) {
    let app = App::new(&t).await;
    let doc = serde_json::to_value(rosette::web::api_document()).expect("document");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["MemberPatch"]["properties"]["first_name"]["minLength"],
        1
    );
    assert_eq!(
        schemas["MemberPatch"]["properties"]["notes"]["maxLength"],
        5000
    );
    for body in ["MemberPatch", "NewPayment", "NewSegment"] {
        assert_eq!(
            schemas[body]["additionalProperties"], false,
            "{body} refuses unknown fields"
        );
    }
    assert!(
        schemas["NewPayment"]["properties"]["method"]["pattern"]
            .as_str()
            .expect("pattern")
            .contains("bank_transfer")
    );
    let token = app.token(SECRETARY).await;
    let r = app
        .api("GET", "/api/v1/members?limit=", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["problems"][0]["field"], "limit");
    let id = app.all(&token, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = app
        .api(
            "POST",
            &format!("/api/v1/members/{id}/payments"),
            Some(&token),
            Some(serde_json::json!({"amount": "5", "method": "cash", "tip": "1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("tip")
    );
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/members/{id}"),
            Some(&token),
            Some(serde_json::json!({"last_name": "   "})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["problems"][0]["field"], "last_name");
}

crate::both!(
    the_document_lists_exactly_what_is_served,
    a_taken_name_is_a_field_problem_even_in_a_race,
    the_documented_limits_are_the_enforced_ones,
);
