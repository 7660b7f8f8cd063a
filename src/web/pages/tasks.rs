//! Follow-ups: a user's open tasks, marking one done, and giving one about a person.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::audit as app_audit;
use crate::domain::calls::TaskKind;
use crate::domain::dates::parse_date;
use crate::store::roster::{self};
use crate::store::{accounts, audit, tasks};
use crate::web::auth::{NoFields, Officer, Posted};
use crate::web::view::{Nav, uk_date};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    nav: Nav,
    tasks: Vec<(String, &'static str, String, bool, String, String, String)>,
}

/// Everyone's own follow-ups, soonest first.
pub async fn my_tasks(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let open = tasks::mine(&mut tx, officer.user.id).await?;
    let named: Vec<(i64, i64)> = open
        .iter()
        .map(|t| (t.local_party_id, t.person_id))
        .collect();
    app_audit::people(&mut tx, &officer, "task.list", "my tasks", &named).await?;
    tx.commit().await?;
    Ok(Html(
        TasksPage {
            nav: officer.nav(),
            tasks: open
                .into_iter()
                .map(|t| {
                    let kind = TaskKind::parse(&t.kind).map_or("Follow up", TaskKind::label);
                    (
                        t.public_id,
                        kind,
                        uk_date(&t.due_on),
                        t.due_on < today,
                        t.person_public_id,
                        format!("{} {}", t.first_name, t.last_name),
                        t.notes.unwrap_or_default(),
                    )
                })
                .collect(),
        }
        .render()?,
    ))
}

pub async fn task_done(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let Some((person, lp)) = tasks::complete(&mut tx, &id, officer.user.id).await? else {
        return Err(WebError::NotFound);
    };
    audit::record(
        &mut tx,
        audit::Note {
            actor: officer.actor(),
            local_party_id: Some(lp),
            action: "task.done",
            subject: &id,
            detail: "",
            people: &[person],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/tasks").into_response())
}

#[derive(serde::Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    notes: String,
}

/// A follow-up made by hand on a member's page.
pub async fn add_task(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<TaskForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = roster::get(&mut tx, &officer.scope.write, officer.user.id, &id)
        .await?
        .ok_or(WebError::NotFound)?;
    let kind = TaskKind::parse(&form.kind)
        .ok_or_else(|| WebError::BadRequest("Choose what the follow-up is.".into()))?;
    let Some(assignee) = accounts::role_holder(&mut tx, l.local_party_id, &form.assignee).await?
    else {
        return Err(WebError::BadRequest(
            "Give the follow-up to someone with a role in the local party.".into(),
        ));
    };
    let due_on = if form.due_on.trim().is_empty() {
        (state.today)()
    } else {
        parse_date(&form.due_on).map_err(|e| WebError::BadRequest(format!("Due: {e}")))?
    };
    let notes = (!form.notes.trim().is_empty()).then(|| form.notes.trim().to_string());
    tasks::create(
        &mut tx,
        &tasks::NewTask {
            local_party_id: l.local_party_id,
            person_id: l.person_id,
            kind: kind.as_str(),
            assignee_id: assignee.id,
            due_on,
            notes: notes.as_deref(),
            by: officer.actor(),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Note {
            actor: officer.actor(),
            local_party_id: Some(l.local_party_id),
            action: "task.create",
            subject: &l.public_id,
            detail: &format!("{} for {} by {due_on}", kind.as_str(), assignee.email),
            people: &[l.person_id],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}?saved=task")).into_response())
}
