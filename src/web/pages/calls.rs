//! Call lists: an officer makes one from a report section or a segment and shares it
//! among callers; a caller works through it on their phone, one person at a time; the
//! organiser sees progress and the people flagged for an officer.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::{AppError, calls as app_calls};
use crate::domain::calls::{self as rules, DoneWhen, Outcome};
use crate::store::{Mode, accounts, calls};
use crate::web::auth::{NoFields, Officer, Posted};
use crate::web::pages::{query_string, row};
use crate::web::view::{Choice, Nav, in_words};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    nav: Nav,
    lists: Vec<app_calls::ListProgress>,
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
    /// "60 people to call from …".
    source_label: String,
    name: String,
    callers: Vec<Choice>,
    left_out: Vec<Missing>,
    /// The member list, filtered to the source's people without phone consent.
    other_way: Option<String>,
    form: NewListForm,
    error: Option<String>,
}

/// What the officer typed, kept when the form comes back with a problem.
#[derive(Default)]
struct NewListForm {
    script: String,
    renewed: bool,
    min_gap_hours: String,
}

/// Someone left out of the list, with a link to their record.
struct Missing {
    id: String,
    name: String,
    why: &'static str,
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

/// The form for a new list from `from`, with what was typed and what was wrong.
async fn new_list_page(
    state: &AppState,
    officer: &Officer,
    new: &app_calls::NewList,
    error: Option<String>,
) -> Result<NewCallListPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let from = app_calls::preview(&mut tx, officer, &state.rules, (state.today)(), &new.from)
        .await?
        .audited(&state.audit)
        .await?;
    let callers = caller_choices(&mut tx, from.local_party_id, &new.callers).await?;
    tx.commit().await?;
    Ok(NewCallListPage {
        nav: officer.nav(),
        source: new.from.clone(),
        source_label: format!("{} people to call from {}", from.people.len(), from.label),
        name: if error.is_some() {
            new.name.clone()
        } else {
            from.name.clone()
        },
        callers,
        left_out: from
            .left_out
            .into_iter()
            .map(|l| Missing {
                id: l.person.public_id,
                name: format!("{} {}", l.person.first_name, l.person.last_name),
                why: l.why,
            })
            .collect(),
        other_way: from.other_way.map(|q| format!("/members?{q}")),
        form: NewListForm {
            script: new.script.clone(),
            renewed: new.done_when == DoneWhen::Renewed.as_str(),
            min_gap_hours: new.min_gap_hours.clone(),
        },
        error,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
    axum::extract::Query(q): axum::extract::Query<NewQuery>,
) -> Result<Html<String>, WebError> {
    let new = app_calls::NewList {
        from: q.from,
        min_gap_hours: "24".into(),
        ..Default::default()
    };
    Ok(Html(
        new_list_page(&state, &officer, &new, None)
            .await?
            .render()?,
    ))
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
            Ok(Redirect::to(&format!("/calls/{id}?made=1")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = new_list_page(&state, &officer, &new, Some(in_words(&problems))).await?;
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
    /// What just changed ("The list is made…"), said once at the top.
    said: Option<String>,
    /// Why a change to the callers was refused.
    error: Option<String>,
    callers: Vec<calls::Caller>,
    /// Role holders who could be added as callers.
    could_call: Vec<Choice>,
    /// How many of `people` a caller flagged for an officer.
    flagged: usize,
    people: Vec<Person>,
}

/// Someone on the list, for its organiser: where they are on it and what the calls found.
struct Person {
    id: String,
    name: String,
    state: &'static str,
    flagged: bool,
    calls: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    made: String,
    added: String,
    removed: String,
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Html<String>, WebError> {
    let said = if !q.made.is_empty() {
        Said::Made
    } else if !q.added.is_empty() {
        Said::Added(q.added)
    } else if !q.removed.is_empty() {
        Said::Removed(q.removed)
    } else {
        Said::Nothing
    };
    Ok(Html(
        list_page(&state, &officer, &id, said, None)
            .await?
            .render()?,
    ))
}

/// What the list's page says at its top, after a change.
enum Said {
    Nothing,
    Made,
    /// A caller (their public id) was added.
    Added(String),
    /// A caller (their public id) was removed.
    Removed(String),
}

async fn list_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    said: Said,
    error: Option<String>,
) -> Result<CallListPage, WebError> {
    let mut tx = state.db.begin().await?;
    let opened = app_calls::open(&mut tx, officer, id).await?;
    let calls::Progress {
        waiting,
        done,
        blocked,
    } = calls::progress(&mut tx, opened.list.id).await?;
    let on_list = app_calls::people(&mut tx, officer, &opened).await?;
    let app_calls::Callers { on: callers, could } = app_calls::callers(&mut tx, &opened).await?;
    let could_call = Choice::options(could);
    tx.commit().await?;
    let app_calls::Opened {
        list,
        organiser,
        caller,
    } = opened;
    let people: Vec<Person> = on_list
        .iter()
        .map(|p| Person {
            id: p.public_id.clone(),
            name: format!("{} {}", p.first_name, p.last_name),
            state: match rules::State::parse(&p.state) {
                Some(rules::State::Waiting) if p.needs_officer => "needs an officer",
                Some(s) => s.label(),
                None => "unknown",
            },
            flagged: p.needs_officer,
            calls: if p.outcomes.is_empty() {
                "not called yet".into()
            } else {
                p.outcomes
                    .iter()
                    .map(|o| Outcome::parse(o).map_or("a call", Outcome::label))
                    .collect::<Vec<_>>()
                    .join(", then ")
            },
        })
        .collect();
    let said = match said {
        Said::Nothing => None,
        Said::Made => Some(format!(
            "The list is made: {} people to call, shared with {}.",
            waiting + done + blocked,
            names(&callers)
        )),
        // Named from the list's own callers, never from the address, which anyone
        // could write.
        Said::Added(user) => callers
            .iter()
            .find(|c| c.public_id == user)
            .map(|c| format!("{} can now call on this list.", c.name)),
        Said::Removed(user) => could_call.iter().find(|c| c.value == user).map(|c| {
            format!(
                "{} no longer calls on this list; anyone they held is free for the others.",
                c.label
            )
        }),
    };
    Ok(CallListPage {
        nav: officer.nav(),
        id: id.to_string(),
        name: list.name,
        script: list.script,
        organiser,
        caller,
        waiting,
        done,
        blocked,
        total: waiting + done + blocked,
        said,
        error,
        callers,
        could_call,
        flagged: people.iter().filter(|p| p.flagged).count(),
        people,
    })
}

/// "Ann, Bob and Cy".
fn names(callers: &[calls::Caller]) -> String {
    match callers {
        [] => "nobody yet".into(),
        [one] => one.name.clone(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            last.name
        ),
    }
}

#[derive(serde::Deserialize)]
pub struct CallerForm {
    caller: String,
}

/// The organiser gives the list to one more caller.
pub async fn add_caller(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<CallerForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match app_calls::add_caller(&mut tx, &officer, &id, &form.caller).await {
        Ok(()) => {
            tx.commit().await?;
            let added = query_string(&[("added", form.caller)]);
            Ok(Redirect::to(&format!("/calls/{id}?{added}")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = list_page(
                &state,
                &officer,
                &id,
                Said::Nothing,
                Some(in_words(&problems)),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The organiser takes the list from a caller.
pub async fn remove_caller(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<CallerForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_calls::remove_caller(&mut tx, &officer, &id, &form.caller).await?;
    tx.commit().await?;
    let removed = query_string(&[("removed", form.caller)]);
    Ok(Redirect::to(&format!("/calls/{id}?{removed}")).into_response())
}

/// The call page after asking for the next person: it says so if nobody was free.
fn call_page_after(id: &str, someone: bool) -> String {
    if someone {
        format!("/calls/{id}/call")
    } else {
        format!("/calls/{id}/call?none=1")
    }
}

/// Claims the next person (a change, so a POST) and goes to the call page.
pub async fn next(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let someone = app_calls::next(&mut tx, &officer, &state.rules, (state.today)(), &id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&call_page_after(&id, someone)).into_response())
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
    /// The caller asked for the next person and nobody was free for them.
    none_free: bool,
    /// What the caller typed, kept when the form comes back with a problem.
    typed: app_calls::Report,
    error: Option<String>,
}

/// The person a caller holds, with what helps the conversation.
struct Callee {
    id: String,
    name: String,
    number: String,
    /// "In arrears", "Lapsed"…
    status: &'static str,
    paid_until: String,
    rate: String,
    branch: String,
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
    none_free: bool,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let (list, held) = app_calls::held(&mut tx, officer, id).await?;
    let waiting = calls::progress(&mut tx, list.id).await?.waiting;
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
        let shown = row(&l, state, (state.today)());
        person = Some(Callee {
            id: shown.id,
            name: shown.name,
            number,
            status: shown.status,
            paid_until: shown.paid_until,
            rate: state.rules.rate_name(&l.rate),
            branch: shown.branch,
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
        none_free,
        typed,
        error,
    };
    crate::web::render(&page, page.error.is_some())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CallQuery {
    none: String,
}

pub async fn call(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<CallQuery>,
) -> Result<Response, WebError> {
    let asked = !q.none.is_empty();
    call_page(
        &state,
        &officer,
        &id,
        None,
        app_calls::Report::default(),
        asked,
    )
    .await
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
            let someone = app_calls::next(&mut tx, &officer, &state.rules, today, &id).await?;
            tx.commit().await?;
            Ok(Redirect::to(&call_page_after(&id, someone)).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let message = in_words(&problems);
            call_page(&state, &officer, &id, Some(message), report, false).await
        }
        Err(e) => Err(e.into()),
    }
}
