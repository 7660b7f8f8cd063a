//! Events: the list, creating one, an event's page with its people and counts, and the
//! door sign-in for a phone.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::app::AppError;
use crate::app::events::{self, Counts, EventInput};
use crate::domain::events::{Attendance, Audience, EventType};
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Choice, Nav, Problems, event_when as when};
use crate::web::{AppState, WebError};

fn kind_words(code: &str) -> &'static str {
    EventType::parse(code).map_or("Event", EventType::label)
}

struct Line {
    id: String,
    title: String,
    when: String,
    kind: &'static str,
    unit: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct ListPage {
    nav: Nav,
    past: bool,
    events: Vec<Line>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    past: bool,
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let found = events::list(&mut tx, &officer, Utc::now(), q.past, None, 200).await?;
    tx.commit().await?;
    let events = found
        .iter()
        .map(|e| Line {
            id: e.public_id.clone(),
            title: e.title.clone(),
            when: when(e),
            kind: kind_words(&e.kind),
            unit: e.unit_name.clone(),
        })
        .collect();
    Ok(Html(
        ListPage {
            nav: officer.nav(),
            past: q.past,
            events,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "event_new.html")]
struct NewPage {
    nav: Nav,
    form: EventInput,
    kinds: Vec<Choice>,
    units: Vec<Choice>,
    audiences: Vec<Choice>,
    rights: Vec<Choice>,
    problems: Problems,
}

async fn new_page_for(
    state: &AppState,
    officer: &Officer,
    form: EventInput,
    problems: Problems,
) -> Result<NewPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let units = events::units_for(&mut tx, officer).await?;
    tx.commit().await?;
    let pairs = |all: &[(&str, &str)]| {
        all.iter()
            .map(|(v, l)| (v.to_string(), l.to_string()))
            .collect::<Vec<_>>()
    };
    let kinds: Vec<(&str, &str)> = EventType::ALL
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect();
    let audiences: Vec<(&str, &str)> = Audience::ALL
        .iter()
        .map(|a| (a.as_str(), a.label()))
        .collect();
    Ok(NewPage {
        nav: officer.nav(),
        kinds: Choice::among(pairs(&kinds), &form.kind, None),
        units: Choice::among(units, &form.unit, None),
        audiences: Choice::among(pairs(&audiences), &form.audience, Some("As the kind says")),
        rights: Choice::among(
            state
                .rules
                .rights
                .iter()
                .map(|r| (r.right.clone(), r.label.clone())),
            &form.right,
            Some("Vote at meetings (the usual)"),
        ),
        form,
        problems,
    })
}

pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let page = new_page_for(&state, &officer, EventInput::default(), Problems::default()).await?;
    Ok(Html(page.render()?))
}

pub async fn create(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<EventInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match events::create(&mut tx, &officer, &state.rules, &form).await {
        Ok(e) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/events/{}", e.public_id)).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = new_page_for(&state, &officer, form, Problems(problems)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct Person {
    id: String,
    name: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    nav: Nav,
    id: String,
    title: String,
    kind: &'static str,
    unit: String,
    when: String,
    place: String,
    audience: &'static str,
    capacity: String,
    right: String,
    counts: Counts,
    people: Vec<Person>,
    /// It has begun, so the register may be closed.
    started: bool,
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let (e, shown, counts) = events::people(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    let page = EventPage {
        started: e.starts_at <= Utc::now(),
        nav: officer.nav(),
        id: e.public_id.clone(),
        title: e.title.clone(),
        kind: kind_words(&e.kind),
        unit: e.unit_name.clone(),
        when: when(&e),
        place: e.place.clone().unwrap_or_default(),
        audience: Audience::parse(&e.audience).map_or("", Audience::label),
        capacity: e.capacity.map(|c| c.to_string()).unwrap_or_default(),
        right: e
            .vote_right
            .as_deref()
            .and_then(|r| state.rules.right(r).ok())
            .map(|r| r.label.clone())
            .unwrap_or_default(),
        counts,
        people: shown
            .into_iter()
            .map(|p| Person {
                id: p.public_id,
                name: format!("{} {}", p.first_name, p.last_name),
                state: Attendance::parse(&p.state).map_or("", Attendance::label),
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

struct Found {
    id: String,
    name: String,
    number: String,
    status: &'static str,
}

struct Checked {
    name: String,
    first_time: bool,
    new_member: bool,
    meeting: bool,
    may_attend: bool,
    may_vote: bool,
    may: bool,
    reason: String,
}

#[derive(Template)]
#[template(path = "event_door.html")]
struct DoorPage {
    nav: Nav,
    id: String,
    title: String,
    q: String,
    found: Vec<Found>,
    checked: Option<Checked>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoorQuery {
    q: String,
}

async fn door_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    q: &str,
    checked: Option<Checked>,
    error: Option<String>,
) -> Result<DoorPage, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let (e, found) = events::door_search(&mut tx, officer, &state.rules, today, id, q).await?;
    tx.commit().await?;
    Ok(DoorPage {
        nav: officer.nav(),
        id: e.public_id,
        title: e.title,
        q: q.to_string(),
        found: found
            .iter()
            .map(|l| Found {
                id: l.public_id.clone(),
                name: format!("{} {}", l.first_name, l.last_name),
                number: l.membership_number.clone(),
                status: l.status(&state.rules.status, today).label(),
            })
            .collect(),
        checked,
        error,
    })
}

pub async fn door(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
    Query(q): Query<DoorQuery>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        door_page(&state, &officer, &id, &q.q, None, None)
            .await?
            .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct DoorForm {
    #[serde(default)]
    person: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<DoorForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done = events::check_in(&mut tx, &officer, &state.rules, &id, &form.person).await?;
    tx.commit().await?;
    signed_in(&state, &officer, &id, done).await
}

/// The door page after someone is signed in, with what the door should know of them.
async fn signed_in(
    state: &AppState,
    officer: &Officer,
    id: &str,
    done: events::SignedIn,
) -> Result<Response, WebError> {
    let (e, l, c) = (done.event, done.person, done.door);
    let meeting = EventType::parse(&e.kind).is_some_and(EventType::is_members_meeting);
    let checked = Checked {
        name: format!("{} {}", l.first_name, l.last_name),
        first_time: c.first_time,
        new_member: c.new_member,
        meeting,
        may_attend: c.may_attend,
        may_vote: c.may_vote,
        may: c.may_attend && (c.may_vote || !meeting),
        reason: c.reason.unwrap_or_default(),
    };
    let page = door_page(state, officer, id, "", Some(checked), None).await?;
    Ok(Html(page.render()?).into_response())
}

/// Someone not on the register, added and signed in.
pub async fn walk_in(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = form
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let done = match crate::app::people::NewPerson::from_pairs(pairs) {
        Ok(person) => events::walk_in(&mut tx, &officer, &state.rules, today, &id, person).await,
        Err(problems) => Err(AppError::Invalid(problems)),
    };
    match done {
        Ok(done) => {
            tx.commit().await?;
            signed_in(&state, &officer, &id, done).await
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let said = Problems(problems).in_one_line();
            let page = door_page(&state, &officer, &id, "", None, Some(said)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(AppError::Duplicate(_)) => {
            drop(tx);
            let said =
                "This looks like someone already recorded: find them by name instead.".to_string();
            let page = door_page(&state, &officer, &id, "", None, Some(said)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks who signed up and did not come.
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<crate::web::auth::NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    events::close_register(&mut tx, &officer, &id, Utc::now()).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

fn ics(body: String) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/calendar; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// `/calendar/{unit}.ics`: a unit's public events, for anyone's calendar to subscribe to.
pub async fn public_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let slug = file.strip_suffix(".ics").ok_or(WebError::NotFound)?;
    let mut tx = state.db.begin_read().await?;
    let body = events::public_calendar(&mut tx, slug, Utc::now()).await?;
    tx.commit().await?;
    Ok(ics(body))
}

/// One event as an `.ics` file, for the officer's own calendar.
pub async fn event_file(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin_read().await?;
    let body = events::event_calendar(&mut tx, &officer, &id, Utc::now()).await?;
    tx.commit().await?;
    Ok(ics(body))
}
