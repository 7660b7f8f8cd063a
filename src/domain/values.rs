//! The small closed vocabularies of the product, with the spellings scripts rely on:
//! change them only by adding.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Lower-cases and folds spaces and hyphens to underscores, so "Registered Supporter",
/// "registered-supporter" and "registered_supporter" read the same.
fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads the canonical spelling or a common alias, ignoring case.
            pub fn parse(text: &str) -> Option<Self> {
                match fold(text).as_str() {
                    $($text $(| $alias)* => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The canonical spellings, for error messages.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// What kind of person the local party knows.
    Kind {
        Member => "member" | "full_member",
        RegisteredSupporter => "registered_supporter",
        AffiliatedSupporter => "affiliated_supporter",
        Supporter => "supporter",
        Contact => "contact" | "stakeholder_contact",
    }
);

vocabulary!(
    /// The recorded ways a membership ends (lapsing is derived from dates, not recorded).
    LeftReason {
        Resigned => "resigned" | "resignation",
        Deceased => "deceased" | "died" | "death",
        Expelled => "expelled" | "expulsion",
    }
);

vocabulary!(
    /// Levels of the organisation tree.
    UnitKind {
        Party => "party",
        Region => "region",
        LocalParty => "local_party" | "clp",
        Branch => "branch" | "ward_branch",
    }
);

vocabulary!(
    /// A branch's kind: drawn on the map (its members live in its wards), or a forum whose
    /// people opt in or follow a rule (women, young members).
    BranchType {
        Geographic => "geographic",
        Forum => "forum",
    }
);

vocabulary!(
    /// A membership's status. Derived from dates and recorded end states, never typed in.
    Status {
        New => "new",
        Current => "current",
        InArrears => "in_arrears" | "arrears",
        Lapsed => "lapsed",
        Resigned => "resigned",
        Deceased => "deceased",
        Expelled => "expelled",
        Suspended => "suspended",
    }
);

vocabulary!(
    /// Things that happen to a membership, kept as its history.
    EventKind {
        Joined => "joined",
        Renewed => "renewed",
        EnteredArrears => "entered_arrears",
        Lapsed => "lapsed",
        Rejoined => "rejoined",
        Resigned => "resigned",
        TransferredIn => "transferred_in",
        TransferredOut => "transferred_out",
        Died => "died",
        Suspended => "suspended",
        Reinstated => "reinstated",
        Expelled => "expelled",
        Moved => "moved" | "changed_branch",
        RateChanged => "rate_changed" | "changed_rate",
        Merged => "merged",
    }
);

vocabulary!(
    /// An officer's role, held for one unit. What each sees is decided in `access`.
    Role {
        Secretary => "secretary",
        Chair => "chair",
        MembershipOfficer => "membership_officer",
        WomensOfficer => "womens_officer" | "women's_officer",
        BranchSecretary => "branch_secretary",
        BranchMembershipSecretary => "branch_membership_secretary",
        Caller => "caller",
        Buddy => "buddy",
        BranchCaptain => "branch_captain" | "captain",
    }
);

vocabulary!(
    /// The channels a person can consent to be contacted by.
    Channel {
        Email => "email",
        Phone => "phone",
        Sms => "sms" | "text",
        Post => "post" | "mail",
    }
);

vocabulary!(
    /// What sort of event it is.
    EventType {
        MembersMeeting => "members_meeting",
        Agm => "agm",
        Social => "social",
        Training => "training",
        StreetStall => "street_stall",
        Canvass => "canvass",
        PhoneBank => "phone_bank",
        OnlineMeeting => "online_meeting",
    }
);

vocabulary!(
    /// Who may come to an event.
    Audience {
        Public => "public",
        Members => "members",
        Invited => "invited",
    }
);

vocabulary!(
    /// Where a person stands with one event.
    Attendance {
        SignedUp => "signed_up",
        Waiting => "waiting",
        Attended => "attended",
        NoShow => "no_show",
        Cancelled => "cancelled",
    }
);

vocabulary!(
    /// How a new member was welcomed.
    WelcomeHow {
        Call => "call",
        Email => "email",
        OneToOne => "one_to_one",
        Event => "event",
    }
);

impl WelcomeHow {
    pub fn label(self) -> &'static str {
        match self {
            WelcomeHow::Call => "Phone call",
            WelcomeHow::Email => "Email",
            WelcomeHow::OneToOne => "One-to-one",
            WelcomeHow::Event => "At an event",
        }
    }
}

impl EventType {
    pub fn label(self) -> &'static str {
        match self {
            EventType::MembersMeeting => "Members' meeting",
            EventType::Agm => "Annual general meeting",
            EventType::Social => "Social",
            EventType::Training => "Training",
            EventType::StreetStall => "Street stall",
            EventType::Canvass => "Canvass or campaign day",
            EventType::PhoneBank => "Phone bank",
            EventType::OnlineMeeting => "Online meeting",
        }
    }
}

impl Audience {
    pub fn label(self) -> &'static str {
        match self {
            Audience::Public => "Anyone",
            Audience::Members => "Members only",
            Audience::Invited => "By invitation",
        }
    }
}

impl Attendance {
    pub fn label(self) -> &'static str {
        match self {
            Attendance::SignedUp => "Signed up",
            Attendance::Waiting => "On the waiting list",
            Attendance::Attended => "Came",
            Attendance::NoShow => "Did not come",
            Attendance::Cancelled => "Cancelled",
        }
    }
}

impl Status {
    /// The status as a person reads it on a page.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Current => "Current",
            Status::InArrears => "In arrears",
            Status::Lapsed => "Lapsed",
            Status::Resigned => "Resigned",
            Status::Deceased => "Deceased",
            Status::Expelled => "Expelled",
            Status::Suspended => "Suspended",
        }
    }
}

impl Kind {
    /// The kind as a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Member => "Member",
            Kind::RegisteredSupporter => "Registered supporter",
            Kind::AffiliatedSupporter => "Affiliated supporter",
            Kind::Supporter => "Supporter",
            Kind::Contact => "Contact",
        }
    }
}

impl EventKind {
    /// The event as a person's history reads it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Joined => "Joined",
            EventKind::Renewed => "Renewed",
            EventKind::EnteredArrears => "Fell into arrears",
            EventKind::Lapsed => "Lapsed",
            EventKind::Rejoined => "Rejoined",
            EventKind::Resigned => "Resigned",
            EventKind::TransferredIn => "Moved in from another local party",
            EventKind::TransferredOut => "Moved to another local party",
            EventKind::Died => "Died",
            EventKind::Suspended => "Suspended",
            EventKind::Reinstated => "Reinstated",
            EventKind::Expelled => "Expelled",
            EventKind::Moved => "Moved branch",
            EventKind::RateChanged => "Rate changed",
            EventKind::Merged => "Merged with a duplicate record",
        }
    }
}

impl UnitKind {
    /// Whether a unit of this kind may sit under a unit of `parent` kind (`None`: at the top).
    pub fn may_sit_under(self, parent: Option<UnitKind>) -> bool {
        match self {
            UnitKind::Party => parent.is_none(),
            UnitKind::Region => parent == Some(UnitKind::Party),
            UnitKind::LocalParty => matches!(
                parent,
                None | Some(UnitKind::Party) | Some(UnitKind::Region)
            ),
            UnitKind::Branch => parent == Some(UnitKind::LocalParty),
        }
    }
}

/// The key a ward name is matched by: case and spacing do not matter.
pub fn ward_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Gender as the person describes it; `None` at the call site means not given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gender {
    Woman,
    Man,
    NonBinary,
    /// The person's own words, kept as written.
    OwnWords(String),
}

impl Gender {
    /// Reads a gender cell. Blank means not given. The usual spreadsheet spellings map to
    /// the three common values; anything else is kept as the person's own words.
    pub fn parse(text: &str) -> Option<Gender> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        Some(match fold(t).as_str() {
            "woman" | "female" | "f" | "w" => Gender::Woman,
            "man" | "male" | "m" => Gender::Man,
            "non_binary" | "nonbinary" | "nb" | "enby" => Gender::NonBinary,
            _ => Gender::OwnWords(t.to_string()),
        })
    }

    /// As a person's record shows it.
    pub fn label(&self) -> &str {
        match self {
            Gender::Woman => "Woman",
            Gender::Man => "Man",
            Gender::NonBinary => "Non-binary",
            Gender::OwnWords(words) => words,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Gender::Woman => "woman",
            Gender::Man => "man",
            Gender::NonBinary => "non_binary",
            Gender::OwnWords(words) => words,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_spreadsheet_spellings() {
        assert_eq!(
            Kind::parse("Registered Supporter"),
            Some(Kind::RegisteredSupporter)
        );
        assert_eq!(
            Kind::parse("affiliated-supporter"),
            Some(Kind::AffiliatedSupporter)
        );
        assert_eq!(Kind::parse(" MEMBER "), Some(Kind::Member));
        assert_eq!(Kind::parse("friend"), None);
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(*kind));
        }
    }

    #[test]
    fn left_reasons_and_unit_kinds_round_trip() {
        for r in LeftReason::ALL {
            assert_eq!(LeftReason::parse(r.as_str()), Some(*r));
        }
        assert_eq!(LeftReason::parse("Died"), Some(LeftReason::Deceased));
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(UnitKind::parse("CLP"), Some(UnitKind::LocalParty));
        assert!(Kind::expected().contains("registered_supporter"));
    }

    #[test]
    fn branch_types_keep_the_spellings_stored_in_units() {
        assert_eq!(
            BranchType::ALL
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>(),
            ["geographic", "forum"]
        );
        for t in BranchType::ALL {
            assert_eq!(BranchType::parse(t.as_str()), Some(*t));
        }
    }

    #[test]
    fn the_tree_has_party_region_local_party_branch() {
        assert!(UnitKind::Party.may_sit_under(None));
        assert!(UnitKind::Region.may_sit_under(Some(UnitKind::Party)));
        assert!(UnitKind::LocalParty.may_sit_under(None));
        assert!(UnitKind::LocalParty.may_sit_under(Some(UnitKind::Region)));
        assert!(UnitKind::Branch.may_sit_under(Some(UnitKind::LocalParty)));
        assert!(!UnitKind::Branch.may_sit_under(None));
        assert!(!UnitKind::Branch.may_sit_under(Some(UnitKind::Branch)));
        assert!(!UnitKind::Region.may_sit_under(Some(UnitKind::LocalParty)));
        assert_eq!(ward_key("  St  Mary's   North "), "st mary's north");
    }

    #[test]
    fn gender_keeps_own_words() {
        assert_eq!(Gender::parse(""), None);
        assert_eq!(Gender::parse("  "), None);
        assert_eq!(Gender::parse("Female"), Some(Gender::Woman));
        assert_eq!(Gender::parse("M"), Some(Gender::Man));
        assert_eq!(Gender::parse("Non-binary"), Some(Gender::NonBinary));
        assert_eq!(
            Gender::parse("genderfluid").map(|g| g.as_str().to_string()),
            Some("genderfluid".into())
        );
        assert_eq!(
            Gender::parse("Non_Binary").map(|g| g.as_str().to_string()),
            Some("non_binary".into())
        );
    }
}
