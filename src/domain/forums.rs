//! Forum branches: a women's branch, a youth branch. A person belongs to one geographic
//! branch and to any number of forums, by opting in or by the forum's rule
//! (`gender = woman`, `age < 27`). Rule membership follows the person: they join when
//! they come to match and leave when they stop; opting in is never undone by a rule.

use chrono::NaiveDate;
use std::collections::HashSet;

use super::dates::age_on;
use super::values::{Gender, Kind, Status};

/// Who belongs to a forum by its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForumRule {
    /// `gender = woman`
    Gender(Gender),
    /// `kind = member`
    Kind(Kind),
    /// `age < 27`: under this age today.
    AgeUnder(u32),
}

/// How a person came to be in a forum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    OptedIn,
    Rule,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::OptedIn => "opted_in",
            How::Rule => "rule",
        }
    }

    pub fn parse(text: &str) -> Option<How> {
        match text {
            "opted_in" => Some(How::OptedIn),
            "rule" => Some(How::Rule),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            How::OptedIn => "opted in",
            How::Rule => "by the branch's rule",
        }
    }
}

const RULE_FORMS: &str = "gender = woman, kind = member or age < 27";

impl ForumRule {
    /// Reads a rule as an officer writes it: `gender = woman`, `kind = member`, `age < 27`.
    pub fn parse(text: &str) -> Result<ForumRule, String> {
        let t = text.trim();
        let bad = || format!("'{t}' is not a rule: write one like {RULE_FORMS}");
        if let Some((field, value)) = t.split_once('=') {
            let value = value.trim();
            match field.trim().to_lowercase().as_str() {
                "gender" => Gender::parse(value).map(ForumRule::Gender).ok_or_else(bad),
                "kind" => Kind::parse(value)
                    .map(ForumRule::Kind)
                    .ok_or_else(|| format!("'{value}' is not a kind: use {}", Kind::expected())),
                _ => Err(bad()),
            }
        } else if let Some((field, value)) = t.split_once('<') {
            match (field.trim().to_lowercase().as_str(), value.trim().parse()) {
                ("age", Ok(n)) if n > 0 => Ok(ForumRule::AgeUnder(n)),
                _ => Err(bad()),
            }
        } else {
            Err(bad())
        }
    }

    /// The rule as `parse` reads it back.
    pub fn text(&self) -> String {
        match self {
            ForumRule::Gender(g) => format!("gender = {}", g.as_str()),
            ForumRule::Kind(k) => format!("kind = {}", k.as_str()),
            ForumRule::AgeUnder(n) => format!("age < {n}"),
        }
    }

    /// The rule in words, for a page: "women", "under 27".
    pub fn in_words(&self) -> String {
        match self {
            ForumRule::Gender(Gender::Woman) => "women".into(),
            ForumRule::Gender(Gender::Man) => "men".into(),
            ForumRule::Gender(g) => format!("people whose gender is {}", g.label()),
            ForumRule::Kind(k) => format!("{}s", k.label().to_lowercase()),
            ForumRule::AgeUnder(n) => format!("people under {n}"),
        }
    }

    pub fn matches(&self, p: &Candidate, today: NaiveDate) -> bool {
        match self {
            ForumRule::Gender(g) => p.gender.as_ref() == Some(g),
            ForumRule::Kind(k) => p.kind == *k,
            ForumRule::AgeUnder(n) => p
                .date_of_birth
                .and_then(|b| age_on(b, today))
                .is_some_and(|age| age < *n),
        }
    }
}

/// A person a forum's rule is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub person_id: i64,
    pub kind: Kind,
    pub gender: Option<Gender>,
    pub date_of_birth: Option<NaiveDate>,
    pub status: Status,
}

impl Candidate {
    /// Only members of the local party belong to its branches: a lapsed or former member
    /// leaves a forum they joined by its rule.
    fn a_member(&self) -> bool {
        !matches!(
            self.status,
            Status::Lapsed | Status::Resigned | Status::Deceased | Status::Expelled
        )
    }
}

/// What a forum's rule changes: who joins, and who (having joined by the rule) leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub join: Vec<i64>,
    pub leave: Vec<i64>,
}

/// The changes that bring a forum in line with its rule for `people`. `open` holds the
/// people in the forum now and how each came to be there.
pub fn follow_rule(
    rule: &ForumRule,
    people: &[Candidate],
    open: &[(i64, How)],
    today: NaiveDate,
) -> Changes {
    let inside: HashSet<i64> = open.iter().map(|(p, _)| *p).collect();
    let by_rule: HashSet<i64> = open
        .iter()
        .filter(|(_, how)| *how == How::Rule)
        .map(|(p, _)| *p)
        .collect();
    let mut out = Changes::default();
    for p in people {
        let belongs = p.a_member() && rule.matches(p, today);
        if belongs && !inside.contains(&p.person_id) {
            out.join.push(p.person_id);
        } else if !belongs && by_rule.contains(&p.person_id) {
            out.leave.push(p.person_id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::ymd as d;

    fn person(id: i64, gender: Option<Gender>, status: Status) -> Candidate {
        Candidate {
            person_id: id,
            kind: Kind::Member,
            gender,
            date_of_birth: None,
            status,
        }
    }

    #[test]
    fn rules_read_as_officers_write_them_and_back() {
        for (text, rule) in [
            ("gender = woman", ForumRule::Gender(Gender::Woman)),
            (" Gender=Female ", ForumRule::Gender(Gender::Woman)),
            ("kind = member", ForumRule::Kind(Kind::Member)),
            ("age < 27", ForumRule::AgeUnder(27)),
        ] {
            assert_eq!(ForumRule::parse(text), Ok(rule.clone()), "{text}");
            assert_eq!(ForumRule::parse(&rule.text()), Ok(rule));
        }
        for bad in [
            "",
            "women",
            "age < old",
            "age < 0",
            "colour = red",
            "kind = alien",
        ] {
            assert!(ForumRule::parse(bad).is_err(), "{bad}");
        }
        assert!(
            ForumRule::parse("women")
                .expect_err("no rule")
                .contains("gender = woman")
        );
        assert_eq!(ForumRule::Gender(Gender::Woman).in_words(), "women");
        assert_eq!(ForumRule::AgeUnder(27).in_words(), "people under 27");
    }

    #[test]
    fn age_is_counted_today() {
        let rule = ForumRule::AgeUnder(27);
        let mut p = person(1, None, Status::Current);
        p.date_of_birth = Some(d(1999, 12, 1));
        assert!(rule.matches(&p, d(2026, 11, 30)), "26 the day before");
        assert!(!rule.matches(&p, d(2026, 12, 1)), "27 on the birthday");
        p.date_of_birth = None;
        assert!(!rule.matches(&p, d(2026, 11, 30)), "no age, no match");
    }

    #[test]
    fn a_rule_adds_who_matches_and_removes_only_those_it_added() {
        let rule = ForumRule::Gender(Gender::Woman);
        let today = d(2026, 11, 20);
        let people = [
            person(1, Some(Gender::Woman), Status::Current),
            person(2, Some(Gender::Woman), Status::Current),
            person(3, Some(Gender::Man), Status::Current),
            person(4, Some(Gender::Man), Status::Current),
            person(5, Some(Gender::Woman), Status::Lapsed),
            person(6, Some(Gender::Woman), Status::InArrears),
        ];
        let open = [
            (2, How::Rule),
            (3, How::OptedIn),
            (4, How::Rule),
            (5, How::Rule),
        ];
        assert_eq!(
            follow_rule(&rule, &people, &open, today),
            Changes {
                join: vec![1, 6],
                leave: vec![4, 5],
            }
        );
        // Followed, nothing more changes.
        let open = [
            (1, How::Rule),
            (2, How::Rule),
            (3, How::OptedIn),
            (6, How::Rule),
        ];
        assert_eq!(
            follow_rule(&rule, &people, &open, today),
            Changes::default()
        );
    }
}
