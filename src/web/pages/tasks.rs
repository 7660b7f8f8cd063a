//! Follow-ups: a user's open tasks, marking one done, and giving one about a person.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::tasks as app_tasks;
use crate::domain::calls::TaskKind;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Nav, uk_date};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    nav: Nav,
    tasks: Vec<TaskItem>,
}

/// One open follow-up, as the list shows it.
struct TaskItem {
    id: String,
    kind: &'static str,
    due: String,
    late: bool,
    /// The person's public id.
    person: String,
    name: String,
    notes: String,
}

/// Everyone's own follow-ups, soonest first.
pub async fn my_tasks(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let open = app_tasks::mine(&mut tx, &officer).await?;
    tx.commit().await?;
    Ok(Html(
        TasksPage {
            nav: officer.nav(),
            tasks: open
                .into_iter()
                .map(|t| {
                    let kind = TaskKind::parse(&t.kind).map_or("Follow up", TaskKind::label);
                    TaskItem {
                        id: t.public_id,
                        kind,
                        due: uk_date(&t.due_on),
                        late: t.due_on < today,
                        person: t.person_public_id,
                        name: format!("{} {}", t.first_name, t.last_name),
                        notes: t.notes.unwrap_or_default(),
                    }
                })
                .collect(),
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct DoneForm {
    #[serde(default)]
    note: String,
}

pub async fn task_done(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<DoneForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_tasks::done(&mut tx, &officer, &id, &form.note).await?;
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
    let new = app_tasks::NewTask {
        kind: form.kind,
        assignee: form.assignee,
        due_on: form.due_on,
        notes: form.notes,
    };
    let mut tx = state.db.begin().await?;
    app_tasks::give(&mut tx, &officer, (state.today)(), &id, &new).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}?saved=task")).into_response())
}
