//! `/emails`: emails to members, drafted for a segment or a filter, sent through the job
//! queue, and their figures.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiResult, ErrorBody, body};
use crate::app::emails::{self, Draft, Figures};
use crate::domain::filter::FieldProblem;
use crate::web::AppState;
use crate::web::auth::ApiUser;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEmail {
    /// One line, up to 200 characters; may use merge fields.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    subject: String,
    /// Markdown or plain text with merge fields: `{{ first_name }}`, `{{ last_name }}`,
    /// `{{ membership_number }}`, `{{ branch }}`, `{{ paid_until }}`, `{{ local_party }}`,
    /// `{{ unsubscribe_url }}`, `{{ preferences_url }}`. An unknown name is an error.
    #[schema(min_length = 1, max_length = 100000, pattern = "\\S")]
    body: String,
    /// `campaign` (only to people who agreed to email) or `notice` (a members' notice, to
    /// everyone with the right to members' communications).
    #[schema(pattern = "^(campaign|notice)$")]
    purpose: String,
    /// A saved segment's id. Give this or `filter`.
    segment: Option<String>,
    /// The member list's filters as a query string, e.g. `status=in_arrears`.
    filter: Option<String>,
    /// The name the email comes from; the local party's setting if left out.
    sender_name: Option<String>,
    /// Where replies go; the local party's setting if left out.
    reply_to: Option<String>,
}

/// An email and its figures.
#[derive(Serialize, ToSchema)]
pub struct Email {
    id: String,
    subject: String,
    purpose: String,
    /// `draft`, `scheduled`, `sending`, `sent` or `cancelled`.
    state: String,
    /// Who it is (or was) sent to: for a draft, who sending now would reach.
    recipients: i64,
    /// Those in the audience it does not reach, by reason: `no_address`, `no_consent`,
    /// `unsubscribed`, `bounced`, `not_entitled`, `same_address`.
    skipped: BTreeMap<String, i64>,
    queued: i64,
    sent: i64,
    /// Could not be delivered, for a reason other than a bounce.
    failed: i64,
    /// Refused by the recipient's server, at once or in a bounce read later.
    bounced: i64,
    /// Handed over when the sender stopped, so not known to have gone; never resent.
    unknown: i64,
    cancelled: i64,
    /// Recipients who unsubscribed through this email's link.
    unsubscribed: i64,
}

fn shown(e: &crate::store::emails::Email, f: &Figures) -> Email {
    Email {
        id: e.public_id.clone(),
        subject: e.subject.clone(),
        purpose: e.purpose.clone(),
        state: e.state.clone(),
        recipients: f.recipients,
        skipped: f
            .skipped
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), *n))
            .collect(),
        queued: f.queued,
        sent: f.sent,
        failed: f.failed,
        bounced: f.bounced,
        unknown: f.unknown,
        cancelled: f.cancelled,
        unsubscribed: f.unsubscribed,
    }
}

/// Drafts an email for a segment or a filter, within the user's scope, and says whom it
/// would reach and why the others would not get it.
#[utoipa::path(
    post,
    path = "/emails",
    request_body = NewEmail,
    responses(
        (status = 201, description = "Drafted; not sent until `/emails/{id}/send`", body = Email),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Callers do not send email", body = ErrorBody),
        (status = 422, description = "A field is wrong: the template (with its line), the purpose, the audience", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    new: Result<Json<NewEmail>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Email>)> {
    let new = body(new)?;
    let audience = match (new.segment.as_deref(), new.filter.as_deref()) {
        (Some(s), None) => format!("segment:{s}"),
        (None, Some(f)) => f.trim_start_matches('?').to_string(),
        _ => {
            return Err(ApiError::Invalid(vec![FieldProblem {
                field: "segment".into(),
                message: "give either a segment id or a filter, not both or neither".into(),
            }]));
        }
    };
    let draft = Draft {
        subject: new.subject,
        body: new.body,
        purpose: new.purpose,
        audience,
        sender_name: new.sender_name.unwrap_or_default(),
        reply_to: new.reply_to.unwrap_or_default(),
        ..Draft::default()
    };
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let id = emails::create(&mut tx, &who, &draft).await?;
    let shown_now = emails::show(&mut tx, &who, &state.rules, today, &id, false).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(shown(&shown_now.email, &shown_now.figures)),
    ))
}

/// An email's state and figures.
#[utoipa::path(
    get,
    path = "/emails/{id}",
    params(("id" = String, Path, description = "The email's id")),
    responses(
        (status = 200, description = "The email", body = Email),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such email in your local parties", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Email>> {
    let mut tx = state.db.begin().await?;
    let s = emails::show(&mut tx, &who, &state.rules, (state.today)(), &id, false).await?;
    tx.commit().await?;
    Ok(Json(shown(&s.email, &s.figures)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SendAt {
    /// When to send (RFC 3339); now if left out or past.
    at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Sends a draft now or at a time: its audience is decided now, and each person's
/// consent is checked again as their message goes.
#[utoipa::path(
    post,
    path = "/emails/{id}/send",
    params(("id" = String, Path, description = "The email's id")),
    request_body(content = SendAt, description = "Optional: when to send"),
    responses(
        (status = 202, description = "Queued; `GET /emails/{id}` follows its progress", body = Email),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such email in your local parties", body = ErrorBody),
        (status = 422, description = "Sent already, or a campaign while the local party has no imprint", body = ErrorBody),
    )
)]
pub async fn send(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    when: Result<Option<Json<SendAt>>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Email>)> {
    let at = when
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
        .and_then(|Json(w)| w.at);
    let mut tx = state.db.begin().await?;
    let figures = emails::send(&mut tx, &who, &state.rules, (state.today)(), &id, at).await?;
    let email = emails::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(shown(&email, &figures))))
}
