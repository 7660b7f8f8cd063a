//! What every page shows the same way: the navigation, field problems beside their
//! fields, choices in a list, and dates as people in the UK write them. Depends on no
//! handler module, so every handler module can use it.

pub mod chart;

use chrono::{Datelike, NaiveDate};

use crate::app::Principal;
use crate::domain::Channel;
use crate::domain::filter::FieldProblem;

/// Field problems, looked up by field name in templates.
#[derive(Default)]
pub struct Problems(pub Vec<FieldProblem>);

impl Problems {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// Every message in one line, for a page that shows them together, not by field.
    pub fn in_one_line(&self) -> String {
        self.0
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Problems as one message, for a page that shows them above its form.
pub fn in_words(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// "3 Dec 2026", as `d.format("%-d %b %Y")` writes it. chrono reads that pattern afresh
/// for every date, which was nearly half the cost of a member list's row.
pub fn uk_date(d: &NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match (MONTHS.get(d.month0() as usize), d.year()) {
        (Some(month), year @ 0..=9999) => {
            // Digit by digit into a string of the right size: through `write!` a date cost
            // as much as the rest of its member list row (650 instructions), and a page
            // shows fifty.
            let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
            let mut text = String::with_capacity(11);
            let day = d.day();
            if day >= 10 {
                text.push(digit(day / 10));
            }
            text.push(digit(day));
            text.push(' ');
            text.push_str(month);
            text.push(' ');
            let year = year.unsigned_abs();
            for place in [1000, 100, 10, 1] {
                text.push(digit(year / place));
            }
            text
        }
        _ => d.format("%-d %b %Y").to_string(),
    }
}

/// When an event is, in its own time zone: "Thu 3 Dec 2026, 19:30 to 21:00".
pub fn event_when(e: &crate::store::events::Stored) -> String {
    crate::domain::events::when_in_words(e.starts_at, e.ends_at, e.zone())
}

/// An iCalendar file as a response.
pub fn ics(body: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/calendar; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

pub fn opt_date(d: Option<NaiveDate>) -> String {
    d.as_ref().map(uk_date).unwrap_or_default()
}

/// Navigation shown to the signed-in officer.
pub struct Nav {
    pub name: String,
    pub csrf: String,
    pub officer: bool,
    pub secretary: bool,
    /// May import member files.
    pub imports: bool,
    /// Looks after women members: the menu offers her home.
    pub women: bool,
}

impl Nav {
    /// The menu for `who`, whose forms carry the session's `csrf` token.
    pub fn new(who: &Principal, csrf: &str) -> Nav {
        Nav {
            name: who.user.name.clone(),
            csrf: csrf.to_string(),
            officer: who.scope.is_officer(),
            secretary: !who.scope.assigns_roles.is_empty(),
            imports: !who.scope.imports.is_empty(),
            women: crate::app::women::looks_after_women(who),
        }
    }
}

/// A choice in a filter's list, with whether it is picked.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub picked: bool,
}

impl Choice {
    /// Options from (value, label) pairs with `current` picked, after a blank option
    /// labelled `blank` when one is given.
    pub fn among(
        pairs: impl IntoIterator<Item = (String, String)>,
        current: &str,
        blank: Option<&str>,
    ) -> Vec<Choice> {
        blank
            .map(|label| (String::new(), label.to_string()))
            .into_iter()
            .chain(pairs)
            .map(|(value, label)| Choice {
                picked: value == current,
                value,
                label,
            })
            .collect()
    }

    /// Options of a select, none picked, from (value, label) pairs.
    pub fn options<V: Into<String>, L: Into<String>>(
        pairs: impl IntoIterator<Item = (V, L)>,
    ) -> Vec<Choice> {
        pairs
            .into_iter()
            .map(|(value, label)| Choice {
                value: value.into(),
                label: label.into(),
                picked: false,
            })
            .collect()
    }
}

/// A labelled value, for a list of facts.
pub struct Labelled {
    pub label: String,
    pub value: String,
}

impl Labelled {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Labelled {
        Labelled {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A channel as it reads after "agreed to".
pub fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Phone => "phone calls",
        Channel::Sms => "text messages",
        Channel::Post => "post",
    }
}

/// A consent as the record shows it.
pub fn consent_text(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "Not asked",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_reads_as_chrono_writes_it() {
        let days = |from: NaiveDate, n| from.iter_days().take(n).collect::<Vec<_>>();
        let mut dates = days(NaiveDate::MIN, 3);
        for year in [0, 1, 999, 1999, 2026, 2028, 9999, 10000] {
            if let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) {
                dates.extend(days(first, 366));
            }
        }
        dates.extend(days(NaiveDate::MAX - chrono::Days::new(2), 3));
        for d in dates {
            assert_eq!(uk_date(&d), d.format("%-d %b %Y").to_string(), "{d:?}");
        }
    }
}
