//! `/journeys`: a local party's journeys with their steps, who is at which step of one,
//! and taking someone off.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiResult, ErrorBody, Page, body};
use crate::app::journeys;
use crate::web::AppState;
use crate::web::auth::ApiUser;

#[derive(Serialize, ToSchema)]
pub struct Journey {
    id: String,
    name: String,
    /// joined, first_event, rejoined or became_officer.
    trigger: String,
    active: bool,
    /// Its steps in words.
    steps: Vec<String>,
    /// Its steps as an officer writes them, one a line.
    text: String,
    /// The slug of the branch whose people alone it takes; null for the whole local party.
    unit: Option<String>,
}

/// The journeys of the user's local parties (none for callers).
#[utoipa::path(
    get,
    path = "/journeys",
    responses(
        (status = 200, description = "Every journey on one page", body = Page<Journey>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Callers have no journeys", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, who: ApiUser) -> ApiResult<Json<Page<Journey>>> {
    let mut tx = state.db.begin_read().await?;
    let found = journeys::list(&mut tx, &who).await?;
    tx.commit().await?;
    Ok(Json(Page::all(
        found
            .into_iter()
            .map(|j| Journey {
                unit: j.unit.map(|(slug, _)| slug),
                steps: j.steps.iter().map(|s| s.in_words()).collect(),
                id: j.journey.public_id,
                name: j.journey.name,
                trigger: j.journey.trigger,
                active: j.journey.active,
                text: j.journey.steps,
            })
            .collect(),
    )))
}

/// One person's place on a journey.
#[derive(Serialize, ToSchema)]
pub struct Run {
    /// The person's id.
    person: String,
    first_name: String,
    last_name: String,
    /// active, done or stopped.
    state: String,
    /// The step they are at (0 is the first), while active.
    step: Option<usize>,
    /// When their next step is due, while active.
    next_at: Option<DateTime<Utc>>,
    /// What was done last, in words.
    note: Option<String>,
}

/// Who is on a journey, within the user's scope (audited).
#[utoipa::path(
    get,
    path = "/journeys/{id}/runs",
    params(("id" = String, Path, description = "The journey's id")),
    responses(
        (status = 200, description = "Everyone on it you may see, on one page", body = Page<Run>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such journey in your scope", body = ErrorBody),
    )
)]
pub async fn runs(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Page<Run>>> {
    let mut tx = state.db.begin().await?;
    let b = journeys::board(&mut tx, &who, &id).await?;
    tx.commit().await?;
    let mut items = Vec::new();
    for (i, at) in b.at.iter().enumerate() {
        for (l, next) in at {
            items.push(Run {
                person: l.public_id.clone(),
                first_name: l.first_name.clone(),
                last_name: l.last_name.clone(),
                state: "active".into(),
                step: Some(i),
                next_at: Some(*next),
                note: None,
            });
        }
    }
    for (state, list) in [("done", &b.done), ("stopped", &b.stopped)] {
        for (l, note) in list {
            items.push(Run {
                person: l.public_id.clone(),
                first_name: l.first_name.clone(),
                last_name: l.last_name.clone(),
                state: state.into(),
                step: None,
                next_at: None,
                note: note.clone(),
            });
        }
    }
    Ok(Json(Page::all(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeOff {
    /// The person's id.
    person: String,
}

/// Takes someone you may change off a journey: no more of its steps are taken for them.
#[utoipa::path(
    post,
    path = "/journeys/{id}/take-off",
    params(("id" = String, Path, description = "The journey's id")),
    request_body = TakeOff,
    responses(
        (status = 204, description = "Taken off"),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Seen, but not yours to change", body = ErrorBody),
        (status = 404, description = "No such journey or person in your scope", body = ErrorBody),
        (status = 422, description = "They are not on it now", body = ErrorBody),
    )
)]
pub async fn take_off(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    asked: Result<Json<TakeOff>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<StatusCode> {
    let asked = body(asked)?;
    let mut tx = state.db.begin().await?;
    journeys::take_off(&mut tx, &who, &id, &asked.person, Utc::now()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
