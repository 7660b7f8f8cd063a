//! The server's own layers: a panicking handler still gets an answer, and every answer
//! carries a request id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn buggy_handler() -> &'static str {
    let pages: Vec<&'static str> = Vec::new();
    pages[3]
}

/// A handler that panics still gets an answer (the 500 page, not a dropped connection),
/// and every answer carries a request id, the caller's own when it sent one.
#[tokio::test]
async fn a_panicking_handler_is_answered_and_every_response_has_a_request_id() {
    let app = rosette::web::with_layers(
        axum::Router::new().route("/boom", axum::routing::get(buggy_handler)),
    );
    let res = app
        .clone()
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().contains_key("x-request-id"));
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("Something went wrong"));

    let res = app
        .oneshot(
            Request::get("/boom")
                .header("x-request-id", "probe-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "probe-42");
}
