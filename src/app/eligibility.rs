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
            if self.eligible { "yes" } else { "no" }.into(),
            self.reason.clone(),
        ]
    }
}

/// Everyone in `unit` (a local party, or a branch of one) checked for `right`: status on
/// `as_of`, continuous membership at `freeze` (default `as_of`), by name. Audited as a
/// report by `actor`, naming everyone listed.
pub async fn list(
    tx: &mut Tx,
    rules: &Rules,
    unit: &str,
    right: &str,
    as_of: NaiveDate,
    freeze: Option<NaiveDate>,
    actor: &str,
) -> Result<Vec<Eligible>> {
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
    let mut named = Vec::new();
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
            membership_number: m.membership.number.clone(),
            first_name: m.person.first_name.clone(),
            last_name: m.person.last_name.clone(),
            eligible: check == RightCheck::Allowed,
            reason: match check {
                RightCheck::Allowed => String::new(),
                RightCheck::Refused(why) => why,
            },
        });
        named.push(m.person_id);
    }
    out.sort_by(|a, b| {
        (a.last_name.as_str(), a.first_name.as_str())
            .cmp(&(b.last_name.as_str(), b.first_name.as_str()))
    });
    audit::record(
        tx,
        audit::Note {
            actor,
            local_party_id: Some(party),
            action: "report.eligibility",
            subject: &format!("{} in {unit}", rule.right),
            detail: &format!("{} people, as of {as_of}, freeze {freeze}", out.len()),
            people: &named,
        },
    )
    .await?;
    Ok(out)
}
