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

/// Over HTTPS browsers are told to stay on HTTPS (HSTS); a plain-HTTP demo is not, or a
/// browser would refuse it afterwards.
async fn https_servers_send_strict_transport_security(t: crate::common::TestDb) {
    let app = crate::common::web::App::new(&t).await;
    let r = app.get("/healthz", None).await;
    assert_eq!(
        r.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let plain = crate::common::TestDb::sqlite().await;
    let app = crate::common::web::App::at(&plain, "http://127.0.0.1:8080").await;
    let r = app.get("/healthz", None).await;
    assert!(!r.headers.contains_key("strict-transport-security"));
}

crate::both!(https_servers_send_strict_transport_security);
