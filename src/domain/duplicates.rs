//! Likely duplicates: two records that share an email address, a name and postcode, or a
//! phone number and surname are probably one person entered twice (two membership
//! numbers, a typo'd import, someone added by hand who was already there). They are shown
//! to an officer to decide; nothing here merges anyone.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};

use super::fields::fold_alphanumeric;
use super::values::LeftReason;

/// What a person is matched on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Someone<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub postcode: Option<&'a str>,
}

/// Why two records look like one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Why {
    SameEmail,
    SameNameAndPostcode,
    SamePhoneAndSurname,
}

impl Why {
    pub fn code(self) -> &'static str {
        match self {
            Why::SameEmail => "same_email",
            Why::SameNameAndPostcode => "same_name_and_postcode",
            Why::SamePhoneAndSurname => "same_phone_and_surname",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Why::SameEmail => "same email address",
            Why::SameNameAndPostcode => "same name and postcode",
            Why::SamePhoneAndSurname => "same phone number and surname",
        }
    }
}

/// The reasons, in words: "same email address; same name and postcode".
pub fn in_words(why: &[Why]) -> String {
    why.iter().map(|w| w.label()).collect::<Vec<_>>().join("; ")
}

fn keys(p: &Someone) -> Vec<(Why, String)> {
    let mut out = Vec::new();
    if let Some(email) = p
        .email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
    {
        out.push((Why::SameEmail, email));
    }
    let (first, last) = (
        fold_alphanumeric(p.first_name),
        fold_alphanumeric(p.last_name),
    );
    if let Some(postcode) = p.postcode.map(fold_alphanumeric).filter(|p| !p.is_empty())
        && !first.is_empty()
        && !last.is_empty()
    {
        out.push((
            Why::SameNameAndPostcode,
            format!("{first}\u{1f}{last}\u{1f}{postcode}"),
        ));
    }
    if !last.is_empty() {
        for phone in [p.mobile, p.phone].into_iter().flatten() {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            // A number this short is a placeholder or an extension, not a person's line.
            if digits.len() >= 7 {
                out.push((Why::SamePhoneAndSurname, format!("{digits}\u{1f}{last}")));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Two records (indexes into the list given) and why they look like one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub why: Vec<Why>,
}

/// A key shared by more people than this is a shared household or office inbox, not a
/// duplicate: it is left out rather than listing every pair among them.
pub const CROWD: usize = 6;

/// Every likely duplicate pair among `people`, `a < b`, in order.
pub fn pairs(people: &[Someone]) -> Vec<Pair> {
    let mut groups: HashMap<(Why, String), Vec<usize>> = HashMap::new();
    for (i, p) in people.iter().enumerate() {
        for key in keys(p) {
            groups.entry(key).or_default().push(i);
        }
    }
    let mut found: BTreeMap<(usize, usize), Vec<Why>> = BTreeMap::new();
    for ((why, _), members) in groups {
        if members.len() < 2 || members.len() > CROWD {
            continue;
        }
        for (n, &a) in members.iter().enumerate() {
            for &b in &members[n + 1..] {
                let reasons = found.entry((a.min(b), a.max(b))).or_default();
                if !reasons.contains(&why) {
                    reasons.push(why);
                }
            }
        }
    }
    found
        .into_iter()
        .map(|((a, b), mut why)| {
            why.sort();
            Pair { a, b, why }
        })
        .collect()
}

/// The records in `people` that `new` looks like, with why, in order.
pub fn matches(new: &Someone, people: &[Someone]) -> Vec<(usize, Vec<Why>)> {
    let wanted = keys(new);
    people
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let why: Vec<Why> = keys(p)
                .into_iter()
                .filter(|k| wanted.contains(k))
                .map(|(w, _)| w)
                .collect();
            (!why.is_empty()).then_some((i, why))
        })
        .collect()
}

/// A consent as stored: the answer, where it came from and when it was given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consent {
    pub given: Option<bool>,
    pub source: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// Of two records' consents for one channel, the one given most recently, with its
/// source: an answer beats none, a dated answer an undated one, and the kept record's wins
/// a tie. A person who said no last must not be messaged because an older record says yes.
pub fn newer_consent(keep: Consent, other: Consent) -> Consent {
    match (keep.given, other.given) {
        (_, None) => keep,
        (None, Some(_)) => other,
        _ if other.at > keep.at => other,
        _ => keep,
    }
}

/// What merging keeps of a membership's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub joined_on: NaiveDate,
    pub paid_until: Option<NaiveDate>,
    pub left: Option<(LeftReason, NaiveDate)>,
}

/// One membership from two records of one person: the record paid furthest says where
/// they stand (an ending too), and it counts from the other's joining date when the two
/// overlap, so a person entered twice keeps their whole continuous membership.
pub fn merge_standing(keep: Standing, other: Standing) -> Standing {
    let (base, older) = if other.paid_until > keep.paid_until {
        (other, keep)
    } else {
        (keep, other)
    };
    let overlaps = older.paid_until.is_some_and(|p| p >= base.joined_on);
    Standing {
        joined_on: if overlaps {
            base.joined_on.min(older.joined_on)
        } else {
            base.joined_on
        },
        ..base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person<'a>(first: &'a str, last: &'a str) -> Someone<'a> {
        Someone {
            first_name: first,
            last_name: last,
            ..Someone::default()
        }
    }

    #[test]
    fn the_same_email_in_any_case_is_a_match() {
        let a = Someone {
            email: Some("Ann.Ng@example.org"),
            ..person("Ann", "Ng")
        };
        let b = Someone {
            email: Some("ann.ng@example.org "),
            ..person("Annie", "Ngata")
        };
        assert_eq!(
            pairs(&[a, b]),
            vec![Pair {
                a: 0,
                b: 1,
                why: vec![Why::SameEmail]
            }]
        );
    }

    #[test]
    fn name_and_postcode_match_across_spacing_case_and_punctuation() {
        let a = Someone {
            postcode: Some("AB1 2CD"),
            ..person("Sean", "O'Brien")
        };
        let b = Someone {
            postcode: Some("ab12cd"),
            ..person("sean", "OBrien")
        };
        assert_eq!(matches(&a, &[b]), vec![(0, vec![Why::SameNameAndPostcode])]);
    }

    #[test]
    fn a_name_alone_or_a_postcode_alone_is_not_a_match() {
        let a = Someone {
            postcode: Some("AB1 2CD"),
            ..person("Sean", "Brien")
        };
        let neighbour = Someone {
            postcode: Some("AB1 2CD"),
            ..person("Maeve", "Brien")
        };
        let namesake = Someone {
            postcode: Some("ZZ9 9ZZ"),
            ..person("Sean", "Brien")
        };
        assert!(pairs(&[a, neighbour, namesake]).is_empty());
    }

    #[test]
    fn a_phone_matches_only_with_the_surname() {
        let a = Someone {
            mobile: Some("+447700900123"),
            ..person("Priya", "Shah")
        };
        let sibling_line = Someone {
            phone: Some("+44 7700 900123"),
            ..person("Priya", "Shah")
        };
        let other_family = Someone {
            phone: Some("+447700900123"),
            ..person("Priya", "Patel")
        };
        let found = pairs(&[a, sibling_line, other_family]);
        assert_eq!(
            found,
            vec![Pair {
                a: 0,
                b: 1,
                why: vec![Why::SamePhoneAndSurname]
            }]
        );
    }

    #[test]
    fn several_reasons_are_listed_once_each_in_order() {
        let a = Someone {
            email: Some("x@example.org"),
            mobile: Some("+447700900123"),
            phone: Some("+447700900123"),
            postcode: Some("AB1 2CD"),
            ..person("Jo", "Bloggs")
        };
        let found = pairs(&[a, a]);
        assert_eq!(
            found[0].why,
            vec![
                Why::SameEmail,
                Why::SameNameAndPostcode,
                Why::SamePhoneAndSurname
            ]
        );
        assert_eq!(
            in_words(&found[0].why),
            "same email address; same name and postcode; same phone number and surname"
        );
    }

    #[test]
    fn blank_and_placeholder_values_match_nothing() {
        let a = Someone {
            email: Some(""),
            phone: Some("000"),
            postcode: Some(" "),
            ..person("", "")
        };
        assert!(pairs(&[a, a]).is_empty());
    }

    fn consent(given: Option<bool>, source: &str, at: Option<i64>) -> Consent {
        Consent {
            given,
            source: Some(source.into()),
            at: at.and_then(|s| DateTime::from_timestamp(s, 0)),
        }
    }

    #[test]
    fn the_most_recent_consent_wins_with_its_source() {
        let old_yes = consent(Some(true), "import", Some(1_000));
        let new_no = consent(Some(false), "unsubscribe link", Some(2_000));
        assert_eq!(newer_consent(old_yes.clone(), new_no.clone()), new_no);
        assert_eq!(newer_consent(new_no.clone(), old_yes.clone()), new_no);
        let never = consent(None, "", None);
        assert_eq!(newer_consent(never.clone(), old_yes.clone()), old_yes);
        assert_eq!(newer_consent(old_yes.clone(), never), old_yes);
        let undated = consent(Some(false), "form", None);
        assert_eq!(newer_consent(undated.clone(), old_yes.clone()), old_yes);
        let same_time = consent(Some(false), "other", Some(1_000));
        assert_eq!(
            newer_consent(old_yes.clone(), same_time),
            old_yes,
            "a tie keeps the kept"
        );
    }

    fn standing(joined: (i32, u32, u32), paid: Option<(i32, u32, u32)>) -> Standing {
        use crate::domain::dates::ymd;
        Standing {
            joined_on: ymd(joined.0, joined.1, joined.2),
            paid_until: paid.map(|(y, m, d)| ymd(y, m, d)),
            left: None,
        }
    }

    #[test]
    fn the_record_paid_furthest_says_where_they_stand() {
        use crate::domain::dates::ymd;
        let current = standing((2024, 3, 1), Some((2026, 2, 28)));
        let old = Standing {
            left: Some((LeftReason::Resigned, ymd(2019, 6, 1))),
            ..standing((2015, 1, 1), Some((2019, 12, 31)))
        };
        // A gap between them: the current span counts from its own start.
        assert_eq!(merge_standing(old, current), current);
        assert_eq!(merge_standing(current, old), current);
        // Entered twice for one membership: the earlier joining date stands.
        let twin = standing((2023, 6, 1), Some((2025, 5, 31)));
        let merged = merge_standing(current, twin);
        assert_eq!(merged.joined_on, ymd(2023, 6, 1));
        assert_eq!(merged.paid_until, current.paid_until);
        // An ending recorded on the record paid furthest is kept; an older one is not.
        let resigned = Standing {
            left: Some((LeftReason::Resigned, ymd(2026, 1, 1))),
            ..standing((2020, 1, 1), Some((2026, 12, 31)))
        };
        assert_eq!(merge_standing(current, resigned).left, resigned.left);
        let never_paid = standing((2025, 1, 1), None);
        assert_eq!(merge_standing(never_paid, current), current);
    }

    #[test]
    fn a_crowd_sharing_one_inbox_is_not_listed_pair_by_pair() {
        let names = ["A", "B", "C", "D", "E", "F", "G"];
        let people: Vec<Someone> = names
            .iter()
            .map(|n| Someone {
                email: Some("office@example.org"),
                ..person(n, n)
            })
            .collect();
        assert!(pairs(&people).is_empty());
        assert_eq!(pairs(&people[..3]).len(), 3);
    }
}
