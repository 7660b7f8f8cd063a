//! Who may exercise a right at a meeting: the list an officer prints for the door.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use crate::app::AppError;
use crate::app::eligibility::{self, Asked, Eligible};
use crate::domain::dates::parse_date;
use crate::web::auth::Officer;
use crate::web::view::{Choice, Nav, in_words};
use crate::web::{AppState, WebError};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct EligibilityQuery {
    right: String,
    unit: String,
    as_of: String,
    freeze: String,
}

#[derive(Template)]
#[template(path = "eligibility.html")]
struct EligibilityPage {
    nav: Nav,
    rights: Vec<Choice>,
    units: Vec<Choice>,
    as_of: String,
    freeze: String,
    asked: bool,
    label: String,
    people: Vec<Eligible>,
    eligible: usize,
    error: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<EligibilityQuery>,
) -> Result<Response, WebError> {
    let today = (state.today)();
    let mut error = None;
    let mut date = |field: &str, text: &str| match text.trim() {
        "" => None,
        t => parse_date(t)
            .map_err(|e| error = Some(format!("{field}: {e}")))
            .ok(),
    };
    let as_of = date("The day", &q.as_of).unwrap_or(today);
    let freeze = date("The freeze date", &q.freeze);
    let mut tx = state.db.begin().await?;
    let units = eligibility::units_for(&mut tx, &officer).await?;
    let unit = if q.unit.is_empty() {
        units.first().map(|(s, _)| s.clone()).unwrap_or_default()
    } else {
        q.unit.clone()
    };
    let asked = !q.right.is_empty() && error.is_none();
    let people = if asked {
        let ask = Asked {
            unit: &unit,
            right: &q.right,
            as_of,
            freeze,
        };
        match eligibility::for_officer(&mut tx, &officer, &state.rules, &ask).await {
            Ok(p) => p,
            Err(AppError::Invalid(problems)) => {
                error = Some(in_words(&problems));
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        Vec::new()
    };
    tx.commit().await?;
    let page = EligibilityPage {
        nav: officer.nav(),
        rights: state
            .rules
            .rights
            .iter()
            .map(|r| Choice {
                value: r.right.clone(),
                label: r.label.clone(),
                picked: r.right == q.right,
            })
            .collect(),
        units: units
            .into_iter()
            .map(|(slug, name)| Choice {
                picked: slug == unit,
                value: slug,
                label: name,
            })
            .collect(),
        as_of: as_of.to_string(),
        freeze: freeze.map(|d| d.to_string()).unwrap_or_default(),
        label: state
            .rules
            .rights
            .iter()
            .find(|r| r.right == q.right)
            .map(|r| r.label.clone())
            .unwrap_or_default(),
        eligible: people.iter().filter(|p| p.eligible).count(),
        asked: asked && error.is_none(),
        people,
        error,
    };
    crate::web::render(&page, page.error.is_some())
}
