//! Emails to members: the list, compose, the email's page (who gets it and why not, a
//! preview as any recipient, test, send now or later, cancel, progress), and the
//! unsubscribe and email-choices pages a recipient reaches from a link without an account.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDateTime, TimeZone};

use crate::app::AppError;
use crate::app::emails::{self as app_emails, Draft, Figures, Shown};
use crate::domain::Channel;
use crate::domain::emails::{FIELDS, Purpose};
use crate::store::emails::Email;
use crate::web::auth::{NoFields, Officer, Posted};
use crate::web::view::{Choice, Nav, in_words};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "emails.html")]
struct ListPage {
    nav: Nav,
    emails: Vec<Email>,
}

impl ListPage {
    fn state_words(&self, state: &str) -> &'static str {
        app_emails::state_words(state)
    }
}

pub async fn list(State(state): State<AppState>, officer: Officer) -> Result<Response, WebError> {
    let mut tx = state.db.begin_read().await?;
    let emails = app_emails::list(&mut tx, &officer).await?;
    tx.commit().await?;
    crate::web::render(
        &ListPage {
            nav: officer.nav(),
            emails,
        },
        false,
    )
}

#[derive(Template)]
#[template(path = "email_new.html")]
struct ComposePage {
    nav: Nav,
    form: ComposeForm,
    purposes: Vec<Choice>,
    audiences: Vec<Choice>,
    fields: Vec<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct ComposeForm {
    subject: String,
    body: String,
    purpose: String,
    audience: String,
    sender_name: String,
    reply_to: String,
}

async fn compose_page(
    state: &AppState,
    officer: &Officer,
    form: ComposeForm,
    error: Option<String>,
) -> Result<Response, WebError> {
    app_emails::may_send(officer)?;
    let mut tx = state.db.begin_read().await?;
    let segments = crate::app::segments::list(&mut tx, officer).await?;
    tx.commit().await?;
    let mut audiences: Vec<Choice> = vec![Choice {
        value: String::new(),
        label: "Everyone you can write to".into(),
        picked: form.audience.is_empty(),
    }];
    if !form.audience.is_empty() && !form.audience.starts_with("segment:") {
        audiences.push(Choice {
            value: form.audience.clone(),
            label: format!("The member list's filter: {}", form.audience),
            picked: true,
        });
    }
    audiences.extend(segments.into_iter().map(|s| {
        let value = format!("segment:{}", s.public_id);
        Choice {
            picked: value == form.audience,
            value,
            label: format!("Segment: {}", s.name),
        }
    }));
    let purposes = Purpose::ALL
        .into_iter()
        .map(|p| Choice {
            value: p.as_str().into(),
            label: p.label().into(),
            picked: p.as_str() == form.purpose
                || (form.purpose.is_empty() && p == Purpose::Campaign),
        })
        .collect();
    let page = ComposePage {
        nav: officer.nav(),
        form,
        purposes,
        audiences,
        fields: FIELDS
            .iter()
            .map(|(n, _)| format!("{{{{ {n} }}}}"))
            .collect(),
        error,
    };
    crate::web::render(&page, page.error.is_some())
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    audience: String,
}

pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    let form = ComposeForm {
        audience: q.audience,
        ..ComposeForm::default()
    };
    compose_page(&state, &officer, form, None).await
}

pub async fn create(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<ComposeForm>,
) -> Result<Response, WebError> {
    let draft = Draft {
        subject: form.subject.clone(),
        body: form.body.clone(),
        purpose: form.purpose.clone(),
        audience: form.audience.clone(),
        sender_name: form.sender_name.clone(),
        reply_to: form.reply_to.clone(),
        ..Draft::default()
    };
    let mut tx = state.db.begin().await?;
    match app_emails::create(&mut tx, &officer, &draft).await {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/emails/{id}")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            compose_page(&state, &officer, form, Some(in_words(&problems))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Someone the draft leaves out, as its page lists them.
struct Left {
    id: String,
    name: String,
    why: &'static str,
}

#[derive(Template)]
#[template(path = "email.html")]
struct EmailPage {
    nav: Nav,
    email: Email,
    purpose: &'static str,
    state: &'static str,
    figures: Figures,
    skipped: Vec<(&'static str, i64)>,
    left: Vec<Left>,
    recipients: Vec<Choice>,
    previewing: String,
    preview_subject: String,
    preview_text: String,
    needs_imprint: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    refresh: bool,
    mail_folder: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default, rename = "as")]
    person: String,
    #[serde(default)]
    tested: String,
}

async fn email_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    q: ShowQuery,
    error: Option<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let shown: Shown =
        app_emails::show(&mut tx, officer, &state.rules, (state.today)(), id, true).await?;
    let person = Some(q.person.as_str()).filter(|p| !p.is_empty());
    let (preview, chosen) = app_emails::preview(&mut tx, officer, &shown, person).await?;
    tx.commit().await?;
    let reach = shown.reach.clone().unwrap_or_default();
    let picked = chosen.map(|p| p.public_id).unwrap_or_default();
    let page = EmailPage {
        nav: officer.nav(),
        purpose: shown.purpose.label(),
        state: app_emails::state_words(&shown.email.state),
        skipped: shown
            .figures
            .skipped
            .iter()
            .map(|(s, n)| (s.label(), *n))
            .collect(),
        left: reach
            .skipped
            .iter()
            .take(500)
            .map(|(p, why)| Left {
                id: p.public_id.clone(),
                name: format!("{} {}", p.first_name, p.last_name),
                why: why.label(),
            })
            .collect(),
        recipients: reach
            .recipients
            .iter()
            .take(app_emails::RECIPIENTS_NAMED)
            .map(|p| Choice {
                picked: p.public_id == picked,
                value: p.public_id.clone(),
                label: format!("{} {}", p.first_name, p.last_name),
            })
            .collect(),
        previewing: if picked.is_empty() {
            "a sample member".into()
        } else {
            "the recipient chosen".into()
        },
        preview_subject: preview.subject,
        preview_text: preview.text,
        needs_imprint: crate::domain::emails::ready(
            shown.purpose,
            shown.settings.email_imprint.as_deref(),
        )
        .err(),
        notice: (!q.tested.is_empty())
            .then(|| format!("A test copy is on its way to {}.", officer.user.email)),
        refresh: matches!(shown.email.state.as_str(), "sending" | "scheduled"),
        mail_folder: crate::web::auth::mail_folder(state),
        figures: shown.figures,
        email: shown.email,
        error,
    };
    crate::web::render(&page, page.error.is_some())
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    email_page(&state, &officer, &id, q, None).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SendForm {
    /// A `datetime-local` value in the server's (the local party's) time zone; empty
    /// for now.
    at: String,
}

pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<SendForm>,
) -> Result<Response, WebError> {
    let at = match form.at.trim() {
        "" => None,
        text => match NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
            // The server's own time zone, as `today` is: the local party's.
            Ok(local) => chrono::Local
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc)),
            Err(_) => {
                let error = "The time to send should be a date and time, like 2026-12-01 18:30.";
                return email_page(
                    &state,
                    &officer,
                    &id,
                    ShowQuery::default(),
                    Some(error.into()),
                )
                .await;
            }
        },
    };
    let mut tx = state.db.begin().await?;
    let sent = app_emails::send(&mut tx, &officer, &state.rules, (state.today)(), &id, at).await;
    back_to_email(&state, &officer, &id, tx, sent).await
}

/// Back to the email's page after a change, or the page again saying why it was refused.
async fn back_to_email<T>(
    state: &AppState,
    officer: &Officer,
    id: &str,
    tx: crate::store::Tx,
    result: crate::app::Result<T>,
) -> Result<Response, WebError> {
    match result {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/emails/{id}")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let error = Some(in_words(&problems));
            email_page(state, officer, id, ShowQuery::default(), error).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_emails::send_test(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/emails/{id}?tested=1")).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let cancelled = app_emails::cancel(&mut tx, &officer, &id).await;
    back_to_email(&state, &officer, &id, tx, cancelled).await
}

/// An officer lifts a bounce from a person's address.
pub async fn lift_bounce(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_emails::lift_bounce(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "bounced.html")]
struct BouncedPage {
    nav: Nav,
    people: Vec<(String, String, String, String)>,
}

/// Everyone in the officer's scope whose address bounced.
pub async fn bounced(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin_read().await?;
    let rows = app_emails::bounced(&mut tx, &officer, &state.rules, (state.today)()).await?;
    tx.commit().await?;
    let rows = rows.audited(&state.audit).await?;
    let page = BouncedPage {
        nav: officer.nav(),
        people: rows
            .into_iter()
            .map(|(p, why, at)| {
                (
                    p.public_id,
                    format!("{} {}", p.first_name, p.last_name),
                    p.email.unwrap_or_default(),
                    format!("{}: {why}", at.format("%-d %b %Y")),
                )
            })
            .collect(),
    };
    crate::web::render(&page, false)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    imprint: String,
    sender_name: String,
    reply_to: String,
    per_minute: String,
}

#[derive(Template)]
#[template(path = "email_settings.html")]
struct SettingsPage {
    nav: Nav,
    party: String,
    form: SettingsForm,
    saved: bool,
    error: Option<String>,
}

async fn settings_page(
    state: &AppState,
    officer: &Officer,
    form: Option<SettingsForm>,
    saved: bool,
    error: Option<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin_read().await?;
    let current = app_emails::settings(&mut tx, officer).await?;
    tx.commit().await?;
    let form = form.unwrap_or_else(|| SettingsForm {
        imprint: current.email_imprint.clone().unwrap_or_default(),
        sender_name: current.email_sender_name.clone().unwrap_or_default(),
        reply_to: current.email_reply_to.clone().unwrap_or_default(),
        per_minute: current
            .email_per_minute
            .map(|n| n.to_string())
            .unwrap_or_default(),
    });
    let page = SettingsPage {
        nav: officer.nav(),
        party: current.name,
        form,
        saved,
        error,
    };
    crate::web::render(&page, page.error.is_some())
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

/// The Secretary's email settings: imprint, sender, replies, sending rate.
pub async fn settings_get(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    settings_page(&state, &officer, None, !q.saved.is_empty(), None).await
}

pub async fn settings(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<SettingsForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match app_emails::save_settings(
        &mut tx,
        &officer,
        &form.imprint,
        &form.sender_name,
        &form.reply_to,
        &form.per_minute,
    )
    .await
    {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/emails/settings?saved=1").into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let error = Some(in_words(&problems));
            settings_page(&state, &officer, Some(form), false, error).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    token: String,
    first_name: String,
    done: bool,
    email_consent: Option<bool>,
}

/// The page an unsubscribe link opens: one button, so a link scanner that follows every
/// link unsubscribes nobody.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let (_, link) = app_emails::link(&mut tx, &token).await?;
    tx.commit().await?;
    unsubscribe_view(token, link, false)
}

fn unsubscribe_view(
    token: String,
    link: app_emails::Link,
    done: bool,
) -> Result<Response, WebError> {
    crate::web::render(
        &UnsubscribePage {
            token,
            first_name: link.first_name,
            done,
            email_consent: link.email_consent,
        },
        false,
    )
}

/// RFC 8058 one-click unsubscribe: a POST to the link (from a mail client with the body
/// `List-Unsubscribe=One-Click`, or the page's button) unsubscribes at once. No session
/// and no CSRF token: the signed token is the proof.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let link = app_emails::unsubscribe(&mut tx, &token).await?;
    tx.commit().await?;
    unsubscribe_view(token, link, true)
}

#[derive(Template)]
#[template(path = "email_choices.html")]
struct ChoicesPage {
    token: String,
    first_name: String,
    channels: Vec<(&'static str, &'static str, bool)>,
    saved: bool,
}

fn choices_page(token: String, link: &app_emails::Link, saved: bool) -> Result<Response, WebError> {
    let channels = vec![
        ("email", "Email", link.email_consent == Some(true)),
        ("phone", "Phone calls", link.phone_consent == Some(true)),
        ("sms", "Text messages", link.sms_consent == Some(true)),
        ("post", "Post", link.post_consent == Some(true)),
    ];
    crate::web::render(
        &ChoicesPage {
            token,
            first_name: link.first_name.clone(),
            channels,
            saved,
        },
        false,
    )
}

/// A recipient's own email choices: which channels they agree to, reached by the same
/// signed token as the unsubscribe link.
pub async fn choices_page_get(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let (_, link) = app_emails::link(&mut tx, &token).await?;
    tx.commit().await?;
    choices_page(token, &link, false)
}

pub async fn choices_save(
    State(state): State<AppState>,
    Path(token): Path<String>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let picked = |c: &str| form.iter().any(|(k, v)| k == "channel" && v == c);
    let choices: Vec<(Channel, bool)> = Channel::ALL
        .iter()
        .map(|c| (*c, picked(c.as_str())))
        .collect();
    let mut tx = state.db.begin().await?;
    let (recipient, link) = app_emails::link(&mut tx, &token).await?;
    app_emails::set_consents(&mut tx, &recipient, &link, &choices).await?;
    let (_, link) = app_emails::link(&mut tx, &token).await?;
    tx.commit().await?;
    choices_page(token, &link, true)
}
