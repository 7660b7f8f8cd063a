//! Officers' and callers' pages, one module per feature. Each handler reads the request,
//! calls the service layer (`crate::app`) or the scoped store, and renders a named view
//! struct with its template; no handler module imports another.

pub mod audit;
pub mod calls;
pub mod dashboard;
pub mod eligibility;
pub mod emails;
pub mod events;
pub mod imports;
pub mod journeys;
pub mod ladder;
pub mod members;
pub mod notices;
pub mod organisations;
pub mod presentation;
pub mod reports;
pub mod representation;
pub mod roles;
pub mod segments;
pub mod signups;
pub mod surveys;
pub mod tasks;
pub mod women;

use chrono::NaiveDate;

use super::view::opt_date;
use super::{AppState, WebError};
use crate::store::roster::{Line, Listed};

/// A row of the member list as the page shows it.
pub struct Row {
    pub id: String,
    pub number: String,
    pub name: String,
    pub branch: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub paid_until: String,
    pub contact: String,
}

fn row(l: &Listed, state: &AppState, today: NaiveDate) -> Row {
    Row::of(l.into(), state, today)
}

impl Row {
    /// A member list's row, taking the line's text rather than copying it.
    fn of(l: Line, state: &AppState, today: NaiveDate) -> Row {
        let status = l.status(&state.rules.status, today);
        Row {
            id: l.public_id,
            number: l.membership_number,
            name: [l.first_name, l.last_name].join(" "),
            branch: l.branch_name.unwrap_or_default(),
            status: status.label(),
            status_code: status.as_str(),
            paid_until: opt_date(l.paid_until),
            contact: l.contact.unwrap_or_default(),
        }
    }
}

fn query_pairs(raw: Option<String>) -> Result<Vec<(String, String)>, WebError> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).map_err(|_| {
        WebError::BadRequest("The address of this page is garbled; go back and try again.".into())
    })
}

fn query_string(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}
