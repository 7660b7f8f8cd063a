//! Representation: how many women (and people who give their gender in their own words)
//! there are among a group, counted so that no small group gives anyone away. Only
//! aggregates leave here; a count from 1 to 4 is "fewer than 5", and a share is shown
//! only when neither side of it is that small.

use serde::Serialize;

/// Below this, a count is shown as "fewer than 5".
pub const SMALLEST_SHOWN: u64 = 5;

/// How a person's gender counts here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Woman,
    /// In their own words: counted as such, not folded into another group.
    OwnWords,
    /// Man or non-binary.
    Other,
    NotGiven,
}

/// A stored gender (`woman`, `man`, `non_binary`, or anything else in the person's own
/// words; none for not given), as it counts here.
pub fn counted(gender: Option<&str>) -> Counted {
    match gender.map(str::trim) {
        None | Some("") => Counted::NotGiven,
        Some("woman") => Counted::Woman,
        Some("man" | "non_binary") => Counted::Other,
        Some(_) => Counted::OwnWords,
    }
}

/// One group's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub women: u64,
    pub own_words: u64,
    pub other: u64,
    pub not_given: u64,
}

impl Tally {
    pub fn of<'a>(genders: impl IntoIterator<Item = Option<&'a str>>) -> Tally {
        let mut t = Tally::default();
        for g in genders {
            t.add(counted(g));
        }
        t
    }

    pub fn add(&mut self, c: Counted) {
        match c {
            Counted::Woman => self.women += 1,
            Counted::OwnWords => self.own_words += 1,
            Counted::Other => self.other += 1,
            Counted::NotGiven => self.not_given += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.women + self.own_words + self.other + self.not_given
    }

    /// Those who gave their gender: what a share is of.
    pub fn known(&self) -> u64 {
        self.women + self.own_words + self.other
    }

    /// The group as it may be shown.
    pub fn shown(&self) -> Shown {
        let share = |part: u64| {
            let rest = self.known() - part;
            (self.known() >= SMALLEST_SHOWN && !is_small(part) && !is_small(rest))
                .then(|| part as f64 * 100.0 / self.known() as f64)
        };
        Shown {
            women: Figure::of(self.women),
            own_words: Figure::of(self.own_words),
            other: Figure::of(self.other),
            not_given: Figure::of(self.not_given),
            total: Figure::of(self.total()),
            women_share: share(self.women),
            own_words_share: share(self.own_words),
        }
    }
}

fn is_small(n: u64) -> bool {
    n > 0 && n < SMALLEST_SHOWN
}

/// A count as it may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Figure {
    Count(u64),
    #[serde(serialize_with = "fewer_than_5")]
    FewerThan5,
}

fn fewer_than_5<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("fewer than 5")
}

impl Figure {
    pub fn of(n: u64) -> Figure {
        if is_small(n) {
            Figure::FewerThan5
        } else {
            Figure::Count(n)
        }
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Figure::Count(n) => write!(f, "{n}"),
            Figure::FewerThan5 => f.write_str("fewer than 5"),
        }
    }
}

/// A group's figures, safe to show.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shown {
    pub women: Figure,
    pub own_words: Figure,
    pub other: Figure,
    pub not_given: Figure,
    pub total: Figure,
    /// Women as a percentage of those who gave their gender; `None` when that would give
    /// away a small count.
    pub women_share: Option<f64>,
    pub own_words_share: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genders_count_as_given_and_own_words_stay_their_own() {
        assert_eq!(counted(Some("woman")), Counted::Woman);
        assert_eq!(counted(Some("man")), Counted::Other);
        assert_eq!(counted(Some("non_binary")), Counted::Other);
        assert_eq!(counted(Some("genderqueer")), Counted::OwnWords);
        assert_eq!(counted(Some(" ")), Counted::NotGiven);
        assert_eq!(counted(None), Counted::NotGiven);
    }

    #[test]
    fn shares_are_of_those_who_gave_their_gender() {
        let t = Tally::of(
            std::iter::repeat_n(Some("woman"), 30)
                .chain(std::iter::repeat_n(Some("man"), 60))
                .chain(std::iter::repeat_n(Some("agender"), 10))
                .chain(std::iter::repeat_n(None, 50)),
        );
        assert_eq!((t.known(), t.total()), (100, 150));
        let s = t.shown();
        assert_eq!(s.women, Figure::Count(30));
        assert_eq!(s.women_share, Some(30.0));
        assert_eq!(s.own_words_share, Some(10.0));
        assert_eq!(s.not_given, Figure::Count(50));
    }

    #[test]
    fn small_counts_and_the_shares_that_would_reveal_them_are_hidden() {
        let t = Tally::of(
            std::iter::repeat_n(Some("woman"), 3).chain(std::iter::repeat_n(Some("man"), 40)),
        );
        let s = t.shown();
        assert_eq!(s.women, Figure::FewerThan5);
        assert_eq!(s.women.to_string(), "fewer than 5");
        assert_eq!(s.women_share, None, "3 of 43 would give the 3 away");
        assert_eq!(s.own_words, Figure::Count(0));
        assert_eq!(s.own_words_share, Some(0.0), "none of 43 gives nobody away");
        // Everyone but 2 a woman: the share would give the 2 away.
        let t = Tally::of(
            std::iter::repeat_n(Some("woman"), 20).chain(std::iter::repeat_n(Some("man"), 2)),
        );
        assert_eq!(t.shown().women_share, None);
        // A whole group under 5.
        let t = Tally::of([Some("woman"), Some("man")]);
        assert_eq!(t.shown().total, Figure::FewerThan5);
        assert_eq!(t.shown().women_share, None);
        // Nobody: zeros are shown.
        assert_eq!(Tally::default().shown().total, Figure::Count(0));
        assert_eq!(Tally::default().shown().women_share, None);
        assert_eq!(
            serde_json::to_value(Tally::of([Some("woman")]).shown().women).ok(),
            Some(serde_json::json!("fewer than 5"))
        );
    }
}
