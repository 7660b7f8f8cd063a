//! The audit log, for those who read it: who read, exported or changed what, filtered.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use crate::domain::actions::ACTIONS;
use crate::domain::dates::parse_date;
use crate::domain::fields::check_text;
use crate::store::{accounts, audit};
use crate::web::auth::Officer;
use crate::web::view::{Choice, Nav};
use crate::web::{AppState, WebError};

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    entries: Vec<Line>,
    actions: Vec<Choice>,
    form: AuditQuery,
    older: Option<String>,
    error: Option<String>,
}

/// An entry as the page shows it: the officer's name (their email beside it) and the
/// action in words.
struct Line {
    at: String,
    by: String,
    actor: String,
    what: String,
    subject: String,
    detail: String,
}

#[derive(serde::Deserialize, serde::Serialize, Default, Clone)]
#[serde(default)]
pub struct AuditQuery {
    actor: String,
    action: String,
    about: String,
    from: String,
    to: String,
    before: String,
}

pub async fn audit_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    if officer.scope.reads_audit.is_empty() {
        return Err(WebError::Forbidden);
    }
    let mut error = None;
    let mut blank = |s: &str| match check_text(s, false) {
        Ok(()) => (!s.trim().is_empty()).then(|| s.trim().to_string()),
        Err(e) => {
            error = Some(format!("Search: {e}"));
            None
        }
    };
    let (actor, action, about) = (blank(&q.actor), blank(&q.action), blank(&q.about));
    let blank = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let mut date = |field: &str, text: &str| match blank(text).map(|t| parse_date(&t)) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            error = Some(format!("{field}: {e}"));
            None
        }
        None => None,
    };
    let search = audit::Search {
        local_parties: officer.scope.reads_audit.clone(),
        actor,
        action,
        about,
        from: date("From", &q.from),
        to: date("To", &q.to),
        before: q.before.trim().parse().ok(),
    };
    // List views' entries wait in the journal for a moment; the page shows them all.
    state.audit.flush().await?;
    let mut tx = state.db.begin().await?;
    let entries = audit::search(&mut tx, &search, 100).await?;
    let mut actors: Vec<&str> = entries.iter().map(|e| e.actor.as_str()).collect();
    actors.sort_unstable();
    actors.dedup();
    let names = accounts::names_by_email(&mut tx, &actors).await?;
    tx.commit().await?;
    let older = (entries.len() == 100).then(|| {
        let mut next = q.clone();
        next.before = entries.last().map(|e| e.id.to_string()).unwrap_or_default();
        serde_urlencoded::to_string(&next).unwrap_or_default()
    });
    let page = AuditPage {
        nav: officer.nav(),
        entries: entries
            .iter()
            .map(|e| Line {
                at: e.at.format("%-d %b %Y %H:%M:%S").to_string(),
                by: names
                    .get(&e.actor)
                    .cloned()
                    .unwrap_or_else(|| e.actor.clone()),
                actor: e.actor.clone(),
                what: crate::domain::actions::label(&e.action).to_string(),
                subject: e.subject.clone(),
                detail: e.detail.clone(),
            })
            .collect(),
        actions: ACTIONS
            .iter()
            .map(|(code, words)| Choice {
                value: (*code).into(),
                label: (*words).into(),
                picked: q.action.trim() == *code,
            })
            .collect(),
        form: q,
        older,
        error,
    };
    crate::web::render(&page, page.error.is_some())
}
