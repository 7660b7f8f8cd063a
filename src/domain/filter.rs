//! The member list's search and filters, read from a query string. The same filter drives
//! the list page, the API, exports and saved segments (which store its canonical query
//! string, so a segment stays live: it is run again each time it is opened).

use super::fields::check_text;
use chrono::NaiveDate;

use super::dates::parse_date;
use super::fields::{normalise_phone, normalise_postcode, parse_tags};
use super::values::{Channel, Kind, Status};

/// How the list is ordered. Every order ends with the person's id, so paging is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    Number,
    JoinedNewest,
    JoinedOldest,
}

impl Sort {
    pub const ALL: [Sort; 4] = [
        Sort::Name,
        Sort::Number,
        Sort::JoinedNewest,
        Sort::JoinedOldest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Number => "number",
            Sort::JoinedNewest => "-joined",
            Sort::JoinedOldest => "joined",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "Name",
            Sort::Number => "Membership number",
            Sort::JoinedNewest => "Newest first",
            Sort::JoinedOldest => "Longest-standing first",
        }
    }
}

/// Gender as a filter: the three common values, anyone who wrote their own words, or
/// nobody said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenderFilter {
    Woman,
    Man,
    NonBinary,
    OwnWords,
    NotGiven,
}

impl GenderFilter {
    pub const ALL: [GenderFilter; 5] = [
        GenderFilter::Woman,
        GenderFilter::Man,
        GenderFilter::NonBinary,
        GenderFilter::OwnWords,
        GenderFilter::NotGiven,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GenderFilter::Woman => "woman",
            GenderFilter::Man => "man",
            GenderFilter::NonBinary => "non_binary",
            GenderFilter::OwnWords => "other",
            GenderFilter::NotGiven => "not_given",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GenderFilter::Woman => "Woman",
            GenderFilter::Man => "Man",
            GenderFilter::NonBinary => "Non-binary",
            GenderFilter::OwnWords => "In their own words",
            GenderFilter::NotGiven => "Not given",
        }
    }
}

/// What was typed in the search box, read every way it could be meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Lower-cased, for names, membership numbers and email addresses.
    pub text: String,
    /// The text as a phone number in stored form, if it reads as one.
    pub phone: Option<String>,
    /// The text as a postcode or the start of one, in stored form.
    pub postcode: Option<String>,
}

impl Search {
    pub fn read(text: &str) -> Option<Search> {
        let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            return None;
        }
        let has_digit = t.chars().any(|c| c.is_ascii_digit());
        let postcode = if has_digit
            && t.len() <= 8
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
        {
            Some(normalise_postcode(&t).unwrap_or_else(|_| t.to_uppercase()))
        } else {
            None
        };
        Some(Search {
            text: t.to_lowercase(),
            phone: normalise_phone(&t).ok(),
            postcode,
        })
    }
}

/// A problem with one filter field, for a message next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Everything the member list can be narrowed by. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberFilter {
    pub search: Option<Search>,
    pub q: String,
    pub statuses: Vec<Status>,
    /// Branch slugs; `none` means people with no branch.
    pub branches: Vec<String>,
    pub rates: Vec<String>,
    pub kinds: Vec<Kind>,
    pub genders: Vec<GenderFilter>,
    pub joined_from: Option<NaiveDate>,
    pub joined_to: Option<NaiveDate>,
    pub paid_from: Option<NaiveDate>,
    pub paid_to: Option<NaiveDate>,
    /// People with every one of these tags.
    pub tags: Vec<String>,
    /// Consent wanted per channel: given (`true`) or refused/not asked (`false`).
    pub consents: Vec<(Channel, bool)>,
    /// Whether they came to events.
    pub attended: Option<Attended>,
    /// Came to an event starting on or after this day.
    pub attended_since: Option<NaiveDate>,
    /// Came to this event (its public id).
    pub event: Option<String>,
    /// On this rung of the ladder from member to activist (their highest).
    pub rung: Option<super::ladder::Rung>,
    /// Came to at least this many events.
    pub attended_min: Option<u32>,
    /// Gave each of these answers to a survey.
    pub answers: Vec<super::surveys::AnswerFilter>,
    pub sort: Sort,
}

/// People by whether they came to events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attended {
    /// Came to at least one.
    Ever,
    /// Never came to one.
    Never,
    /// Signed up for one and did not come.
    NoShow,
}

impl Attended {
    pub fn as_str(self) -> &'static str {
        match self {
            Attended::Ever => "yes",
            Attended::Never => "never",
            Attended::NoShow => "no_show",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Attended::Ever => "came to an event",
            Attended::Never => "never came to an event",
            Attended::NoShow => "signed up for an event and did not come",
        }
    }
}

/// One query key the filter reads: its name, whether it may be given more than once (each
/// value widens the match), and what it takes. Others (paging, format) belong to the
/// caller. The API's document lists its parameters from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub name: &'static str,
    pub repeats: bool,
    pub about: &'static str,
}

const fn key(name: &'static str, repeats: bool, about: &'static str) -> Key {
    Key {
        name,
        repeats,
        about,
    }
}

pub const KEYS: &[Key] = &[
    key(
        "q",
        false,
        "Search: name, membership number, email, postcode or phone (at most 100 characters)",
    ),
    key(
        "status",
        true,
        "new, current, in_arrears, lapsed, resigned, deceased, expelled or suspended",
    ),
    key("branch", true, "A branch's slug, or none"),
    key("rate", true, "A rate code"),
    key(
        "kind",
        true,
        "member, registered_supporter, affiliated_supporter, supporter or contact",
    ),
    key("gender", true, "woman, man, non_binary, other or not_given"),
    key("joined_from", false, "A date, YYYY-MM-DD or DD/MM/YYYY"),
    key("joined_to", false, "A date, YYYY-MM-DD or DD/MM/YYYY"),
    key("paid_from", false, "A date, YYYY-MM-DD or DD/MM/YYYY"),
    key("paid_to", false, "A date, YYYY-MM-DD or DD/MM/YYYY"),
    key("tag", true, "A tag; people with all of them"),
    key(
        "consent",
        true,
        "email, phone, sms or post (consent given), or no_email and so on",
    ),
    key(
        "attended",
        false,
        "yes (came to an event), never, or no_show (signed up and did not come)",
    ),
    key(
        "attended_since",
        false,
        "A date: came to an event starting on or after it",
    ),
    key("event", false, "An event's id: came to it"),
    key(
        "rung",
        false,
        "member (never at an event), attended (came, not yet volunteered), volunteered (a stall, canvass, phone bank or calling) or leads (an officer)",
    ),
    key(
        "attended_min",
        false,
        "A number: came to at least this many events",
    ),
    key(
        "answer",
        true,
        "SURVEY:QUESTION:ANSWER: answered question QUESTION (counted from 1) of survey SURVEY with that option, or that point of a scale; people with all of them",
    ),
    key("sort", false, "name, number, joined or -joined"),
];

impl MemberFilter {
    /// The same filter, wanting `channel`'s consent given (or not) instead of whatever it
    /// asked of that channel before.
    pub fn with_consent(mut self, channel: Channel, given: bool) -> MemberFilter {
        self.consents.retain(|(c, _)| *c != channel);
        self.consents.push((channel, given));
        self
    }

    /// Reads `pairs` (a query string). Blank values are ignored, as a form sends them;
    /// every bad value is reported against its field.
    pub fn parse(pairs: &[(String, String)]) -> Result<MemberFilter, Vec<FieldProblem>> {
        let mut f = MemberFilter::default();
        let mut problems = Vec::new();
        let mut bad = |field: &str, message: String| {
            problems.push(FieldProblem {
                field: field.to_string(),
                message,
            })
        };
        for (key, value) in pairs {
            let v = value.trim();
            if v.is_empty() {
                continue;
            }
            if KEYS.iter().any(|k| k.name == key)
                && let Err(e) = check_text(v, false)
            {
                bad(key, e);
                continue;
            }
            match key.as_str() {
                "q" => {
                    if v.chars().count() > 100 {
                        bad("q", "search for at most 100 characters".into());
                    } else {
                        f.q = v.to_string();
                        f.search = Search::read(v);
                    }
                }
                "status" => match Status::parse(v) {
                    Some(s) => push_new(&mut f.statuses, s),
                    None => bad(
                        "status",
                        format!("'{v}' is not a status: use {}", Status::expected()),
                    ),
                },
                "branch" => push_new(&mut f.branches, v.to_lowercase()),
                "rate" => push_new(&mut f.rates, v.to_lowercase()),
                "kind" => match Kind::parse(v) {
                    Some(k) => push_new(&mut f.kinds, k),
                    None => bad(
                        "kind",
                        format!("'{v}' is not a kind: use {}", Kind::expected()),
                    ),
                },
                "gender" => match GenderFilter::ALL.iter().find(|g| g.as_str() == v) {
                    Some(g) => push_new(&mut f.genders, *g),
                    None => bad(
                        "gender",
                        format!(
                            "'{v}' is not a gender filter: use woman, man, non_binary, other or not_given"
                        ),
                    ),
                },
                "joined_from" | "joined_to" | "paid_from" | "paid_to" => match parse_date(v) {
                    Ok(d) => {
                        let slot = match key.as_str() {
                            "joined_from" => &mut f.joined_from,
                            "joined_to" => &mut f.joined_to,
                            "paid_from" => &mut f.paid_from,
                            _ => &mut f.paid_to,
                        };
                        *slot = Some(d);
                    }
                    Err(e) => bad(key, e.to_string()),
                },
                "tag" => {
                    for t in parse_tags(v) {
                        push_new(&mut f.tags, t);
                    }
                }
                "consent" => {
                    let (channel, wanted) = match v.strip_prefix("no_") {
                        Some(rest) => (rest, false),
                        None => (v, true),
                    };
                    match Channel::parse(channel) {
                        Some(c) if !f.consents.iter().any(|(x, _)| *x == c) => {
                            f.consents.push((c, wanted))
                        }
                        Some(_) => bad(
                            "consent",
                            format!("consent by {channel} is asked for twice"),
                        ),
                        None => bad(
                            "consent",
                            format!(
                                "'{v}' is not a consent filter: use email, phone, sms or post, or no_email and so on"
                            ),
                        ),
                    }
                }
                "attended" => {
                    match [Attended::Ever, Attended::Never, Attended::NoShow]
                        .into_iter()
                        .find(|a| a.as_str() == v)
                    {
                        Some(a) => f.attended = Some(a),
                        None => bad(
                            "attended",
                            format!("'{v}' is not an attendance filter: use yes, never or no_show"),
                        ),
                    }
                }
                "attended_since" => match parse_date(v) {
                    Ok(d) => f.attended_since = Some(d),
                    Err(e) => bad(key, e.to_string()),
                },
                "rung" => match super::ladder::Rung::parse(v) {
                    Some(r) => f.rung = Some(r),
                    None => bad(
                        "rung",
                        format!("'{v}' is not a rung: use member, attended, volunteered or leads"),
                    ),
                },
                "attended_min" => match v.parse::<u32>() {
                    Ok(n) if (1..=1000).contains(&n) => f.attended_min = Some(n),
                    _ => bad(
                        "attended_min",
                        format!("'{v}' is not a number of events from 1 to 1,000"),
                    ),
                },
                "answer" => match super::surveys::AnswerFilter::parse(v) {
                    Ok(a) => push_new(&mut f.answers, a),
                    Err(e) => bad("answer", e),
                },
                "event" => match super::fields::read_public_id(v) {
                    Some(id) => f.event = Some(id),
                    None => bad("event", format!("'{v}' is not an event's id")),
                },
                "sort" => match Sort::ALL.iter().find(|s| s.as_str() == v) {
                    Some(s) => f.sort = *s,
                    None => bad(
                        "sort",
                        format!("'{v}' is not an order: use name, number, joined or -joined"),
                    ),
                },
                _ => {}
            }
        }
        for (field, from, to) in [
            ("joined_to", f.joined_from, f.joined_to),
            ("paid_to", f.paid_from, f.paid_to),
        ] {
            if let (Some(a), Some(b)) = (from, to)
                && b < a
            {
                bad(field, "the end of the range is before its start".into());
            }
        }
        if problems.is_empty() {
            Ok(f)
        } else {
            Err(problems)
        }
    }

    /// `to_pairs` as query-string text (`status=lapsed&branch=riverside`).
    pub fn to_query(&self) -> String {
        // Text pairs always encode; an empty string would only widen what is named.
        serde_urlencoded::to_string(self.to_pairs()).unwrap_or_default()
    }

    /// The canonical query string: what a saved segment keeps and a link repeats.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        if !self.q.is_empty() {
            out.push(("q", self.q.clone()));
        }
        out.extend(
            self.statuses
                .iter()
                .map(|s| ("status", s.as_str().to_string())),
        );
        out.extend(self.branches.iter().map(|b| ("branch", b.clone())));
        out.extend(self.rates.iter().map(|r| ("rate", r.clone())));
        out.extend(self.kinds.iter().map(|k| ("kind", k.as_str().to_string())));
        out.extend(
            self.genders
                .iter()
                .map(|g| ("gender", g.as_str().to_string())),
        );
        for (key, date) in [
            ("joined_from", self.joined_from),
            ("joined_to", self.joined_to),
            ("paid_from", self.paid_from),
            ("paid_to", self.paid_to),
        ] {
            if let Some(d) = date {
                out.push((key, d.to_string()));
            }
        }
        out.extend(self.tags.iter().map(|t| ("tag", t.clone())));
        out.extend(self.consents.iter().map(|(c, wanted)| {
            (
                "consent",
                if *wanted {
                    c.as_str().to_string()
                } else {
                    format!("no_{}", c.as_str())
                },
            )
        }));
        if let Some(a) = self.attended {
            out.push(("attended", a.as_str().to_string()));
        }
        if let Some(d) = self.attended_since {
            out.push(("attended_since", d.to_string()));
        }
        if let Some(e) = &self.event {
            out.push(("event", e.clone()));
        }
        if let Some(r) = self.rung {
            out.push(("rung", r.as_str().to_string()));
        }
        if let Some(n) = self.attended_min {
            out.push(("attended_min", n.to_string()));
        }
        out.extend(self.answers.iter().map(|a| ("answer", a.as_text())));
        if self.sort != Sort::Name {
            out.push(("sort", self.sort.as_str().to_string()));
        }
        out
    }

    /// The filter as a person would say it: "status in arrears or lapsed; kind member;
    /// joined from 1 Jan 2024". Codes stay only where the filter holds nothing else (branch
    /// slugs, rate codes, tags).
    pub fn in_words(&self) -> String {
        let or = |items: Vec<String>| items.join(" or ");
        let lower = |s: &str| s.to_lowercase();
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("matching '{}'", self.q));
        }
        let lists: [(&str, Vec<String>); 5] = [
            (
                "status",
                self.statuses.iter().map(|s| lower(s.label())).collect(),
            ),
            ("branch", self.branches.clone()),
            ("rate", self.rates.clone()),
            (
                "kind",
                self.kinds.iter().map(|k| lower(k.label())).collect(),
            ),
            (
                "gender",
                self.genders.iter().map(|g| lower(g.label())).collect(),
            ),
        ];
        for (name, items) in lists {
            if !items.is_empty() {
                parts.push(format!("{name} {}", or(items)));
            }
        }
        let day = |d: NaiveDate| d.format("%-d %b %Y").to_string();
        for (words, date) in [
            ("joined from", self.joined_from),
            ("joined up to", self.joined_to),
            ("paid until from", self.paid_from),
            ("paid until up to", self.paid_to),
        ] {
            if let Some(d) = date {
                parts.push(format!("{words} {}", day(d)));
            }
        }
        if !self.tags.is_empty() {
            parts.push(format!("tagged {}", self.tags.join(" and ")));
        }
        for (channel, given) in &self.consents {
            let how = match channel {
                Channel::Email => "email",
                Channel::Phone => "phone calls",
                Channel::Sms => "text messages",
                Channel::Post => "post",
            };
            parts.push(if *given {
                format!("agreed to {how}")
            } else {
                format!("not agreed to {how}")
            });
        }
        if let Some(a) = self.attended {
            parts.push(a.words().to_string());
        }
        if let Some(d) = self.attended_since {
            parts.push(format!("came to an event since {}", day(d)));
        }
        if self.event.is_some() {
            parts.push("came to one event".to_string());
        }
        if let Some(r) = self.rung {
            parts.push(r.meaning().to_string());
        }
        if let Some(n) = self.attended_min {
            parts.push(format!("came to at least {n} events"));
        }
        for a in &self.answers {
            parts.push(format!(
                "answered '{}' to question {} of a survey",
                a.value, a.question
            ));
        }
        if parts.is_empty() {
            "everyone".into()
        } else {
            parts.join("; ")
        }
    }

    pub fn is_empty(&self) -> bool {
        self.to_pairs().iter().all(|(k, _)| *k == "sort")
    }
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A position in a sorted list: the sort key of the last row shown and its id. Opaque to
/// clients (hex), checked when read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        hex::encode(format!("{}\u{1f}{}", self.key, self.id))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        if text.len() > 1024 {
            return None;
        }
        let raw = String::from_utf8(hex::decode(text).ok()?).ok()?;
        let (key, id) = raw.split_once('\u{1f}')?;
        Some(Cursor {
            key: key.to_string(),
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_reads_as_words() {
        let parse = |q: &str| {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap();
            MemberFilter::parse(&pairs).unwrap()
        };
        assert_eq!(MemberFilter::default().in_words(), "everyone");
        assert_eq!(
            parse("status=in_arrears&status=lapsed&kind=member").in_words(),
            "status in arrears or lapsed; kind member"
        );
        assert_eq!(
            parse("q=smith&branch=riverside&gender=woman&joined_from=2024-01-01&tag=driver&consent=email&consent=no_phone").in_words(),
            "matching 'smith'; branch riverside; gender woman; joined from 1 Jan 2024; tagged driver; agreed to email; not agreed to phone calls"
        );
    }
    use crate::domain::dates::ymd;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_consent_wish_replaces_the_channels_earlier_one() {
        let f = MemberFilter::parse(&pairs(&[("consent", "phone"), ("consent", "email")]))
            .expect("valid")
            .with_consent(Channel::Phone, false);
        assert_eq!(
            f.consents,
            [(Channel::Email, true), (Channel::Phone, false)]
        );
        assert!(f.to_query().contains("consent=no_phone"));
    }

    #[test]
    fn a_full_filter_round_trips_through_its_query() {
        let f = MemberFilter::parse(&pairs(&[
            ("q", "  Okafor "),
            ("status", "in_arrears"),
            ("status", "lapsed"),
            ("branch", "Riverside"),
            ("rate", "youth"),
            ("kind", "member"),
            ("gender", "woman"),
            ("joined_from", "01/02/2024"),
            ("joined_to", "2024-12-31"),
            ("tag", "canvasser; driver"),
            ("consent", "email"),
            ("consent", "no_phone"),
            ("attended", "no_show"),
            ("attended_since", "01/09/2026"),
            ("event", "01A2B3C4-0000-7000-8000-000000000001"),
            ("answer", "01a2b3c4-0000:2:Public speaking"),
            ("sort", "-joined"),
            ("limit", "20"),
        ]))
        .expect("valid");
        assert_eq!(f.answers.len(), 1);
        assert!(
            f.in_words()
                .contains("answered 'Public speaking' to question 2 of a survey"),
            "{}",
            f.in_words()
        );
        assert_eq!(f.attended, Some(Attended::NoShow));
        assert_eq!(f.attended_since, Some(ymd(2026, 9, 1)));
        assert_eq!(
            f.event.as_deref(),
            Some("01a2b3c4-0000-7000-8000-000000000001")
        );
        assert!(
            f.in_words().contains(
                "signed up for an event and did not come; came to an event since 1 Sep 2026"
            ),
            "{}",
            f.in_words()
        );
        assert_eq!(f.q, "Okafor");
        assert_eq!(f.statuses, vec![Status::InArrears, Status::Lapsed]);
        assert_eq!(f.branches, vec!["riverside"]);
        assert_eq!(f.joined_from, Some(ymd(2024, 2, 1)));
        assert_eq!(f.tags, vec!["canvasser", "driver"]);
        assert_eq!(
            f.consents,
            vec![(Channel::Email, true), (Channel::Phone, false)]
        );
        assert_eq!(f.sort, Sort::JoinedNewest);
        let again: Vec<(String, String)> = f
            .to_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(MemberFilter::parse(&again), Ok(f));
    }

    /// The keys the API documents are exactly those the filter reads and writes: each
    /// one, given a bad value, is refused by its own name (or, for free text, changes the
    /// filter), and `to_pairs` writes no other.
    #[test]
    fn the_documented_keys_are_the_ones_read_and_written() {
        for k in KEYS {
            let bad = "\u{1}not a value\u{1}".repeat(20);
            match MemberFilter::parse(&pairs(&[(k.name, bad.as_str())])) {
                Err(problems) => assert_eq!(problems[0].field, k.name),
                Ok(f) => assert_ne!(f, MemberFilter::default(), "{} is read", k.name),
            }
        }
        assert!(
            MemberFilter::parse(&pairs(&[("not_a_key", "x")]))
                .is_ok_and(|f| f == MemberFilter::default()),
            "other keys belong to the caller"
        );
        let full = MemberFilter::parse(&pairs(&[
            ("q", "a"),
            ("status", "new"),
            ("branch", "b"),
            ("rate", "youth"),
            ("kind", "member"),
            ("gender", "woman"),
            ("joined_from", "2024-01-01"),
            ("joined_to", "2024-01-02"),
            ("paid_from", "2024-01-03"),
            ("paid_to", "2024-01-04"),
            ("tag", "t"),
            ("consent", "email"),
            ("attended", "yes"),
            ("attended_since", "2024-01-05"),
            ("event", "01a2"),
            ("rung", "attended"),
            ("attended_min", "2"),
            ("answer", "01a2:3:Public speaking"),
            ("sort", "-joined"),
        ]))
        .expect("valid");
        assert!(
            full.in_words()
                .contains("came to an event, not yet volunteered; came to at least 2 events"),
            "{}",
            full.in_words()
        );
        let written: Vec<&str> = full.to_pairs().into_iter().map(|(k, _)| k).collect();
        for name in &written {
            assert!(KEYS.iter().any(|k| k.name == *name), "{name} is documented");
        }
        assert_eq!(written.len(), KEYS.len(), "every key is written back");
    }

    #[test]
    fn every_bad_value_is_named_by_its_field() {
        let problems = MemberFilter::parse(&pairs(&[
            ("status", "asleep"),
            ("gender", "robot"),
            ("joined_from", "31/02/2024"),
            ("paid_from", "2024-05-01"),
            ("paid_to", "2024-04-01"),
            ("consent", "pigeon"),
            ("sort", "shoe size"),
        ]))
        .expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "status",
                "gender",
                "joined_from",
                "consent",
                "sort",
                "paid_to"
            ]
        );
        assert!(
            problems[0].message.contains("in_arrears"),
            "{:?}",
            problems[0]
        );
    }

    #[test]
    fn blank_form_fields_mean_any() {
        let f = MemberFilter::parse(&pairs(&[("q", ""), ("status", ""), ("joined_from", " ")]))
            .expect("valid");
        assert!(f.is_empty());
        assert_eq!(f, MemberFilter::default());
    }

    #[test]
    fn search_reads_names_phones_and_postcodes() {
        let s = Search::read(" Mary  Okafor ").expect("text");
        assert_eq!(s.text, "mary okafor");
        assert_eq!((s.phone, s.postcode), (None, None));
        let s = Search::read("07700 900123").expect("text");
        assert_eq!(s.phone.as_deref(), Some("+447700900123"));
        let s = Search::read("rz1 4ab").expect("text");
        assert_eq!(s.postcode.as_deref(), Some("RZ1 4AB"));
        let s = Search::read("rz1").expect("text");
        assert_eq!(s.postcode.as_deref(), Some("RZ1"));
        assert_eq!(Search::read("   "), None);
    }

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = Cursor {
            key: "Okafor\u{1e}Mary".into(),
            id: "0190-abc".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("zz"), None);
        assert_eq!(Cursor::decode("abc"), None);
        assert_eq!(Cursor::decode("4142"), None);
    }
}
