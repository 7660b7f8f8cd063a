//! Importing a member file from the web: upload, see and change how its columns are read,
//! check it, import it. Only the Secretary and the Membership Officer may.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::{AppError, imports};
use crate::import::{Field, LEAVE_OUT, Problem};
use crate::web::auth::{Officer, Posted, Uploaded};
use crate::web::view::{Choice, Nav, Problems, uk_date};
use crate::web::{AppState, WebError};

/// Problems shown on the page; the rest are counted.
const SHOWN: usize = 500;

struct Recent {
    id: String,
    name: String,
    when: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    nav: Nav,
    recent: Vec<Recent>,
    error: Option<String>,
}

fn state_words(state: &str) -> &'static str {
    match state {
        "checked" => "checked, ready to import",
        "imported" => "imported",
        "failed" => "has problems",
        _ => "not checked yet",
    }
}

async fn upload_page(
    state: &AppState,
    officer: &Officer,
    error: Option<String>,
) -> Result<ImportPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let recent = imports::recent(&mut tx, officer).await?;
    tx.commit().await?;
    Ok(ImportPage {
        nav: officer.nav(),
        recent: recent
            .into_iter()
            .map(|u| Recent {
                id: u.public_id,
                name: u.file_name,
                when: uk_date(&u.created_at.date_naive()),
                state: state_words(&u.state),
            })
            .collect(),
        error,
    })
}

pub async fn page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    Ok(Html(upload_page(&state, &officer, None).await?.render()?))
}

pub async fn upload(
    State(state): State<AppState>,
    Uploaded {
        officer,
        file_name,
        bytes,
    }: Uploaded,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match imports::upload(&mut tx, &officer, &file_name, bytes).await {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/import/{id}")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let said = Problems(problems).in_one_line();
            let page = upload_page(&state, &officer, Some(said)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct Column {
    header: String,
    options: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "import_file.html")]
struct FilePage {
    nav: Nav,
    id: String,
    name: String,
    running: bool,
    doing: &'static str,
    done: usize,
    total: usize,
    outcome: Vec<String>,
    failed: bool,
    checked: bool,
    problems: Vec<Problem>,
    more: usize,
    header_problems: Vec<String>,
    columns: Vec<Column>,
    value_maps: String,
    orders: Vec<Choice>,
    error: Option<String>,
}

async fn file_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    error: Option<String>,
) -> Result<FilePage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let shown = imports::show(&mut tx, officer, id).await?;
    tx.commit().await?;
    let fields: Vec<(String, String)> = Field::ALL
        .iter()
        .map(|f| (f.name().to_string(), f.name().to_string()))
        .collect();
    let columns = shown
        .headers
        .iter()
        .filter(|(h, _)| !h.trim().is_empty())
        .map(|(header, field)| Column {
            header: header.trim().to_string(),
            options: Choice::among(
                std::iter::once((LEAVE_OUT.to_string(), "Not imported".to_string()))
                    .chain(fields.iter().cloned()),
                field.map_or(LEAVE_OUT, |f| f.name()),
                None,
            ),
        })
        .collect();
    let order = shown.choices.date_order.map_or("", |o| o.as_str());
    let orders = Choice::among(
        [
            ("dmy", "Day first: 29/02/2024"),
            ("mdy", "Month first: 02/29/2024"),
            ("ymd", "Year first: 2024/02/29"),
        ]
        .map(|(v, l)| (v.to_string(), l.to_string())),
        order,
        Some("As the file shows (a day above 12 says which)"),
    );
    let u = &shown.upload;
    let (running, dry_run, done, total) = match shown.progress {
        Some((dry_run, done, total)) => (true, dry_run, done, total),
        None => (false, false, 0, 0),
    };
    let mut problems = shown.problems;
    let more = problems.len().saturating_sub(SHOWN);
    problems.truncate(SHOWN);
    Ok(FilePage {
        nav: officer.nav(),
        id: u.public_id.clone(),
        name: u.file_name.clone(),
        running,
        doing: if dry_run { "Checking" } else { "Importing" },
        done,
        total,
        outcome: u
            .outcome
            .as_deref()
            .map(|o| o.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        failed: u.state == "failed",
        checked: u.state == "checked",
        problems,
        more,
        header_problems: shown.header_problems,
        columns,
        value_maps: shown
            .choices
            .value_maps
            .iter()
            .map(|(f, v, c)| format!("{f}:{v}={c}"))
            .collect::<Vec<_>>()
            .join("\n"),
        orders,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        file_page(&state, &officer, &id, None).await?.render()?,
    ))
}

/// Saves how the file is read and checks it, or imports a checked file.
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let today = (state.today)();
    let started = match get("action") {
        "check" => {
            let fields: Vec<(String, String)> = form
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("m:").map(|h| (h.to_string(), v.clone())))
                .collect();
            let mut tx = state.db.begin().await?;
            match imports::choose(
                &mut tx,
                &officer,
                &id,
                &fields,
                get("value_maps"),
                get("date_order"),
            )
            .await
            {
                Ok(()) => {
                    tx.commit().await?;
                    imports::start(&state.db, state.rules.clone(), &officer, &id, true, today).await
                }
                Err(e) => Err(e),
            }
        }
        "import" => {
            imports::start(&state.db, state.rules.clone(), &officer, &id, false, today).await
        }
        _ => {
            return Err(WebError::BadRequest(
                "Choose to check the file or import it.".into(),
            ));
        }
    };
    match started {
        Ok(()) => Ok(Redirect::to(&format!("/import/{id}")).into_response()),
        Err(AppError::Invalid(problems)) => {
            let said = Problems(problems).in_one_line();
            let page = file_page(&state, &officer, &id, Some(said)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
