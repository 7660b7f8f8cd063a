//! `/organisations`: the stakeholder organisations you work with, recording one, and one
//! with its contacts and what passed between us.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiResult, ErrorBody, Page, body};
use crate::app::organisations::{self, OrgInput};
use crate::store::organisations::Stored;
use crate::web::AppState;
use crate::web::auth::ApiUser;

/// An organisation to record. Any other field is refused (400).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// womens_organisation, union_branch, community_group, faith_group, campaign or other.
    kind: String,
    /// The slug of a unit you organise for: its organisers work with it.
    unit: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    notes: Option<String>,
}

/// An organisation.
#[derive(Serialize, ToSchema)]
pub struct OrganisationOut {
    id: String,
    name: String,
    kind: String,
    /// The slug of the unit whose organisers work with it.
    unit: String,
    notes: Option<String>,
}

impl From<Stored> for OrganisationOut {
    fn from(o: Stored) -> OrganisationOut {
        OrganisationOut {
            id: o.public_id,
            name: o.name,
            kind: o.kind,
            unit: o.unit_slug,
            notes: o.notes,
        }
    }
}

/// The organisations you work with, by name.
#[utoipa::path(
    get,
    path = "/organisations",
    responses(
        (status = 200, description = "Every organisation you work with, on one page", body = Page<OrganisationOut>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Callers work with no organisations", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    who: ApiUser,
) -> ApiResult<Json<Page<OrganisationOut>>> {
    let mut tx = state.db.begin_read().await?;
    let found = organisations::list(&mut tx, &who).await?;
    tx.commit().await?;
    Ok(Json(Page::all(found.into_iter().map(Into::into).collect())))
}

/// Records an organisation for a unit you organise for.
#[utoipa::path(
    post,
    path = "/organisations",
    request_body = NewOrganisation,
    responses(
        (status = 201, description = "Recorded", body = OrganisationOut),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "You organise for no unit", body = ErrorBody),
        (status = 422, description = "A field is not valid; nothing was saved", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    new: Result<Json<NewOrganisation>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<OrganisationOut>)> {
    let new = body(new)?;
    let input = OrgInput {
        unit: new.unit,
        name: new.name,
        kind: new.kind,
        notes: new.notes.unwrap_or_default(),
    };
    let mut tx = state.db.begin().await?;
    let id = organisations::create(&mut tx, &who, &input, Utc::now()).await?;
    let made = organisations::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// A contact at an organisation.
#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    /// The person's id.
    person: String,
    first_name: String,
    last_name: String,
    role: Option<String>,
    email: Option<String>,
    /// Whether they agreed to email: true, false, or null when never asked.
    email_consent: Option<bool>,
    phone: Option<String>,
}

/// A meeting, joint event or speaker exchanged.
#[derive(Serialize, ToSchema)]
pub struct DealingOut {
    /// meeting, joint_event, speaker_from_them or speaker_to_them.
    kind: String,
    on: NaiveDate,
    note: Option<String>,
    /// The joint event's id.
    event: Option<String>,
    recorded_by: String,
}

/// An organisation with its contacts and dealings.
#[derive(Serialize, ToSchema)]
pub struct OrganisationDetail {
    organisation: OrganisationOut,
    contacts: Vec<ContactOut>,
    dealings: Vec<DealingOut>,
}

/// One organisation you work with, its contacts (audited, naming each) and what passed
/// between us, latest first.
#[utoipa::path(
    get,
    path = "/organisations/{id}",
    params(("id" = String, Path, description = "The organisation's id")),
    responses(
        (status = 200, description = "The organisation", body = OrganisationDetail),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such organisation among those you work with", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrganisationDetail>> {
    let mut tx = state.db.begin().await?;
    let o = organisations::open(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok(Json(OrganisationDetail {
        organisation: o.organisation.into(),
        contacts: o
            .contacts
            .into_iter()
            .map(|c| ContactOut {
                person: c.person.public_id,
                first_name: c.person.first_name,
                last_name: c.person.last_name,
                role: c.role,
                email: c.person.email,
                email_consent: c.person.email_consent,
                phone: c.person.mobile.or(c.person.phone),
            })
            .collect(),
        dealings: o
            .dealings
            .into_iter()
            .map(|d| DealingOut {
                kind: d.kind,
                on: d.on_date,
                note: d.note,
                event: d.event_public_id,
                recorded_by: d.recorded_by,
            })
            .collect(),
    }))
}
