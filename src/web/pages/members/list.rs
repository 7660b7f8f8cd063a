//! The member list: search, filters, paging and export, all within the officer's scope.

use chrono::NaiveDate;

use crate::domain::Rules;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::app::export;
use crate::app::members;
use crate::domain::filter::{Cursor, GenderFilter, MemberFilter, Sort};
use crate::domain::{Channel, Kind, Status};
use crate::store::units::Unit;
use crate::web::auth::Officer;
use crate::web::pages::{Row, query_pairs, query_string};
use crate::web::view::{Choice, Nav, Problems, channel_label};
use crate::web::{AppState, WebError};

/// A date filter's field: its query key, its label and what was typed.
struct DateField {
    name: &'static str,
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MemberList {
    nav: Nav,
    q: String,
    rows: Vec<Row>,
    total: i64,
    /// Whom the list is drawn from: "the Riverside branch".
    seen: String,
    next: Option<String>,
    first_page: Option<String>,
    problems: Problems,
    choices: Choices,
    branches: Vec<Choice>,
    dates: Vec<DateField>,
    tags: String,
    query: String,
    can_export: bool,
    can_add: bool,
    filtered: bool,
}

/// The branches the officer sees, for the filter form, and whom the list is drawn from in
/// words.
fn branches_and_seen(
    mut branches: Vec<(i64, Unit)>,
    named: &[Unit],
    officer: &Officer,
    picked: &[String],
) -> (Vec<Choice>, String) {
    let grants = &officer.scope.read;
    // By name within each local party, the parties in the order of the officer's roles.
    branches.sort_by_key(|(lp, _)| grants.iter().position(|g| g.local_party_id == *lp));
    let choices = branches
        .into_iter()
        .map(|(_, b)| Choice {
            picked: picked.contains(&b.slug),
            value: b.slug,
            label: b.name,
        })
        .collect();
    (choices, officer.seen_among(named))
}

/// The filter form's options, each marked if the filter has it.
struct Choices {
    statuses: Vec<Choice>,
    rates: Vec<Choice>,
    kinds: Vec<Choice>,
    genders: Vec<Choice>,
    consents: Vec<Choice>,
    sorts: Vec<Choice>,
}

impl Choices {
    fn of(filter: &MemberFilter, rules: &Rules, today: NaiveDate) -> Choices {
        let picked_consent = |c: Channel, wanted: bool| filter.consents.contains(&(c, wanted));
        Choices {
            statuses: Status::ALL
                .iter()
                .map(|s| Choice {
                    value: s.as_str().into(),
                    label: s.label().into(),
                    picked: filter.statuses.contains(s),
                })
                .collect(),
            rates: rules
                .rates
                .iter()
                .filter(|r| r.valid_on(today))
                .map(|r| Choice {
                    value: r.code.clone(),
                    label: r.name.clone(),
                    picked: filter.rates.contains(&r.code),
                })
                .collect(),
            kinds: Kind::ALL
                .iter()
                .map(|k| Choice {
                    value: k.as_str().into(),
                    label: k.label().into(),
                    picked: filter.kinds.contains(k),
                })
                .collect(),
            genders: GenderFilter::ALL
                .iter()
                .map(|g| Choice {
                    value: g.as_str().into(),
                    label: g.label().into(),
                    picked: filter.genders.contains(g),
                })
                .collect(),
            consents: Channel::ALL
                .iter()
                .flat_map(|c| {
                    [true, false].map(|wanted| Choice {
                        value: if wanted {
                            c.as_str().to_string()
                        } else {
                            format!("no_{}", c.as_str())
                        },
                        label: format!(
                            "{} {}",
                            if wanted { "Agreed to" } else { "No consent to" },
                            channel_label(*c)
                        ),
                        picked: picked_consent(*c, wanted),
                    })
                })
                .collect(),
            sorts: Sort::ALL
                .iter()
                .map(|s| Choice {
                    value: s.as_str().into(),
                    label: s.label().into(),
                    picked: filter.sort == *s,
                })
                .collect(),
        }
    }
}

/// People on one page of the list.
const PAGE_SIZE: u64 = 50;

pub async fn member_list(
    State(state): State<AppState>,
    officer: Officer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw)?;
    let today = (state.today)();
    let (filter, problems) = match MemberFilter::parse(&pairs) {
        Ok(f) => (f, Problems::default()),
        Err(p) => (MemberFilter::default(), Problems(p)),
    };
    let cursor_text = pairs
        .iter()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.as_str());
    let cursor = match cursor_text.filter(|c| !c.is_empty()) {
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
            WebError::BadRequest("That page link is not valid; start from the first page.".into())
        })?),
        None => None,
    };
    // The page, its count and its units are one statement, so no transaction (its BEGIN
    // and COMMIT are trips of their own).
    let mut tx = state.db.read_once().await?;
    let found = members::search(
        &mut tx,
        &officer,
        &state.rules,
        today,
        &filter,
        cursor.as_ref(),
        PAGE_SIZE,
    )
    .await?;
    drop(tx);
    let members::Found {
        rows,
        next,
        total,
        branches,
        named,
    } = found.audited(&state.audit).await?;
    let query = filter.to_query();
    let (branches, seen) = branches_and_seen(branches, &named, &officer, &filter.branches);
    let with = |extra: Option<String>| {
        let mut p = filter.to_pairs();
        if let Some(c) = extra {
            p.push(("cursor", c));
        }
        format!("/members?{}", query_string(&p))
    };
    let raw_value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let page = MemberList {
        nav: officer.nav(),
        q: if problems.any() {
            raw_value("q")
        } else {
            filter.q.clone()
        },
        rows: rows
            .into_iter()
            .map(|l| Row::of(l, &state, today))
            .collect(),
        total,
        seen,
        next: next.map(|c| with(Some(c.encode()))),
        first_page: cursor.map(|_| with(None)),
        choices: Choices::of(&filter, &state.rules, today),
        branches,
        dates: [
            ("joined_from", "Joined on or after"),
            ("joined_to", "Joined on or before"),
            ("paid_from", "Paid until on or after"),
            ("paid_to", "Paid until on or before"),
        ]
        .into_iter()
        .map(|(name, label)| DateField {
            name,
            label,
            value: raw_value(name),
        })
        .collect(),
        tags: filter.tags.join(", "),
        can_export: !officer.scope.export.is_empty(),
        can_add: !officer.scope.write.is_empty(),
        filtered: !filter.is_empty(),
        query,
        problems,
    };
    crate::web::render(&page, page.problems.any())
}

pub async fn export(
    State(state): State<AppState>,
    officer: Officer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw)?;
    let filter = MemberFilter::parse(&pairs).map_err(|p| {
        WebError::BadRequest(
            p.iter()
                .map(|x| format!("{}: {}", x.field, x.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let format = match pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str())
    {
        None | Some("csv") => export::Format::Csv,
        Some("xlsx") => export::Format::Xlsx,
        Some(other) => {
            return Err(WebError::BadRequest(format!(
                "'{other}' is not an export format: use csv or xlsx"
            )));
        }
    };
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let table = export::list(&mut tx, &officer, &state.rules, today, &filter).await?;
    tx.commit().await?;
    let stamp = today.format("%Y-%m-%d");
    Ok(match format {
        export::Format::Csv => {
            let mut out = Vec::new();
            export::write_csv(&mut out, export::LIST_COLUMNS, &table)?;
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"members-{stamp}.csv\""),
                    ),
                ],
                out,
            )
                .into_response()
        }
        export::Format::Xlsx => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"members-{stamp}.xlsx\""),
                ),
            ],
            export::xlsx_bytes(export::LIST_COLUMNS, &table)?,
        )
            .into_response(),
    })
}
