//! The rights table: what each kind of person may do, given their status and how long
//! they have been a member without a break at a freeze date.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Deserializer};
use std::fmt;

use super::dates::add_months;
use super::values::{Kind, Status};

/// A continuous-membership requirement such as "8 weeks" or "6 months".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Days(u32),
    Weeks(u32),
    Months(u32),
}

impl Length {
    pub fn parse(text: &str) -> Result<Length, String> {
        let bad = || format!("'{text}' is not a length like \"8 weeks\" or \"6 months\"");
        let mut words = text.split_whitespace();
        let (Some(n), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(bad());
        };
        let n: u32 = n.parse().map_err(|_| bad())?;
        match unit.trim_end_matches('s') {
            "day" => Ok(Length::Days(n)),
            "week" => Ok(Length::Weeks(n)),
            "month" => Ok(Length::Months(n)),
            "year" => Ok(Length::Months(n.saturating_mul(12))),
            _ => Err(bad()),
        }
    }

    /// The date `self` after `from`.
    pub fn after(self, from: NaiveDate) -> NaiveDate {
        match self {
            Length::Days(n) => from
                .checked_add_days(Days::new(u64::from(n)))
                .unwrap_or(NaiveDate::MAX),
            Length::Weeks(n) => from
                .checked_add_days(Days::new(7 * u64::from(n)))
                .unwrap_or(NaiveDate::MAX),
            Length::Months(n) => add_months(from, n),
        }
    }
}

impl fmt::Display for Length {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match self {
            Length::Days(n) => (n, "day"),
            Length::Weeks(n) => (n, "week"),
            Length::Months(n) => (n, "month"),
        };
        write!(f, "{n} {unit}{}", if *n == 1 { "" } else { "s" })
    }
}

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Length::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One row of the rights table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightRule {
    pub right: String,
    pub label: String,
    pub kinds: Vec<Kind>,
    pub statuses: Vec<Status>,
    pub min_continuous: Option<Length>,
}

/// The answer to "may this person do this?", with the reason when not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RightCheck {
    Allowed,
    Refused(String),
}

impl RightRule {
    /// Checks the right for a person with this history: status on `on`, continuous
    /// membership measured at `freeze` (a meeting's freeze date; `on` when there is none).
    pub fn check_history(
        &self,
        rules: &crate::domain::StatusRules,
        kind: Kind,
        status: Status,
        events: &[crate::domain::Event],
        freeze: NaiveDate,
    ) -> RightCheck {
        let since = crate::domain::History::at(rules, events, freeze).continuous_since(freeze);
        self.check(kind, Some(status), since, freeze)
    }

    /// Checks the right for a person of `kind` whose status now is `status` and whose
    /// unbroken membership at `freeze` began on `continuous_since`.
    pub fn check(
        &self,
        kind: Kind,
        status: Option<Status>,
        continuous_since: Option<NaiveDate>,
        freeze: NaiveDate,
    ) -> RightCheck {
        if !self.kinds.contains(&kind) {
            return RightCheck::Refused(format!(
                "{}: not open to a {}",
                self.label,
                kind.as_str().replace('_', " ")
            ));
        }
        if !status.is_some_and(|s| self.statuses.contains(&s)) {
            let shown = status.map_or_else(|| "not a member".into(), |s| s.label().to_lowercase());
            return RightCheck::Refused(format!(
                "{}: needs the status {}; is {shown}",
                self.label,
                self.status_list()
            ));
        }
        if let Some(length) = self.min_continuous {
            match continuous_since {
                Some(since) if length.after(since) <= freeze => {}
                Some(since) => {
                    return RightCheck::Refused(format!(
                        "{}: needs {length} of continuous membership at {freeze}; a member since {since} reaches it on {}",
                        self.label,
                        length.after(since)
                    ));
                }
                None => {
                    return RightCheck::Refused(format!(
                        "{}: needs {length} of continuous membership at {freeze}; was not a member then",
                        self.label
                    ));
                }
            }
        }
        RightCheck::Allowed
    }

    fn status_list(&self) -> String {
        self.statuses
            .iter()
            .map(|s| s.label().to_lowercase())
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rules;

    use crate::domain::dates::ymd as d;

    fn right(name: &str) -> RightRule {
        let rules = Rules::defaults().expect("defaults");
        rules
            .rights
            .into_iter()
            .find(|r| r.right == name)
            .expect("right exists")
    }

    #[test]
    fn lengths_parse_and_measure() {
        assert_eq!(Length::parse("8 weeks"), Ok(Length::Weeks(8)));
        assert_eq!(Length::parse("1 year"), Ok(Length::Months(12)));
        assert_eq!(Length::parse("30 days"), Ok(Length::Days(30)));
        assert!(Length::parse("eight weeks").is_err());
        assert!(Length::parse("8 fortnights").is_err());
        assert!(Length::parse("8").is_err());
        assert_eq!(Length::Weeks(8).after(d(2024, 1, 1)), d(2024, 2, 26));
        assert_eq!(Length::Months(6).after(d(2023, 8, 31)), d(2024, 2, 29));
        assert_eq!(Length::Months(12).to_string(), "12 months");
        assert_eq!(Length::Days(1).to_string(), "1 day");
    }

    #[test]
    fn eight_weeks_to_attend_counted_to_the_day() {
        let attend = right("attend_meetings");
        let since = d(2024, 1, 1);
        assert_eq!(
            attend.check(Kind::Member, Some(Status::New), Some(since), d(2024, 2, 26)),
            RightCheck::Allowed
        );
        assert!(matches!(
            attend.check(Kind::Member, Some(Status::New), Some(since), d(2024, 2, 25)),
            RightCheck::Refused(_)
        ));
    }

    #[test]
    fn selections_need_six_months_and_candidates_twelve() {
        let since = d(2023, 8, 31);
        let freeze = d(2024, 2, 29);
        assert_eq!(
            right("vote_in_selections").check(
                Kind::Member,
                Some(Status::Current),
                Some(since),
                freeze
            ),
            RightCheck::Allowed
        );
        let RightCheck::Refused(why) =
            right("be_a_candidate").check(Kind::Member, Some(Status::Current), Some(since), freeze)
        else {
            panic!("a member of six months may not be a candidate");
        };
        assert!(
            why.contains("12 months") && why.contains("2024-08-31"),
            "{why}"
        );
    }

    #[test]
    fn supporters_vote_for_leader_but_do_not_attend_meetings() {
        for kind in [Kind::RegisteredSupporter, Kind::AffiliatedSupporter] {
            let RightCheck::Refused(why) = right("attend_meetings").check(
                kind,
                Some(Status::Current),
                Some(d(2020, 1, 1)),
                d(2024, 1, 1),
            ) else {
                panic!("{kind} may not attend members' meetings");
            };
            assert!(why.contains("supporter"), "{why}");
            assert_eq!(
                right("vote_in_leadership_ballots").check(
                    kind,
                    Some(Status::Current),
                    Some(d(2020, 1, 1)),
                    d(2024, 1, 1)
                ),
                RightCheck::Allowed
            );
        }
        assert!(matches!(
            right("vote_in_leadership_ballots").check(
                Kind::Supporter,
                Some(Status::Current),
                None,
                d(2024, 1, 1)
            ),
            RightCheck::Refused(_)
        ));
        assert!(matches!(
            right("vote_in_leadership_ballots").check(Kind::Contact, None, None, d(2024, 1, 1)),
            RightCheck::Refused(_)
        ));
    }

    #[test]
    fn arrears_keep_communications_but_not_votes() {
        let since = Some(d(2020, 1, 1));
        let freeze = d(2024, 1, 1);
        assert_eq!(
            right("receive_members_communications").check(
                Kind::Member,
                Some(Status::InArrears),
                since,
                freeze
            ),
            RightCheck::Allowed
        );
        assert!(matches!(
            right("vote_at_meetings").check(Kind::Member, Some(Status::InArrears), since, freeze),
            RightCheck::Refused(_)
        ));
        assert!(matches!(
            right("vote_at_meetings").check(Kind::Member, Some(Status::Suspended), since, freeze),
            RightCheck::Refused(_)
        ));
        assert!(matches!(
            right("receive_members_communications").check(
                Kind::Member,
                Some(Status::Lapsed),
                None,
                freeze
            ),
            RightCheck::Refused(_)
        ));
    }

    #[test]
    fn a_gap_before_the_freeze_date_resets_the_clock() {
        // Continuity is measured from the latest span; a rejoiner two months before the
        // freeze date cannot vote in a selection, however long their earlier membership.
        let RightCheck::Refused(why) = right("vote_in_selections").check(
            Kind::Member,
            Some(Status::New),
            Some(d(2023, 11, 1)),
            d(2024, 1, 1),
        ) else {
            panic!("a recent rejoiner may not vote in a selection");
        };
        assert!(why.contains("2024-05-01"), "{why}");
        assert!(matches!(
            right("vote_in_selections").check(
                Kind::Member,
                Some(Status::Current),
                None,
                d(2024, 1, 1)
            ),
            RightCheck::Refused(_)
        ));
    }
}
