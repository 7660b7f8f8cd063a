//! Stakeholder organisations a local party works with (women's organisations, union
//! branches, community groups), and what passes between them: meetings, joint events and
//! speakers exchanged.

use chrono::NaiveDate;

/// What kind of organisation it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    WomensOrganisation,
    UnionBranch,
    CommunityGroup,
    FaithGroup,
    Campaign,
    Other,
}

impl OrgKind {
    pub const ALL: [OrgKind; 6] = [
        OrgKind::WomensOrganisation,
        OrgKind::UnionBranch,
        OrgKind::CommunityGroup,
        OrgKind::FaithGroup,
        OrgKind::Campaign,
        OrgKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::WomensOrganisation => "womens_organisation",
            OrgKind::UnionBranch => "union_branch",
            OrgKind::CommunityGroup => "community_group",
            OrgKind::FaithGroup => "faith_group",
            OrgKind::Campaign => "campaign",
            OrgKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::WomensOrganisation => "Women's organisation",
            OrgKind::UnionBranch => "Union branch",
            OrgKind::CommunityGroup => "Community group",
            OrgKind::FaithGroup => "Faith group",
            OrgKind::Campaign => "Campaign",
            OrgKind::Other => "Other",
        }
    }

    /// Whether the officers of women's branches work with it by default (the Women's
    /// Officer sees it without anyone sharing it).
    pub fn for_women(self) -> bool {
        self == OrgKind::WomensOrganisation
    }
}

/// Something that passed between the local party and an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealingKind {
    Meeting,
    JointEvent,
    /// One of theirs spoke to us.
    SpeakerFromThem,
    /// One of ours spoke to them.
    SpeakerToThem,
}

impl DealingKind {
    pub const ALL: [DealingKind; 4] = [
        DealingKind::Meeting,
        DealingKind::JointEvent,
        DealingKind::SpeakerFromThem,
        DealingKind::SpeakerToThem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DealingKind::Meeting => "meeting",
            DealingKind::JointEvent => "joint_event",
            DealingKind::SpeakerFromThem => "speaker_from_them",
            DealingKind::SpeakerToThem => "speaker_to_them",
        }
    }

    pub fn parse(text: &str) -> Option<DealingKind> {
        DealingKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            DealingKind::Meeting => "A meeting with them",
            DealingKind::JointEvent => "A joint event",
            DealingKind::SpeakerFromThem => "Their speaker at our meeting",
            DealingKind::SpeakerToThem => "Our speaker at theirs",
        }
    }
}

/// How far ahead a dealing may be recorded: a meeting arranged for next year is planned,
/// one further off is more likely a typing mistake.
const MOST_DAYS_AHEAD: i64 = 400;

/// Checks a dealing's date against today: not more than a little over a year ahead, nor
/// before 1900.
pub fn check_date(on: NaiveDate, today: NaiveDate) -> Result<(), String> {
    if (on - today).num_days() > MOST_DAYS_AHEAD {
        Err("that is more than a year ahead: check the year".into())
    } else if on < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) {
        Err("that is too long ago: check the year".into())
    } else {
        Ok(())
    }
}

/// Whether a joint event must name the event and other dealings must not.
pub fn needs_event(kind: DealingKind) -> bool {
    kind == DealingKind::JointEvent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn kinds_read_back_from_their_codes() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
            assert!(!k.label().is_empty());
        }
        for k in DealingKind::ALL {
            assert_eq!(DealingKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OrgKind::parse("club"), None);
        assert_eq!(DealingKind::parse(""), None);
    }

    #[test]
    fn only_womens_organisations_are_the_womens_officers_by_default() {
        let hers: Vec<OrgKind> = OrgKind::ALL.into_iter().filter(|k| k.for_women()).collect();
        assert_eq!(hers, vec![OrgKind::WomensOrganisation]);
    }

    #[test]
    fn dates_far_ahead_or_long_ago_are_refused() {
        let today = ymd(2026, 11, 24);
        assert!(check_date(today, today).is_ok());
        assert!(check_date(ymd(2027, 6, 1), today).is_ok());
        assert!(check_date(ymd(2028, 6, 1), today).is_err());
        assert!(check_date(ymd(1899, 12, 31), today).is_err());
        assert!(check_date(ymd(1990, 1, 1), today).is_ok());
    }

    #[test]
    fn only_a_joint_event_names_an_event() {
        assert!(needs_event(DealingKind::JointEvent));
        assert!(!needs_event(DealingKind::Meeting));
    }
}
