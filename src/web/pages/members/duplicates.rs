//! Possible duplicates among the people an officer sees, and merging two of them.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::{AppError, audit as app_audit, members, people};
use crate::domain::duplicates::in_words;
use crate::store::roster::Listed;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Nav, Problems, opt_date, uk_date};
use crate::web::{AppState, WebError};

struct PairLine {
    a_id: String,
    a_name: String,
    a_number: String,
    b_id: String,
    b_name: String,
    b_number: String,
    why: String,
    mergeable: bool,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage {
    nav: Nav,
    pairs: Vec<PairLine>,
}

fn name(l: &Listed) -> String {
    format!("{} {}", l.first_name, l.last_name)
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let found = people::duplicates_for(&mut tx, &officer).await?;
    tx.commit().await?;
    let pairs = found
        .into_iter()
        .map(|d| PairLine {
            a_id: d.a.public_id.clone(),
            a_name: name(&d.a),
            a_number: d.a.membership_number.clone(),
            b_id: d.b.public_id.clone(),
            b_name: name(&d.b),
            b_number: d.b.membership_number.clone(),
            why: in_words(&d.why),
            mergeable: d.mergeable,
        })
        .collect();
    Ok(Html(
        DuplicatesPage {
            nav: officer.nav(),
            pairs,
        }
        .render()?,
    ))
}

struct Side {
    id: String,
    name: String,
    number: String,
}

#[derive(Template)]
#[template(path = "merge.html")]
struct MergePage {
    nav: Nav,
    a: Side,
    b: Side,
    rows: Vec<(&'static str, String, String)>,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct Pair {
    #[serde(default)]
    a: String,
    #[serde(default)]
    b: String,
}

async fn compare(
    state: &AppState,
    officer: &Officer,
    a: &str,
    b: &str,
    error: Option<String>,
) -> Result<MergePage, WebError> {
    let mut tx = state.db.begin().await?;
    let (x, y) = (
        members::find_writable(&mut tx, officer, a).await?,
        members::find_writable(&mut tx, officer, b).await?,
    );
    for l in [&x, &y] {
        app_audit::about(&mut tx, officer, l, "member.view", "merge comparison").await?;
    }
    tx.commit().await?;
    let today = (state.today)();
    let field = |f: fn(&Listed) -> String| (f(&x), f(&y));
    let mut rows = Vec::new();
    for (label, f) in [
        (
            "Number",
            (|l: &Listed| l.membership_number.clone()) as fn(&Listed) -> String,
        ),
        ("Kind", |l| l.kind.clone()),
        ("Email", |l| l.email.clone().unwrap_or_default()),
        ("Mobile", |l| l.mobile.clone().unwrap_or_default()),
        ("Phone", |l| l.phone.clone().unwrap_or_default()),
        ("Postcode", |l| l.postcode.clone().unwrap_or_default()),
        ("Branch", |l| l.branch_name.clone().unwrap_or_default()),
        ("Joined", |l| uk_date(&l.joined_on)),
        ("Paid until", |l| opt_date(l.paid_until)),
    ] {
        let (p, q) = field(f);
        rows.push((label, p, q));
    }
    rows.push((
        "Status",
        x.status(&state.rules.status, today).label().to_string(),
        y.status(&state.rules.status, today).label().to_string(),
    ));
    let side = |l: &Listed| Side {
        id: l.public_id.clone(),
        name: name(l),
        number: l.membership_number.clone(),
    };
    Ok(MergePage {
        nav: officer.nav(),
        a: side(&x),
        b: side(&y),
        rows,
        error,
    })
}

pub async fn merge_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(pair): Query<Pair>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        compare(&state, &officer, &pair.a, &pair.b, None)
            .await?
            .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct MergeForm {
    #[serde(flatten)]
    pair: Pair,
    #[serde(default)]
    keep: String,
}

pub async fn merge(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<MergeForm>,
) -> Result<Response, WebError> {
    let Pair { a, b } = &form.pair;
    let other = match form.keep.as_str() {
        k if k == a => b,
        k if k == b => a,
        _ => {
            return Err(WebError::BadRequest(
                "Choose which of the two records to keep.".into(),
            ));
        }
    };
    // Entries naming the other record are in the log before it moves them to the kept one.
    state.audit.flush().await?;
    let mut tx = state.db.begin().await?;
    match people::merge(&mut tx, &officer, (state.today)(), &form.keep, other).await {
        Ok(kept) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{}?saved=merged", kept.public_id)).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let said = Problems(problems).in_one_line();
            let page = compare(&state, &officer, a, b, Some(said)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
