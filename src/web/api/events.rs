//! `/events`: creating events, listing them, their people, sign-ups and the door.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::members::Member;
use super::{ApiError, ApiResult, ErrorBody, Page, body};
use crate::app::events::{self, EventInput};
use crate::app::people::{self, NewPerson};
use crate::import::Field;
use crate::store::events::Stored;
use crate::web::AppState;
use crate::web::auth::ApiUser;

/// An event to create. Times are local to the local party (Europe/London), written
/// `2026-12-03 19:30`. Any other field is refused (400).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    #[schema(max_length = 200)]
    title: String,
    /// members_meeting, agm, social, training, street_stall, canvass, phone_bank or
    /// online_meeting.
    kind: String,
    /// The slug of a local party, a branch or a forum branch you organise events for.
    unit: String,
    starts_at: String,
    ends_at: String,
    /// public, members or invited; members for a members' meeting when left out.
    #[serde(default)]
    audience: Option<String>,
    /// Places; no limit when left out. Sign-ups beyond it wait.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    capacity: Option<i64>,
    /// The right from the rules file that decides who may vote (vote_at_meetings when
    /// left out), e.g. vote_in_selections.
    #[serde(default)]
    right: Option<String>,
    /// The day continuous membership is measured at; the meeting's day when left out.
    #[serde(default)]
    freeze_date: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// Whom to ask about it: a name, an address or a number, shown on its public page.
    #[serde(default)]
    contact: Option<String>,
    /// Hours before the start that each person signed up is reminded (the rules file's,
    /// 24 by default, when left out).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 168)]
    remind_hours: Option<i64>,
}

/// An event.
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    id: String,
    title: String,
    kind: String,
    unit: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    time_zone: String,
    audience: String,
    capacity: Option<i32>,
    right: Option<String>,
    freeze_date: Option<NaiveDate>,
    place: Option<String>,
    contact: Option<String>,
    remind_hours: i32,
    /// When it was cancelled, if it was.
    cancelled_at: Option<DateTime<Utc>>,
    /// Its public page, where anyone may sign up to a public event.
    page: String,
}

impl From<Stored> for EventOut {
    fn from(e: Stored) -> EventOut {
        EventOut {
            page: format!("/e/{}", e.public_id),
            id: e.public_id,
            title: e.title,
            kind: e.kind,
            unit: e.unit_slug,
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            time_zone: e.time_zone,
            audience: e.audience,
            capacity: e.capacity,
            right: e.vote_right,
            freeze_date: e.freeze_date,
            place: e.place,
            contact: e.contact,
            remind_hours: e.remind_hours,
            cancelled_at: e.cancelled_at,
        }
    }
}

/// Creates an event for a unit you organise events for.
#[utoipa::path(
    post,
    path = "/events",
    request_body = NewEvent,
    responses(
        (status = 201, description = "Created", body = EventOut),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "You organise no events", body = ErrorBody),
        (status = 422, description = "A field is not valid; nothing was saved", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    new: Result<Json<NewEvent>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<EventOut>)> {
    let new = body(new)?;
    let input = EventInput {
        title: new.title,
        kind: new.kind,
        unit: new.unit,
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        place: new.place.unwrap_or_default(),
        description: new.description.unwrap_or_default(),
        capacity: new.capacity.map(|c| c.to_string()).unwrap_or_default(),
        audience: new.audience.unwrap_or_default(),
        right: new.right.unwrap_or_default(),
        freeze_date: new.freeze_date.unwrap_or_default(),
        contact: new.contact.unwrap_or_default(),
        remind_hours: new.remind_hours.map(|h| h.to_string()).unwrap_or_default(),
    };
    let mut tx = state.db.begin().await?;
    let event = events::create(&mut tx, &who, &state.rules, &input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(event.into())))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Past events, latest first, instead of upcoming ones.
    #[serde(default)]
    past: Option<bool>,
    /// The `next_cursor` of the page before.
    #[serde(default)]
    cursor: Option<String>,
    /// At most this many (1 to 200; 50 when left out).
    #[serde(default)]
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Upcoming events of your local parties, soonest first (or past ones, latest first).
#[utoipa::path(
    get,
    path = "/events",
    params(EventParams),
    responses(
        (status = 200, description = "A page of events", body = Page<EventOut>),
        (status = 400, description = "A parameter is not valid", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Callers see no events", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    who: ApiUser,
    params: Result<Query<EventParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Page<EventOut>>> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = match params.limit {
        None => 50,
        Some(n @ 1..=200) => n,
        Some(_) => return Err(ApiError::BadRequest("limit: give 1 to 200".into())),
    };
    let past = params.past.unwrap_or(false);
    let mut tx = state.db.begin_read().await?;
    let after = match params.cursor.as_deref() {
        None => None,
        Some(c) => {
            let e = events::find(&mut tx, &who, c)
                .await
                .map_err(|_| ApiError::BadRequest("cursor: not one this list gave".into()))?;
            Some((e.starts_at, e.id))
        }
    };
    let mut page = events::list(&mut tx, &who, Utc::now(), past, after, limit + 1).await?;
    tx.commit().await?;
    let more = page.len() as u64 > limit;
    page.truncate(usize::try_from(limit).unwrap_or(50));
    let next_cursor = if more {
        page.last().map(|e| e.public_id.clone())
    } else {
        None
    };
    Ok(Json(Page {
        items: page.into_iter().map(EventOut::from).collect(),
        next_cursor,
    }))
}

/// One person's place at an event.
#[derive(Serialize, ToSchema)]
pub struct EventPerson {
    /// The person's public id.
    id: String,
    first_name: String,
    last_name: String,
    /// signed_up, waiting, attended, no_show or cancelled.
    state: String,
    checked_in_at: Option<DateTime<Utc>>,
}

/// The people at an event whom you may see.
#[utoipa::path(
    get,
    path = "/events/{id}/people",
    params(("id" = String, Path, description = "The event's id")),
    responses(
        (status = 200, description = "Everyone on one page", body = Page<EventPerson>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such event of yours", body = ErrorBody),
    )
)]
pub async fn people(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Page<EventPerson>>> {
    let mut tx = state.db.begin().await?;
    let (_, shown, _) = events::people(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok(Json(Page::all(
        shown
            .into_iter()
            .map(|p| EventPerson {
                id: p.public_id,
                first_name: p.first_name,
                last_name: p.last_name,
                state: p.state,
                checked_in_at: p.checked_in_at,
            })
            .collect(),
    )))
}

/// Who to sign up: a known person by id, or someone by name and email (matched by email
/// to a person you may see, else added as a supporter).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 254)]
    email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignedUp {
    /// The person's public id.
    person: String,
    /// signed_up, or waiting when the event is full.
    state: String,
}

/// Signs someone up for an event.
#[utoipa::path(
    post,
    path = "/events/{id}/signups",
    params(("id" = String, Path, description = "The event's id")),
    request_body = SignUp,
    responses(
        (status = 201, description = "Signed up, or on the waiting list", body = SignedUp),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "You may not add people", body = ErrorBody),
        (status = 404, description = "No such event or person of yours", body = ErrorBody),
        (status = 409, description = "The name and email look like someone already recorded", body = ErrorBody),
        (status = 422, description = "A field is not valid; nothing was saved", body = ErrorBody),
    )
)]
pub async fn sign_up(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    asked: Result<Json<SignUp>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<SignedUp>)> {
    let asked = body(asked)?;
    let mut tx = state.db.begin().await?;
    events::find(&mut tx, &who, &id).await?;
    let person = match (asked.person, asked.name, asked.email) {
        (Some(p), None, None) => p,
        (None, Some(name), Some(email)) => {
            let (first, last) = name.trim().rsplit_once(' ').unwrap_or((name.trim(), ""));
            let input = NewPerson {
                values: vec![
                    (Field::Kind, "supporter".into()),
                    (Field::FirstName, first.into()),
                    (Field::LastName, last.into()),
                    (Field::Email, email),
                ],
                allow_duplicate: false,
            };
            match people::add(&mut tx, &who, &state.rules, (state.today)(), input).await {
                Ok(added) => added.public_id,
                // Known by this address and seen by the caller: that is who signs up.
                Err(crate::app::AppError::Duplicate(likely))
                    if likely.len() == 1
                        && likely[0].seen.is_some()
                        && likely[0]
                            .why
                            .contains(&crate::domain::duplicates::Why::SameEmail) =>
                {
                    likely[0].seen.clone().map(|(id, _)| id).unwrap_or_default()
                }
                Err(e) => return Err(e.into()),
            }
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give either person, or name and email".into(),
            ));
        }
    };
    let placed = events::sign_up(&mut tx, &who, &id, &person).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            person,
            state: placed.as_str().into(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The person's public id.
    person: String,
}

/// What the door should know about someone signed in.
#[derive(Serialize, ToSchema)]
pub struct CheckedIn {
    /// Never at any event before.
    first_time: bool,
    /// A member who joined in the last 90 days.
    new_member: bool,
    /// At a members' meeting, under the rules file's rights at the freeze date.
    may_attend: bool,
    may_vote: bool,
    /// Why not, when they may not attend or vote.
    reason: Option<String>,
    person: Member,
}

/// Signs someone in at the door.
#[utoipa::path(
    post,
    path = "/events/{id}/check-ins",
    params(("id" = String, Path, description = "The event's id")),
    request_body = CheckIn,
    responses(
        (status = 200, description = "Signed in", body = CheckedIn),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such event or person of yours", body = ErrorBody),
        (status = 422, description = "The person is not in the event's local party", body = ErrorBody),
    )
)]
pub async fn check_in(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    asked: Result<Json<CheckIn>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<CheckedIn>> {
    let asked = body(asked)?;
    let mut tx = state.db.begin().await?;
    let events::SignedIn {
        person: l, door, ..
    } = events::check_in(&mut tx, &who, &state.rules, &id, &asked.person).await?;
    tx.commit().await?;
    Ok(Json(CheckedIn {
        first_time: door.first_time,
        new_member: door.new_member,
        may_attend: door.may_attend,
        may_vote: door.may_vote,
        reason: door.reason,
        person: Member::of(&l, &state, &who),
    }))
}
