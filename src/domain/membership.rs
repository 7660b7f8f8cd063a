//! Memberships over time: the spans of continuous membership read from a history of
//! events, and the status at any date. Lapsing is derived from the paid-until date at the
//! moment of reading, so nothing here needs a nightly job to stay true.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::dates::add_months;
use super::values::{EventKind, LeftReason, Status};

/// How long a member counts as new, and how long arrears last before a membership lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRules {
    pub new_days: u32,
    pub lapse_after_months: u32,
}

impl StatusRules {
    /// What a status means under these rules, in words that follow its name, so each
    /// figure can say what it counts.
    pub fn meaning(&self, status: Status) -> String {
        let months = self.lapse_after_months;
        match status {
            Status::New => format!("joined in the last {} days and paid up", self.new_days),
            Status::Current => "paid up".into(),
            Status::InArrears => format!(
                "members whose paid-until date has passed; they lapse after {months} months in arrears"
            ),
            Status::Lapsed => {
                format!("in arrears for more than {months} months: no longer members")
            }
            Status::Resigned => "resigned".into(),
            Status::Deceased => "died".into(),
            Status::Expelled => "expelled".into(),
            Status::Suspended => "suspended: still members, without the rights".into(),
        }
    }

    /// The brief's defaults: new for 90 days, lapsed after 6 months in arrears.
    pub const DEFAULT: StatusRules = StatusRules {
        new_days: 90,
        lapse_after_months: 6,
    };

    /// The first day in arrears: the day after paid-until, or the first day of the span if
    /// nothing has been paid.
    pub fn arrears_from(&self, start: NaiveDate, paid_until: Option<NaiveDate>) -> NaiveDate {
        match paid_until {
            Some(p) if p >= start => p.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX),
            _ => start,
        }
    }

    /// The first day a membership with these dates is lapsed.
    pub fn lapses_on(&self, start: NaiveDate, paid_until: Option<NaiveDate>) -> NaiveDate {
        add_months(
            self.arrears_from(start, paid_until),
            self.lapse_after_months,
        )
    }

    /// `status` of a membership as it is stored: its end state by its code and date (an
    /// unknown code reads as not ended, as an import would never write one).
    pub fn status_recorded(
        &self,
        start: NaiveDate,
        paid_until: Option<NaiveDate>,
        left: (Option<&str>, Option<NaiveDate>),
        suspended: bool,
        on: NaiveDate,
    ) -> Status {
        let left = left.0.and_then(LeftReason::parse).zip(left.1);
        self.status(start, paid_until, left, suspended, on)
    }

    /// Status on `on` of a membership whose current span began on `start`, recorded as
    /// ended (`left`, effective on its date) or not.
    pub fn status(
        &self,
        start: NaiveDate,
        paid_until: Option<NaiveDate>,
        left: Option<(LeftReason, NaiveDate)>,
        suspended: bool,
        on: NaiveDate,
    ) -> Status {
        if let Some((reason, left_on)) = left
            && left_on <= on
        {
            return match reason {
                LeftReason::Resigned => Status::Resigned,
                LeftReason::Deceased => Status::Deceased,
                LeftReason::Expelled => Status::Expelled,
            };
        }
        if on >= self.lapses_on(start, paid_until) {
            Status::Lapsed
        } else if suspended {
            Status::Suspended
        } else if on >= self.arrears_from(start, paid_until) {
            Status::InArrears
        } else if on
            < start
                .checked_add_days(Days::new(u64::from(self.new_days)))
                .unwrap_or(NaiveDate::MAX)
        {
            Status::New
        } else {
            Status::Current
        }
    }
}

/// The dates that divide the statuses on one day, so a database can select by status with
/// plain date comparisons instead of computing each row's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusBounds {
    pub on: NaiveDate,
    /// A membership whose first day in arrears is on or before this date has lapsed.
    pub lapsed_if_arrears_from_by: NaiveDate,
    /// A membership whose span started after this date is still new.
    pub new_if_started_after: NaiveDate,
}

impl StatusRules {
    pub fn bounds(&self, on: NaiveDate) -> StatusBounds {
        // add_months clamps to month ends, so it is not invertible; it is monotone, so the
        // last date that lapses by `on` is found by stepping from an estimate.
        let lapses_by = |d: NaiveDate| add_months(d, self.lapse_after_months) <= on;
        let mut last = super::dates::sub_months(on, self.lapse_after_months);
        while let Some(next) = last.succ_opt().filter(|d| lapses_by(*d)) {
            last = next;
        }
        while !lapses_by(last) {
            match last.pred_opt() {
                Some(prev) => last = prev,
                None => break,
            }
        }
        StatusBounds {
            on,
            lapsed_if_arrears_from_by: last,
            new_if_started_after: on
                .checked_sub_days(Days::new(u64::from(self.new_days)))
                .unwrap_or(NaiveDate::MIN),
        }
    }
}

impl Status {
    /// In good standing: new or current (suspension is its own status, so it is excluded).
    pub fn in_good_standing(self) -> bool {
        matches!(self, Status::New | Status::Current)
    }

    /// Still a member of the local party (arrears do not end membership; lapsing does).
    pub fn is_member(self) -> bool {
        matches!(
            self,
            Status::New | Status::Current | Status::InArrears | Status::Suspended
        )
    }
}

/// One recorded event. `paid_until` is the paid-until date the event left behind, where
/// it set one (joining, renewing, rejoining); `detail` says what changed, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub on: NaiveDate,
    pub paid_until: Option<NaiveDate>,
    pub detail: Option<String>,
}

impl Event {
    pub fn new(kind: EventKind, on: NaiveDate, paid_until: Option<NaiveDate>) -> Event {
        Event {
            kind,
            on,
            paid_until,
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: String) -> Event {
        self.detail = Some(detail);
        self
    }
}

/// How a span of membership ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ending {
    Lapsed,
    Left(LeftReason),
    TransferredOut,
}

/// An unbroken stretch of membership: from `start`, to the day before `end` if it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: NaiveDate,
    pub end: Option<(NaiveDate, Ending)>,
}

impl Span {
    pub fn covers(&self, on: NaiveDate) -> bool {
        self.start <= on && self.end.is_none_or(|(end, _)| on < end)
    }
}

/// A membership's history read as spans, up to a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub spans: Vec<Span>,
    /// Paid-until and suspension of the last span, if it is still open.
    paid_until: Option<NaiveDate>,
    suspended: bool,
}

impl History {
    /// Reads `events` (in any order; same-day events keep their given order) as they stood
    /// at the end of `on`. A gap is never hidden: a lapse ends a span, and joining,
    /// rejoining or paying after it starts a new one.
    pub fn at(rules: &StatusRules, events: &[Event], on: NaiveDate) -> History {
        let mut sorted: Vec<&Event> = events.iter().filter(|e| e.on <= on).collect();
        sorted.sort_by_key(|e| e.on);
        let mut h = History {
            spans: Vec::new(),
            paid_until: None,
            suspended: false,
        };
        for e in sorted {
            h.close_if_lapsed(rules, e.on);
            let open = h.open_start().is_some();
            match e.kind {
                EventKind::Joined
                | EventKind::Rejoined
                | EventKind::TransferredIn
                | EventKind::Renewed => {
                    if open {
                        h.paid_until = h.paid_until.max(e.paid_until);
                    } else {
                        h.spans.push(Span {
                            start: e.on,
                            end: None,
                        });
                        h.paid_until = e.paid_until;
                        h.suspended = false;
                    }
                }
                EventKind::Lapsed => h.close(e.on, Ending::Lapsed),
                EventKind::Resigned => h.close(e.on, Ending::Left(LeftReason::Resigned)),
                EventKind::Died => h.close(e.on, Ending::Left(LeftReason::Deceased)),
                EventKind::Expelled => h.close(e.on, Ending::Left(LeftReason::Expelled)),
                EventKind::TransferredOut => h.close(e.on, Ending::TransferredOut),
                EventKind::Suspended => h.suspended = open,
                EventKind::Reinstated => h.suspended = false,
                EventKind::EnteredArrears
                | EventKind::Moved
                | EventKind::RateChanged
                | EventKind::Merged => {}
            }
        }
        h.close_if_lapsed(rules, on);
        h
    }

    fn open_start(&self) -> Option<NaiveDate> {
        self.spans
            .last()
            .filter(|s| s.end.is_none())
            .map(|s| s.start)
    }

    fn close(&mut self, on: NaiveDate, how: Ending) {
        if let Some(span) = self.spans.last_mut().filter(|s| s.end.is_none()) {
            span.end = Some((on, how));
        }
    }

    /// Closes the open span at its lapse date if that falls on or before `before`.
    fn close_if_lapsed(&mut self, rules: &StatusRules, before: NaiveDate) {
        if let Some(start) = self.open_start() {
            let lapse = rules.lapses_on(start, self.paid_until);
            if lapse <= before {
                self.close(lapse, Ending::Lapsed);
            }
        }
    }

    /// The status at the date the history was read at, or `None` if the person was not a
    /// member of this local party then (not yet joined, or transferred out).
    pub fn status(&self, rules: &StatusRules, on: NaiveDate) -> Option<Status> {
        let last = self.spans.last()?;
        match last.end {
            None => Some(rules.status(last.start, self.paid_until, None, self.suspended, on)),
            Some((_, Ending::Lapsed)) => Some(Status::Lapsed),
            Some((end, Ending::Left(reason))) => {
                Some(rules.status(last.start, self.paid_until, Some((reason, end)), false, on))
            }
            Some((_, Ending::TransferredOut)) => None,
        }
    }

    /// The first day in arrears of the open span, if there is one.
    pub fn arrears_from(&self, rules: &StatusRules) -> Option<NaiveDate> {
        self.open_start()
            .map(|start| rules.arrears_from(start, self.paid_until))
    }

    /// The first day of the unbroken membership that includes `on`, if any.
    pub fn continuous_since(&self, on: NaiveDate) -> Option<NaiveDate> {
        self.spans
            .iter()
            .rev()
            .find(|s| s.covers(on))
            .map(|s| s.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;

    use crate::domain::dates::ymd as d;
    const R: StatusRules = StatusRules::DEFAULT;

    fn status(start: NaiveDate, paid: Option<NaiveDate>, on: NaiveDate) -> Status {
        R.status(start, paid, None, false, on)
    }

    #[test]
    fn bounds_divide_statuses_exactly_as_status_does() {
        for rules in [
            R,
            StatusRules {
                new_days: 30,
                lapse_after_months: 1,
            },
        ] {
            let mut on = d(2023, 12, 20);
            while on < d(2024, 9, 10) {
                let b = rules.bounds(on);
                let mut start = d(2022, 11, 25);
                while start <= on {
                    for paid in [
                        None,
                        start.pred_opt(),
                        Some(start),
                        Some(add_months(start, 12)),
                        Some(on),
                        on.pred_opt(),
                        Some(add_months(on, 1)),
                    ] {
                        let from = rules.arrears_from(start, paid);
                        assert_eq!(
                            on >= rules.lapses_on(start, paid),
                            from <= b.lapsed_if_arrears_from_by,
                            "lapse: start {start}, paid {paid:?}, on {on}"
                        );
                        let new = rules.status(start, paid, None, false, on) == Status::New;
                        assert_eq!(
                            new,
                            start > b.new_if_started_after && on < from,
                            "new: start {start}, paid {paid:?}, on {on}"
                        );
                    }
                    start = start + Days::new(9);
                }
                on = on + Days::new(3);
            }
        }
        assert_eq!(
            R.bounds(d(2024, 8, 31)).lapsed_if_arrears_from_by,
            d(2024, 2, 29)
        );
        assert_eq!(
            R.bounds(d(2024, 2, 29)).lapsed_if_arrears_from_by,
            d(2023, 8, 31)
        );
    }

    #[test]
    fn new_for_ninety_days_then_current() {
        let joined = d(2024, 1, 10);
        let paid = Some(d(2025, 1, 9));
        assert_eq!(status(joined, paid, joined), Status::New);
        assert_eq!(status(joined, paid, d(2024, 4, 8)), Status::New); // day 89
        assert_eq!(status(joined, paid, d(2024, 4, 9)), Status::Current); // day 90
        assert_eq!(status(joined, paid, d(2025, 1, 9)), Status::Current); // last paid day
    }

    #[test]
    fn each_status_says_what_it_means_under_the_rules() {
        let r = StatusRules {
            new_days: 30,
            lapse_after_months: 3,
        };
        assert!(r.meaning(Status::New).contains("30 days"));
        assert!(r.meaning(Status::InArrears).contains("after 3 months"));
        assert!(r.meaning(Status::Lapsed).contains("more than 3 months"));
        for s in Status::ALL {
            assert!(!r.meaning(*s).is_empty() && !r.meaning(*s).contains('_'));
        }
    }

    #[test]
    fn arrears_start_the_day_after_paid_until() {
        let joined = d(2020, 5, 1);
        let paid = Some(d(2024, 4, 30));
        assert_eq!(status(joined, paid, d(2024, 4, 30)), Status::Current);
        assert_eq!(status(joined, paid, d(2024, 5, 1)), Status::InArrears);
    }

    #[test]
    fn lapse_exactly_six_months_into_arrears() {
        let joined = d(2020, 5, 1);
        let paid = Some(d(2024, 4, 30));
        assert_eq!(status(joined, paid, d(2024, 10, 31)), Status::InArrears);
        assert_eq!(status(joined, paid, d(2024, 11, 1)), Status::Lapsed);
    }

    #[test]
    fn lapse_at_month_end_clamps_into_february() {
        // In arrears from 31 August; six months on is the end of February.
        let joined = d(2019, 1, 1);
        assert_eq!(R.lapses_on(joined, Some(d(2023, 8, 30))), d(2024, 2, 29));
        assert_eq!(R.lapses_on(joined, Some(d(2022, 8, 30))), d(2023, 2, 28));
        assert_eq!(
            status(joined, Some(d(2023, 8, 30)), d(2024, 2, 28)),
            Status::InArrears
        );
        assert_eq!(
            status(joined, Some(d(2023, 8, 30)), d(2024, 2, 29)),
            Status::Lapsed
        );
    }

    #[test]
    fn never_paid_is_in_arrears_from_joining() {
        let joined = d(2024, 3, 1);
        assert_eq!(status(joined, None, joined), Status::InArrears);
        assert_eq!(status(joined, None, d(2024, 9, 1)), Status::Lapsed);
        // A paid-until before the joining date counts as nothing paid.
        assert_eq!(
            status(joined, Some(d(2024, 1, 1)), joined),
            Status::InArrears
        );
    }

    #[test]
    fn recorded_end_states_win_from_their_date() {
        let joined = d(2020, 1, 1);
        let paid = Some(d(2030, 1, 1));
        let left = Some((LeftReason::Resigned, d(2024, 6, 1)));
        assert_eq!(
            R.status(joined, paid, left, false, d(2024, 5, 31)),
            Status::Current
        );
        assert_eq!(
            R.status(joined, paid, left, false, d(2024, 6, 1)),
            Status::Resigned
        );
        assert_eq!(
            R.status(
                joined,
                paid,
                Some((LeftReason::Deceased, joined)),
                false,
                joined
            ),
            Status::Deceased
        );
        assert_eq!(
            R.status(
                joined,
                paid,
                Some((LeftReason::Expelled, joined)),
                true,
                joined
            ),
            Status::Expelled
        );
    }

    #[test]
    fn suspension_is_not_good_standing_but_lapse_still_shows() {
        let joined = d(2020, 1, 1);
        assert_eq!(
            R.status(joined, Some(d(2030, 1, 1)), None, true, d(2024, 1, 1)),
            Status::Suspended
        );
        assert_eq!(
            R.status(joined, Some(d(2021, 1, 1)), None, true, d(2024, 1, 1)),
            Status::Lapsed
        );
        assert!(!Status::Suspended.in_good_standing());
        assert!(Status::New.in_good_standing() && Status::Current.in_good_standing());
        assert!(!Status::InArrears.in_good_standing());
        assert!(Status::InArrears.is_member() && !Status::Lapsed.is_member());
    }

    #[test]
    fn custom_rules_change_the_thresholds() {
        let rules = StatusRules {
            new_days: 30,
            lapse_after_months: 1,
        };
        let joined = d(2024, 1, 1);
        assert_eq!(
            rules.status(joined, Some(d(2025, 1, 1)), None, false, d(2024, 1, 31)),
            Status::Current
        );
        assert_eq!(
            rules.status(joined, Some(d(2024, 1, 31)), None, false, d(2024, 3, 1)),
            Status::Lapsed
        );
    }

    #[test]
    fn history_keeps_a_gap_when_a_lapsed_member_rejoins() {
        let events = vec![
            Event::new(Joined, d(2018, 3, 1), Some(d(2019, 2, 28))),
            Event::new(Renewed, d(2019, 2, 20), Some(d(2020, 2, 29))),
            Event::new(Rejoined, d(2022, 6, 1), Some(d(2023, 5, 31))),
        ];
        let h = History::at(&R, &events, d(2022, 7, 1));
        assert_eq!(h.spans.len(), 2);
        assert_eq!(
            h.spans[0],
            Span {
                start: d(2018, 3, 1),
                end: Some((d(2020, 9, 1), Ending::Lapsed))
            }
        );
        assert_eq!(h.spans[1].start, d(2022, 6, 1));
        assert_eq!(h.continuous_since(d(2022, 7, 1)), Some(d(2022, 6, 1)));
        assert_eq!(h.continuous_since(d(2021, 1, 1)), None);
        assert_eq!(h.continuous_since(d(2020, 8, 31)), Some(d(2018, 3, 1)));
        assert_eq!(h.status(&R, d(2022, 7, 1)), Some(Status::New));
    }

    #[test]
    fn rejoining_the_day_after_a_lapse_is_still_a_new_span() {
        let joined = d(2020, 1, 1);
        let paid = d(2020, 12, 31);
        let lapse = R.lapses_on(joined, Some(paid));
        assert_eq!(lapse, d(2021, 7, 1));
        let rejoin = d(2021, 7, 2);
        let events = vec![
            Event::new(Joined, joined, Some(paid)),
            Event::new(Rejoined, rejoin, Some(d(2022, 7, 1))),
        ];
        let h = History::at(&R, &events, d(2021, 8, 1));
        assert_eq!(h.spans.len(), 2);
        assert_eq!(h.continuous_since(d(2021, 8, 1)), Some(rejoin));
        assert_eq!(h.continuous_since(d(2021, 7, 1)), None);
    }

    #[test]
    fn a_payment_in_arrears_clears_them_without_a_gap() {
        let events = vec![
            Event::new(Joined, d(2020, 1, 1), Some(d(2020, 12, 31))),
            Event::new(Renewed, d(2021, 3, 15), Some(d(2022, 3, 14))),
        ];
        let mid = History::at(&R, &events, d(2021, 3, 14));
        assert_eq!(mid.status(&R, d(2021, 3, 14)), Some(Status::InArrears));
        let h = History::at(&R, &events, d(2021, 3, 15));
        assert_eq!(h.status(&R, d(2021, 3, 15)), Some(Status::Current));
        assert_eq!(h.spans.len(), 1);
        assert_eq!(h.continuous_since(d(2021, 3, 15)), Some(d(2020, 1, 1)));
    }

    #[test]
    fn paying_after_a_lapse_starts_a_new_span() {
        let events = vec![
            Event::new(Joined, d(2020, 1, 1), Some(d(2020, 12, 31))),
            Event::new(Renewed, d(2021, 9, 1), Some(d(2022, 8, 31))),
        ];
        let h = History::at(&R, &events, d(2021, 10, 1));
        assert_eq!(h.spans.len(), 2);
        assert_eq!(h.continuous_since(d(2021, 10, 1)), Some(d(2021, 9, 1)));
    }

    #[test]
    fn history_read_at_an_earlier_date_ignores_later_events() {
        let events = vec![
            Event::new(Joined, d(2020, 1, 1), Some(d(2020, 12, 31))),
            Event::new(Resigned, d(2020, 6, 1), None),
        ];
        assert_eq!(
            History::at(&R, &events, d(2020, 5, 31)).status(&R, d(2020, 5, 31)),
            Some(Status::Current)
        );
        assert_eq!(
            History::at(&R, &events, d(2020, 6, 1)).status(&R, d(2020, 6, 1)),
            Some(Status::Resigned)
        );
        assert_eq!(
            History::at(&R, &events, d(2019, 1, 1)).status(&R, d(2019, 1, 1)),
            None
        );
    }

    #[test]
    fn end_states_and_transfers_close_spans() {
        let joined = Event::new(Joined, d(2020, 1, 1), Some(d(2030, 1, 1)));
        for (kind, want) in [
            (Died, Some(Status::Deceased)),
            (Expelled, Some(Status::Expelled)),
            (TransferredOut, None),
            (Lapsed, Some(Status::Lapsed)),
        ] {
            let h = History::at(
                &R,
                &[joined.clone(), Event::new(kind, d(2022, 1, 1), None)],
                d(2023, 1, 1),
            );
            assert_eq!(h.status(&R, d(2023, 1, 1)), want, "{kind}");
            assert_eq!(h.continuous_since(d(2023, 1, 1)), None);
            assert_eq!(h.continuous_since(d(2021, 12, 31)), Some(d(2020, 1, 1)));
        }
    }

    #[test]
    fn suspension_and_reinstatement_keep_continuity() {
        let events = vec![
            Event::new(Joined, d(2020, 1, 1), Some(d(2030, 1, 1))),
            Event::new(Suspended, d(2022, 1, 1), None),
            Event::new(Reinstated, d(2022, 6, 1), None),
        ];
        assert_eq!(
            History::at(&R, &events, d(2022, 2, 1)).status(&R, d(2022, 2, 1)),
            Some(Status::Suspended)
        );
        let h = History::at(&R, &events, d(2022, 7, 1));
        assert_eq!(h.status(&R, d(2022, 7, 1)), Some(Status::Current));
        assert_eq!(h.continuous_since(d(2022, 7, 1)), Some(d(2020, 1, 1)));
    }

    #[test]
    fn a_lapse_on_the_reading_day_counts() {
        let events = vec![Event::new(Joined, d(2020, 1, 1), Some(d(2020, 12, 31)))];
        let h = History::at(&R, &events, d(2021, 7, 1));
        assert_eq!(h.status(&R, d(2021, 7, 1)), Some(Status::Lapsed));
        let before = History::at(&R, &events, d(2021, 6, 30));
        assert_eq!(before.status(&R, d(2021, 6, 30)), Some(Status::InArrears));
    }
}
