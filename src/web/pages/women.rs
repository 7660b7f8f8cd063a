//! `/women`: the Women's Officer's home, and marking a new woman member welcomed.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::app::women::{self, ALL_WOMEN};
use crate::domain::WelcomeHow;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Nav, event_when, uk_date};
use crate::web::{AppState, WebError};

struct Waiting {
    id: String,
    name: String,
    branch: String,
    joined: String,
    email: bool,
    phone: bool,
}

struct Welcomed {
    id: String,
    name: String,
    how: &'static str,
    by: String,
    on: String,
}

struct Coming {
    id: String,
    title: String,
    when: String,
    signed_up: i64,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "women.html")]
struct HomePage {
    nav: Nav,
    women: i64,
    to_welcome: Vec<Waiting>,
    welcomed: Vec<Welcomed>,
    forums: Vec<women::Forum>,
    events: Vec<Coming>,
    /// Her surveys: (id, title, how many answered).
    surveys: Vec<(String, String, i64)>,
    /// The organisations she works with: (id, name).
    organisations: Vec<(String, String)>,
    hows: Vec<(&'static str, &'static str)>,
    /// The member list's filter for every woman member, for a notice to them all.
    all_women: String,
}

pub async fn home(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let h = women::home(&mut tx, &officer, &state.rules, today, Utc::now()).await?;
    tx.commit().await?;
    let page = HomePage {
        nav: officer.nav(),
        women: h.women,
        to_welcome: h
            .to_welcome
            .iter()
            .map(|l| Waiting {
                id: l.public_id.clone(),
                name: format!("{} {}", l.first_name, l.last_name),
                branch: l.branch_name.clone().unwrap_or_default(),
                joined: uk_date(&l.joined_on),
                email: l.email.is_some(),
                phone: l.mobile.is_some() || l.phone.is_some(),
            })
            .collect(),
        welcomed: h
            .welcomed
            .iter()
            .map(|(l, w)| Welcomed {
                id: l.public_id.clone(),
                name: format!("{} {}", l.first_name, l.last_name),
                how: WelcomeHow::parse(&w.how).map_or("", WelcomeHow::label),
                by: w.by_actor.clone(),
                on: uk_date(&w.at.date_naive()),
            })
            .collect(),
        forums: h.forums,
        events: h
            .events
            .iter()
            .map(|(e, signed_up, waiting)| Coming {
                id: e.public_id.clone(),
                title: e.title.clone(),
                when: event_when(e),
                signed_up: *signed_up,
                waiting: *waiting,
            })
            .collect(),
        surveys: h
            .surveys
            .iter()
            .take(10)
            .map(|s| (s.public_id.clone(), s.title.clone(), s.responses))
            .collect(),
        organisations: h
            .organisations
            .iter()
            .map(|o| (o.public_id.clone(), o.name.clone()))
            .collect(),
        hows: WelcomeHow::ALL
            .iter()
            .map(|h| (h.as_str(), h.label()))
            .collect(),
        all_women: ALL_WOMEN.to_string(),
    };
    Ok(Html(page.render()?))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct WelcomeForm {
    person: String,
    how: String,
}

pub async fn welcomed(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<WelcomeForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    women::mark_welcomed(&mut tx, &officer, &form.person, &form.how, Utc::now()).await?;
    tx.commit().await?;
    Ok(Redirect::to("/women").into_response())
}
