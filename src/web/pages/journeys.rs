//! Journeys: the list, a journey's board (who is at which step), taking someone off, and
//! changing a journey's steps.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::app::AppError;
use crate::app::journeys;
use crate::domain::journeys::Trigger;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Nav, Problems, uk_date};
use crate::web::{AppState, WebError};

struct Line {
    id: String,
    name: String,
    /// The branch it is for; empty for the whole local party.
    unit: String,
    trigger: &'static str,
    active: bool,
    steps: Vec<String>,
}

#[derive(Template)]
#[template(path = "journeys.html")]
struct ListPage {
    nav: Nav,
    journeys: Vec<Line>,
}

fn trigger_words(code: &str) -> &'static str {
    Trigger::parse(code).map_or("", Trigger::label)
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let found = journeys::list(&mut tx, &officer).await?;
    tx.commit().await?;
    let journeys = found
        .into_iter()
        .map(|j| Line {
            unit: j.unit.map(|(_, name)| name).unwrap_or_default(),
            id: j.journey.public_id,
            name: j.journey.name,
            trigger: trigger_words(&j.journey.trigger),
            active: j.journey.active,
            steps: j.steps.iter().map(|s| s.in_words()).collect(),
        })
        .collect();
    Ok(Html(
        ListPage {
            nav: officer.nav(),
            journeys,
        }
        .render()?,
    ))
}

struct Person {
    id: String,
    name: String,
    /// When their next step is due, or what was done last.
    said: String,
}

struct Stage {
    step: String,
    people: Vec<Person>,
}

#[derive(Template)]
#[template(path = "journey.html")]
struct BoardPage {
    nav: Nav,
    id: String,
    name: String,
    trigger: &'static str,
    active: bool,
    may_change: bool,
    stages: Vec<Stage>,
    done: Vec<Person>,
    stopped: Vec<Person>,
    error: Option<String>,
}

async fn board_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    error: Option<String>,
) -> Result<BoardPage, WebError> {
    let mut tx = state.db.begin().await?;
    let b = journeys::board(&mut tx, officer, id).await?;
    tx.commit().await?;
    let name = |l: &crate::store::roster::Listed| format!("{} {}", l.first_name, l.last_name);
    let stages =
        b.at.iter()
            .enumerate()
            .map(|(i, people)| Stage {
                step: b
                    .steps
                    .get(i)
                    .map_or_else(|| "Next step".to_string(), |s| s.in_words()),
                people: people
                    .iter()
                    .map(|(l, next)| Person {
                        id: l.public_id.clone(),
                        name: name(l),
                        said: format!("due {}", uk_date(&next.date_naive())),
                    })
                    .collect(),
            })
            .collect();
    let ended = |list: &[(crate::store::roster::Listed, Option<String>)]| {
        list.iter()
            .map(|(l, note)| Person {
                id: l.public_id.clone(),
                name: name(l),
                said: note.clone().unwrap_or_default(),
            })
            .collect()
    };
    Ok(BoardPage {
        nav: officer.nav(),
        id: b.journey.public_id.clone(),
        name: b.journey.name.clone(),
        trigger: trigger_words(&b.journey.trigger),
        active: b.journey.active,
        may_change: b.may_change,
        stages,
        done: ended(&b.done),
        stopped: ended(&b.stopped),
        error,
    })
}

pub async fn board(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        board_page(&state, &officer, &id, None).await?.render()?,
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TakeOffForm {
    person: String,
}

pub async fn take_off(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<TakeOffForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match journeys::take_off(&mut tx, &officer, &id, &form.person, Utc::now()).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/journeys/{id}")).into_response())
        }
        Err(AppError::Invalid(p)) => {
            drop(tx);
            let page = board_page(&state, &officer, &id, Some(Problems(p).in_one_line())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct EditForm {
    name: String,
    steps: String,
    active: Option<String>,
    /// For a new journey: what starts it.
    trigger: String,
    /// For a new journey: the slug of the branch whose people alone it takes, or of the
    /// whole local party.
    unit: String,
}

#[derive(Template)]
#[template(path = "journey_edit.html")]
struct EditPage {
    nav: Nav,
    /// The journey changed; empty for a new one.
    id: String,
    form: EditForm,
    problems: Problems,
    /// What may start a new journey, the chosen one picked.
    triggers: Vec<crate::web::view::Choice>,
    /// For a new journey: the units it may be for.
    units: Vec<crate::web::view::Choice>,
}

/// The units `officer` may make a journey for, `picked` chosen.
async fn units(
    state: &AppState,
    officer: &Officer,
    picked: &str,
) -> Result<Vec<crate::web::view::Choice>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let units = crate::app::events::units_for(&mut tx, officer).await?;
    tx.commit().await?;
    Ok(crate::web::view::Choice::among(units, picked, None))
}

fn triggers(picked: &str) -> Vec<crate::web::view::Choice> {
    crate::web::view::Choice::among(
        Trigger::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), t.label().to_string())),
        picked,
        None,
    )
}

/// The form for a new journey, started with a one-to-one's steps to change.
pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let units = units(&state, &officer, "").await?;
    Ok(Html(
        EditPage {
            units,
            nav: officer.nav(),
            id: String::new(),
            form: EditForm {
                steps: "wait 7 days\ntask welcome_one_to_one\n".into(),
                active: Some("yes".into()),
                trigger: Trigger::BecameOfficer.as_str().into(),
                ..EditForm::default()
            },
            problems: Problems::default(),
            triggers: triggers(Trigger::BecameOfficer.as_str()),
        }
        .render()?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<EditForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match journeys::create(
        &mut tx,
        &officer,
        &form.unit,
        (&form.name, &form.trigger, &form.steps),
        Utc::now(),
    )
    .await
    {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/journeys/{id}")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = EditPage {
                units: units(&state, &officer, &form.unit).await?,
                nav: officer.nav(),
                id: String::new(),
                triggers: triggers(&form.trigger),
                form,
                problems: Problems(problems),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let j = journeys::find(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    Ok(Html(
        EditPage {
            nav: officer.nav(),
            id,
            form: EditForm {
                name: j.name,
                steps: j.steps,
                active: j.active.then(|| "yes".to_string()),
                trigger: j.trigger.clone(),
                unit: String::new(),
            },
            problems: Problems::default(),
            triggers: Vec::new(),
            units: Vec::new(),
        }
        .render()?,
    ))
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<EditForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done = journeys::update(
        &mut tx,
        &officer,
        &id,
        &form.name,
        &form.steps,
        form.active.is_some(),
        Utc::now(),
    )
    .await;
    match done {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/journeys/{id}")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = EditPage {
                nav: officer.nav(),
                id,
                form,
                problems: Problems(problems),
                triggers: Vec::new(),
                units: Vec::new(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
