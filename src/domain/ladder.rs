//! From member to activist: the rungs of the ladder a person has climbed, read from what
//! Rosette already knows. Each person is on their highest rung.

/// A rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rung {
    /// On the register, never at an event.
    Member,
    /// Came to an event.
    Attended,
    /// Helped: came to a street stall, canvass or phone bank, or calls members.
    Volunteered,
    /// Holds an officer's role.
    Leads,
}

impl Rung {
    pub const ALL: [Rung; 4] = [Rung::Member, Rung::Attended, Rung::Volunteered, Rung::Leads];

    pub fn as_str(self) -> &'static str {
        match self {
            Rung::Member => "member",
            Rung::Attended => "attended",
            Rung::Volunteered => "volunteered",
            Rung::Leads => "leads",
        }
    }

    pub fn parse(text: &str) -> Option<Rung> {
        Rung::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Rung::Member => "On the register",
            Rung::Attended => "Came to an event",
            Rung::Volunteered => "Volunteered",
            Rung::Leads => "Leads",
        }
    }

    /// Who is on it, in words: for filters and the funnel.
    pub fn meaning(self) -> &'static str {
        match self {
            Rung::Member => "never yet at an event",
            Rung::Attended => "came to an event, not yet volunteered",
            Rung::Volunteered => "came to a street stall, canvass or phone bank, or calls members",
            Rung::Leads => "holds an officer's role",
        }
    }

    /// The highest rung of someone who came to `attended` events, volunteered or not,
    /// and leads or not.
    pub fn of(attended: usize, volunteered: bool, leads: bool) -> Rung {
        if leads {
            Rung::Leads
        } else if volunteered {
            Rung::Volunteered
        } else if attended > 0 {
            Rung::Attended
        } else {
            Rung::Member
        }
    }
}

/// How many reached each rung or a higher one, from how many are on each: a funnel,
/// never widening.
pub fn funnel(on: [u64; 4]) -> [u64; 4] {
    let mut out = [0; 4];
    let mut above = 0;
    for i in (0..4).rev() {
        above += on[i];
        out[i] = above;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_person_is_on_their_highest_rung() {
        assert_eq!(Rung::of(0, false, false), Rung::Member);
        assert_eq!(Rung::of(2, false, false), Rung::Attended);
        assert_eq!(
            Rung::of(0, true, false),
            Rung::Volunteered,
            "a caller who never came"
        );
        assert_eq!(Rung::of(5, true, true), Rung::Leads);
        for r in Rung::ALL {
            assert_eq!(Rung::parse(r.as_str()), Some(r));
        }
        assert_eq!(Rung::parse("hero"), None);
    }

    #[test]
    fn the_funnel_counts_each_rung_and_those_above() {
        assert_eq!(funnel([50, 30, 15, 5]), [100, 50, 20, 5]);
        assert_eq!(funnel([0, 0, 0, 0]), [0, 0, 0, 0]);
    }
}
