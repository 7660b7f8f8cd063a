//! The JSON API under `/api/v1`: bearer tokens (`rosette token create`), the same scope,
//! audit and checks as the pages, through the same service functions (`crate::app`). No
//! token: 401; a record outside the token's scope: 404, exactly as if it did not exist.
//!
//! The OpenAPI document is generated from the handlers' `#[utoipa::path]` attributes and
//! the typed bodies below, and each route is registered together with its document entry
//! (`utoipa_axum::routes!`), so a route cannot be served without being described.

mod eligibility;
mod emails;
mod events;
mod journeys;
mod members;
mod organisations;
mod segments;
mod surveys;
mod units;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Required};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, WebError};
use crate::domain::filter::{Cursor, FieldProblem, KEYS};
use crate::store::StoreError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rosette API",
        version = "1",
        description = "Members, units, segments and payments of the local parties the token's user holds roles in. Every call is limited to the user's scope and written to the audit log."
    ),
    servers((url = "/api/v1")),
    modifiers(&Bearer),
    security(("bearer" = []))
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut Document) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("A token from `rosette token create --email E`"))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The API's routes and the document that describes them, built from one list.
fn parts() -> (Router<AppState>, Document) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(members::list, members::create))
        .routes(routes!(members::move_member))
        .routes(routes!(members::get, members::update))
        .routes(routes!(members::payments, members::add_payment))
        .routes(routes!(units::list))
        .routes(routes!(segments::list, segments::create))
        .routes(routes!(segments::members))
        .routes(routes!(eligibility::list))
        .routes(routes!(emails::create))
        .routes(routes!(emails::get))
        .routes(routes!(emails::send))
        .routes(routes!(events::create, events::list))
        .routes(routes!(events::people))
        .routes(routes!(events::sign_up))
        .routes(routes!(events::check_in))
        .routes(routes!(journeys::list))
        .routes(routes!(journeys::runs))
        .routes(routes!(journeys::take_off))
        .routes(routes!(organisations::list, organisations::create))
        .routes(routes!(organisations::get))
        .routes(routes!(surveys::list, surveys::create))
        .routes(routes!(surveys::results))
        .routes(routes!(surveys::answers))
        .split_for_parts()
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn document() -> Document {
    parts().1
}

pub fn router() -> Router<AppState> {
    let (routes, doc) = parts();
    let body: Arc<str> = doc
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        .into();
    routes
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let body = body.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body.to_string(),
                    )
                }
            }),
        )
        .fallback(|| async { ApiError::NotFound })
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid")]
    Invalid(Vec<FieldProblem>),
    #[error("duplicate")]
    Duplicate(Vec<crate::app::people::Likely>),
    #[error(transparent)]
    Web(#[from] WebError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Web(WebError::Store(e))
    }
}

impl From<crate::app::AppError> for ApiError {
    fn from(e: crate::app::AppError) -> Self {
        match e {
            crate::app::AppError::Invalid(problems) => ApiError::Invalid(problems),
            crate::app::AppError::Duplicate(likely) => ApiError::Duplicate(likely),
            other => ApiError::Web(other.into()),
        }
    }
}

/// Every error the API answers with.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// `not_found`, `forbidden`, `bad_request`, `unauthorized`, `invalid`, `duplicate`,
    /// `too_many` or `internal`.
    error: &'static str,
    /// What went wrong, for a person to read.
    message: String,
    /// With `invalid`: each field that was wrong and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<Problem>,
    /// With `duplicate`: who the new person looks like.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    duplicates: Vec<Duplicate>,
}

/// Someone already recorded whom a new person looks like. Id, number and name are null
/// when they are outside your scope.
#[derive(Serialize, ToSchema)]
pub struct Duplicate {
    id: Option<String>,
    membership_number: Option<String>,
    name: Option<String>,
    /// same_email, same_name_and_postcode or same_phone_and_surname.
    why: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct Problem {
    field: String,
    message: String,
}

impl ErrorBody {
    pub fn new(error: &'static str, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error,
            message: message.into(),
            problems: Vec::new(),
            duplicates: Vec::new(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::NotFound | ApiError::Web(WebError::NotFound) => (
                StatusCode::NOT_FOUND,
                ErrorBody::new("not_found", "no such record in your scope"),
            ),
            ApiError::Web(WebError::Forbidden) => (
                StatusCode::FORBIDDEN,
                ErrorBody::new("forbidden", "your role does not allow this"),
            ),
            ApiError::Web(WebError::TooMany) => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorBody::new("too_many", "too many attempts: wait an hour and try again"),
            ),
            ApiError::BadRequest(m) | ApiError::Web(WebError::BadRequest(m)) => {
                (StatusCode::BAD_REQUEST, ErrorBody::new("bad_request", m))
            }
            ApiError::Invalid(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorBody {
                    error: "invalid",
                    message: "some fields are not valid; nothing was saved".into(),
                    problems: problems
                        .into_iter()
                        .map(|p| Problem {
                            field: p.field,
                            message: p.message,
                        })
                        .collect(),
                    duplicates: Vec::new(),
                },
            ),
            ApiError::Duplicate(likely) => (
                StatusCode::CONFLICT,
                ErrorBody {
                    error: "duplicate",
                    message: "this looks like someone already recorded; nothing was saved. Send allow_duplicate: true if it is someone else".into(),
                    problems: Vec::new(),
                    duplicates: likely
                        .into_iter()
                        .map(|l| {
                            let (id, name) = l.seen.unzip();
                            Duplicate {
                                id,
                                name,
                                membership_number: l.membership_number,
                                why: l.why.iter().map(|w| w.code()).collect(),
                            }
                        })
                        .collect(),
                },
            ),
            ApiError::Web(e) => {
                tracing::error!(error = %e, "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorBody::new(
                        "internal",
                        "something went wrong on our side; it has been logged",
                    ),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// A page of a list: the items and, when there are more, the cursor for the next page.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The whole list on one page.
    fn all(items: Vec<T>) -> Page<T> {
        Page {
            items,
            next_cursor: None,
        }
    }
}

/// The query string as pairs, keys repeated as given.
fn pairs_of(raw: Option<String>) -> ApiResult<Vec<(String, String)>> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| ApiError::BadRequest("the query string is not valid".into()))
}

/// How much of a list to send: `limit` (1 to 500, 100 by default) from `cursor`.
struct Paging {
    limit: u64,
    cursor: Option<Cursor>,
}

const MAX_LIMIT: u64 = 500;
const DEFAULT_LIMIT: u64 = 100;

impl Paging {
    fn read(pairs: &[(String, String)]) -> ApiResult<Paging> {
        let value = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let given = pairs
            .iter()
            .find(|(k, _)| k == "limit")
            .map(|(_, v)| v.trim());
        let limit = match given {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::Invalid(vec![FieldProblem {
                        field: "limit".into(),
                        message: format!("'{v}' is not a page size from 1 to {MAX_LIMIT}"),
                    }]));
                }
            },
        };
        let cursor = match value("cursor") {
            Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
                ApiError::Invalid(vec![FieldProblem {
                    field: "cursor".into(),
                    message: "not a cursor this server gave out".into(),
                }])
            })?),
            None => None,
        };
        Ok(Paging { limit, cursor })
    }

    fn parameters() -> Vec<Parameter> {
        vec![
            query_parameter(
                "limit",
                "How many to send, 1 to 500 (100 if not given)",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(MAX_LIMIT as f64))
                    .into(),
                false,
            ),
            query_parameter(
                "cursor",
                "next_cursor from the previous page",
                ObjectBuilder::new().schema_type(Type::String).into(),
                false,
            ),
        ]
    }
}

fn query_parameter(
    name: &str,
    about: &str,
    schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    repeats: bool,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(about))
        .schema(Some(schema))
        .explode(repeats.then_some(true))
        .build()
}

/// The query parameters of a page of members: paging, then the member list's filters
/// (taken from `domain::filter::KEYS`, the list the filter itself reads).
struct MemberListParams;

impl utoipa::IntoParams for MemberListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = Paging::parameters();
        for k in KEYS {
            let text = ObjectBuilder::new().schema_type(Type::String);
            let schema = if k.repeats {
                ArrayBuilder::new().items(text).into()
            } else {
                text.into()
            };
            params.push(query_parameter(k.name, k.about, schema, k.repeats));
        }
        params
    }
}

/// The query parameters of a page of a list with no filters of its own.
struct PageParams;

impl utoipa::IntoParams for PageParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        Paging::parameters()
    }
}

/// A JSON body that could not be read is a 400 saying why, in the API's own shape.
fn body<T>(b: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> ApiResult<T> {
    b.map(|Json(t)| t)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}
