//! `rosette report action`: the Membership Action Report for a local party, or a branch's
//! slice of it, computed from each membership's history (`domain::report`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::domain::access::{Grant, Reach};
use crate::domain::report::{Period, Section, sections};
use crate::domain::{Role, Rules, Status, UnitKind};
use crate::store::roster;
use crate::store::{Db, Mode, StoreError, Tx, accounts, audit, members, outbox, reports, units};

/// Who a report kept by the recurring job is recorded as made by.
pub const BY_SCHEDULE: &str = "scheduler";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Unit(String),
}

/// One person on the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub membership_number: String,
    pub first_name: String,
    pub last_name: String,
    pub branch: Option<String>,
    pub status: String,
    pub mobile: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every section, in report order, each possibly empty.
    pub sections: BTreeMap<String, Vec<Row>>,
}

/// The report for `period`, for `unit_slug`: a local party, or a branch (its slice).
/// Audited as an export of personal data by `actor`.
pub async fn action_report(
    tx: &mut Tx,
    rules: &Rules,
    unit_slug: &str,
    period: Period,
    actor: &str,
) -> Result<ActionReport, ReportError> {
    let as_of = period.to;
    let unit = units::get(tx, unit_slug).await?;
    let grant = match UnitKind::parse(&unit.kind) {
        Some(UnitKind::LocalParty) => Grant::everyone_in(unit.id),
        Some(UnitKind::Branch) => Grant {
            local_party_id: units::parent_id(tx, unit.id).await?.ok_or_else(|| {
                ReportError::Unit(format!("branch {unit_slug} has no local party"))
            })?,
            reach: Reach::Branch(unit.id),
        },
        _ => {
            return Err(ReportError::Unit(format!(
                "--unit {unit_slug} is a {}; give a local party or a branch",
                unit.kind
            )));
        }
    };
    // Sections come from the histories of the memberships that can be on the report; the
    // full rows are read only for the few people who are.
    let ids =
        roster::report_candidates(tx, &[grant], &rules.status, period.from, period.to).await?;
    let histories = members::histories_of(tx, &ids).await?;
    let mut found: HashMap<i64, Vec<Section>> = HashMap::new();
    for id in ids {
        if let Some(events) = histories.get(&id) {
            let s = sections(&rules.status, events, period);
            if !s.is_empty() {
                found.insert(id, s);
            }
        }
    }
    let listed_ids: Vec<i64> = found.keys().copied().collect();
    let rows = roster::by_memberships(tx, &[grant], 0, &listed_ids).await?;
    let mut out: BTreeMap<Section, Vec<Row>> =
        Section::ALL.iter().map(|s| (*s, Vec::new())).collect();
    let listed = rows.len();
    for r in &rows {
        let row = Row {
            id: r.public_id.clone(),
            membership_number: r.membership_number.clone(),
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            branch: r.branch_slug.clone(),
            status: r.status(&rules.status, as_of).as_str().to_string(),
            mobile: r.mobile.clone(),
            phone: r.phone.clone(),
            email: r.email.clone(),
        };
        for s in found.get(&r.membership_id).into_iter().flatten() {
            out.entry(*s).or_default().push(row.clone());
        }
    }
    audit::record(
        tx,
        audit::Note {
            actor,
            local_party_id: Some(grant.local_party_id),
            action: "report.action",
            subject: unit_slug,
            detail: &format!("{} to {}: {listed} people", period.from, period.to),
            people: &rows.iter().map(|r| r.person_id).collect::<Vec<_>>(),
        },
    )
    .await?;
    Ok(ActionReport {
        from: period.from,
        to: period.to,
        sections: out
            .into_iter()
            .map(|(s, rows)| (s.as_str().to_string(), rows))
            .collect(),
    })
}

/// The report as CSV rows (a header, then one row per person per section): codes for
/// scripts, and their names for people in the last columns.
pub fn csv_rows(report: &ActionReport) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for section in Section::ALL {
        for r in report.sections.get(section.as_str()).into_iter().flatten() {
            rows.push(vec![
                section.as_str().to_string(),
                r.membership_number.clone(),
                r.first_name.clone(),
                r.last_name.clone(),
                r.branch.clone().unwrap_or_default(),
                r.status.clone(),
                r.mobile.clone().unwrap_or_default(),
                r.phone.clone().unwrap_or_default(),
                r.email.clone().unwrap_or_default(),
                section.label().to_string(),
                Status::parse(&r.status)
                    .map_or("", Status::label)
                    .to_string(),
            ]);
        }
    }
    rows
}

pub const CSV_COLUMNS: &[&str] = &[
    "section",
    "membership_number",
    "first_name",
    "last_name",
    "branch",
    "status",
    "mobile",
    "phone",
    "email",
    // Added after the columns scripts already read by position.
    "section_name",
    "status_name",
];

/// How many days a local party's report covers: its own setting, or the rules' default.
pub async fn period_days(
    tx: &mut Tx<impl Mode>,
    rules: &Rules,
    local_party_id: i64,
) -> Result<u32, crate::store::StoreError> {
    Ok(units::report_period_days(tx, local_party_id)
        .await?
        .unwrap_or(rules.report.period_days))
}

/// Generates and keeps the report of `local_party` for `period`, unless it is kept
/// already, and queues an email with the counts (no names) to its Membership Officers and
/// to each branch's officers for their slice. All in one transaction: a server that loses
/// the race to keep it stores nothing and sends nothing. Returns the kept report's id if
/// this call made it.
pub async fn keep(
    db: &Db,
    rules: &Rules,
    local_party: &units::Unit,
    period: Period,
    by: &str,
    public_url: &str,
) -> Result<Option<String>, ReportError> {
    let mut tx = db.begin().await?;
    if reports::exists(&mut tx, local_party.id, period.to).await? {
        return Ok(None);
    }
    let report = action_report(&mut tx, rules, &local_party.slug, period, by).await?;
    let body = serde_json::to_string(&report).map_err(|e| ReportError::Unit(e.to_string()))?;
    let Some(id) =
        reports::keep_once(&mut tx, local_party.id, period.from, period.to, by, &body).await?
    else {
        return Ok(None);
    };
    let link = format!("{}/reports/{id}", public_url.trim_end_matches('/'));
    for role in accounts::roles_in(&mut tx, &[local_party.id]).await? {
        let slice: Option<&str> = match Role::parse(&role.role) {
            Some(Role::MembershipOfficer) => None,
            Some(Role::BranchSecretary | Role::BranchMembershipSecretary) => {
                Some(role.unit_slug.as_str())
            }
            _ => continue,
        };
        let counts: Vec<String> = Section::ALL
            .iter()
            .map(|s| {
                let n = report
                    .sections
                    .get(s.as_str())
                    .map(|rows| {
                        rows.iter()
                            .filter(|r| slice.is_none() || r.branch.as_deref() == slice)
                            .count()
                    })
                    .unwrap_or(0);
                format!("  {:<18} {n}", s.label())
            })
            .collect();
        let scope = slice.map_or_else(|| local_party.name.clone(), |_| role.unit_name.clone());
        let body = format!(
            "Hello {},\n\nThe Membership Action Report for {scope}, {} to {}, is ready:\n\n{}\n\nSee who is on it, and share out the calls, here (sign in first):\n{link}\n",
            role.name,
            period.from.format("%-d %B"),
            period.to.format("%-d %B %Y"),
            counts.join("\n")
        );
        if !outbox::is_suppressed(&mut tx, &role.email).await? {
            outbox::enqueue(
                &mut tx,
                &role.email,
                &format!("Membership Action Report: {scope}"),
                &body,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(Some(id))
}

/// An officer asks for a report up to today (their own local party's), starting where
/// the last kept one ended; returns the kept report's id, whether this call kept it or an earlier one did.
pub async fn make(
    db: &Db,
    who: &crate::app::Principal,
    rules: &Rules,
    today: chrono::NaiveDate,
    public_url: &str,
) -> Result<String, crate::app::AppError> {
    use crate::app::AppError;
    let lp = who
        .scope
        .whole_parties()
        .first()
        .copied()
        .ok_or(AppError::Forbidden)?;
    let unreadable = |e: ReportError| match e {
        ReportError::Store(e) => AppError::Store(e),
        ReportError::Unit(m) => AppError::field("unit", m),
    };
    let mut tx = db.begin_read().await?;
    let last_kept = reports::list(&mut tx, &[lp], 1).await?;
    let period = Period::following(
        last_kept.first().map(|k| k.period_to),
        today,
        period_days(&mut tx, rules, lp).await?,
    );
    let party = units::named(&mut tx, &[lp])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if let Some(id) = keep(db, rules, &party, period, who.actor(), public_url)
        .await
        .map_err(unreadable)?
    {
        return Ok(id);
    }
    let mut tx = db.begin_read().await?;
    let kept = reports::list(&mut tx, &[lp], 60).await?;
    tx.commit().await?;
    kept.into_iter()
        .find(|k| k.period_to == period.to)
        .map(|k| k.public_id)
        .ok_or(AppError::NotFound)
}
