//! `/notices`: a notice to every branch's officers, and who has read it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::app::AppError;
use crate::app::notices;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Nav, Problems, uk_date};
use crate::web::{AppState, WebError};

struct Line {
    id: String,
    subject: String,
    on: String,
    /// For the recipient: whether they have opened it.
    read: bool,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct NoticeForm {
    subject: String,
    body: String,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct ListPage {
    nav: Nav,
    sender: bool,
    sent: Vec<Line>,
    mine: Vec<Line>,
    form: NoticeForm,
    problems: Problems,
}

async fn list_page(
    state: &AppState,
    officer: &Officer,
    form: NoticeForm,
    problems: Problems,
) -> Result<ListPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let (sent, mine, sender) = notices::list(&mut tx, officer).await?;
    tx.commit().await?;
    let line = |n: &crate::store::notices::Notice, read: bool| Line {
        id: n.public_id.clone(),
        subject: n.subject.clone(),
        on: uk_date(&n.sent_at.date_naive()),
        read,
    };
    Ok(ListPage {
        nav: officer.nav(),
        sender,
        sent: sent.iter().map(|n| line(n, true)).collect(),
        mine: mine.iter().map(|(n, r)| line(n, r.is_some())).collect(),
        form,
        problems,
    })
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let page = list_page(&state, &officer, NoticeForm::default(), Problems::default()).await?;
    Ok(Html(page.render()?))
}

pub async fn send(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<NoticeForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let sent = notices::send(
        &mut tx,
        &officer,
        &form.subject,
        &form.body,
        &state.config.public_url,
        Utc::now(),
    )
    .await;
    match sent {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/notices/{id}")).into_response())
        }
        Err(AppError::Invalid(p)) => {
            drop(tx);
            let page = list_page(&state, &officer, form, Problems(p)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct Reader {
    name: String,
    email: String,
    read: String,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    nav: Nav,
    subject: String,
    body: String,
    from: String,
    on: String,
    readers: Option<Vec<Reader>>,
    read_count: usize,
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let o = notices::open(&mut tx, &officer, &id, Utc::now()).await?;
    tx.commit().await?;
    let readers: Option<Vec<Reader>> = o.readers.map(|rs| {
        rs.into_iter()
            .map(|r| Reader {
                name: r.name,
                email: r.email,
                read: r.read_at.map_or_else(
                    || "Not yet".to_string(),
                    |at| format!("Read {}", uk_date(&at.date_naive())),
                ),
            })
            .collect()
    });
    let read_count = readers
        .as_ref()
        .map_or(0, |rs| rs.iter().filter(|r| r.read != "Not yet").count());
    Ok(Html(
        NoticePage {
            nav: officer.nav(),
            subject: o.notice.subject,
            body: o.notice.body,
            from: o.notice.sent_by,
            on: uk_date(&o.notice.sent_at.date_naive()),
            readers,
            read_count,
        }
        .render()?,
    ))
}
