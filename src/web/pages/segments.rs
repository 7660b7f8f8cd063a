//! Saved segments: the member list's filters kept under a name.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::{AppError, segments as app_segments};
use crate::store::segments::Segment;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Nav, in_words};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "segments.html")]
struct SegmentsPage {
    nav: Nav,
    segments: Vec<Segment>,
    error: Option<String>,
}

async fn segments_page(
    state: &AppState,
    officer: &Officer,
    error: Option<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin_read().await?;
    let list = app_segments::list(&mut tx, officer).await?;
    tx.commit().await?;
    let page = SegmentsPage {
        nav: officer.nav(),
        segments: list,
        error,
    };
    crate::web::render(&page, page.error.is_some())
}

pub async fn segment_list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, WebError> {
    segments_page(&state, &officer, None).await
}

#[derive(serde::Deserialize)]
pub struct SegmentForm {
    name: String,
    #[serde(default)]
    query: String,
}

pub async fn save_segment(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<SegmentForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match app_segments::save(&mut tx, &officer, &form.name, &form.query).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/segments").into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let message = in_words(&problems);
            segments_page(&state, &officer, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_segment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<crate::web::auth::NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_segments::delete(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/segments").into_response())
}
