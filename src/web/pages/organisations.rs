//! Stakeholder organisations: the list and a new one, an organisation's page with its
//! contacts and what passed between us, and changing it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::app::AppError;
use crate::app::organisations::{self, ContactInput, DealingInput, OrgInput};
use crate::domain::organisations::{DealingKind, OrgKind};
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Choice, Nav, Problems, consent_text, uk_date};
use crate::web::{AppState, WebError};

fn kind_words(code: &str) -> &'static str {
    OrgKind::parse(code).map_or("Other", OrgKind::label)
}

struct Line {
    id: String,
    name: String,
    kind: &'static str,
    unit: String,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct ListPage {
    nav: Nav,
    organisations: Vec<Line>,
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let found = organisations::list(&mut tx, &officer).await?;
    tx.commit().await?;
    Ok(Html(
        ListPage {
            nav: officer.nav(),
            organisations: found
                .into_iter()
                .map(|o| Line {
                    kind: kind_words(&o.kind),
                    id: o.public_id,
                    name: o.name,
                    unit: o.unit_name,
                })
                .collect(),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "organisation_edit.html")]
struct EditPage {
    nav: Nav,
    /// Empty for a new organisation.
    id: String,
    form: OrgInput,
    units: Vec<Choice>,
    kinds: Vec<Choice>,
    problems: Problems,
}

async fn edit_view(
    state: &AppState,
    officer: &Officer,
    id: &str,
    form: OrgInput,
    problems: Problems,
) -> Result<EditPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let units = crate::app::events::units_to_organise(&mut tx, officer).await?;
    tx.commit().await?;
    Ok(EditPage {
        nav: officer.nav(),
        id: id.to_string(),
        units: Choice::among(units, &form.unit, None),
        kinds: Choice::among(
            OrgKind::ALL.map(|k| (k.as_str().to_string(), k.label().to_string())),
            &form.kind,
            None,
        ),
        form,
        problems,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    kind: String,
}

/// `/organisations/new`: a women's organisation starts on the women's branch.
pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<NewQuery>,
) -> Result<Html<String>, WebError> {
    let kind = OrgKind::parse(&q.kind).unwrap_or(OrgKind::WomensOrganisation);
    let mut tx = state.db.begin_read().await?;
    let unit = organisations::default_unit(&mut tx, &officer, kind).await?;
    tx.commit().await?;
    let form = OrgInput {
        unit,
        kind: kind.as_str().into(),
        ..OrgInput::default()
    };
    let page = edit_view(&state, &officer, "", form, Problems::default()).await?;
    Ok(Html(page.render()?))
}

pub async fn create(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<OrgInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match organisations::create(&mut tx, &officer, &form, Utc::now()).await {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/organisations/{id}")).into_response())
        }
        Err(AppError::Invalid(p)) => {
            drop(tx);
            let page = edit_view(&state, &officer, "", form, Problems(p)).await?;
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
    let o = organisations::find(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    let form = OrgInput {
        unit: o.unit_slug,
        name: o.name,
        kind: o.kind,
        notes: o.notes.unwrap_or_default(),
    };
    let page = edit_view(&state, &officer, &id, form, Problems::default()).await?;
    Ok(Html(page.render()?))
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<OrgInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match organisations::update(&mut tx, &officer, &id, &form).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/organisations/{id}")).into_response())
        }
        Err(AppError::Invalid(p)) => {
            drop(tx);
            let page = edit_view(&state, &officer, &id, form, Problems(p)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct ContactLine {
    id: String,
    name: String,
    role: String,
    email: String,
    phone: String,
    email_consent: &'static str,
}

struct DealingLine {
    what: &'static str,
    on: String,
    note: String,
    event: Option<(String, String)>,
    by: String,
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrgPage {
    nav: Nav,
    id: String,
    name: String,
    kind: &'static str,
    unit: String,
    notes: String,
    contacts: Vec<ContactLine>,
    dealings: Vec<DealingLine>,
    contact: ContactInput,
    dealing: DealingInput,
    dealing_kinds: Vec<Choice>,
    events: Vec<Choice>,
    problems: Problems,
}

async fn org_view(
    state: &AppState,
    officer: &Officer,
    id: &str,
    (contact, dealing): (ContactInput, DealingInput),
    problems: Problems,
) -> Result<OrgPage, WebError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let o = organisations::open(&mut tx, officer, id).await?;
    let mut events = crate::app::events::list(&mut tx, officer, now, true, None, 30).await?;
    events.extend(crate::app::events::list(&mut tx, officer, now, false, None, 30).await?);
    tx.commit().await?;
    let org = o.organisation;
    Ok(OrgPage {
        nav: officer.nav(),
        id: org.public_id,
        name: org.name,
        kind: kind_words(&org.kind),
        unit: org.unit_name,
        notes: org.notes.unwrap_or_default(),
        contacts: o
            .contacts
            .into_iter()
            .map(|c| ContactLine {
                id: c.person.public_id,
                name: format!("{} {}", c.person.first_name, c.person.last_name),
                role: c.role.unwrap_or_default(),
                email: c.person.email.unwrap_or_default(),
                phone: c.person.mobile.or(c.person.phone).unwrap_or_default(),
                email_consent: consent_text(c.person.email_consent),
            })
            .collect(),
        dealings: o
            .dealings
            .into_iter()
            .map(|d| DealingLine {
                what: DealingKind::parse(&d.kind).map_or("", DealingKind::label),
                on: uk_date(&d.on_date),
                note: d.note.unwrap_or_default(),
                event: d.event_public_id.zip(d.event_title),
                by: d.recorded_by,
            })
            .collect(),
        dealing_kinds: Choice::among(
            DealingKind::ALL.map(|k| (k.as_str().to_string(), k.label().to_string())),
            &dealing.kind,
            None,
        ),
        events: Choice::among(
            events.into_iter().map(|e| {
                (
                    e.public_id.clone(),
                    format!("{} ({})", e.title, uk_date(&e.starts_at.date_naive())),
                )
            }),
            &dealing.event,
            Some("None"),
        ),
        contact,
        dealing,
        problems,
    })
}

/// `/organisations/{id}`: the organisation, its contacts and what passed between us.
pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let page = org_view(
        &state,
        &officer,
        &id,
        Default::default(),
        Problems::default(),
    )
    .await?;
    Ok(Html(page.render()?))
}

/// The page again with what was wrong, or back to the page after a change.
async fn after(
    state: &AppState,
    officer: &Officer,
    id: &str,
    forms: (ContactInput, DealingInput),
    done: Result<(), AppError>,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/organisations/{id}")).into_response()),
        Err(AppError::Invalid(p)) => {
            let page = org_view(state, officer, id, forms, Problems(p)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Commits a change that worked; a refused one writes nothing.
async fn settle<T>(
    tx: crate::store::Tx,
    done: Result<T, AppError>,
) -> Result<Result<(), AppError>, WebError> {
    match done {
        Ok(_) => {
            tx.commit().await?;
            Ok(Ok(()))
        }
        Err(e) => Ok(Err(e)),
    }
}

pub async fn add_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<ContactInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done = organisations::add_contact(
        &mut tx,
        &officer,
        (&state.rules, (state.today)()),
        &id,
        &form,
    )
    .await;
    let done = settle(tx, done).await?;
    after(&state, &officer, &id, (form, DealingInput::default()), done).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RemoveForm {
    person: String,
}

pub async fn remove_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<RemoveForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done = organisations::remove_contact(&mut tx, &officer, &id, &form.person).await;
    let done = settle(tx, done).await?;
    after(&state, &officer, &id, Default::default(), done).await
}

pub async fn record_dealing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<DealingInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done =
        organisations::record_dealing(&mut tx, &officer, ((state.today)(), Utc::now()), &id, &form)
            .await;
    let done = settle(tx, done).await?;
    after(&state, &officer, &id, (ContactInput::default(), form), done).await
}
