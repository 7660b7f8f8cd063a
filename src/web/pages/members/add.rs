//! Adding a person by hand, with the import's checks and a warning when they look like
//! someone already recorded.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;

use crate::app::people::{self, Likely, NewPerson};
use crate::app::{AppError, Principal};
use crate::domain::Kind;
use crate::domain::duplicates::in_words;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Choice, Nav, Problems};
use crate::web::{AppState, WebError};

struct LikelyView {
    id: Option<String>,
    name: String,
    number: String,
    why: String,
}

#[derive(Template)]
#[template(path = "member_add.html")]
struct AddPage {
    nav: Nav,
    values: HashMap<String, String>,
    kinds: Vec<Choice>,
    branches: Vec<Choice>,
    rates: Vec<Choice>,
    problems: Problems,
    likely: Vec<LikelyView>,
}

impl AddPage {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }
}

async fn page(
    state: &AppState,
    officer: &Principal,
    nav: Nav,
    values: HashMap<String, String>,
    problems: Problems,
    likely: Vec<Likely>,
) -> Result<AddPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let places = people::places(&mut tx, officer, &state.rules, None).await?;
    tx.commit().await?;
    let get = |k: &str| values.get(k).map_or("", String::as_str);
    let kinds = Kind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.label().to_string()));
    let only_branch = (places.branches.len() == 1).then(|| places.branches[0].0.clone());
    let branch = only_branch.as_deref().unwrap_or(get("branch"));
    let rate = match get("rate") {
        "" if values.is_empty() => "standard",
        r => r,
    };
    Ok(AddPage {
        nav,
        kinds: Choice::among(kinds, get("kind"), None),
        branches: Choice::among(places.branches.clone(), branch, Some("No branch")),
        rates: Choice::among(places.rates, rate, Some("No rate")),
        likely: likely
            .into_iter()
            .map(|l| {
                let (id, name) = l.seen.unzip();
                LikelyView {
                    id,
                    name: name.unwrap_or_default(),
                    number: l.membership_number.unwrap_or_default(),
                    why: in_words(&l.why),
                }
            })
            .collect(),
        values,
        problems,
    })
}

pub async fn add_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let nav = officer.nav();
    let page = page(
        &state,
        &officer,
        nav,
        HashMap::new(),
        Problems::default(),
        Vec::new(),
    )
    .await?;
    Ok(Html(page.render()?))
}

pub async fn add(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let allow_duplicate = form
        .iter()
        .any(|(k, v)| k == "allow_duplicate" && v == "yes");
    let fields: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| k != "csrf" && k != "allow_duplicate")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let values: HashMap<String, String> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let added = match NewPerson::from_pairs(fields.iter().copied()) {
        Ok(mut input) => {
            input.allow_duplicate = allow_duplicate;
            let mut tx = state.db.begin().await?;
            let added = people::add(&mut tx, &officer, &state.rules, (state.today)(), input).await;
            if added.is_ok() {
                tx.commit().await?;
            }
            added
        }
        Err(problems) => Err(AppError::Invalid(problems)),
    };
    let (problems, likely) = match added {
        Ok(l) => {
            return Ok(
                Redirect::to(&format!("/members/{}?saved=added", l.public_id)).into_response(),
            );
        }
        Err(AppError::Invalid(problems)) => (Problems(problems), Vec::new()),
        Err(AppError::Duplicate(likely)) => (Problems::default(), likely),
        Err(e) => return Err(e.into()),
    };
    let nav = officer.nav();
    let page = page(&state, &officer, nav, values, problems, likely).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
