//! `/reports/representation`: the share of women among each group the Women's Officer
//! argues about, by branch and month by month, with the 50:50 line drawn. Aggregates only.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use crate::app::representation::{self, Group};
use crate::domain::representation::Figure;
use crate::web::auth::Officer;
use crate::web::view::Nav;
use crate::web::{AppState, WebError};

/// One row as the page shows it.
struct Row {
    name: String,
    meaning: &'static str,
    women: Figure,
    own_words: Figure,
    other: Figure,
    not_given: Figure,
    total: Figure,
    /// "48%", or "hidden" when it would give a small count away.
    share: String,
    /// The bar's length, 0 to 100.
    length: u32,
    own_share: String,
}

fn rows(groups: &[Group]) -> Vec<Row> {
    groups
        .iter()
        .map(|g| {
            let f = &g.figures;
            let pct =
                |p: Option<f64>| p.map_or_else(|| "hidden".to_string(), |p| format!("{p:.0}%"));
            Row {
                name: g.name.clone(),
                meaning: g.meaning,
                women: f.women,
                own_words: f.own_words,
                other: f.other,
                not_given: f.not_given,
                total: f.total,
                share: pct(f.women_share),
                length: f
                    .women_share
                    .map_or(0, |p| p.round().clamp(0.0, 100.0) as u32),
                own_share: pct(f.own_words_share),
            }
        })
        .collect()
}

struct Section {
    title: &'static str,
    rows: Vec<Row>,
    /// Each row says whom it counts (the groups do; branches and months need not).
    explained: bool,
}

#[derive(Template)]
#[template(path = "representation.html")]
struct Page {
    nav: Nav,
    party: String,
    on: String,
    sections: Vec<Section>,
}

pub async fn page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let r = representation::for_officer(&mut tx, &officer, &state.rules, today).await?;
    tx.commit().await?;
    Ok(Html(
        Page {
            nav: officer.nav(),
            party: r.local_party.clone(),
            on: crate::web::view::uk_date(&r.on),
            sections: vec![
                Section {
                    title: "Who takes part",
                    rows: rows(&r.groups),
                    explained: true,
                },
                Section {
                    title: "Members by branch",
                    rows: rows(&r.branches),
                    explained: false,
                },
                Section {
                    title: "Members month by month",
                    rows: rows(&r.over_time),
                    explained: false,
                },
                Section {
                    title: "New members by month joined",
                    rows: rows(&r.months),
                    explained: false,
                },
            ],
        }
        .render()?,
    ))
}
