//! A member as a file or a form describes them, and what changes to a stored membership
//! mean for its history: a renewal, a rejoin, leaving, a move of branch or rate.

use chrono::NaiveDate;

use super::membership::{Event, StatusRules};
use super::values::{EventKind, Gender, Kind, LeftReason, Status};

/// Consent per channel: `None` means never asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consents {
    pub email: Option<bool>,
    pub phone: Option<bool>,
    pub sms: Option<bool>,
    pub post: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDetails {
    pub kind: Kind,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub ward: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<Gender>,
    pub affiliate: Option<String>,
    pub consents: Consents,
    /// Sorted, without repeats.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipDetails {
    pub number: String,
    pub rate: String,
    /// The branch's slug.
    pub branch: Option<String>,
    /// The first day of the current span of membership.
    pub joined_on: NaiveDate,
    pub paid_until: Option<NaiveDate>,
    pub left: Option<(LeftReason, NaiveDate)>,
}

impl MembershipDetails {
    pub fn status(&self, rules: &StatusRules, suspended: bool, on: NaiveDate) -> Status {
        rules.status(self.joined_on, self.paid_until, self.left, suspended, on)
    }

    /// The history a membership starts with.
    pub fn opening_events(&self) -> Vec<Event> {
        let mut events = vec![Event::new(
            EventKind::Joined,
            self.joined_on,
            self.paid_until,
        )];
        events.extend(self.left.map(|(reason, on)| leaving(reason, on)));
        events
    }
}

fn leaving(reason: LeftReason, on: NaiveDate) -> Event {
    let kind = match reason {
        LeftReason::Resigned => EventKind::Resigned,
        LeftReason::Deceased => EventKind::Died,
        LeftReason::Expelled => EventKind::Expelled,
    };
    Event::new(kind, on, None)
}

fn show(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "blank".to_string(), |d| d.to_string())
}

/// A change a later file asks for that cannot be read as history, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub field: &'static str,
    pub message: String,
}

/// The events that turn `old` into `new`, learnt on `today`. A later joining date on a
/// lapsed or resigned membership is a rejoin (the old span stays in the history);
/// paid-until moved on is a renewal. Changes that would rewrite history instead of adding
/// to it (an earlier paid-until, a different joining date for a current member, undoing a
/// recorded death) are refused, so the history never silently disagrees with the record.
pub fn membership_changes(
    rules: &StatusRules,
    old: &MembershipDetails,
    new: &MembershipDetails,
    today: NaiveDate,
) -> Result<Vec<Event>, Conflict> {
    let mut events = Vec::new();
    if new.joined_on != old.joined_on {
        let before = old.status(rules, false, new.joined_on);
        let rejoin_allowed = matches!(before, Status::Lapsed | Status::Resigned | Status::Expelled);
        if new.joined_on < old.joined_on || !rejoin_allowed {
            return Err(Conflict {
                field: "joined_on",
                message: format!(
                    "joined_on {} differs from the stored {} and the membership was {} then; only a lapsed or former member can rejoin",
                    new.joined_on, old.joined_on, before
                ),
            });
        }
        events.push(Event::new(
            EventKind::Rejoined,
            new.joined_on,
            new.paid_until,
        ));
    } else {
        if new.paid_until < old.paid_until {
            return Err(Conflict {
                field: "paid_until",
                message: format!(
                    "paid_until {} is earlier than the stored {}; a payment cannot be taken back by import",
                    show(new.paid_until),
                    show(old.paid_until)
                ),
            });
        }
        if new.paid_until > old.paid_until {
            let on = today.min(new.paid_until.unwrap_or(today));
            events.push(Event::new(EventKind::Renewed, on, new.paid_until));
        }
        if old.left.is_some() && old.left != new.left {
            return Err(Conflict {
                field: "left_on",
                message: "the membership is recorded as ended; a file can add a later joining date to rejoin, not change or remove the ending".into(),
            });
        }
    }
    if new.left != old.left
        && let Some((reason, on)) = new.left
    {
        events.push(leaving(reason, on));
    }
    let branch = |b: &Option<String>| b.clone().unwrap_or_else(|| "no branch".into());
    events.extend(moves(
        (new.branch != old.branch).then(|| (branch(&old.branch), branch(&new.branch))),
        (new.rate != old.rate).then(|| (old.rate.clone(), new.rate.clone())),
        today,
    ));
    Ok(events)
}

/// The history of a move on `on`: to another branch, to another rate, or both, each
/// given as (from, to) in the words the history should show.
pub fn moves(
    branch: Option<(String, String)>,
    rate: Option<(String, String)>,
    on: NaiveDate,
) -> Vec<Event> {
    [(EventKind::Moved, branch), (EventKind::RateChanged, rate)]
        .into_iter()
        .filter_map(|(kind, change)| {
            change.map(|(from, to)| {
                Event::new(kind, on, None).with_detail(format!("from {from} to {to}"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::dates::ymd as d;
    const R: StatusRules = StatusRules::DEFAULT;

    fn membership() -> MembershipDetails {
        MembershipDetails {
            number: "L0001".into(),
            rate: "standard".into(),
            branch: Some("riverside".into()),
            joined_on: d(2020, 1, 1),
            paid_until: Some(d(2024, 12, 31)),
            left: None,
        }
    }

    #[test]
    fn the_same_record_changes_nothing() {
        assert_eq!(
            membership_changes(&R, &membership(), &membership(), d(2025, 1, 5)),
            Ok(vec![])
        );
    }

    #[test]
    fn paid_until_moved_on_is_a_renewal() {
        let new = MembershipDetails {
            paid_until: Some(d(2025, 12, 31)),
            ..membership()
        };
        let events = membership_changes(&R, &membership(), &new, d(2025, 1, 5)).expect("renewal");
        assert_eq!(
            events,
            vec![Event::new(
                EventKind::Renewed,
                d(2025, 1, 5),
                Some(d(2025, 12, 31))
            )]
        );
    }

    #[test]
    fn a_lapsed_member_with_a_later_joining_date_rejoins() {
        let old = MembershipDetails {
            paid_until: Some(d(2022, 12, 31)),
            ..membership()
        };
        let new = MembershipDetails {
            joined_on: d(2024, 3, 1),
            paid_until: Some(d(2025, 2, 28)),
            ..membership()
        };
        let events = membership_changes(&R, &old, &new, d(2024, 3, 2)).expect("rejoin");
        assert_eq!(
            events,
            vec![Event::new(
                EventKind::Rejoined,
                d(2024, 3, 1),
                Some(d(2025, 2, 28))
            )]
        );
    }

    #[test]
    fn a_resigned_member_can_rejoin_and_the_ending_stays_in_history() {
        let old = MembershipDetails {
            left: Some((LeftReason::Resigned, d(2023, 1, 1))),
            ..membership()
        };
        let new = MembershipDetails {
            joined_on: d(2024, 3, 1),
            ..membership()
        };
        let events = membership_changes(&R, &old, &new, d(2024, 3, 2)).expect("rejoin");
        assert_eq!(events[0].kind, EventKind::Rejoined);
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn a_current_member_cannot_rejoin_nor_move_their_joining_date() {
        let later = MembershipDetails {
            joined_on: d(2024, 3, 1),
            ..membership()
        };
        assert_eq!(
            membership_changes(&R, &membership(), &later, d(2024, 3, 2)).map_err(|c| c.field),
            Err("joined_on")
        );
        let earlier = MembershipDetails {
            joined_on: d(2019, 3, 1),
            ..membership()
        };
        assert_eq!(
            membership_changes(&R, &membership(), &earlier, d(2024, 3, 2)).map_err(|c| c.field),
            Err("joined_on")
        );
        let old = MembershipDetails {
            left: Some((LeftReason::Deceased, d(2023, 1, 1))),
            ..membership()
        };
        assert_eq!(
            membership_changes(&R, &old, &later, d(2024, 3, 2)).map_err(|c| c.field),
            Err("joined_on")
        );
    }

    #[test]
    fn paid_until_cannot_move_back() {
        let new = MembershipDetails {
            paid_until: Some(d(2023, 12, 31)),
            ..membership()
        };
        let err = membership_changes(&R, &membership(), &new, d(2024, 1, 1)).expect_err("refused");
        assert_eq!(err.field, "paid_until");
        assert!(err.message.contains("2024-12-31"), "{}", err.message);
    }

    #[test]
    fn leaving_is_recorded_once_and_cannot_be_undone_by_a_file() {
        let resigned = MembershipDetails {
            left: Some((LeftReason::Resigned, d(2024, 6, 1))),
            ..membership()
        };
        let events =
            membership_changes(&R, &membership(), &resigned, d(2024, 6, 2)).expect("resign");
        assert_eq!(
            events,
            vec![Event::new(EventKind::Resigned, d(2024, 6, 1), None)]
        );
        assert_eq!(
            membership_changes(&R, &resigned, &resigned, d(2024, 6, 3)),
            Ok(vec![])
        );
        assert_eq!(
            membership_changes(&R, &resigned, &membership(), d(2024, 6, 3)).map_err(|c| c.field),
            Err("left_on")
        );
    }

    #[test]
    fn branch_and_rate_moves_are_history() {
        let new = MembershipDetails {
            branch: Some("hillside".into()),
            rate: "reduced".into(),
            ..membership()
        };
        let events = membership_changes(&R, &membership(), &new, d(2024, 6, 2)).expect("moves");
        assert_eq!(
            events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![EventKind::Moved, EventKind::RateChanged]
        );
        assert_eq!(
            events[0].detail.as_deref(),
            Some("from riverside to hillside")
        );
    }

    #[test]
    fn opening_events_include_a_recorded_ending() {
        let m = MembershipDetails {
            left: Some((LeftReason::Deceased, d(2024, 6, 1))),
            ..membership()
        };
        let kinds: Vec<_> = m.opening_events().iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventKind::Joined, EventKind::Died]);
    }
}
