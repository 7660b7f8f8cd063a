//! The Membership Action Report pages: kept reports, each shown within the reader's scope
//! (a branch officer sees their branch's slice), with live figures beside them.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::{HashMap, HashSet};

use crate::app::audit as app_audit;
use crate::app::report::{self, ActionReport};
use crate::domain::History;
use crate::domain::calls::Outcome;
use crate::domain::filter::MemberFilter;
use crate::domain::report::{Period, Section};
use crate::store::roster::{self, ListQuery};
use crate::store::{Mode, Tx, accounts, calls, reports, units};
use crate::web::auth::{NoFields, Officer, Posted};
use crate::web::view::chart::{self, Chart};
use crate::web::view::{Nav, uk_date};
use crate::web::{AppState, WebError};

fn officer_only(o: &Officer) -> Result<(), WebError> {
    if o.scope.is_officer() {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    nav: Nav,
    kept: Vec<KeptReport>,
    can_make: bool,
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    officer_only(&officer)?;
    let mut tx = state.db.begin_read().await?;
    let kept = reports::list(&mut tx, &officer.scope.local_parties, 52).await?;
    // Made by a person, named as people know them; or by the schedule.
    let mut names: HashMap<String, String> = HashMap::new();
    for k in &kept {
        if !names.contains_key(&k.generated_by) {
            let name = maker(&mut tx, &k.generated_by).await?;
            names.insert(k.generated_by.clone(), name);
        }
    }
    tx.commit().await?;
    Ok(Html(
        ReportsPage {
            nav: officer.nav(),
            kept: kept
                .into_iter()
                .map(|k| KeptReport {
                    id: k.public_id,
                    period: format!("{} to {}", uk_date(&k.period_from), uk_date(&k.period_to)),
                    by: names
                        .get(&k.generated_by)
                        .cloned()
                        .unwrap_or(k.generated_by),
                })
                .collect(),
            can_make: !officer.scope.whole_parties().is_empty(),
        }
        .render()?,
    ))
}

/// Who made a report, as people know them: an officer's name, or the schedule.
async fn maker(tx: &mut Tx<impl Mode>, generated_by: &str) -> Result<String, WebError> {
    Ok(match accounts::user_by_email(tx, generated_by).await? {
        Some(u) => u.name,
        None if generated_by == report::BY_SCHEDULE => "the schedule".into(),
        None => generated_by.to_string(),
    })
}

/// Makes (and keeps) the report for the period ending today, on demand.
pub async fn make(
    State(state): State<AppState>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let id = report::make(
        &state.db,
        &officer,
        &state.rules,
        (state.today)(),
        &state.config.public_url,
    )
    .await?;
    Ok(Redirect::to(&format!("/reports/{id}")).into_response())
}

/// One kept report's counts, section by section, for the trends table.
struct TrendRow {
    label: String,
    counts: Vec<usize>,
}

/// A kept report in the list.
struct KeptReport {
    id: String,
    period: String,
    by: String,
}

/// Someone on a report, as its page lists them.
pub struct ReportPerson {
    pub id: String,
    pub name: String,
    pub number: String,
    pub branch: String,
}

/// How many of a branch's people on a report have been contacted since it was made, and
/// how many more were called without being reached.
struct BranchProgress {
    branch: String,
    contacted: usize,
    tried: usize,
    n: usize,
}

/// A section as shown: its name, how many, and the people.
pub struct ShownSection {
    pub code: &'static str,
    pub title: &'static str,
    pub meaning: &'static str,
    pub rows: Vec<ReportPerson>,
    pub live: i64,
    pub contacted: usize,
    pub tried: usize,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    nav: Nav,
    report_id: String,
    branches: Vec<BranchProgress>,
    period: String,
    generated: String,
    sections: Vec<ShownSection>,
    total: usize,
}

/// Which people on these reports the officer may see: the store's scope decides.
async fn visible_on(
    tx: &mut Tx<impl Mode>,
    officer: &Officer,
    reports: &[&ActionReport],
) -> Result<HashMap<String, i64>, WebError> {
    let mut ids: Vec<&str> = reports
        .iter()
        .flat_map(|r| r.sections.values().flatten())
        .map(|row| row.id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(roster::visible(tx, &officer.scope.read, officer.user.id, &ids).await?)
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    officer_only(&officer)?;
    let mut tx = state.db.begin().await?;
    let kept = reports::get(&mut tx, &id, &officer.scope.local_parties)
        .await?
        .ok_or(WebError::NotFound)?;
    let report: ActionReport = serde_json::from_str(&kept.body)
        .map_err(|e| WebError::BadRequest(format!("this report cannot be read: {e}")))?;
    // Live: the same sections for the same period, computed now, within scope.
    let party = units::named(&mut tx, &[kept.local_party_id])
        .await?
        .pop()
        .ok_or(WebError::NotFound)?;
    let live = report::action_report(
        &mut tx,
        &state.rules,
        &party.slug,
        Period {
            from: kept.period_from,
            to: kept.period_to,
        },
        officer.actor(),
    )
    .await
    .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let visible = visible_on(&mut tx, &officer, &[&report, &live]).await?;
    // Each person once, though they may be in two sections (newly in arrears are in
    // arrears too).
    let shown_ids: Vec<String> = report
        .sections
        .values()
        .flatten()
        .filter(|r| visible.contains_key(&r.id))
        .map(|r| r.id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut contacted = HashSet::new();
    let mut tried = HashSet::new();
    for (id, outcome) in calls::outcomes_since(&mut tx, &shown_ids, kept.generated_at).await? {
        if Outcome::parse(&outcome).is_some_and(Outcome::contacted) {
            contacted.insert(id);
        } else {
            tried.insert(id);
        }
    }
    // Tried: called, but not yet reached by any call.
    tried.retain(|id| !contacted.contains(id));
    // The report keeps branch slugs; people read branch names.
    let branch_names: HashMap<String, String> = units::branches(&mut tx, kept.local_party_id)
        .await?
        .into_iter()
        .map(|b| (b.slug, b.name))
        .collect();
    let shown = |s: Section| -> Vec<ReportPerson> {
        report
            .sections
            .get(s.as_str())
            .into_iter()
            .flatten()
            .filter(|r| visible.contains_key(&r.id))
            .map(|r| ReportPerson {
                id: r.id.clone(),
                name: format!("{} {}", r.first_name, r.last_name),
                number: r.membership_number.clone(),
                branch: r
                    .branch
                    .as_ref()
                    .map(|slug| branch_names.get(slug).unwrap_or(slug).clone())
                    .unwrap_or_default(),
            })
            .collect()
    };
    let mut branch_of: HashMap<String, String> = HashMap::new();
    let sections: Vec<ShownSection> = Section::ALL
        .iter()
        .map(|s| {
            let rows = shown(*s);
            for r in &rows {
                branch_of.insert(r.id.clone(), r.branch.clone());
            }
            let live_n = live
                .sections
                .get(s.as_str())
                .map(|rows| rows.iter().filter(|r| visible.contains_key(&r.id)).count())
                .unwrap_or(0);
            ShownSection {
                code: s.as_str(),
                title: s.label(),
                meaning: s.meaning(),
                contacted: rows.iter().filter(|r| contacted.contains(&r.id)).count(),
                tried: rows.iter().filter(|r| tried.contains(&r.id)).count(),
                rows,
                live: live_n as i64,
            }
        })
        .collect();
    let total = shown_ids.len();
    let mut by_branch: std::collections::BTreeMap<String, BranchProgress> = Default::default();
    for id in &shown_ids {
        let branch = branch_of
            .get(id)
            .filter(|b| !b.is_empty())
            .cloned()
            .unwrap_or_else(|| "No branch".into());
        let e = by_branch
            .entry(branch.clone())
            .or_insert_with(|| BranchProgress {
                branch,
                contacted: 0,
                tried: 0,
                n: 0,
            });
        e.n += 1;
        e.contacted += usize::from(contacted.contains(id));
        e.tried += usize::from(tried.contains(id));
    }
    app_audit::note(
        &mut tx,
        &officer,
        Some(kept.local_party_id),
        "report.view",
        &kept.public_id,
        &format!("{total} people shown"),
        &shown_ids
            .iter()
            .filter_map(|id| visible.get(id).copied())
            .collect::<Vec<_>>(),
    )
    .await?;
    let made_by = maker(&mut tx, &kept.generated_by).await?;
    tx.commit().await?;
    let page = ReportPage {
        nav: officer.nav(),
        report_id: kept.public_id.clone(),
        branches: by_branch.into_values().collect(),
        period: format!(
            "{} to {}",
            uk_date(&kept.period_from),
            uk_date(&kept.period_to)
        ),
        generated: format!(
            "{} by {}",
            kept.generated_at.format("%-d %b %Y %H:%M"),
            made_by
        ),
        sections,
        total,
    };
    Ok((StatusCode::OK, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    format: String,
}

/// A kept report as CSV or XLSX, within the reader's scope.
pub async fn export(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ExportQuery>,
) -> Result<Response, WebError> {
    if officer.scope.export.is_empty() {
        return Err(WebError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let kept = reports::get(&mut tx, &id, &officer.scope.local_parties)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut report: ActionReport = serde_json::from_str(&kept.body)
        .map_err(|e| WebError::BadRequest(format!("this report cannot be read: {e}")))?;
    let visible = visible_on(&mut tx, &officer, &[&report]).await?;
    for rows in report.sections.values_mut() {
        rows.retain(|r| visible.contains_key(&r.id));
    }
    let table = report::csv_rows(&report);
    app_audit::note(
        &mut tx,
        &officer,
        Some(kept.local_party_id),
        "export",
        &kept.public_id,
        &format!(
            "action report {} to {}: {} rows",
            kept.period_from,
            kept.period_to,
            table.len()
        ),
        &report
            .sections
            .values()
            .flatten()
            .filter_map(|r| visible.get(&r.id).copied())
            .collect::<Vec<_>>(),
    )
    .await?;
    tx.commit().await?;
    let name = format!("action-report-{}", kept.period_to);
    let (kind, ext, bytes) = match q.format.as_str() {
        "" | "csv" => {
            let mut out = Vec::new();
            crate::app::export::write_csv(&mut out, report::CSV_COLUMNS, &table)?;
            ("text/csv; charset=utf-8", "csv", out)
        }
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            crate::app::export::xlsx_bytes(report::CSV_COLUMNS, &table)?,
        ),
        other => {
            return Err(WebError::BadRequest(format!(
                "'{other}' is not an export format: use csv or xlsx"
            )));
        }
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "trends.html")]
struct TrendsPage {
    nav: Nav,
    chart: Chart,
    retention_chart: Chart,
    rows: Vec<TrendRow>,
    columns: Vec<&'static str>,
    members_then: usize,
    still_members: usize,
    retention: String,
    year_ago: String,
}

/// Section sizes over past kept reports, and how many of a year ago's members still are,
/// within the reader's scope.
pub async fn trends(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    officer_only(&officer)?;
    let today = (state.today)();
    let year_ago = crate::domain::dates::sub_months(today, 12);
    let mut tx = state.db.begin_read().await?;
    let mut kept = reports::list(&mut tx, &officer.scope.local_parties, 26).await?;
    kept.reverse();
    let parsed: Vec<ActionReport> = kept
        .iter()
        .map(|k| serde_json::from_str(&k.body))
        .collect::<Result<_, _>>()
        .map_err(|e| WebError::BadRequest(format!("a report cannot be read: {e}")))?;
    let visible = visible_on(&mut tx, &officer, &parsed.iter().collect::<Vec<_>>()).await?;
    let mut rows = Vec::new();
    for (k, report) in kept.iter().zip(&parsed) {
        let counts: Vec<usize> = Section::ALL
            .iter()
            .map(|s| {
                report.sections.get(s.as_str()).map_or(0, |r| {
                    r.iter().filter(|x| visible.contains_key(&x.id)).count()
                })
            })
            .collect();
        rows.push(TrendRow {
            label: k.period_to.format("%-d %b").to_string(),
            counts,
        });
    }
    let col = |s: Section| Section::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let gains: Vec<usize> = rows
        .iter()
        .map(|r| r.counts[col(Section::New)] + r.counts[col(Section::Rejoined)])
        .collect();
    let losses: Vec<usize> = rows
        .iter()
        .map(|r| {
            let c = &r.counts;
            c[col(Section::Lapsed)] + c[col(Section::Resigned)] + c[col(Section::Deceased)]
        })
        .collect();
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    // Retention: of the people in scope who were members a year ago, how many still are.
    let filter = MemberFilter::default();
    let q = ListQuery {
        grants: &officer.scope.read,
        user_id: officer.user.id,
        filter: &filter,
        bounds: state.rules.status.bounds(today),
    };
    let (people, _) = roster::list(&mut tx, &q, None, 10_000_000).await?;
    let mut parties: Vec<i64> = people.iter().map(|p| p.local_party_id).collect();
    parties.sort_unstable();
    parties.dedup();
    // For each of the last twelve month starts: of those who were members a year before
    // it, how many still were on it.
    let months = chart::last_twelve_months(today);
    let mut kept_counts = vec![0usize; months.len()];
    let mut lost_counts = vec![0usize; months.len()];
    let (mut then, mut still) = (0, 0);
    let is_member = |events: &[crate::domain::Event], on: chrono::NaiveDate| {
        History::at(&state.rules.status, events, on)
            .status(&state.rules.status, on)
            .is_some_and(|s| s.is_member())
    };
    for lp in parties {
        let histories = crate::store::members::histories(&mut tx, lp).await?;
        for p in people.iter().filter(|p| p.local_party_id == lp) {
            let Some(events) = histories.get(&p.membership_id) else {
                continue;
            };
            if is_member(events, year_ago) {
                then += 1;
                if is_member(events, today) {
                    still += 1;
                }
            }
            for (i, m) in months.iter().enumerate() {
                if is_member(events, crate::domain::dates::sub_months(*m, 12)) {
                    if is_member(events, *m) {
                        kept_counts[i] += 1;
                    } else {
                        lost_counts[i] += 1;
                    }
                }
            }
        }
    }
    tx.commit().await?;
    let page = TrendsPage {
        nav: officer.nav(),
        chart: chart::pairs("Report ending", &labels, &gains, &losses),
        retention_chart: chart::joins_and_lapses(&months, &kept_counts, &lost_counts),
        rows,
        columns: Section::ALL.iter().map(|s| s.label()).collect(),
        members_then: then,
        still_members: still,
        retention: if then == 0 {
            "—".into()
        } else {
            format!("{:.0}%", still as f64 * 100.0 / then as f64)
        },
        year_ago: uk_date(&year_ago),
    };
    Ok(Html(page.render()?))
}
