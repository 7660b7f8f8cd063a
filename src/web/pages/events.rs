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
use crate::web::view::{Choice, Nav, Problems, event_when as when, ics};
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
    cancelled: bool,
}

fn line(e: &crate::store::events::Stored) -> Line {
    Line {
        id: e.public_id.clone(),
        title: e.title.clone(),
        when: when(e),
        kind: kind_words(&e.kind),
        unit: e.unit_name.clone(),
        cancelled: e.cancelled_at.is_some(),
    }
}

/// One day of a month's view.
struct Day {
    label: String,
    events: Vec<Line>,
}

/// A month's view: its name, its days with events, and the months either side.
struct Month {
    label: String,
    days: Vec<Day>,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct ListPage {
    nav: Nav,
    past: bool,
    events: Vec<Line>,
    month: Option<Month>,
    this_month: String,
    /// The units to show one of, the one shown picked.
    units: Vec<Choice>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    past: bool,
    /// `2026-12`: that month's events, day by day.
    month: String,
    /// One unit's events (its slug).
    unit: String,
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let this_month = today.format("%Y-%m").to_string();
    let first = match q.month.trim() {
        "" => None,
        m => Some(
            chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").map_err(|_| {
                WebError::BadRequest(format!("'{m}' is not a month: write it like {this_month}"))
            })?,
        ),
    };
    let mut tx = state.db.begin_read().await?;
    let mut page = match first {
        Some(first) => {
            let found = events::month(&mut tx, &officer, first).await?;
            let mut days: Vec<Day> = Vec::new();
            for e in &found {
                let label = events::local_date(e).format("%A %-d %B").to_string();
                match days.last_mut() {
                    Some(d) if d.label == label => d.events.push(line(e)),
                    _ => days.push(Day {
                        label,
                        events: vec![line(e)],
                    }),
                }
            }
            let step = |m: chrono::Months, forward: bool| {
                let d = if forward {
                    first.checked_add_months(m)
                } else {
                    first.checked_sub_months(m)
                };
                d.unwrap_or(first).format("%Y-%m").to_string()
            };
            ListPage {
                nav: officer.nav(),
                past: false,
                events: Vec::new(),
                month: Some(Month {
                    label: first.format("%B %Y").to_string(),
                    days,
                    before: step(chrono::Months::new(1), false),
                    after: step(chrono::Months::new(1), true),
                }),
                this_month,
                units: Vec::new(),
            }
        }
        None => {
            let found = match events::of_unit(
                &mut tx,
                &officer,
                Some(&q.unit),
                Utc::now(),
                q.past,
                None,
                200,
            )
            .await
            {
                Err(AppError::Invalid(p)) => {
                    return Err(WebError::BadRequest(Problems(p).in_one_line()));
                }
                other => other?,
            };
            ListPage {
                nav: officer.nav(),
                past: q.past,
                events: found.iter().map(line).collect(),
                month: None,
                this_month,
                units: Vec::new(),
            }
        }
    };
    page.units = Choice::among(
        events::all_units(&mut tx, &officer).await?,
        &q.unit,
        Some("Every unit"),
    );
    tx.commit().await?;
    Ok(Html(page.render()?))
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
    /// The event being changed; `None` for a new one.
    editing: Option<String>,
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
        editing: None,
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
    contact: String,
    audience: &'static str,
    capacity: String,
    right: String,
    counts: Counts,
    people: Vec<Person>,
    /// It has begun, so the register may be closed.
    started: bool,
    cancelled: bool,
    /// Its public page, where anyone signs up (public events).
    public_page: Option<String>,
    /// A stall or canvass, where people met are recorded.
    meets_people: bool,
    /// Segments an invitation may go to.
    segments: Vec<Choice>,
    /// What the last action did, said once.
    flash: Option<String>,
    /// A warning beside it (short notice).
    warning: Option<String>,
    /// The invitation just drafted, to preview and send.
    draft: Option<String>,
}

/// What an action on the event page says on the page after it.
#[derive(Default)]
struct Flash {
    said: Option<String>,
    warning: Option<String>,
    draft: Option<String>,
}

async fn event_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    flash: Flash,
) -> Result<EventPage, WebError> {
    let mut tx = state.db.begin().await?;
    let (e, shown, counts) = events::people(&mut tx, officer, id).await?;
    let segments = crate::app::segments::list(&mut tx, officer).await?;
    tx.commit().await?;
    let kind = EventType::parse(&e.kind);
    Ok(EventPage {
        started: e.starts_at <= Utc::now(),
        cancelled: e.cancelled_at.is_some(),
        public_page: (Audience::parse(&e.audience) == Some(Audience::Public)).then(|| {
            format!(
                "{}/e/{}",
                state.config.public_url.trim_end_matches('/'),
                e.public_id
            )
        }),
        meets_people: matches!(kind, Some(EventType::StreetStall | EventType::Canvass)),
        segments: Choice::among(
            segments
                .into_iter()
                .map(|g| (format!("segment:{}", g.public_id), g.name)),
            "",
            Some("Choose a segment"),
        ),
        nav: officer.nav(),
        id: e.public_id.clone(),
        title: e.title.clone(),
        kind: kind_words(&e.kind),
        unit: e.unit_name.clone(),
        when: when(&e),
        place: e.place.clone().unwrap_or_default(),
        contact: e.contact.clone().unwrap_or_default(),
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
        flash: flash.said,
        warning: flash.warning,
        draft: flash.draft,
    })
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let page = event_page(&state, &officer, &id, Flash::default()).await?;
    Ok(Html(page.render()?))
}

/// The event's form, filled in, to change it.
pub async fn edit_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let e = events::find_to_organise(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    let mut page = new_page_for(&state, &officer, EventInput::of(&e), Problems::default()).await?;
    page.editing = Some(e.public_id);
    Ok(Html(page.render()?))
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<EventInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match events::update(&mut tx, &officer, &state.rules, &id, &form, Utc::now()).await {
        Ok(e) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/events/{}", e.public_id)).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let mut page = new_page_for(&state, &officer, form, Problems(problems)).await?;
            page.editing = Some(id);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Cancels the event and tells everyone with a place.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<crate::web::auth::NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    events::cancel(&mut tx, &officer, &id, Utc::now()).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

/// Reminds everyone signed up, now.
pub async fn remind(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<crate::web::auth::NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done = crate::app::signups::remind_now(&mut tx, &officer, &id, Utc::now()).await;
    let flash = match done {
        Ok(n) => {
            tx.commit().await?;
            Flash {
                said: Some(format!(
                    "A reminder is on its way to {n} {}.",
                    if n == 1 { "person" } else { "people" }
                )),
                ..Flash::default()
            }
        }
        Err(AppError::Invalid(p)) => {
            drop(tx);
            Flash {
                said: Some(Problems(p).in_one_line()),
                ..Flash::default()
            }
        }
        Err(e) => return Err(e.into()),
    };
    let page = event_page(&state, &officer, &id, flash).await?;
    Ok(Html(page.render()?).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    /// `segment:ID`, or the member list's filter as a query string.
    audience: String,
}

/// Drafts the invitation for a segment, and says when the notice is short.
pub async fn invite(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<InviteForm>,
) -> Result<Response, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let done = events::invite(&mut tx, &officer, &state.rules, today, &id, &form.audience).await;
    let (flash, status) = match done {
        Ok((draft, warning)) => {
            tx.commit().await?;
            (
                Flash {
                    said: Some("The invitation is drafted: preview it, then send it.".to_string()),
                    warning,
                    draft: Some(draft),
                },
                StatusCode::OK,
            )
        }
        Err(AppError::Invalid(p)) => {
            drop(tx);
            (
                Flash {
                    said: Some(format!(
                        "No invitation drafted: {}",
                        Problems(p).in_one_line()
                    )),
                    ..Flash::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => return Err(e.into()),
    };
    let page = event_page(&state, &officer, &id, flash).await?;
    Ok((status, Html(page.render()?)).into_response())
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
    let mut tx = state.db.begin_read().await?;
    let found = events::door_search(&mut tx, officer, &state.rules, today, id, q).await?;
    tx.commit().await?;
    let (e, found) = found.audited(&state.audit).await?;
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

#[derive(Template)]
#[template(path = "event_met.html")]
struct MetPage {
    nav: Nav,
    id: String,
    title: String,
    values: std::collections::HashMap<String, String>,
    problems: Problems,
    done: Option<String>,
}

impl MetPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }
}

async fn met_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    values: std::collections::HashMap<String, String>,
    problems: Problems,
    done: Option<String>,
) -> Result<MetPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let e = events::find(&mut tx, officer, id).await?;
    tx.commit().await?;
    Ok(MetPage {
        nav: officer.nav(),
        id: e.public_id,
        title: e.title,
        values,
        problems,
        done,
    })
}

/// The quick form for a street stall or canvass.
pub async fn met_form(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let page = met_page(
        &state,
        &officer,
        &id,
        Default::default(),
        Problems::default(),
        None,
    )
    .await?;
    Ok(Html(page.render()?))
}

/// Someone met, recorded; the form comes back empty for the next.
pub async fn met(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let interested = form.iter().any(|(k, v)| k == "interested" && v == "yes");
    let pairs = form
        .iter()
        .filter(|(k, _)| k != "csrf" && k != "interested")
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let done = match crate::app::people::NewPerson::from_pairs(pairs) {
        Ok(person) => {
            events::met(
                &mut tx,
                &officer,
                &state.rules,
                today,
                &id,
                events::Met { person, interested },
            )
            .await
        }
        Err(problems) => Err(AppError::Invalid(problems)),
    };
    match done {
        Ok(outcome) => {
            tx.commit().await?;
            let who = outcome
                .name
                .unwrap_or_else(|| "Someone already recorded".to_string());
            let said = format!(
                "{who} is recorded{}{}.",
                if outcome.known {
                    " (already known: their record was used)"
                } else {
                    " as a supporter"
                },
                if outcome.follow_up {
                    ", with a follow-up to ask them to join"
                } else {
                    ""
                }
            );
            let page = met_page(
                &state,
                &officer,
                &id,
                Default::default(),
                Problems::default(),
                Some(said),
            )
            .await?;
            Ok(Html(page.render()?).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let values = form.into_iter().filter(|(k, _)| k != "csrf").collect();
            let page = met_page(&state, &officer, &id, values, Problems(problems), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `/calendar/private/{token}.ics`: an officer's own feed of every event they can see.
pub async fn private_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let token = file.strip_suffix(".ics").ok_or(WebError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let body = events::private_calendar(&mut tx, token, Utc::now()).await?;
    tx.commit().await?;
    Ok(ics(body))
}

#[derive(Template)]
#[template(path = "calendar_feed.html")]
struct FeedPage {
    nav: Nav,
    /// The new address, shown once.
    url: Option<String>,
    stopped: bool,
}

/// Where an officer makes (or stops) their private calendar feed.
pub async fn feed_page(officer: Officer) -> Result<Html<String>, WebError> {
    Ok(Html(
        FeedPage {
            nav: officer.nav(),
            url: None,
            stopped: false,
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FeedForm {
    /// `new` for a new address, `stop` to turn the feed off.
    action: String,
}

pub async fn feed(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<FeedForm>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let (url, stopped) = if form.action == "stop" {
        events::stop_feed(&mut tx, &officer).await?;
        (None, true)
    } else {
        let url = events::new_feed(&mut tx, &officer, &state.config.public_url).await?;
        (Some(url), false)
    };
    tx.commit().await?;
    Ok(Html(
        FeedPage {
            nav: officer.nav(),
            url,
            stopped,
        }
        .render()?,
    ))
}
