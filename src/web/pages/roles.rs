//! The Secretary's page of roles: who holds which, inviting someone to one, removing one,
//! and the local party's settings. Limited to the parties the Secretary holds that role for.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::app::officers::{OfficerError, add_officer};
use crate::domain::{Role, UnitKind};
use crate::store::accounts;
use crate::store::{Mode, Tx, audit, units};
use crate::web::auth::{NoFields, Officer, Posted, mail_folder};
use crate::web::view::{Choice, Nav};
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

/// The units a Secretary can give roles for: their local parties and those parties' branches.
async fn unit_choices(
    tx: &mut Tx<impl Mode>,
    parties: &[i64],
    picked: &str,
) -> Result<Vec<(Choice, i64, UnitKind)>, WebError> {
    let mut out = Vec::new();
    for u in units::list(tx).await? {
        let Some(kind) = UnitKind::parse(&u.kind) else {
            continue;
        };
        if kind == UnitKind::LocalParty && parties.contains(&u.id) {
            out.push((
                Choice {
                    picked: u.slug == picked,
                    value: u.slug.clone(),
                    label: u.name.clone(),
                },
                u.id,
                kind,
            ));
            for b in units::branches(tx, u.id).await? {
                out.push((
                    Choice {
                        picked: b.slug == picked,
                        value: b.slug.clone(),
                        label: format!("{} — {}", u.name, b.name),
                    },
                    b.id,
                    UnitKind::Branch,
                ));
            }
        }
    }
    Ok(out)
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
    let units = unit_choices(&mut tx, &officer.scope.assigns_roles, &form.unit).await?;
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
        units: units.into_iter().map(|(c, _, _)| c).collect(),
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
    if officer.scope.assigns_roles.is_empty() {
        return Err(WebError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let units = unit_choices(&mut tx, &officer.scope.assigns_roles, &form.unit).await?;
    let error = match Role::parse(&form.role) {
        None => Err("Role: choose one of the roles".to_string()),
        Some(_) if !units.iter().any(|(c, _, _)| c.value == form.unit) => {
            Err("For: choose your local party or one of its branches".to_string())
        }
        Some(role) => {
            let added = add_officer(
                &mut tx,
                &form.email,
                &form.name,
                role,
                &form.unit,
                None,
                &state.config.public_url,
                officer.actor(),
            )
            .await;
            match added {
                Ok(a) => Ok((a, role)),
                Err(OfficerError::Invalid(m)) => Err(m.replace("--", "")),
                Err(OfficerError::Password(p)) => Err(p.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match error {
        Err(message) => {
            drop(tx);
            render_roles(&state, &officer, form, Some(message), None).await
        }
        Ok((added, role)) => {
            tx.commit().await?;
            let notice = if added.invitation.is_some() {
                format!(
                    "{} is now {} and has been sent an invitation to choose a password.",
                    added.user.name,
                    role.label()
                )
            } else {
                format!("{} is now {} as well.", added.user.name, role.label())
            };
            render_roles(&state, &officer, InviteForm::default(), None, Some(notice)).await
        }
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
    if officer.scope.assigns_roles.is_empty() {
        return Err(WebError::Forbidden);
    }
    let on = form.require == "yes";
    let mut tx = state.db.begin().await?;
    for lp in &officer.scope.assigns_roles {
        units::set_requires_second_factor(&mut tx, *lp, on).await?;
        audit::record(
            &mut tx,
            audit::Note {
                actor: officer.actor(),
                local_party_id: Some(*lp),
                action: "settings.second_factor",
                subject: "two-step sign-in",
                detail: if on {
                    "required of officers who see every member"
                } else {
                    "optional"
                },
                people: &[],
            },
        )
        .await?;
    }
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
    if officer.scope.assigns_roles.is_empty() {
        return Err(WebError::Forbidden);
    }
    let days = match form.days.trim().parse::<u32>() {
        Ok(d) if (1..=92).contains(&d) => d,
        _ => {
            return render_roles(
                &state,
                &officer,
                InviteForm::default(),
                Some("Report period: give a number of days from 1 to 92.".into()),
                None,
            )
            .await;
        }
    };
    let mut tx = state.db.begin().await?;
    for lp in &officer.scope.assigns_roles {
        units::set_report_period_days(&mut tx, *lp, Some(days)).await?;
        audit::record(
            &mut tx,
            audit::Note {
                actor: officer.actor(),
                local_party_id: Some(*lp),
                action: "settings.report_period",
                subject: "action report period",
                detail: &format!("{days} days"),
                people: &[],
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to("/roles").into_response())
}

pub async fn remove_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    if officer.scope.assigns_roles.is_empty() {
        return Err(WebError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let rows = accounts::roles_in(&mut tx, &officer.scope.assigns_roles).await?;
    let Some(row) = rows.iter().find(|r| r.public_id == id) else {
        return Err(WebError::NotFound);
    };
    if row.email == officer.user.email && row.role == Role::Secretary.name() {
        return Err(WebError::BadRequest(
            "You cannot remove your own Secretary role; ask another Secretary to.".into(),
        ));
    }
    accounts::unassign(&mut tx, &id, &officer.scope.assigns_roles).await?;
    audit::record(
        &mut tx,
        audit::Note {
            actor: officer.actor(),
            local_party_id: officer.scope.assigns_roles.first().copied(),
            action: "role.remove",
            subject: &row.user_public_id,
            detail: &format!("{} no longer {} for {}", row.email, row.role, row.unit_slug),
            people: &[],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/roles").into_response())
}
