//! Likely duplicates: two records that share an email address, a name and postcode, or a
//! phone number and surname are probably one person entered twice (two membership
//! numbers, a typo'd import, someone added by hand who was already there). They are shown
//! to an officer to decide; nothing here merges anyone.

use std::collections::{BTreeMap, HashMap};

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

/// Letters and digits only, lower case: "O'Brien" and "obrien " are one surname.
fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
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
    let (first, last) = (fold(p.first_name), fold(p.last_name));
    if let Some(postcode) = p.postcode.map(fold).filter(|p| !p.is_empty())
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
