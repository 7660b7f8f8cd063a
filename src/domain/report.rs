//! The Membership Action Report: for a period, which section(s) each membership falls in,
//! read from its history. Pure: the caller loads memberships and events.

use chrono::{Days, NaiveDate};

use super::filter::MemberFilter;
use super::membership::{Ending, Event, History, StatusRules};
use super::values::{EventKind, LeftReason, Status};

/// The report's sections, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    New,
    Rejoined,
    TransferredIn,
    TransferredOut,
    EnteredArrears,
    InArrears,
    Lapsed,
    Resigned,
    Deceased,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::New,
        Section::Rejoined,
        Section::TransferredIn,
        Section::TransferredOut,
        Section::EnteredArrears,
        Section::InArrears,
        Section::Lapsed,
        Section::Resigned,
        Section::Deceased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::New => "new",
            Section::Rejoined => "rejoined",
            Section::TransferredIn => "transferred_in",
            Section::TransferredOut => "transferred_out",
            Section::EnteredArrears => "entered_arrears",
            Section::InArrears => "in_arrears",
            Section::Lapsed => "lapsed",
            Section::Resigned => "resigned",
            Section::Deceased => "deceased",
        }
    }

    /// The section named by its code (`in_arrears`), as links and call lists write it.
    pub fn parse(code: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Its heading, as officers say it.
    pub fn label(self) -> &'static str {
        match self {
            Section::New => "New members",
            Section::Rejoined => "Rejoined",
            Section::TransferredIn => "Moved in",
            Section::TransferredOut => "Moved away",
            Section::EnteredArrears => "Newly in arrears",
            Section::InArrears => "In arrears",
            Section::Lapsed => "Lapsed",
            Section::Resigned => "Resigned",
            Section::Deceased => "Died",
        }
    }

    /// The member list's filter that finds its people of `period` today, if nothing
    /// changed since: a status, or for new members their joining dates. Moves, rejoinings
    /// and deaths have none (the list does not keep what they were).
    pub fn filter(self, period: Period) -> Option<MemberFilter> {
        let status = |s: Status| MemberFilter {
            statuses: vec![s],
            ..MemberFilter::default()
        };
        match self {
            Section::EnteredArrears | Section::InArrears => Some(status(Status::InArrears)),
            Section::Lapsed => Some(status(Status::Lapsed)),
            Section::Resigned => Some(status(Status::Resigned)),
            Section::New => Some(MemberFilter {
                joined_from: Some(period.from),
                joined_to: Some(period.to),
                ..MemberFilter::default()
            }),
            Section::Rejoined
            | Section::TransferredIn
            | Section::TransferredOut
            | Section::Deceased => None,
        }
    }

    /// Who is in it, in plain words that follow "People who", beside its count.
    pub fn meaning(self) -> &'static str {
        match self {
            Section::New => "joined for the first time during the period",
            Section::Rejoined => "came back after a gap in their membership",
            Section::TransferredIn => "moved into the local party from another",
            Section::TransferredOut => "moved to another local party",
            Section::EnteredArrears => {
                "fell behind with their payments during the period (they are in arrears too)"
            }
            Section::InArrears => {
                "were behind with their payments on the period's last day, not yet lapsed"
            }
            Section::Lapsed => "stopped being members during the period for not paying",
            Section::Resigned => "resigned during the period",
            Section::Deceased => "died during the period",
        }
    }
}

/// A report period: both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The `days` days ending with `to`.
    pub fn ending(to: NaiveDate, days: u32) -> Period {
        let back = u64::from(days.max(1) - 1);
        Period {
            from: to
                .checked_sub_days(Days::new(back))
                .unwrap_or(NaiveDate::MIN),
            to,
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// The period an officer's on-demand report covers: from the day after the last kept
    /// report ended, up to `today`, so no one is counted in two reports; with no earlier
    /// report, or one that ends today or later, the `days` days ending today.
    pub fn following(last_kept_to: Option<NaiveDate>, today: NaiveDate, days: u32) -> Period {
        match last_kept_to.and_then(|to| to.succ_opt()) {
            Some(from) if from <= today => Period { from, to: today },
            _ => Period::ending(today, days),
        }
    }

    /// The last period of `days` days that has ended before `today`. Periods follow one
    /// another from Monday 1 January 2024, so every server agrees where they fall.
    pub fn last_completed(today: NaiveDate, days: u32) -> Period {
        let n = i64::from(days.max(1));
        let anchor = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(NaiveDate::MIN);
        let since = (today - anchor).num_days();
        // Days into the current period; the previous period ended the day before it began.
        let into = since.rem_euclid(n);
        let end = today - chrono::Duration::days(into + 1);
        Period::ending(end, days)
    }
}

/// The sections one membership belongs in for `period`, from its `events`.
pub fn sections(rules: &StatusRules, events: &[Event], period: Period) -> Vec<Section> {
    let history = History::at(rules, events, period.to);
    let mut out = Vec::new();
    let in_period = |kind: EventKind| {
        events
            .iter()
            .any(|e| e.kind == kind && period.contains(e.on))
    };
    // A span that starts in the period is a join, unless an earlier span exists: then
    // it is a rejoining, whatever the event was called.
    for (i, span) in history.spans.iter().enumerate() {
        if period.contains(span.start) {
            let transfer = events
                .iter()
                .any(|e| e.kind == EventKind::TransferredIn && e.on == span.start);
            if transfer {
                continue;
            }
            let section = if i == 0 && !in_period(EventKind::Rejoined) {
                Section::New
            } else {
                Section::Rejoined
            };
            if !out.contains(&section) {
                out.push(section);
            }
        }
    }
    if in_period(EventKind::TransferredIn) {
        out.push(Section::TransferredIn);
    }
    if in_period(EventKind::TransferredOut) {
        out.push(Section::TransferredOut);
    }
    let status = history.status(rules, period.to);
    if status == Some(Status::InArrears) {
        if history
            .arrears_from(rules)
            .is_some_and(|d| period.contains(d))
        {
            out.push(Section::EnteredArrears);
        }
        out.push(Section::InArrears);
    }
    for span in &history.spans {
        match span.end {
            Some((end, Ending::Lapsed)) if period.contains(end) => out.push(Section::Lapsed),
            Some((end, Ending::Left(LeftReason::Resigned))) if period.contains(end) => {
                out.push(Section::Resigned)
            }
            Some((end, Ending::Left(LeftReason::Deceased))) if period.contains(end) => {
                out.push(Section::Deceased)
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::ymd as d;
    use EventKind::*;
    use chrono::Datelike;

    const R: StatusRules = StatusRules::DEFAULT;

    fn ev(kind: EventKind, on: NaiveDate, paid: Option<NaiveDate>) -> Event {
        Event::new(kind, on, paid)
    }

    /// The fortnight 1–14 March 2025.
    fn period() -> Period {
        Period::ending(d(2025, 3, 14), 14)
    }

    #[test]
    fn every_section_reads_back_from_its_code_and_has_words() {
        for s in Section::ALL {
            assert_eq!(Section::parse(s.as_str()), Some(s));
            assert!(!s.label().contains('_') && !s.meaning().is_empty());
        }
        assert_eq!(Section::parse("In arrears"), None);
        assert_eq!(Section::parse(""), None);
    }

    #[test]
    fn sections_that_a_filter_can_find_say_which() {
        let p = period();
        let arrears = Section::EnteredArrears.filter(p).expect("a status");
        assert_eq!(arrears.statuses, [Status::InArrears]);
        let new = Section::New.filter(p).expect("joining dates");
        assert_eq!((new.joined_from, new.joined_to), (Some(p.from), Some(p.to)));
        assert!(new.statuses.is_empty());
        assert!(Section::TransferredIn.filter(p).is_none());
    }

    #[test]
    fn a_period_has_its_days_both_ends_included() {
        let p = period();
        assert_eq!(p.from, d(2025, 3, 1));
        assert!(p.contains(d(2025, 3, 1)) && p.contains(d(2025, 3, 14)));
        assert!(!p.contains(d(2025, 2, 28)) && !p.contains(d(2025, 3, 15)));
    }

    #[test]
    fn an_on_demand_period_starts_where_the_last_kept_one_ended() {
        let today = d(2025, 3, 20);
        let after = Period::following(Some(d(2025, 3, 14)), today, 14);
        assert_eq!((after.from, after.to), (d(2025, 3, 15), today));
        // Kept yesterday: today alone.
        let one = Period::following(Some(d(2025, 3, 19)), today, 14);
        assert_eq!((one.from, one.to), (today, today));
        // Nothing kept, or kept up to today already: the usual length, ending today.
        for last in [None, Some(today), Some(d(2025, 4, 1))] {
            assert_eq!(
                Period::following(last, today, 14),
                Period::ending(today, 14)
            );
        }
        // A long gap is covered whole, so nobody falls between two reports.
        let long = Period::following(Some(d(2024, 12, 31)), today, 14);
        assert_eq!(long.from, d(2025, 1, 1));
    }

    #[test]
    fn completed_periods_are_fixed_fortnights() {
        // 1 Jan 2024 is the first day of a period: on 15 Jan the first fortnight is done.
        let p = Period::last_completed(d(2024, 1, 15), 14);
        assert_eq!((p.from, p.to), (d(2024, 1, 1), d(2024, 1, 14)));
        let p = Period::last_completed(d(2024, 1, 28), 14);
        assert_eq!((p.from, p.to), (d(2024, 1, 1), d(2024, 1, 14)));
        let p = Period::last_completed(d(2024, 1, 29), 14);
        assert_eq!((p.from, p.to), (d(2024, 1, 15), d(2024, 1, 28)));
        let p = Period::last_completed(d(2023, 12, 31), 14);
        assert_eq!(p.to, d(2023, 12, 17));
        assert_eq!(
            Period::last_completed(d(2026, 11, 23), 7).to.weekday(),
            chrono::Weekday::Sun
        );
    }

    #[test]
    fn joins_on_the_first_and_last_day_are_new() {
        for day in [1, 14] {
            let e = [ev(Joined, d(2025, 3, day), Some(d(2026, 2, 28)))];
            assert_eq!(sections(&R, &e, period()), [Section::New], "day {day}");
        }
        let before = [ev(Joined, d(2025, 2, 28), Some(d(2026, 2, 27)))];
        assert!(sections(&R, &before, period()).is_empty());
        let after = [ev(Joined, d(2025, 3, 15), Some(d(2026, 3, 14)))];
        assert!(sections(&R, &after, period()).is_empty());
    }

    #[test]
    fn a_rejoiner_is_rejoined_not_new() {
        let e = [
            ev(Joined, d(2020, 1, 1), Some(d(2020, 12, 31))),
            ev(Joined, d(2025, 3, 5), Some(d(2026, 3, 4))),
        ];
        assert_eq!(sections(&R, &e, period()), [Section::Rejoined]);
        let e = [
            ev(Joined, d(2020, 1, 1), Some(d(2020, 12, 31))),
            ev(Rejoined, d(2025, 3, 5), Some(d(2026, 3, 4))),
        ];
        assert_eq!(sections(&R, &e, period()), [Section::Rejoined]);
    }

    #[test]
    fn a_lapse_exactly_six_months_on_is_in_the_period() {
        // Paid until 31 Aug: in arrears from 1 Sep, lapsed from 1 March.
        let e = [ev(Joined, d(2023, 9, 1), Some(d(2024, 8, 31)))];
        assert_eq!(sections(&R, &e, period()), [Section::Lapsed]);
        let earlier = Period::ending(d(2025, 2, 28), 14);
        assert_eq!(sections(&R, &e, earlier), [Section::InArrears]);
    }

    #[test]
    fn entering_arrears_in_the_period_and_clearing_them() {
        let e = [ev(Joined, d(2024, 3, 5), Some(d(2025, 3, 4)))];
        assert_eq!(
            sections(&R, &e, period()),
            [Section::EnteredArrears, Section::InArrears]
        );
        let paid = [
            ev(Joined, d(2024, 3, 5), Some(d(2025, 3, 4))),
            ev(Renewed, d(2025, 3, 10), Some(d(2026, 3, 4))),
        ];
        assert!(
            sections(&R, &paid, period()).is_empty(),
            "a payment in the period clears arrears"
        );
        let long = [ev(Joined, d(2024, 1, 5), Some(d(2025, 1, 4)))];
        assert_eq!(
            sections(&R, &long, period()),
            [Section::InArrears],
            "in arrears since January"
        );
    }

    #[test]
    fn leavers_and_transfers() {
        let base = ev(Joined, d(2020, 1, 1), Some(d(2025, 12, 31)));
        let resigned = [base.clone(), ev(Resigned, d(2025, 3, 3), None)];
        assert_eq!(sections(&R, &resigned, period()), [Section::Resigned]);
        let died = [base.clone(), ev(Died, d(2025, 3, 14), None)];
        assert_eq!(sections(&R, &died, period()), [Section::Deceased]);
        let out = [base.clone(), ev(TransferredOut, d(2025, 3, 2), None)];
        assert_eq!(sections(&R, &out, period()), [Section::TransferredOut]);
        let came = [ev(TransferredIn, d(2025, 3, 2), Some(d(2025, 12, 31)))];
        assert_eq!(sections(&R, &came, period()), [Section::TransferredIn]);
        let moved = [base, ev(Moved, d(2025, 3, 2), None)];
        assert!(
            sections(&R, &moved, period()).is_empty(),
            "a branch move is not a section"
        );
    }
}
