//! Representation: the share of women (and of people who give their gender in their own
//! words) among a local party's members, new members, officers, branch officers, meeting
//! attenders, callers and activists, by branch and month by month. Aggregates only, with
//! small counts hidden (`domain::representation`); reading it is audited.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::{AppError, Principal, Result};
use crate::domain::access::Grant;
use crate::domain::events::EventType;
use crate::domain::representation::{Shown, Tally};
use crate::domain::{Kind, Role, Rules, Status, UnitKind};
use crate::store::{Mode, Tx, accounts, events, roster, units};

/// One group and its figures.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// A stable code for exports and the API.
    pub code: &'static str,
    pub name: String,
    /// Whom it counts, in words.
    pub meaning: &'static str,
    pub figures: Shown,
}

/// A local party's representation figures.
#[derive(Debug, Clone, Serialize)]
pub struct Representation {
    pub local_party: String,
    pub on: NaiveDate,
    pub groups: Vec<Group>,
    /// Members in each branch.
    pub branches: Vec<Group>,
    /// New members who joined in each of the last twelve months.
    pub months: Vec<Group>,
    /// Members at the end of each of the last twelve months (today for this month).
    pub over_time: Vec<Group>,
}

/// How far back attending counts.
const ACTIVE_DAYS: i64 = 365;

/// Meetings where members have their say.
const MEETINGS: [EventType; 2] = [EventType::MembersMeeting, EventType::Agm];
/// Where members turn out for the party.
const ACTIVISM: [EventType; 3] = [
    EventType::StreetStall,
    EventType::Canvass,
    EventType::PhoneBank,
];

fn group(code: &'static str, name: impl Into<String>, meaning: &'static str, t: Tally) -> Group {
    Group {
        code,
        name: name.into(),
        meaning,
        figures: t.shown(),
    }
}

/// The figures for local party `unit` (a slug) on `today`, whoever asks: the command line
/// is the operator.
pub async fn of_unit(
    tx: &mut Tx<impl Mode>,
    rules: &Rules,
    unit: &str,
    today: NaiveDate,
) -> Result<Representation> {
    let u = units::find(tx, unit)
        .await?
        .filter(|u| u.kind == UnitKind::LocalParty.as_str())
        .ok_or_else(|| AppError::field("unit", format!("there is no local party '{unit}'")))?;
    figures(tx, rules, u, today).await
}

/// The figures for `who`'s local party, audited as read (no person is named in them).
pub async fn for_officer(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
) -> Result<Representation> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let lp = who.home_party().ok_or(AppError::Forbidden)?;
    let u = units::named(tx, &[lp])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let figures = figures(tx, rules, u, today).await?;
    super::audit::note(
        tx,
        who,
        Some(lp),
        "report.representation",
        &figures.local_party,
        "representation figures (aggregates only)",
        &[],
    )
    .await?;
    Ok(figures)
}

async fn figures(
    tx: &mut Tx<impl Mode>,
    rules: &Rules,
    party: units::Unit,
    today: NaiveDate,
) -> Result<Representation> {
    let lp = party.id;
    let everyone = roster::everyone(tx, &[Grant::everyone_in(lp)], 0).await?;
    let gender_of: HashMap<i64, Option<&str>> = everyone
        .iter()
        .map(|l| (l.person_id, l.gender.as_deref()))
        .collect();
    let by_email: HashMap<String, Option<&str>> = everyone
        .iter()
        .filter_map(|l| {
            l.email
                .as_deref()
                .map(|e| (e.trim().to_lowercase(), l.gender.as_deref()))
        })
        .collect();
    let members: Vec<_> = everyone
        .iter()
        .filter(|l| l.kind == Kind::Member.as_str())
        .filter(|l| {
            matches!(
                l.status(&rules.status, today),
                Status::New | Status::Current | Status::InArrears
            )
        })
        .collect();
    let new_members = members
        .iter()
        .filter(|l| l.status(&rules.status, today) == Status::New);

    // Officers are users; their gender is the one on their own record, found by address.
    let roles = accounts::roles_in(tx, &[lp]).await?;
    let officers_of = |party_level: bool| {
        let mut seen = std::collections::HashSet::new();
        Tally::of(
            roles
                .iter()
                .filter(|r| Role::parse(&r.role).is_some_and(|role| !role.volunteers()))
                .filter(|r| (r.unit_slug == party.slug) == party_level)
                .filter(|r| seen.insert(r.email.trim().to_lowercase()))
                .map(|r| {
                    by_email
                        .get(&r.email.trim().to_lowercase())
                        .copied()
                        .flatten()
                }),
        )
    };
    let mut seen_callers = std::collections::HashSet::new();
    let callers = Tally::of(
        roles
            .iter()
            .filter(|r| Role::parse(&r.role).is_some_and(Role::volunteers))
            .filter(|r| seen_callers.insert(r.email.trim().to_lowercase()))
            .map(|r| {
                by_email
                    .get(&r.email.trim().to_lowercase())
                    .copied()
                    .flatten()
            }),
    );
    let now = Utc::now();
    let since = now - Duration::days(ACTIVE_DAYS);
    let came = async |tx: &mut Tx<_>, kinds: &[EventType]| -> Result<Tally> {
        let codes: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let people = events::came_to_kinds(tx, lp, &codes, since, now).await?;
        Ok(Tally::of(
            people.iter().map(|p| gender_of.get(p).copied().flatten()),
        ))
    };
    let attenders = came(tx, &MEETINGS).await?;
    let activists = came(tx, &ACTIVISM).await?;

    let groups = vec![
        group(
            "members",
            "Members",
            "members whose membership is current, new or in arrears",
            Tally::of(members.iter().map(|l| l.gender.as_deref())),
        ),
        group(
            "new_members",
            "New members",
            "members who joined in the last 90 days",
            Tally::of(new_members.map(|l| l.gender.as_deref())),
        ),
        group(
            "officers",
            "Officers",
            "the local party's officers (each once, whatever roles they hold)",
            officers_of(true),
        ),
        group(
            "branch_officers",
            "Branch officers",
            "branch secretaries, branch membership secretaries and branch captains",
            officers_of(false),
        ),
        group(
            "meeting_attenders",
            "Meeting attenders",
            "people who came to a members' meeting or AGM in the last year",
            attenders,
        ),
        group(
            "callers",
            "Callers",
            "volunteers who call members, or are new members' buddies",
            callers,
        ),
        group(
            "activists",
            "Activists",
            "people who came to a street stall, canvass or phone bank in the last year",
            activists,
        ),
    ];

    let mut branches = Vec::new();
    for b in units::branches(tx, lp)
        .await?
        .into_iter()
        .filter(|b| !b.is_forum())
    {
        let t = Tally::of(
            members
                .iter()
                .filter(|l| l.branch_slug.as_deref() == Some(b.slug.as_str()))
                .map(|l| l.gender.as_deref()),
        );
        branches.push(group("branch", b.name, "members in the branch", t));
    }

    let months = crate::domain::dates::last_twelve_months(today)
        .into_iter()
        .map(|m| {
            let t = Tally::of(
                everyone
                    .iter()
                    .filter(|l| l.kind == Kind::Member.as_str())
                    .filter(|l| l.joined_on.year() == m.year() && l.joined_on.month() == m.month())
                    .map(|l| l.gender.as_deref()),
            );
            group(
                "joined",
                m.format("%b %Y").to_string(),
                "members who joined that month",
                t,
            )
        })
        .collect();

    // Each month's members counted back from each record's own dates: on the register by
    // the month's end, and new, current or in arrears then.
    let over_time = crate::domain::dates::last_twelve_months(today)
        .into_iter()
        .map(|m| {
            let end = m
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(m)
                .min(today);
            let t = Tally::of(
                everyone
                    .iter()
                    .filter(|l| l.kind == Kind::Member.as_str() && l.joined_on <= end)
                    .filter(|l| {
                        matches!(
                            l.status(&rules.status, end),
                            Status::New | Status::Current | Status::InArrears
                        )
                    })
                    .map(|l| l.gender.as_deref()),
            );
            group(
                "members_then",
                m.format("%b %Y").to_string(),
                "members at the end of that month",
                t,
            )
        })
        .collect();
    Ok(Representation {
        local_party: party.name,
        on: today,
        groups,
        branches,
        months,
        over_time,
    })
}

/// The columns of `rosette report representation --format csv`.
pub const CSV_COLUMNS: &[&str] = &[
    "section",
    "group",
    "women",
    "own_words",
    "other",
    "not_given",
    "total",
    "women_percent",
    "own_words_percent",
];

impl Representation {
    /// One CSV row per group, branch and month; small counts as "fewer than 5", a hidden
    /// share blank.
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        let pct = |p: Option<f64>| p.map(|p| format!("{p:.1}")).unwrap_or_default();
        [
            ("group", &self.groups),
            ("branch", &self.branches),
            ("month", &self.months),
            ("members_month", &self.over_time),
        ]
        .into_iter()
        .flat_map(|(section, groups)| {
            groups.iter().map(move |g| {
                let f = &g.figures;
                vec![
                    section.to_string(),
                    if section == "group" {
                        g.code.to_string()
                    } else {
                        g.name.clone()
                    },
                    f.women.to_string(),
                    f.own_words.to_string(),
                    f.other.to_string(),
                    f.not_given.to_string(),
                    f.total.to_string(),
                    pct(f.women_share),
                    pct(f.own_words_share),
                ]
            })
        })
        .collect()
    }
}
