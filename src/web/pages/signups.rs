//! An event's public page, where anyone signs up to a public event (and a member to any
//! event through their invitation's link), its calendar file, and the link that cancels a
//! place. No account and no session: the invitation and cancellation links are signed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use crate::app::AppError;
use crate::app::signups::{self, PublicEvent, SignUpForm};
use crate::domain::Channel;
use crate::domain::events::consent_wording;
use crate::web::auth::ClientAddr;
use crate::web::view::{Problems, event_when, ics};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "event_public.html")]
struct PublicPage {
    id: String,
    title: String,
    party: String,
    when: String,
    place: String,
    contact: String,
    description: String,
    full: bool,
    /// Why nobody may sign up now.
    closed: Option<&'static str>,
    /// The invitee's first name, when opened through an invitation.
    invitee: Option<String>,
    invitation: String,
    email_wording: String,
    phone_wording: String,
    form: SignUpForm,
    problems: Problems,
    /// After signing up: what they have.
    done: Option<&'static str>,
    emailed: bool,
}

fn page_of(p: &PublicEvent, invitation: &str, form: SignUpForm, problems: Problems) -> PublicPage {
    let e = &p.event;
    PublicPage {
        id: e.public_id.clone(),
        title: e.title.clone(),
        party: p.party.clone(),
        when: event_when(e),
        place: e.place.clone().unwrap_or_default(),
        contact: e.contact.clone().unwrap_or_default(),
        description: e.description.clone().unwrap_or_default(),
        full: p.full,
        closed: p.closed(Utc::now()),
        invitee: p.invitee.as_ref().map(|i| i.first_name.clone()),
        invitation: invitation.to_string(),
        email_wording: consent_wording(Channel::Email, &p.party),
        phone_wording: consent_wording(Channel::Phone, &p.party),
        form,
        problems,
        done: None,
        emailed: false,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Invitation {
    i: String,
}

/// `/e/{id}`: the event and its sign-up form.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Invitation>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let p = signups::public_event(&mut tx, &id, Some(&q.i)).await?;
    tx.commit().await?;
    Ok(Html(
        page_of(&p, &q.i, SignUpForm::default(), Problems::default()).render()?,
    ))
}

/// A sign-up from the public page.
pub async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    Form(form): Form<SignUpForm>,
) -> Result<Response, WebError> {
    let now = Utc::now();
    // The form again, with what was wrong, as its own read of the event.
    let again = |form: SignUpForm, problems: Vec<crate::domain::filter::FieldProblem>, status| {
        let state = &state;
        let id = &id;
        async move {
            let mut tx = state.db.begin().await?;
            let p = signups::public_event(&mut tx, id, Some(&form.invitation)).await?;
            tx.commit().await?;
            let invitation = form.invitation.clone();
            let html = page_of(&p, &invitation, form, Problems(problems)).render()?;
            Ok::<_, WebError>((status, Html(html)).into_response())
        }
    };
    let too_many = |message: &str| {
        vec![crate::domain::filter::FieldProblem {
            field: "email".into(),
            message: message.into(),
        }]
    };
    if let Err(AppError::Throttled) = signups::admit(&state.db, &client, now).await {
        let problems =
            too_many("there have been too many sign-ups from here: wait an hour and try again");
        return again(form, problems, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let done = signups::sign_up(
        &mut tx,
        &state.rules,
        today,
        now,
        &id,
        &form,
        &state.config.public_url,
    )
    .await;
    match done {
        Ok(placed) => {
            let p = signups::public_event(&mut tx, &id, Some(&form.invitation)).await?;
            tx.commit().await?;
            let mut page = page_of(
                &p,
                &form.invitation,
                SignUpForm::default(),
                Problems::default(),
            );
            // A bot caught by the hidden field is thanked like a person, so it learns
            // nothing.
            page.done = Some(match placed.as_ref().map(|p| p.state) {
                Some(crate::domain::events::Attendance::Waiting) => "You are on the waiting list",
                _ => "You are signed up",
            });
            page.emailed = placed.is_none_or(|p| p.email.is_some());
            Ok(Html(page.render()?).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            again(form, problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Throttled) => {
            drop(tx);
            let problems = too_many(
                "this address has been signed up too often in the last hour: wait and try again",
            );
            again(form, problems, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `/e/{id}/calendar.ics`: the event for anyone's calendar, when its page is open to them.
pub async fn calendar_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Invitation>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let p = signups::public_event(&mut tx, &id, Some(&q.i)).await?;
    tx.commit().await?;
    Ok(ics(signups::event_file(&p.event, Utc::now())))
}

#[derive(Template)]
#[template(path = "event_cancel.html")]
struct CancelPage {
    id: String,
    token: String,
    title: String,
    when: String,
    first_name: String,
    done: bool,
}

fn cancel_view(
    event: crate::store::events::Stored,
    first_name: String,
    (id, token): (String, String),
    done: bool,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        CancelPage {
            when: event_when(&event),
            id,
            token,
            title: event.title,
            first_name,
            done,
        }
        .render()?,
    ))
}

/// The page a cancellation link opens: a button, so a mail scanner following links
/// cancels nothing.
pub async fn cancel_page(
    State(state): State<AppState>,
    Path(link): Path<(String, String)>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let (event, first_name, _) = signups::cancellation(&mut tx, &link.0, &link.1).await?;
    tx.commit().await?;
    cancel_view(event, first_name, link, false)
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(link): Path<(String, String)>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let (event, first_name) = signups::cancel(
        &mut tx,
        &link.0,
        &link.1,
        &state.config.public_url,
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    cancel_view(event, first_name, link, true)
}
