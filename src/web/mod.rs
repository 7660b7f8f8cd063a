//! The HTTP server: `/healthz`, the front page and its stylesheet. Handlers are thin: they
//! ask the store, and render a template that escapes everything by default.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::{Rules, Status};
use crate::store::{Backend, Db, members, units};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub rules: Arc<Rules>,
    /// Today's date in the local party's time zone, asked for on every request.
    pub today: fn() -> NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Template(#[from] askama::Error),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side; it has been logged.",
        )
            .into_response()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(front_page))
        .route("/healthz", get(healthz))
        .route("/static/rosette.css", get(stylesheet))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn healthz(State(state): State<AppState>) -> Response {
    let database = match state.db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let check = async {
        let mut tx = state.db.begin().await?;
        units::find(&mut tx, units::DEFAULT_LOCAL_PARTY).await
    };
    match check.await {
        Ok(_) => Json(serde_json::json!({"status": "ok", "database": database})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": database})),
            )
                .into_response()
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/rosette.css"),
    )
}

#[derive(Template)]
#[template(path = "index.html")]
struct FrontPage {
    party_name: String,
    today: String,
    members: usize,
    good_standing: usize,
    totals: Vec<(&'static str, usize)>,
    statuses: Vec<&'static str>,
    branches: Vec<(String, Vec<usize>)>,
}

async fn front_page(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let party = units::get(&mut tx, units::DEFAULT_LOCAL_PARTY).await?;
    let names: BTreeMap<String, String> = units::branches(&mut tx, party.id)
        .await?
        .into_iter()
        .map(|b| (b.slug, b.name))
        .collect();
    let standings = members::standings(&mut tx, party.id, &state.rules.status, today).await?;
    let column = |s: Status| Status::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let mut totals = vec![0usize; Status::ALL.len()];
    let mut by_branch: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (branch, status) in &standings {
        totals[column(*status)] += 1;
        let name = branch
            .as_ref()
            .and_then(|b| names.get(b))
            .cloned()
            .unwrap_or_else(|| "No branch".into());
        by_branch
            .entry(name)
            .or_insert_with(|| vec![0; Status::ALL.len()])[column(*status)] += 1;
    }
    let page = FrontPage {
        party_name: party.name,
        today: today.format("%-d %B %Y").to_string(),
        members: standings.iter().filter(|(_, s)| s.is_member()).count(),
        good_standing: standings
            .iter()
            .filter(|(_, s)| s.in_good_standing())
            .count(),
        totals: Status::ALL.iter().map(|s| s.label()).zip(totals).collect(),
        statuses: Status::ALL.iter().map(|s| s.label()).collect(),
        branches: by_branch.into_iter().collect(),
    };
    Ok(Html(page.render()?))
}
