//! `/reports/ladder`: from member to activist, a funnel for everyone, for women members and
//! for each branch, each rung a link to the people on it.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use crate::app::ladder;
use crate::domain::ladder::Rung;
use crate::web::auth::Officer;
use crate::web::view::Nav;
use crate::web::{AppState, WebError};

struct Step {
    label: &'static str,
    meaning: &'static str,
    on: u64,
    reached: u64,
    /// The bar's length: reached as a share of everyone in the group.
    length: u32,
    /// The member list of those on this rung.
    href: String,
}

struct Group {
    name: String,
    steps: Vec<Step>,
    /// Came at least twice and never volunteered: who to ask to a canvass.
    ready: String,
}

#[derive(Template)]
#[template(path = "ladder.html")]
struct Page {
    nav: Nav,
    groups: Vec<Group>,
}

pub async fn page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin_read().await?;
    let funnels = ladder::funnels(&mut tx, &officer, &state.rules, today).await?;
    tx.commit().await?;
    let groups = funnels
        .into_iter()
        .map(|f| {
            let all = f.reached[0].max(1);
            Group {
                steps: Rung::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Step {
                        label: r.label(),
                        meaning: r.meaning(),
                        on: f.on[i],
                        reached: f.reached[i],
                        length: u32::try_from(f.reached[i] * 100 / all).unwrap_or(100),
                        href: format!("/members?{}&rung={}", f.filter, r.as_str()),
                    })
                    .collect(),
                ready: format!("/members?{}&rung=attended&attended_min=2", f.filter),
                name: f.name,
            }
        })
        .collect();
    Ok(Html(
        Page {
            nav: officer.nav(),
            groups,
        }
        .render()?,
    ))
}
