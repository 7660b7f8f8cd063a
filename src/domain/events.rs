//! Events: members' meetings, socials, training, street stalls, canvasses. Their kinds and
//! audiences, local times read in the local party's time zone, places and waiting lists,
//! and what the door needs to know about each person who arrives.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::rights::{RightCheck, RightRule};
use super::rules::EventRules;
use super::values::{Kind, Status};
use super::{Event, StatusRules};

/// The time zone events are written in unless a local party says otherwise.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Europe::London;

/// How long after joining a member is shown as new at the door.
pub const NEW_MEMBER_DAYS: i64 = 90;

pub use super::values::{Attendance, Audience, EventType};

impl EventType {
    /// A meeting where members' rights (to attend, to vote) decide who may take part.
    pub fn is_members_meeting(self) -> bool {
        matches!(self, EventType::MembersMeeting | EventType::Agm)
    }
}

/// A local date and time (`2026-03-29T10:30`, or with a space) in `tz` as an instant. A
/// time the clocks skip (the hour they go forward) is refused; one they pass twice (the
/// hour they go back) is the first.
pub fn local_time(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let naive = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    .ok_or_else(|| format!("'{t}' is not a date and time: write it like 2026-03-29 19:30"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| format!("{t} does not happen in {tz}: the clocks go forward over it"))
}

/// When an event is, in its own time zone: "Thu 3 Dec 2026, 19:30 to 21:00".
pub fn when_in_words(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, tz: Tz) -> String {
    let (s, end) = (starts_at.with_timezone(&tz), ends_at.with_timezone(&tz));
    let day = "%a %-d %b %Y, %H:%M";
    if s.date_naive() == end.date_naive() {
        format!("{} to {}", s.format(day), end.format("%H:%M"))
    } else {
        format!("{} to {}", s.format(day), end.format(day))
    }
}

/// Where a new sign-up goes: a place while there are places, else the waiting list.
pub fn place_for(capacity: Option<u32>, taken: u32) -> Attendance {
    match capacity {
        Some(c) if taken >= c => Attendance::Waiting,
        _ => Attendance::SignedUp,
    }
}

/// Days of notice members are owed of an event of this kind, if any.
pub fn notice_owed(kind: EventType, rules: &EventRules) -> Option<u32> {
    match kind {
        EventType::Agm => Some(rules.agm_notice_days),
        EventType::MembersMeeting => Some(rules.notice_days),
        _ => None,
    }
}

/// A warning when inviting people to a meeting on `meeting` now (`today`) gives members
/// less notice than the rules owe them; `None` when the notice is enough.
pub fn short_notice(
    kind: EventType,
    rules: &EventRules,
    meeting: NaiveDate,
    today: NaiveDate,
) -> Option<String> {
    let owed = notice_owed(kind, rules)?;
    let given = (meeting - today).num_days();
    (given < i64::from(owed)).then(|| {
        let days = |n: i64| {
            if n == 1 {
                "1 day".to_string()
            } else {
                format!("{n} days")
            }
        };
        format!(
            "Short notice: members are owed {} of {}, and an invitation sent today gives {}.",
            days(i64::from(owed)),
            if kind == EventType::Agm {
                "an annual general meeting"
            } else {
                "a members' meeting"
            },
            days(given.max(0))
        )
    })
}

/// When the automatic reminder of an event starting at `starts_at` is due.
pub fn reminder_due(starts_at: DateTime<Utc>, remind_hours: i32) -> DateTime<Utc> {
    starts_at - chrono::Duration::hours(i64::from(remind_hours.max(0)))
}

/// The words a person agrees to on a public sign-up page, stored with their consent.
pub fn consent_wording(channel: super::Channel, party: &str) -> String {
    match channel {
        super::Channel::Email => {
            format!("{party} may email me about its campaigns, events and news.")
        }
        super::Channel::Phone => format!("{party} may phone me about its campaigns and events."),
        super::Channel::Sms => format!("{party} may text me about its campaigns and events."),
        super::Channel::Post => format!("{party} may write to me about its campaigns and events."),
    }
}

/// What the door shows for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoorCheck {
    /// Never at any event before.
    pub first_time: bool,
    /// A member who joined in the last `NEW_MEMBER_DAYS`.
    pub new_member: bool,
    pub may_attend: bool,
    pub may_vote: bool,
    /// Why not, in words, when they may not attend or vote.
    pub reason: Option<String>,
}

/// What is known of a person at the door.
pub struct Arrival<'a> {
    pub kind: Kind,
    pub status: Status,
    pub joined_on: NaiveDate,
    pub history: &'a [Event],
    /// Events they came to before.
    pub attended_before: usize,
}

/// The door's answer for a person arriving at an event on `on`, with rights measured at
/// `freeze`. Outside members' meetings, anyone may attend and there is no vote.
pub fn at_the_door(
    rules: &StatusRules,
    event: EventType,
    attend: Option<&RightRule>,
    vote: Option<&RightRule>,
    who: &Arrival,
    on: NaiveDate,
    freeze: NaiveDate,
) -> DoorCheck {
    let check = |right: Option<&RightRule>| match right {
        Some(r) => r.check_history(rules, who.kind, who.status, who.history, freeze),
        None => RightCheck::Allowed,
    };
    let (attend, vote) = if event.is_members_meeting() {
        (check(attend), check(vote))
    } else {
        (
            RightCheck::Allowed,
            RightCheck::Refused("no vote is taken".into()),
        )
    };
    let reason = match (&attend, &vote) {
        (RightCheck::Refused(why), _) => Some(why.clone()),
        (_, RightCheck::Refused(why)) if event.is_members_meeting() => Some(why.clone()),
        _ => None,
    };
    DoorCheck {
        first_time: who.attended_before == 0,
        new_member: who.kind == Kind::Member
            && who.joined_on <= on
            && (on - who.joined_on).num_days() <= NEW_MEMBER_DAYS,
        may_attend: attend == RightCheck::Allowed,
        may_vote: event.is_members_meeting() && vote == RightCheck::Allowed,
        reason,
    }
}

/// One event as a calendar shows it.
pub struct CalendarEntry<'a> {
    /// Stable across updates: the event's public id.
    pub uid: &'a str,
    pub title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub time_zone: Tz,
    pub place: Option<&'a str>,
    pub description: Option<&'a str>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// How many times it has changed, so subscribers take the latest (RFC 5545 `SEQUENCE`).
    pub sequence: i32,
    /// A cancelled event stays in the feed, marked so, so calendars drop it.
    pub cancelled: bool,
}

/// Europe/London's rules since 1996 (clocks forward the last Sunday of March, back the
/// last Sunday of October), for calendars that read times with their zone.
const LONDON: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nDTSTART:19810329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT\r\nDTSTART:19961027T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// Text as an iCalendar value: backslashes, semicolons, commas and line breaks escaped.
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets, never inside a character, ended by CRLF.
fn fold_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// An iCalendar (RFC 5545) calendar of `entries` named `name`. Times carry their zone
/// (Europe/London with its rules; any other zone is written in UTC).
pub fn calendar(name: &str, entries: &[CalendarEntry], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rosette//Events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold_line(&mut out, line);
    }
    fold_line(&mut out, &format!("X-WR-CALNAME:{}", ics_text(name)));
    let london = entries.iter().any(|e| e.time_zone == DEFAULT_TIME_ZONE);
    if london {
        out.push_str(LONDON);
    }
    let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let when = |field: &str, t: DateTime<Utc>, tz: Tz| {
        if tz == DEFAULT_TIME_ZONE {
            format!(
                "{field};TZID=Europe/London:{}",
                t.with_timezone(&tz).format("%Y%m%dT%H%M%S")
            )
        } else {
            format!("{field}:{}", stamp(t))
        }
    };
    for e in entries {
        fold_line(&mut out, "BEGIN:VEVENT");
        fold_line(&mut out, &format!("UID:{}@rosette", ics_text(e.uid)));
        fold_line(&mut out, &format!("DTSTAMP:{}", stamp(now)));
        fold_line(&mut out, &format!("LAST-MODIFIED:{}", stamp(e.updated_at)));
        fold_line(&mut out, &format!("SEQUENCE:{}", e.sequence.max(0)));
        if e.cancelled {
            fold_line(&mut out, "STATUS:CANCELLED");
        } else {
            fold_line(&mut out, "STATUS:CONFIRMED");
        }
        fold_line(&mut out, &when("DTSTART", e.starts_at, e.time_zone));
        fold_line(&mut out, &when("DTEND", e.ends_at, e.time_zone));
        fold_line(&mut out, &format!("SUMMARY:{}", ics_text(e.title)));
        if let Some(place) = e.place {
            fold_line(&mut out, &format!("LOCATION:{}", ics_text(place)));
        }
        if let Some(text) = e.description {
            fold_line(&mut out, &format!("DESCRIPTION:{}", ics_text(text)));
        }
        fold_line(&mut out, "END:VEVENT");
    }
    fold_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::ymd as d;
    use crate::domain::{EventKind, Rules};

    #[test]
    fn local_times_cross_the_clock_changes() {
        let london = DEFAULT_TIME_ZONE;
        // Winter is GMT, summer BST.
        assert_eq!(
            local_time("2026-01-15 19:30", london).map(|t| t.to_rfc3339()),
            Ok("2026-01-15T19:30:00+00:00".into())
        );
        assert_eq!(
            local_time("2026-07-15T19:30", london).map(|t| t.to_rfc3339()),
            Ok("2026-07-15T18:30:00+00:00".into())
        );
        // 01:30 on 29 March 2026 never happens; on 25 October it happens twice.
        assert!(
            local_time("2026-03-29 01:30", london)
                .expect_err("skipped")
                .contains("clocks go forward")
        );
        assert_eq!(
            local_time("2026-10-25 01:30", london).map(|t| t.to_rfc3339()),
            Ok("2026-10-25T00:30:00+00:00".into()),
            "the first of the two"
        );
        assert!(local_time("next Tuesday", london).is_err());
    }

    #[test]
    fn a_calendar_carries_zoned_times_escaped_text_and_folded_lines() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let long = "A very long description, with commas; semicolons and a\nsecond line, that goes on well past seventy-five octets — with a dash";
        let entries = [CalendarEntry {
            uid: "01a2",
            title: "AGM, with votes",
            starts_at: at("2026-07-01T17:00:00Z"),
            ends_at: at("2026-07-01T19:00:00Z"),
            time_zone: DEFAULT_TIME_ZONE,
            place: Some("Hall; back room"),
            description: Some(long),
            updated_at: at("2026-06-01T09:00:00Z"),
            sequence: 2,
            cancelled: false,
        }];
        let ics = calendar("Anytown events", &entries, at("2026-06-02T10:00:00Z"));
        assert!(ics.contains("SEQUENCE:2\r\nSTATUS:CONFIRMED\r\n"), "{ics}");
        let gone = [CalendarEntry {
            cancelled: true,
            sequence: 3,
            ..entries[0]
        }];
        let ics_gone = calendar("Anytown events", &gone, at("2026-06-02T10:00:00Z"));
        assert!(ics_gone.contains("SEQUENCE:3\r\nSTATUS:CANCELLED\r\n"));
        assert!(
            ics.contains("DTSTART;TZID=Europe/London:20260701T180000\r\n"),
            "BST: {ics}"
        );
        assert!(ics.contains("SUMMARY:AGM\\, with votes\r\n"));
        assert!(ics.contains("LOCATION:Hall\\; back room\r\n"));
        assert!(ics.contains("UID:01a2@rosette\r\n"));
        assert!(ics.contains("BEGIN:VTIMEZONE"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("a\\nsecond line"), "{unfolded}");
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn a_members_meeting_called_late_is_short_notice() {
        let rules = EventRules::default();
        let meeting = d(2026, 12, 10);
        assert_eq!(
            short_notice(EventType::MembersMeeting, &rules, meeting, d(2026, 12, 3)),
            None,
            "7 days is enough"
        );
        assert_eq!(
            short_notice(EventType::MembersMeeting, &rules, meeting, d(2026, 12, 5)).as_deref(),
            Some(
                "Short notice: members are owed 7 days of a members' meeting, and an invitation sent today gives 5 days."
            )
        );
        assert!(
            short_notice(EventType::Agm, &rules, meeting, d(2026, 12, 1))
                .is_some_and(|w| w.contains("14 days of an annual general meeting")),
        );
        assert_eq!(
            short_notice(EventType::Agm, &rules, meeting, d(2026, 11, 26)),
            None
        );
        assert!(
            short_notice(EventType::MembersMeeting, &rules, meeting, d(2026, 12, 11))
                .is_some_and(|w| w.ends_with("gives 0 days.")),
            "a meeting already past"
        );
        assert_eq!(
            short_notice(EventType::Social, &rules, meeting, d(2026, 12, 9)),
            None
        );
    }

    #[test]
    fn a_reminder_is_due_its_hours_before_the_start() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        assert_eq!(reminder_due(start, 24), start - chrono::Duration::hours(24));
        assert_eq!(reminder_due(start, -3), start);
    }

    #[test]
    fn a_full_event_puts_people_on_the_waiting_list() {
        assert_eq!(place_for(None, 500), Attendance::SignedUp);
        assert_eq!(place_for(Some(2), 1), Attendance::SignedUp);
        assert_eq!(place_for(Some(2), 2), Attendance::Waiting);
        assert_eq!(place_for(Some(0), 0), Attendance::Waiting);
    }

    #[test]
    fn words_read_back() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(
            EventType::parse("Street stall"),
            Some(EventType::StreetStall)
        );
        assert_eq!(Audience::parse("members"), Some(Audience::Members));
        assert_eq!(Attendance::parse("no-show"), Some(Attendance::NoShow));
        assert!(EventType::parse("rave").is_none());
    }

    fn joined(on: NaiveDate, paid: NaiveDate) -> Vec<Event> {
        vec![Event::new(EventKind::Joined, on, Some(paid))]
    }

    #[test]
    fn the_door_says_who_is_new_who_may_attend_and_vote_and_why_not() {
        let rules = Rules::defaults().expect("rules");
        let attend = rules.right("attend_meetings").ok();
        let vote = rules.right("vote_at_meetings").ok();
        let on = d(2026, 11, 20);
        let door = |kind, status, joined_on, history: &[Event], before| {
            at_the_door(
                &rules.status,
                EventType::MembersMeeting,
                attend,
                vote,
                &Arrival {
                    kind,
                    status,
                    joined_on,
                    history,
                    attended_before: before,
                },
                on,
                on,
            )
        };
        let long = joined(d(2020, 1, 1), d(2027, 1, 1));
        let ok = door(Kind::Member, Status::Current, d(2020, 1, 1), &long, 3);
        assert_eq!(
            ok,
            DoorCheck {
                first_time: false,
                new_member: false,
                may_attend: true,
                may_vote: true,
                reason: None
            }
        );
        // Five weeks in: new, here for the first time, not yet entitled.
        let recent = joined(d(2026, 10, 16), d(2027, 10, 15));
        let new = door(Kind::Member, Status::New, d(2026, 10, 16), &recent, 0);
        assert!(new.first_time && new.new_member && !new.may_vote);
        assert!(
            new.reason.as_deref().unwrap_or("").contains("weeks"),
            "{new:?}"
        );
        // Lapsed: neither, and said why.
        let lapsed = joined(d(2019, 1, 1), d(2025, 1, 1));
        let gone = door(Kind::Member, Status::Lapsed, d(2019, 1, 1), &lapsed, 1);
        assert!(!gone.may_attend && !gone.may_vote);
        assert!(
            gone.reason.as_deref().unwrap_or("").contains("lapsed"),
            "{gone:?}"
        );
        // A supporter may not attend a members' meeting.
        let s = door(Kind::Supporter, Status::Current, d(2024, 1, 1), &[], 0);
        assert!(!s.may_attend && !s.new_member);
        assert!(
            s.reason.as_deref().unwrap_or("").contains("supporter"),
            "{s:?}"
        );
        // A social is open to anyone, with no vote.
        let social = at_the_door(
            &rules.status,
            EventType::Social,
            attend,
            vote,
            &Arrival {
                kind: Kind::Supporter,
                status: Status::Current,
                joined_on: on,
                history: &[],
                attended_before: 0,
            },
            on,
            on,
        );
        assert!(social.may_attend && !social.may_vote && social.reason.is_none());
    }
}
