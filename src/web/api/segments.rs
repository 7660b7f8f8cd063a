//! `/segments`: saved member-list filters, and the members each one finds today.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::{Member, page_of};
use super::{ApiError, ApiResult, ErrorBody, Page, PageParams, body, pairs_of};
use crate::app::segments;
use crate::store::segments::Segment as Stored;
use crate::web::AppState;
use crate::web::auth::ApiUser;

#[derive(Serialize, ToSchema)]
pub struct Segment {
    id: String,
    name: String,
    /// The member list's filters as a query string.
    query: String,
    created_by: String,
}

impl From<Stored> for Segment {
    fn from(s: Stored) -> Segment {
        Segment {
            id: s.public_id,
            name: s.name,
            query: s.query,
            created_by: s.created_by,
        }
    }
}

/// The segments of the user's local parties (none for callers).
#[utoipa::path(
    get,
    path = "/segments",
    responses(
        (status = 200, description = "Every segment on one page", body = Page<Segment>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, who: ApiUser) -> ApiResult<Json<Page<Segment>>> {
    let mut tx = state.db.begin_read().await?;
    let list = segments::list(&mut tx, &who).await?;
    tx.commit().await?;
    Ok(Json(Page::all(
        list.into_iter().map(Segment::from).collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    /// 1 to 80 characters, not already used in the local party.
    #[schema(min_length = 1, max_length = 80, pattern = "\\S")]
    name: String,
    /// The member list's filters as a query string, e.g. `status=lapsed&branch=riverside`.
    query: String,
}

/// Saves a filter under a name.
#[utoipa::path(
    post,
    path = "/segments",
    request_body = NewSegment,
    responses(
        (status = 201, description = "Saved", body = Segment),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Callers do not keep segments", body = ErrorBody),
        (status = 422, description = "The name is missing or taken, or the query is not valid", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    new: Result<Json<NewSegment>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Segment>)> {
    let new = body(new)?;
    let mut tx = state.db.begin().await?;
    let saved = segments::save(&mut tx, &who, &new.name, &new.query).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// The members a segment finds today, a page at a time.
#[utoipa::path(
    get,
    path = "/segments/{id}/members",
    params(("id" = String, Path, description = "The segment's id"), PageParams),
    responses(
        (status = 200, description = "A page of members", body = Page<Member>),
        (status = 400, description = "The query string cannot be read", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such segment in your local parties", body = ErrorBody),
        (status = 422, description = "The limit or cursor is not valid", body = ErrorBody),
    )
)]
pub async fn members(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Page<Member>>> {
    let mut tx = state.db.begin_read().await?;
    let segment = segments::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    let filter = segments::filter_of(&segment.query).map_err(ApiError::Invalid)?;
    let pairs = pairs_of(raw)?;
    page_of(
        &state,
        &who,
        &pairs,
        &filter,
        &format!("segment {}", segment.name),
    )
    .await
}
