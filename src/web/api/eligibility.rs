//! `/eligibility`: who in a unit may exercise a right from the rules file, and why not.

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiResult, ErrorBody, Page};
use crate::app::eligibility::{self, Asked};
use crate::domain::dates::parse_date;
use crate::domain::filter::FieldProblem;
use crate::web::AppState;
use crate::web::auth::ApiUser;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EligibilityParams {
    /// A right's name in the rules file: attend_meetings, vote_at_meetings,
    /// vote_in_selections, …
    right: String,
    /// A local party or branch slug; the user's first local party if left out.
    unit: Option<String>,
    /// The day statuses are read on (YYYY-MM-DD); today if left out.
    as_of: Option<String>,
    /// The freeze date continuous membership is measured at; `as_of` if left out.
    freeze: Option<String>,
}

/// One person and whether they may.
#[derive(Serialize, ToSchema)]
pub struct Eligibility {
    /// The person's public id.
    id: String,
    membership_number: String,
    first_name: String,
    last_name: String,
    eligible: bool,
    /// Why not, in words; empty when eligible.
    reason: String,
}

/// Everyone in the unit the user may see, checked for the right.
#[utoipa::path(
    get,
    path = "/eligibility",
    params(EligibilityParams),
    responses(
        (status = 200, description = "Everyone on one page, by name", body = Page<Eligibility>),
        (status = 400, description = "The query string cannot be read", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Callers do not list rights", body = ErrorBody),
        (status = 422, description = "An unknown right or unit, or a date that is not one", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    who: ApiUser,
    params: Result<Query<EligibilityParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Page<Eligibility>>> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let date = |field: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| {
                parse_date(t).map_err(|message| {
                    ApiError::Invalid(vec![FieldProblem {
                        field: field.into(),
                        message: message.to_string(),
                    }])
                })
            })
            .transpose()
    };
    let as_of = date("as_of", &p.as_of)?.unwrap_or_else(state.today);
    let freeze = date("freeze", &p.freeze)?;
    let mut tx = state.db.begin().await?;
    let unit = match p.unit {
        Some(u) => u,
        None => eligibility::units_for(&mut tx, &who)
            .await?
            .into_iter()
            .next()
            .map(|(slug, _)| slug)
            .unwrap_or_default(),
    };
    let asked = Asked {
        unit: &unit,
        right: &p.right,
        as_of,
        freeze,
    };
    let rows = eligibility::for_officer(&mut tx, &who, &state.rules, &asked).await?;
    tx.commit().await?;
    Ok(Json(Page::all(
        rows.into_iter()
            .map(|r| Eligibility {
                id: r.public_id,
                membership_number: r.membership_number,
                first_name: r.first_name,
                last_name: r.last_name,
                eligible: r.eligible,
                reason: r.reason,
            })
            .collect(),
    )))
}
