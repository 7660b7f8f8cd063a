//! The Secretary's page of roles: who holds which, inviting someone to one, removing one,
//! and the local party's settings. Limited to the parties the Secretary holds that role for.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::{AppError, officers as app_officers};
use crate::domain::Role;
use crate::store::accounts;
use crate::store::units;
use crate::web::auth::{NoFields, Officer, Posted, mail_folder};
use crate::web::view::{Choice, Nav, in_words};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    nav: Nav,
    roles: Vec<accounts::RoleRow>,
    second_factor_required: bool,
    report_days: u32,
    role_choices: Vec<Choice>,
    units: Vec<Choice>,
    error: Option<String>,
    notice: Option<String>,
    mail_folder: Option<String>,
    form: InviteForm,
}

async fn render_roles(
    state: &AppState,
    officer: &Officer,
    form: InviteForm,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    if officer.scope.assigns_roles.is_empty() && officer.scope.local_parties.is_empty() {
        return Err(WebError::Forbidden);
    }
    let parties = if officer.scope.assigns_roles.is_empty() {
        // Officers other than the Secretary may see who holds roles, read-only.
        officer.scope.local_parties.clone()
    } else {
        officer.scope.assigns_roles.clone()
    };
    if !officer.scope.is_officer() {
        return Err(WebError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let roles = accounts::roles_in(&mut tx, &parties).await?;
    let second_factor_required = units::requires_second_factor(&mut tx, &parties).await?;
    let report_days = match parties.first() {
        Some(lp) => crate::app::report::period_days(&mut tx, &state.rules, *lp)
            .await
            .map_err(|e| WebError::BadRequest(e.to_string()))?,
        None => state.rules.report.period_days,
    };
    let units = app_officers::role_units(&mut tx, officer).await?;
    tx.commit().await?;
    let page = RolesPage {
        nav: officer.nav(),
        roles,
        second_factor_required,
        report_days,
        role_choices: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.name().into(),
                label: r.label().into(),
                picked: r.name() == form.role,
            })
            .collect(),
        units: units
            .into_iter()
            .map(|u| Choice {
                picked: u.slug == form.unit,
                value: u.slug,
                label: u.label,
            })
            .collect(),
        error,
        notice,
        mail_folder: mail_folder(state),
        form,
    };
    crate::web::render(&page, page.error.is_some())
}

pub async fn roles_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, WebError> {
    render_roles(&state, &officer, InviteForm::default(), None, None).await
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct InviteForm {
    pub email: String,
    pub name: String,
    pub role: String,
    pub unit: String,
}

pub async fn invite(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<InviteForm>,
) -> Result<Response, WebError> {
    let invitee = app_officers::Invitee {
        email: form.email.clone(),
        name: form.name.clone(),
        role: form.role.clone(),
        unit: form.unit.clone(),
    };
    let mut tx = state.db.begin().await?;
    match app_officers::invite(&mut tx, &officer, &invitee, &state.config.public_url).await {
        Ok((added, role)) => {
            tx.commit().await?;
            // Say what really happened to the invitation: a server without a mail server
            // only writes it to a folder, and someone has to pass it on.
            let notice = match (&added.invitation, mail_folder(&state)) {
                (Some(_), Some(folder)) => format!(
                    "{} is now {}. No mail server is set up, so their invitation to choose a password is waiting in {folder}: send it to {} yourself.",
                    added.user.name,
                    role.label(),
                    added.user.email
                ),
                (Some(_), None) => format!(
                    "{} is now {}, and an invitation to choose a password is on its way to {}.",
                    added.user.name,
                    role.label(),
                    added.user.email
                ),
                (None, _) => format!("{} is now {} as well.", added.user.name, role.label()),
            };
            render_roles(&state, &officer, InviteForm::default(), None, Some(notice)).await
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            render_roles(&state, &officer, form, Some(in_words(&problems)), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct RequireForm {
    #[serde(default)]
    require: String,
}

/// The Secretary's switch: officers who see every member must use two-step sign-in.
pub async fn require_two_factor(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<RequireForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_officers::require_second_factor(&mut tx, &officer, form.require == "yes").await?;
    tx.commit().await?;
    Ok(Redirect::to("/roles").into_response())
}

#[derive(serde::Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    days: String,
}

/// The Secretary's setting: how many days each Membership Action Report covers.
pub async fn report_period(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<PeriodForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match app_officers::set_report_period(&mut tx, &officer, &form.days).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/roles").into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let error = Some(in_words(&problems));
            render_roles(&state, &officer, InviteForm::default(), error, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_officers::remove_role(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/roles").into_response())
}
