//! `/present`: the meeting presentation, a slide a screen. Page Down, the arrow keys and
//! the space bar move between slides (each fills the window and the page snaps to them),
//! so no script is needed; printed, each slide is one page.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use chrono::Utc;

use crate::app::presentation;
use crate::web::auth::Officer;
use crate::web::view::chart::{self, Chart};
use crate::web::view::{event_when, uk_date};
use crate::web::{AppState, WebError};

/// One group's share of women, as a slide shows it.
struct Share {
    name: String,
    share: String,
    length: u32,
}

#[derive(Template)]
#[template(path = "presentation.html")]
struct Page {
    seen: String,
    on: String,
    members: i64,
    year_ago: i64,
    /// "up 12" or "down 3" or "no change".
    change: String,
    chart: Chart,
    period_days: i64,
    joined: usize,
    lapsed: usize,
    call_weeks: i64,
    called: i64,
    paid: i64,
    new_members: usize,
    welcomed: usize,
    coming_up: Vec<(String, String, i64)>,
    shares: Vec<Share>,
}

pub async fn page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let s = presentation::slides(&mut tx, &officer, &state.rules, today, Utc::now()).await?;
    tx.commit().await?;
    let o = &s.overview;
    let change = match o.members - s.year_ago {
        0 => "no change".to_string(),
        d if d > 0 => format!("up {d}"),
        d => format!("down {}", -d),
    };
    let shares = s
        .representation
        .groups
        .iter()
        .filter(|g| {
            matches!(
                g.code,
                "members" | "new_members" | "officers" | "meeting_attenders" | "activists"
            )
        })
        .map(|g| Share {
            name: g.name.clone(),
            share: g.figures.women_share.map_or_else(
                || "too few to show".to_string(),
                |p| format!("{p:.0}% women"),
            ),
            length: g
                .figures
                .women_share
                .map_or(0, |p| p.round().clamp(0.0, 100.0) as u32),
        })
        .collect();
    let page = Page {
        seen: s.seen.clone(),
        on: uk_date(&today),
        members: o.members,
        year_ago: s.year_ago,
        change,
        chart: chart::joins_and_lapses(
            &o.months,
            &chart::bucket(&o.months, o.joins.iter().copied()),
            &chart::bucket(&o.months, o.lapses.iter().copied()),
        ),
        period_days: s.period_days,
        joined: s.joined_in_period,
        lapsed: s.lapsed_in_period,
        call_weeks: presentation::CALL_WEEKS,
        called: s.called,
        paid: s.paid_after_a_call,
        new_members: s.new_members,
        welcomed: s.welcomed,
        coming_up: s
            .coming_up
            .iter()
            .map(|(e, signed_up, _)| (e.title.clone(), event_when(e), *signed_up))
            .collect(),
        shares,
    };
    Ok(Html(page.render()?))
}
