//! The JSON API under `/api/v1`: bearer tokens (`rosette token create`), the same scope and
//! audit as the pages, and the same checks (`domain::forms`). No token: 401; a record
//! outside the token's scope: 404, exactly as if it did not exist.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::auth::ApiUser;
use super::{AppState, WebError};
use crate::app::{audit, members};
use crate::domain::access::Scope;
use crate::domain::fields::consent_field;
use crate::domain::filter::{Cursor, FieldProblem, MemberFilter};
use crate::domain::forms::{ContactInput, PaymentInput};
use crate::store::roster::{self, ListQuery, Listed};
use crate::store::{StoreError, segments, units};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/members", get(list_members))
        .route("/members/{id}", get(get_member).patch(update_member))
        .route(
            "/members/{id}/payments",
            get(list_payments).post(add_payment),
        )
        .route("/units", get(list_units))
        .route("/segments", get(list_segments).post(create_segment))
        .route("/segments/{id}/members", get(segment_members))
        .fallback(|| async { ApiError::NotFound })
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid")]
    Invalid(Vec<FieldProblem>),
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
            other => ApiError::Web(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::NotFound | ApiError::Web(WebError::NotFound) => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "message": "no such record in your scope"}),
            ),
            ApiError::Forbidden | ApiError::Web(WebError::Forbidden) => (
                StatusCode::FORBIDDEN,
                json!({"error": "forbidden", "message": "your role does not allow this"}),
            ),
            ApiError::BadRequest(m) | ApiError::Web(WebError::BadRequest(m)) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "bad_request", "message": m}),
            ),
            ApiError::Invalid(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({
                    "error": "invalid",
                    "message": "some fields are not valid; nothing was saved",
                    "problems": problems.iter().map(|p| json!({"field": p.field, "message": p.message})).collect::<Vec<_>>(),
                }),
            ),
            ApiError::Web(e) => {
                tracing::error!(error = %e, "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "internal", "message": "something went wrong on our side; it has been logged"}),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn item(l: &Listed, state: &AppState) -> Value {
    let today = (state.today)();
    json!({
        "id": l.public_id,
        "membership_number": l.membership_number,
        "first_name": l.first_name,
        "last_name": l.last_name,
        "email": l.email,
        "mobile": l.mobile,
        "phone": l.phone,
        "postcode": l.postcode,
        "branch": l.branch_slug.as_ref().map(|slug| json!({"slug": slug, "name": l.branch_name})),
        "rate": l.rate,
        "status": l.status(&state.rules.status, today).as_str(),
        "kind": l.kind,
        "gender": l.gender,
        "joined_on": l.joined_on,
        "paid_until": l.paid_until,
    })
}

/// What a caller (not an officer) may see of a person: name and phone only.
fn limited_item(l: &Listed) -> Value {
    json!({
        "id": l.public_id,
        "membership_number": l.membership_number,
        "first_name": l.first_name,
        "last_name": l.last_name,
        "mobile": l.mobile,
        "phone": l.phone,
        "branch": l.branch_slug.as_ref().map(|slug| json!({"slug": slug, "name": l.branch_name})),
        "status": Value::Null,
        "kind": l.kind,
        "gender": Value::Null,
    })
}

fn shown(l: &Listed, state: &AppState, scope: &Scope) -> Value {
    if scope.is_officer() {
        item(l, state)
    } else {
        limited_item(l)
    }
}

async fn page_of(
    state: &AppState,
    who: &ApiUser,
    pairs: &[(String, String)],
    filter: &MemberFilter,
    what: &str,
) -> ApiResult {
    let limit = match pairs
        .iter()
        .find(|(k, _)| k == "limit")
        .map(|(_, v)| v.trim())
    {
        None | Some("") => 100,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => {
                return Err(ApiError::Invalid(vec![FieldProblem {
                    field: "limit".into(),
                    message: format!("'{v}' is not a page size from 1 to 500"),
                }]));
            }
        },
    };
    let cursor = match pairs
        .iter()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
    {
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
            ApiError::Invalid(vec![FieldProblem {
                field: "cursor".into(),
                message: "not a cursor this server gave out".into(),
            }])
        })?),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    let q = ListQuery {
        grants: &who.scope.read,
        user_id: who.user.id,
        filter,
        bounds: state.rules.status.bounds((state.today)()),
    };
    let (rows, next) = roster::list(&mut tx, &q, cursor.as_ref(), limit).await?;
    audit::listed(&mut tx, who, "api.member.list", what, &rows).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "items": rows.iter().map(|l| shown(l, state, &who.scope)).collect::<Vec<_>>(),
        "next_cursor": next.map(|c| c.encode()),
    }))
    .into_response())
}

fn pairs_of(raw: Option<String>) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| ApiError::BadRequest("the query string is not valid".into()))
}

async fn list_members(
    State(state): State<AppState>,
    who: ApiUser,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let pairs = pairs_of(raw)?;
    let filter = MemberFilter::parse(&pairs).map_err(ApiError::Invalid)?;
    let what = format!(
        "members ?{}",
        serde_urlencoded::to_string(filter.to_pairs()).unwrap_or_default()
    );
    page_of(&state, &who, &pairs, &filter, &what).await
}

async fn get_member(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    let mut tx = state.db.begin().await?;
    let l = members::find(&mut tx, &who, &id).await?;
    let mut body = shown(&l, &state, &who.scope);
    if who.scope.is_officer()
        && let Some(d) = roster::details(&mut tx, l.person_id).await?
        && let Some(obj) = body.as_object_mut()
    {
        obj.insert("address_line1".into(), json!(d.address_line1));
        obj.insert("address_line2".into(), json!(d.address_line2));
        obj.insert("town".into(), json!(d.town));
        obj.insert("notes".into(), json!(d.notes));
        obj.insert(
            "tags".into(),
            json!(roster::tags(&mut tx, l.person_id).await?),
        );
        obj.insert(
            "consents".into(),
            json!({"email": d.email_consent, "phone": d.phone_consent, "sms": d.sms_consent, "post": d.post_consent}),
        );
    }
    audit::about(&mut tx, &who, &l, "member.view", "via API").await?;
    tx.commit().await?;
    Ok(Json(body).into_response())
}

/// Fields a PATCH may change; absent fields keep their value, `null` clears one.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MemberPatch {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<Option<String>>,
    mobile: Option<Option<String>>,
    phone: Option<Option<String>>,
    address_line1: Option<Option<String>>,
    address_line2: Option<Option<String>>,
    town: Option<Option<String>>,
    postcode: Option<Option<String>>,
    gender: Option<Option<String>>,
    kind: Option<String>,
    notes: Option<Option<String>>,
    email_consent: Option<Option<bool>>,
    phone_consent: Option<Option<bool>>,
    sms_consent: Option<Option<bool>>,
    post_consent: Option<Option<bool>>,
}

async fn update_member(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    body: Result<Json<MemberPatch>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &who, &id).await?;
    let Json(patch) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let d = roster::details(&mut tx, l.person_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let pick =
        |new: Option<Option<String>>, old: Option<String>| new.unwrap_or(old).unwrap_or_default();
    let consent = |new: Option<Option<bool>>, old: Option<bool>| consent_field(new.unwrap_or(old));
    let input = ContactInput {
        first_name: patch.first_name.unwrap_or(l.first_name.clone()),
        last_name: patch.last_name.unwrap_or(l.last_name.clone()),
        email: pick(patch.email, l.email.clone()),
        mobile: pick(patch.mobile, l.mobile.clone()),
        phone: pick(patch.phone, l.phone.clone()),
        address_line1: pick(patch.address_line1, d.address_line1),
        address_line2: pick(patch.address_line2, d.address_line2),
        town: pick(patch.town, d.town),
        postcode: pick(patch.postcode, l.postcode.clone()),
        gender: pick(patch.gender, l.gender.clone()),
        kind: patch.kind.unwrap_or(l.kind.clone()),
        notes: pick(patch.notes, d.notes),
        email_consent: consent(patch.email_consent, d.email_consent),
        phone_consent: consent(patch.phone_consent, d.phone_consent),
        sms_consent: consent(patch.sms_consent, d.sms_consent),
        post_consent: consent(patch.post_consent, d.post_consent),
    };
    let contact = input.check().map_err(ApiError::Invalid)?;
    members::save_contact(&mut tx, &who, &l, &contact).await?;
    let updated = members::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok(Json(item(&updated, &state)).into_response())
}

async fn list_payments(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    if !who.scope.is_officer() {
        return Err(ApiError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let l = members::find(&mut tx, &who, &id).await?;
    let payments = roster::payments(&mut tx, l.membership_id).await?;
    audit::about(&mut tx, &who, &l, "payment.view", "via API").await?;
    tx.commit().await?;
    let items: Vec<Value> = payments
        .iter()
        .map(|p| json!({"id": p.public_id, "paid_on": p.paid_on, "amount_pence": p.amount_pence, "method": p.method, "period_from": p.period_from, "period_to": p.period_to}))
        .collect();
    Ok(Json(json!({"items": items, "next_cursor": Value::Null})).into_response())
}

async fn add_payment(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    body: Result<Json<PaymentInput>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &who, &id).await?;
    let Json(input) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let payment_id =
        members::record_payment(&mut tx, &state.rules, (state.today)(), &who, &l, &input).await?;
    let updated = members::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": payment_id, "member": item(&updated, &state)})),
    )
        .into_response())
}

async fn list_units(State(state): State<AppState>, who: ApiUser) -> ApiResult {
    let mut tx = state.db.begin().await?;
    let mut items = Vec::new();
    for u in units::list(&mut tx).await? {
        if !who.scope.local_parties.contains(&u.id) {
            continue;
        }
        items
            .push(json!({"slug": u.slug, "name": u.name, "kind": u.kind, "parent": u.parent_slug}));
        for b in units::branches(&mut tx, u.id).await? {
            let visible = who.scope.read.iter().any(|g| {
                g.local_party_id == u.id
                    && !matches!(g.reach, crate::domain::access::Reach::Branch(id) if id != b.id)
            });
            if visible {
                items.push(json!({"slug": b.slug, "name": b.name, "kind": b.kind, "parent": b.parent_slug}));
            }
        }
    }
    tx.commit().await?;
    Ok(Json(json!({"items": items, "next_cursor": Value::Null})).into_response())
}

async fn list_segments(State(state): State<AppState>, who: ApiUser) -> ApiResult {
    let mut tx = state.db.begin().await?;
    let list = if who.scope.is_officer() {
        segments::list(&mut tx, &who.scope.local_parties).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(Json(json!({"items": list, "next_cursor": Value::Null})).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSegment {
    name: String,
    query: String,
}

async fn create_segment(
    State(state): State<AppState>,
    who: ApiUser,
    body: Result<Json<NewSegment>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    if !who.scope.is_officer() {
        return Err(ApiError::Forbidden);
    }
    let Some(lp) = who.scope.local_parties.first().copied() else {
        return Err(ApiError::Forbidden);
    };
    let Json(new) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(new.query.trim_start_matches('?')).map_err(|_| {
            ApiError::Invalid(vec![FieldProblem {
                field: "query".into(),
                message: "not a query string".into(),
            }])
        })?;
    let filter = MemberFilter::parse(&pairs).map_err(ApiError::Invalid)?;
    let query = serde_urlencoded::to_string(filter.to_pairs()).unwrap_or_default();
    let mut tx = state.db.begin().await?;
    let segment = match segments::create(&mut tx, lp, &new.name, &query, &who.user.email).await {
        Ok(s) => s,
        Err(StoreError::Invalid(m)) => {
            return Err(ApiError::Invalid(vec![FieldProblem {
                field: "name".into(),
                message: m,
            }]));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(segment)).into_response())
}

async fn segment_members(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let mut tx = state.db.begin().await?;
    let segment = segments::get(&mut tx, &id, &who.scope.local_parties)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let saved: Vec<(String, String)> =
        serde_urlencoded::from_str(&segment.query).unwrap_or_default();
    let filter = MemberFilter::parse(&saved).map_err(ApiError::Invalid)?;
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

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}
