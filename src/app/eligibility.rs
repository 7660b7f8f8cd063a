//! Who may do what: a right from the rules file checked for everyone in a unit (the list
//! an officer prints for a meeting's door), at a date and a freeze date.

use chrono::NaiveDate;
use serde::Serialize;

use super::{AppError, Result};
use crate::domain::{RightCheck, Rules, UnitKind};
use crate::store::{Tx, audit, members, units};

/// One person on the list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Eligible {
    #[serde(skip)]
    pub person_id: i64,
    #[serde(skip)]
    pub public_id: String,
    pub membership_number: String,
    pub first_name: String,
    pub last_name: String,
    pub eligible: bool,
    /// Why not, in words; empty when eligible.
    pub reason: String,
}

pub const CSV_COLUMNS: &[&str] = &[
    "membership_number",
    "first_name",
    "last_name",
    "eligible",
    "reason",
];

impl Eligible {
    pub fn csv_row(&self) -> Vec<String> {
        vec![
            self.membership_number.clone(),
            self.first_name.clone(),
            self.last_name.clone(),
            self.eligible.to_string(),
            self.reason.clone(),
        ]
    }
}

/// What a list is asked for.
#[derive(Debug, Clone)]
pub struct Asked<'a> {
    pub unit: &'a str,
    pub right: &'a str,
    pub as_of: NaiveDate,
    /// Continuous membership is measured here; `as_of` when `None`.
    pub freeze: Option<NaiveDate>,
}

/// Everyone in the unit (a local party, or a branch of one) checked for the right:
/// status on `as_of`, continuous membership at the freeze date, by name. Audited as a
/// report by `actor`, naming everyone listed: the operator's list, unscoped.
pub async fn list(
    tx: &mut Tx,
    rules: &Rules,
    asked: &Asked<'_>,
    actor: &str,
) -> Result<Vec<Eligible>> {
    let (party, out) = checked(tx, rules, asked).await?;
    let named: Vec<i64> = out.iter().map(|e| e.person_id).collect();
    audit::record(
        tx,
        audit::Note {
            actor,
            local_party_id: Some(party),
            action: "report.eligibility",
            subject: &format!("{} in {}", asked.right.trim(), asked.unit),
            detail: &format!("{} people, as of {}", out.len(), asked.as_of),
            people: &named,
        },
    )
    .await?;
    Ok(out)
}

/// The list as an officer may see it: only the people their roles show them, in a unit
/// of one of their local parties; audited naming those shown.
pub async fn for_officer(
    tx: &mut Tx,
    who: &super::Principal,
    rules: &Rules,
    asked: &Asked<'_>,
) -> Result<Vec<Eligible>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let (party, all) = checked(tx, rules, asked).await?;
    if !who.scope.local_parties.contains(&party) {
        return Err(AppError::field(
            "unit",
            format!("there is no unit '{}'", asked.unit),
        ));
    }
    let ids: Vec<i64> = all.iter().map(|e| e.person_id).collect();
    let seen = crate::store::roster::visible_people(tx, &who.scope.read, who.user.id, &ids).await?;
    let shown: Vec<Eligible> = all
        .into_iter()
        .filter(|e| seen.contains(&e.person_id))
        .collect();
    let named: Vec<(i64, i64)> = shown.iter().map(|e| (party, e.person_id)).collect();
    super::audit::people(
        tx,
        who,
        "report.eligibility",
        &format!("who may {} in {}", asked.right.trim(), asked.unit),
        &named,
    )
    .await?;
    Ok(shown)
}

async fn checked(tx: &mut Tx, rules: &Rules, asked: &Asked<'_>) -> Result<(i64, Vec<Eligible>)> {
    let Asked {
        unit,
        right,
        as_of,
        freeze,
    } = *asked;
    let rule = rules
        .right(right)
        .map_err(|m| AppError::field("right", m))?;
    let found = units::find(tx, unit)
        .await?
        .ok_or_else(|| AppError::field("unit", format!("there is no unit '{unit}'")))?;
    let (party, branch) = if found.kind == UnitKind::Branch.as_str() {
        let parent = units::parent_id(tx, found.id).await?.unwrap_or(found.id);
        (parent, Some(found.slug.clone()))
    } else {
        (found.id, None)
    };
    let freeze = freeze.unwrap_or(as_of);
    let everyone = members::all(tx, party).await?;
    let histories = members::histories(tx, party).await?;
    let mut out = Vec::new();
    for m in everyone
        .iter()
        .filter(|m| branch.is_none() || m.membership.branch == branch)
    {
        let status = m.membership.status(&rules.status, m.suspended, as_of);
        let events = histories
            .get(&m.membership_id)
            .map_or(&[][..], Vec::as_slice);
        let check = rule.check_history(&rules.status, m.person.kind, status, events, freeze);
        out.push(Eligible {
            person_id: m.person_id,
            public_id: m.public_id.clone(),
            membership_number: m.membership.number.clone(),
            first_name: m.person.first_name.clone(),
            last_name: m.person.last_name.clone(),
            eligible: check == RightCheck::Allowed,
            reason: match check {
                RightCheck::Allowed => String::new(),
                RightCheck::Refused(why) => why,
            },
        });
    }
    out.sort_by(|a, b| {
        (a.last_name.as_str(), a.first_name.as_str())
            .cmp(&(b.last_name.as_str(), b.first_name.as_str()))
    });
    Ok((party, out))
}

/// The units an officer may list: each of their local parties and its branches, as
/// (slug, name). Callers list nobody's rights.
pub async fn units_for(
    tx: &mut Tx<impl crate::store::Mode>,
    who: &super::Principal,
) -> Result<Vec<(String, String)>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let mut out = Vec::new();
    for lp in units::named(tx, &who.scope.local_parties).await? {
        let branches = units::branches(tx, lp.id).await?;
        out.push((lp.slug, lp.name.clone()));
        out.extend(
            branches
                .into_iter()
                .map(|b| (b.slug, format!("{} — {}", lp.name, b.name))),
        );
    }
    Ok(out)
}
