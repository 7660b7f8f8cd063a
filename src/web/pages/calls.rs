//! Call lists: an officer makes one from a report section or a segment and shares it
//! among callers; a caller works through it on their phone, one person at a time; the
//! organiser sees progress and the people flagged for an officer.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::{AppError, calls as app_calls};
use crate::domain::calls::Outcome;
use crate::store::{Mode, accounts, calls};
use crate::web::auth::{NoFields, Officer, Posted};
use crate::web::view::{Choice, Nav, in_words};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    nav: Nav,
    lists: Vec<app_calls::Progress>,
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let lists = app_calls::lists(&mut tx, &officer).await?;
    tx.commit().await?;
    Ok(Html(
        CallsPage {
            nav: officer.nav(),
            lists,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "call_new.html")]
struct NewCallListPage {
    nav: Nav,
    source: String,
    source_label: String,
    name: String,
    callers: Vec<Choice>,
    error: Option<String>,
}

/// Who may be given a list to call: anyone holding a role in the local party.
async fn caller_choices(
    tx: &mut crate::store::Tx<impl Mode>,
    lp: i64,
    picked: &[String],
) -> Result<Vec<Choice>, WebError> {
    Ok(accounts::role_holders(tx, lp)
        .await?
        .into_iter()
        .map(|(value, label)| Choice {
            picked: picked.contains(&value),
            value,
            label,
        })
        .collect())
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    from: String,
}

pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
    axum::extract::Query(q): axum::extract::Query<NewQuery>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let from = app_calls::source(&mut tx, &officer, &state.rules, (state.today)(), &q.from).await?;
    let callers = caller_choices(&mut tx, from.local_party_id, &[]).await?;
    tx.commit().await?;
    Ok(Html(
        NewCallListPage {
            nav: officer.nav(),
            source: q.from,
            source_label: from_label(&from),
            name: from.label,
            callers,
            error: None,
        }
        .render()?,
    ))
}

/// What the form says of its source: how many will be called, how many are left out.
fn from_label(from: &app_calls::Source) -> String {
    format!(
        "{} people to call from {}; {} left out for want of phone consent or a number",
        from.people.len(),
        from.label,
        from.left_out
    )
}

pub async fn create(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let new = app_calls::NewList {
        from: field("from"),
        name: field("name"),
        script: field("script"),
        done_when: field("done_when"),
        min_gap_hours: field("min_gap_hours"),
        callers: form
            .iter()
            .filter(|(k, _)| k == "caller")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    match app_calls::build(&mut tx, &officer, &state.rules, today, &new).await {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/calls/{id}")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let mut tx = state.db.begin_read().await?;
            let from = app_calls::source(&mut tx, &officer, &state.rules, today, &new.from).await?;
            let callers = caller_choices(&mut tx, from.local_party_id, &new.callers).await?;
            tx.commit().await?;
            let page = NewCallListPage {
                nav: officer.nav(),
                source: new.from.clone(),
                source_label: from_label(&from),
                name: new.name.clone(),
                callers,
                error: Some(in_words(&problems)),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "call_list.html")]
struct CallListPage {
    nav: Nav,
    id: String,
    name: String,
    script: String,
    organiser: bool,
    caller: bool,
    waiting: i64,
    done: i64,
    blocked: i64,
    total: i64,
    flagged: Vec<calls::Flagged>,
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let opened = app_calls::open(&mut tx, &officer, &id).await?;
    let (waiting, done, blocked, _) = calls::progress(&mut tx, opened.list.id).await?;
    let flagged = app_calls::flagged(&mut tx, &officer, &opened).await?;
    tx.commit().await?;
    let app_calls::Opened {
        list,
        organiser,
        caller,
    } = opened;
    Ok(Html(
        CallListPage {
            nav: officer.nav(),
            id,
            name: list.name,
            script: list.script,
            organiser,
            caller,
            waiting,
            done,
            blocked,
            total: waiting + done + blocked,
            flagged,
        }
        .render()?,
    ))
}

/// Claims the next person (a change, so a POST) and goes to the call page.
pub async fn next(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_calls::next(&mut tx, &officer, &state.rules, (state.today)(), &id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/calls/{id}/call")).into_response())
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    nav: Nav,
    list_id: String,
    list_name: String,
    script: String,
    person: Option<Callee>,
    earlier: Vec<EarlierCall>,
    outcomes: Vec<Choice>,
    /// People on the list not yet done (held by anyone or waiting).
    waiting: i64,
    /// What the caller typed, kept when the form comes back with a problem.
    typed: app_calls::Report,
    error: Option<String>,
}

/// The person a caller holds.
struct Callee {
    id: String,
    name: String,
    number: String,
}

/// A call made to them before.
struct EarlierCall {
    on: String,
    what: &'static str,
    notes: String,
    by: String,
}

async fn call_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    error: Option<String>,
    typed: app_calls::Report,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let (list, held) = app_calls::held(&mut tx, officer, id).await?;
    let (waiting, ..) = calls::progress(&mut tx, list.id).await?;
    let mut person = None;
    let mut earlier = Vec::new();
    if let Some(l) = held {
        let p = l.person_id;
        let number = l.mobile.clone().or(l.phone.clone()).unwrap_or_default();
        earlier = calls::outcomes_for(&mut tx, p)
            .await?
            .into_iter()
            .map(|c| {
                let label = Outcome::parse(&c.outcome)
                    .map(Outcome::label)
                    .unwrap_or("Call");
                EarlierCall {
                    on: c.at.format("%-d %b %Y").to_string(),
                    what: label,
                    notes: c.notes.unwrap_or_default(),
                    by: c.caller,
                }
            })
            .collect();
        person = Some(Callee {
            id: l.public_id.clone(),
            name: format!("{} {}", l.first_name, l.last_name),
            number,
        });
    }
    tx.commit().await?;
    let page = CallPage {
        nav: officer.nav(),
        list_id: id.to_string(),
        list_name: list.name,
        script: list.script,
        person,
        earlier,
        outcomes: Outcome::ALL
            .iter()
            .map(|o| Choice {
                value: o.as_str().into(),
                label: o.label().into(),
                picked: typed.outcome == o.as_str(),
            })
            .collect(),
        waiting,
        typed,
        error,
    };
    crate::web::render(&page, page.error.is_some())
}

pub async fn call(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    call_page(&state, &officer, &id, None, app_calls::Report::default()).await
}

#[derive(serde::Deserialize)]
pub struct OutcomeForm {
    person: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    needs_officer: String,
    #[serde(default)]
    call_back_on: String,
}

pub async fn outcome(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<OutcomeForm>,
) -> Result<Response, WebError> {
    let report = app_calls::Report {
        person: form.person,
        outcome: form.outcome,
        notes: form.notes,
        needs_officer: !form.needs_officer.is_empty(),
        call_back_on: form.call_back_on,
    };
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    match app_calls::record(&mut tx, &officer, today, &id, &report).await {
        Ok(()) => {
            // Straight on to the next person: a caller should never have to find a
            // button to carry on, or think the list is finished when it is not.
            app_calls::next(&mut tx, &officer, &state.rules, today, &id).await?;
            tx.commit().await?;
            Ok(Redirect::to(&format!("/calls/{id}/call")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let message = in_words(&problems);
            call_page(&state, &officer, &id, Some(message), report).await
        }
        Err(e) => Err(e.into()),
    }
}
