//! Events: creating one for a unit the officer looks after, listing them, the people at
//! each with their counts, signing people up (a waiting list once it is full) and the door:
//! signing someone in and saying whether they are new, here for the first time, and may
//! attend and vote.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{AppError, Principal, Result};
use crate::domain::access::Reach;
use crate::domain::dates::parse_date;
use crate::domain::events::{
    Arrival, Attendance, Audience, DEFAULT_TIME_ZONE, DoorCheck, EventType, at_the_door,
    local_time, place_for,
};
use crate::domain::fields::check_text;
use crate::domain::filter::{FieldProblem, MemberFilter};
use crate::domain::{Kind, Rules, UnitKind};
use crate::store::events::{self, Place, Stored};
use crate::store::roster::{self, Listed};
use crate::store::{Mode, Tx, units};

/// An event as an officer types it: every field is text.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct EventInput {
    pub title: String,
    pub kind: String,
    /// The unit's slug: a local party, a branch or a forum branch.
    pub unit: String,
    /// Local date and time, `2026-12-03 19:30`.
    pub starts_at: String,
    pub ends_at: String,
    pub place: String,
    pub description: String,
    pub capacity: String,
    pub audience: String,
    /// The right that decides who may vote (a right's name in the rules file).
    pub right: String,
    pub freeze_date: String,
    /// Whom to ask about it, shown on its public page.
    pub contact: String,
    /// Hours before the start that the reminder goes; blank for the rules file's.
    pub remind_hours: String,
}

impl EventInput {
    /// The form as it was filled in for an event, to change it.
    pub fn of(e: &Stored) -> EventInput {
        let local = |t: DateTime<Utc>| {
            t.with_timezone(&e.zone())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        EventInput {
            title: e.title.clone(),
            kind: e.kind.clone(),
            unit: e.unit_slug.clone(),
            starts_at: local(e.starts_at),
            ends_at: local(e.ends_at),
            place: e.place.clone().unwrap_or_default(),
            description: e.description.clone().unwrap_or_default(),
            capacity: e.capacity.map(|c| c.to_string()).unwrap_or_default(),
            audience: e.audience.clone(),
            right: e.vote_right.clone().unwrap_or_default(),
            freeze_date: e.freeze_date.map(|d| d.to_string()).unwrap_or_default(),
            contact: e.contact.clone().unwrap_or_default(),
            remind_hours: e.remind_hours.to_string(),
        }
    }
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        message: message.into(),
    }
}

/// Whether `who` organises events for `unit` of local party `party`: the whole party's
/// officers for any of its units, a branch's officers for their branch, the Women's
/// Officer for its forum branches.
pub(super) fn organises(who: &Principal, party: i64, unit: &units::Unit) -> bool {
    let forum = unit.is_forum();
    who.scope.write.iter().any(|g| {
        g.local_party_id == party
            && match g.reach {
                Reach::Everyone => true,
                Reach::Branch(b) | Reach::GeographicBranch(b) => b == unit.id,
                Reach::Women => forum,
                Reach::AssignedToMe => false,
            }
    })
}

/// Something made for one unit (a survey, an organisation), seen only by whoever
/// organises for that unit: `(local party, unit slug)` says which.
pub(super) trait ForUnit {
    fn made_for(&self) -> (i64, &str);
}

/// `found` if `who` organises for its unit; otherwise `NotFound`, as if there were none,
/// so others' cannot be probed.
pub(super) async fn find_organised<T: ForUnit>(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    found: Option<T>,
) -> Result<T> {
    let Some(t) = found else {
        return Err(AppError::NotFound);
    };
    let (lp, slug) = t.made_for();
    if who.scope.local_parties.contains(&lp) && organises_slug(tx, who, lp, slug).await? {
        Ok(t)
    } else {
        Err(AppError::NotFound)
    }
}

/// Those of `items` made for a unit `who` organises for; the units are read once, not
/// once an item. Slugs are unique across local parties, so the slug alone decides.
pub(super) async fn organised_only<T: ForUnit>(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    items: Vec<T>,
) -> Result<Vec<T>> {
    let mine = units_for(tx, who).await?;
    Ok(items
        .into_iter()
        .filter(|t| mine.iter().any(|(slug, _)| slug == t.made_for().1))
        .collect())
}

/// Whether `who` organises for the unit with this slug in local party `lp`: what decides
/// who sees a survey or an organisation made for a unit.
async fn organises_slug(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    lp: i64,
    slug: &str,
) -> Result<bool> {
    Ok(units::find(tx, slug)
        .await?
        .is_some_and(|u| organises(who, lp, &u)))
}

/// The local party and id of the unit with this slug, if `who` organises for it.
pub(super) async fn placed(tx: &mut Tx, who: &Principal, slug: &str) -> Result<Option<(i64, i64)>> {
    Ok(match units::find(tx, slug.trim()).await? {
        Some(u) => organised_by(tx, who, &u)
            .await
            .ok()
            .map(|party| (party, u.id)),
        None => None,
    })
}

/// The units `who` organises for, as `units_for`, refused when there are none: the
/// forms that make something for a unit (a survey, an organisation) start here.
pub async fn units_to_organise(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
) -> Result<Vec<(String, String)>> {
    let units = units_for(tx, who).await?;
    if units.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(units)
}

/// The units `who` organises events for: (slug, name).
pub async fn units_for(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for party in units::named(tx, &who.scope.local_parties).await? {
        let id = party.id;
        let branches = units::branches(tx, id).await?;
        for u in std::iter::once(party).chain(branches) {
            if organises(who, id, &u) {
                out.push((u.slug, u.name));
            }
        }
    }
    Ok(out)
}

/// The local party of a unit, and whether `who` may organise events for it: the whole
/// party's officers for any of its units, a branch's officers for their branch, the
/// Women's Officer for its forum branches.
pub(super) async fn organised_by(tx: &mut Tx, who: &Principal, unit: &units::Unit) -> Result<i64> {
    let party = if unit.kind == UnitKind::LocalParty.as_str() {
        unit.id
    } else {
        units::parent_id(tx, unit.id).await?.unwrap_or(unit.id)
    };
    if organises(who, party, unit) {
        Ok(party)
    } else {
        Err(AppError::field(
            "unit",
            "is not a unit you organise events for: choose your own branch or local party",
        ))
    }
}

/// An event's fields, each checked.
struct Valid {
    party: i64,
    unit: units::Unit,
    kind: EventType,
    title: String,
    description: Option<String>,
    place: Option<String>,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    tz: Tz,
    capacity: Option<i32>,
    audience: Audience,
    right: Option<String>,
    freeze_date: Option<NaiveDate>,
    contact: Option<String>,
    remind_hours: i32,
}

impl Valid {
    fn to_store<'a>(&'a self, created_by: &'a str) -> events::New<'a> {
        events::New {
            local_party_id: self.party,
            unit_id: self.unit.id,
            kind: self.kind.as_str(),
            title: &self.title,
            description: self.description.as_deref(),
            place: self.place.as_deref(),
            starts_at: self.starts,
            ends_at: self.ends,
            time_zone: self.tz.name(),
            capacity: self.capacity,
            audience: self.audience.as_str(),
            vote_right: self.right.as_deref(),
            freeze_date: self.freeze_date,
            contact: self.contact.as_deref(),
            remind_hours: self.remind_hours,
            created_by,
        }
    }
}

/// Checks every field of an event at once, for a unit `who` organises events for.
async fn check(tx: &mut Tx, who: &Principal, rules: &Rules, input: &EventInput) -> Result<Valid> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let mut problems = Vec::new();
    for (field, text, lines) in [
        ("title", &input.title, false),
        ("place", &input.place, false),
        ("description", &input.description, true),
        ("contact", &input.contact, false),
    ] {
        if let Err(e) = check_text(text, lines) {
            problems.push(problem(field, e));
        }
    }
    let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        problems.push(problem("title", "give the event a title"));
    } else if title.chars().count() > 200 {
        problems.push(problem("title", "use at most 200 characters"));
    }
    let kind = EventType::parse(&input.kind);
    if kind.is_none() {
        problems.push(problem(
            "kind",
            format!("choose one of {}", EventType::expected()),
        ));
    }
    let tz: Tz = DEFAULT_TIME_ZONE;
    let mut time = |field: &str, text: &str| match local_time(text, tz) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(problem(field, e));
            None
        }
    };
    let starts = time("starts_at", &input.starts_at);
    let ends = time("ends_at", &input.ends_at);
    if let (Some(s), Some(e)) = (starts, ends)
        && e <= s
    {
        problems.push(problem("ends_at", "must be after it starts"));
    }
    let capacity = match input.capacity.trim() {
        "" => None,
        c => match c.parse::<i32>() {
            Ok(n) if (1..=100_000).contains(&n) => Some(n),
            _ => {
                problems.push(problem(
                    "capacity",
                    "give the number of places (1 to 100,000), or leave it blank for no limit",
                ));
                None
            }
        },
    };
    let remind_hours = match input.remind_hours.trim() {
        "" => i32::try_from(rules.events.remind_hours).unwrap_or(24),
        h => h
            .parse::<i32>()
            .ok()
            .filter(|n| (0..=168).contains(n))
            .unwrap_or_else(|| {
                problems.push(problem(
                    "remind_hours",
                    "give the hours before the start to send the reminder (0 to 168), or leave it blank",
                ));
                0
            }),
    };
    let audience = match input.audience.trim() {
        "" if kind.is_some_and(EventType::is_members_meeting) => Some(Audience::Members),
        "" => Some(Audience::Public),
        a => Audience::parse(a).or_else(|| {
            problems.push(problem(
                "audience",
                format!("choose one of {}", Audience::expected()),
            ));
            None
        }),
    };
    let right = match input.right.trim() {
        "" => None,
        r => match rules.right(r) {
            Ok(rule) => Some(rule.right.clone()),
            Err(e) => {
                problems.push(problem("right", e));
                None
            }
        },
    };
    let freeze_date = match input.freeze_date.trim() {
        "" => None,
        f => parse_date(f)
            .map_err(|e| problems.push(problem("freeze_date", e.to_string())))
            .ok(),
    };
    let unit = units::find(tx, input.unit.trim()).await?;
    if unit.is_none() {
        problems.push(problem(
            "unit",
            format!("there is no unit '{}'", input.unit.trim()),
        ));
    }
    let party = match &unit {
        Some(u) => match organised_by(tx, who, u).await {
            Ok(p) => Some(p),
            Err(AppError::Invalid(mut p)) => {
                problems.append(&mut p);
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let (Some(kind), Some(starts), Some(ends), Some(audience), Some(unit), Some(party), true) = (
        kind,
        starts,
        ends,
        audience,
        unit,
        party,
        problems.is_empty(),
    ) else {
        return Err(AppError::Invalid(problems));
    };
    let optional = |t: &str| Some(t.trim()).filter(|t| !t.is_empty()).map(str::to_string);
    Ok(Valid {
        party,
        unit,
        kind,
        title,
        description: optional(&input.description),
        place: optional(&input.place),
        starts,
        ends,
        tz,
        capacity,
        audience,
        right,
        freeze_date,
        contact: optional(&input.contact),
        remind_hours,
    })
}

/// Creates an event, every field checked at once.
pub async fn create(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    input: &EventInput,
) -> Result<Stored> {
    let valid = check(tx, who, rules, input).await?;
    let id = events::create(tx, &valid.to_store(who.actor())).await?;
    let stored = find(tx, who, &id).await?;
    super::audit::note(
        tx,
        who,
        Some(valid.party),
        "event.create",
        &stored.title,
        &format!("{} for {}", valid.kind.label(), valid.unit.name),
        &[],
    )
    .await?;
    Ok(stored)
}

/// An event `who` organises: of a unit they may organise events for.
pub async fn find_to_organise(tx: &mut Tx, who: &Principal, id: &str) -> Result<Stored> {
    let event = find(tx, who, id).await?;
    let unit = units::find(tx, &event.unit_slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if organises(who, event.local_party_id, &unit) {
        Ok(event)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Changes an event `who` organises, every field checked as when it was made. Everyone
/// with a place is told by email, with the new version as a calendar file, when its
/// time or place changes; every calendar that holds it takes the new version.
pub async fn update(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    id: &str,
    input: &EventInput,
    now: DateTime<Utc>,
) -> Result<Stored> {
    let before = find_to_organise(tx, who, id).await?;
    if before.cancelled_at.is_some() {
        return Err(AppError::field("event", "it has been cancelled"));
    }
    let valid = check(tx, who, rules, input).await?;
    events::update(tx, before.id, &valid.to_store(who.actor())).await?;
    let after = find(tx, who, id).await?;
    let moved = (before.starts_at, before.ends_at, &before.place)
        != (after.starts_at, after.ends_at, &after.place);
    announce(
        tx,
        who,
        &after,
        ("event.update", "changed"),
        moved.then_some((
            format!("Changed: {}", after.title),
            "The time or place of an event you have a place at has changed. Here it is as it is now; the attached file updates your calendar.",
        )),
        now,
    )
    .await?;
    Ok(after)
}

/// Cancels an event `who` organises. Everyone with a place (or waiting for one) is told
/// by email with a calendar file that removes it, and feeds show it cancelled.
pub async fn cancel(tx: &mut Tx, who: &Principal, id: &str, now: DateTime<Utc>) -> Result<Stored> {
    let event = find_to_organise(tx, who, id).await?;
    if !events::cancel(tx, event.id, now).await? {
        return Ok(event);
    }
    let event = find(tx, who, id).await?;
    announce(
        tx,
        who,
        &event,
        ("event.cancel", "cancelled"),
        Some((
            format!("Cancelled: {}", event.title),
            "Sorry: this event has been cancelled. The attached file takes it out of your calendar.",
        )),
        now,
    )
    .await?;
    Ok(event)
}

/// Audits a change to an event (`action` and what was done, in words) and, with a
/// message (subject and opening) and the event still to come, emails it to everyone with
/// a place, naming those told.
async fn announce(
    tx: &mut Tx,
    who: &Principal,
    event: &Stored,
    (action, done): (&str, &str),
    message: Option<(String, &str)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let told = match message {
        Some((subject, opening)) if event.starts_at > now => {
            tell_everyone(tx, event, &subject, opening, now).await?
        }
        _ => Vec::new(),
    };
    super::audit::note(
        tx,
        who,
        Some(event.local_party_id),
        action,
        &event.title,
        &format!("{done}; {} told by email", told.len()),
        &told,
    )
    .await
}

/// Emails everyone signed up or waiting for an event (whose address has not bounced) the
/// event as it is now, with its calendar file. Returns the people told.
async fn tell_everyone(
    tx: &mut Tx,
    event: &Stored,
    subject: &str,
    opening: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let people = events::attendees(
        tx,
        event.id,
        &[Attendance::SignedUp.as_str(), Attendance::Waiting.as_str()],
        None,
    )
    .await?;
    let ics = super::signups::event_file(event, now);
    let when = crate::domain::events::when_in_words(event.starts_at, event.ends_at, event.zone());
    let mut told = Vec::new();
    for p in &people {
        let Some(to) = p.email.as_deref().filter(|a| !a.trim().is_empty()) else {
            continue;
        };
        if crate::store::outbox::is_suppressed(tx, to).await? {
            continue;
        }
        let body = format!(
            "Hello {},\n\n{opening}\n\n{}\n{when}\n{}\n",
            p.first_name,
            event.title,
            event.place.as_deref().unwrap_or("Place to be confirmed")
        );
        crate::store::outbox::enqueue_with(
            tx,
            to,
            subject,
            &body,
            crate::store::outbox::Extras {
                html: None,
                calendar: Some(&ics),
            },
        )
        .await?;
        told.push(p.person_id);
    }
    Ok(told)
}

/// An event of one of `who`'s local parties.
pub async fn find(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Stored> {
    if !who.scope.is_officer() {
        return Err(AppError::NotFound);
    }
    events::get(tx, &who.scope.local_parties, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Upcoming events (or past ones, latest first) of `who`'s local parties, a page at a
/// time after `after`.
pub async fn list(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    now: DateTime<Utc>,
    past: bool,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<Stored>> {
    of_unit(tx, who, None, now, past, after, limit).await
}

/// `list`, of one unit (by slug) of `who`'s local parties when `unit` names one.
pub async fn of_unit(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    unit: Option<&str>,
    now: DateTime<Utc>,
    past: bool,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<Stored>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(slug) => Some(
            units::find(tx, slug)
                .await?
                .ok_or_else(|| AppError::field("unit", format!("there is no unit '{slug}'")))?
                .id,
        ),
        None => None,
    };
    Ok(events::list(tx, &who.scope.local_parties, unit, now, past, after, limit).await?)
}

/// The units of `who`'s local parties, each party followed by its branches: (slug, name).
pub async fn all_units(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for party in units::named(tx, &who.scope.local_parties).await? {
        let branches = units::branches(tx, party.id).await?;
        for u in std::iter::once(party).chain(branches) {
            out.push((u.slug, u.name));
        }
    }
    Ok(out)
}

/// How many are in each state at an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub signed_up: usize,
    pub waiting: usize,
    pub attended: usize,
    pub no_show: usize,
    pub cancelled: usize,
}

/// The people at an event whom `who` may see, with the counts of everyone; audited
/// naming those shown.
pub async fn people(
    tx: &mut Tx,
    who: &Principal,
    id: &str,
) -> Result<(Stored, Vec<Place>, Counts)> {
    let event = find(tx, who, id).await?;
    let all = events::people(tx, event.id).await?;
    let mut counts = Counts::default();
    for p in &all {
        match Attendance::parse(&p.state) {
            Some(Attendance::SignedUp) => counts.signed_up += 1,
            Some(Attendance::Waiting) => counts.waiting += 1,
            Some(Attendance::Attended) => counts.attended += 1,
            Some(Attendance::NoShow) => counts.no_show += 1,
            Some(Attendance::Cancelled) => counts.cancelled += 1,
            None => {}
        }
    }
    let ids: Vec<i64> = all.iter().map(|p| p.person_id).collect();
    let seen = roster::visible_people(tx, &who.scope.read, who.user.id, &ids).await?;
    let shown: Vec<Place> = all
        .into_iter()
        .filter(|p| seen.contains(&p.person_id))
        .collect();
    let named: Vec<(i64, i64)> = shown
        .iter()
        .map(|p| (event.local_party_id, p.person_id))
        .collect();
    super::audit::people(tx, who, "event.people", &event.title, &named).await?;
    Ok((event, shown, counts))
}

/// Signs up a person `who` may see: a place while there are places, else the waiting
/// list. Someone already there keeps their place.
pub async fn sign_up(tx: &mut Tx, who: &Principal, id: &str, person: &str) -> Result<Attendance> {
    let event = find(tx, who, id).await?;
    let l = super::members::find(tx, who, person).await?;
    if l.local_party_id != event.local_party_id {
        return Err(AppError::field(
            "person",
            "is not in this event's local party",
        ));
    }
    if let Some(state) = events::state_of(tx, event.id, l.person_id)
        .await?
        .and_then(|s| Attendance::parse(&s))
        .filter(|s| *s != Attendance::Cancelled)
    {
        return Ok(state);
    }
    let taken = events::places_taken(tx, event.id).await?;
    let capacity = event.capacity.and_then(|c| u32::try_from(c).ok());
    let state = place_for(capacity, taken);
    events::set_state(tx, event.id, l.person_id, state.as_str(), None, "officer").await?;
    super::audit::about(
        tx,
        who,
        &l,
        "event.signup",
        &format!("{}: {}", event.title, state.label()),
    )
    .await?;
    Ok(state)
}

/// The local date an event starts on, in its own time zone.
pub fn local_date(event: &Stored) -> NaiveDate {
    event.starts_at.with_timezone(&event.zone()).date_naive()
}

/// Someone signed in at an event, and what the door should know of them.
pub struct SignedIn {
    pub event: Stored,
    pub person: Listed,
    pub door: DoorCheck,
}

/// Signs a person `who` may see in at the door, and says what the door should know:
/// first time at any event, a new member, and at a members' meeting whether they may
/// attend and vote at its freeze date, and why not.
pub async fn check_in(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    id: &str,
    person: &str,
) -> Result<SignedIn> {
    let event = find(tx, who, id).await?;
    let l = super::members::find(tx, who, person).await?;
    if l.local_party_id != event.local_party_id {
        return Err(AppError::field(
            "person",
            "is not in this event's local party",
        ));
    }
    let on = local_date(&event);
    let history = roster::history(tx, &who.scope.read, who.user.id, l.membership_id).await?;
    let attended_before = events::attended_elsewhere(tx, l.person_id, event.id).await?;
    let kind = Kind::parse(&l.kind).unwrap_or(Kind::Contact);
    let check = at_the_door(
        &rules.status,
        EventType::parse(&event.kind).unwrap_or(EventType::Social),
        rules.right("attend_meetings").ok(),
        rules
            .right(event.vote_right.as_deref().unwrap_or("vote_at_meetings"))
            .ok(),
        &Arrival {
            kind,
            status: l.status(&rules.status, on),
            joined_on: l.joined_on,
            history: &history,
            attended_before,
        },
        on,
        event.freeze_date.unwrap_or(on),
    );
    events::set_state(
        tx,
        event.id,
        l.person_id,
        Attendance::Attended.as_str(),
        Some(Utc::now()),
        "door",
    )
    .await?;
    super::audit::about(tx, who, &l, "event.checkin", &event.title).await?;
    if check.first_time {
        let note = format!("First time at an event: {}", event.title);
        follow_up(
            tx,
            who,
            &l,
            crate::domain::calls::TaskKind::WelcomeOneToOne,
            on,
            &note,
        )
        .await?;
    }
    Ok(SignedIn {
        event,
        person: l,
        door: check,
    })
}

/// People in `who`'s scope whose name or number starts with `q`, for the door: a few,
/// by name. Read on a read transaction; those shown are audited when the caller hands
/// the result to the audit appender, so a busy door does not queue on the writer.
pub async fn door_search(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
    q: &str,
) -> Result<super::audit::Unaudited<(Stored, Vec<Listed>)>> {
    let event = find(tx, who, id).await?;
    let rows = if q.trim().is_empty() {
        Vec::new()
    } else {
        let filter = MemberFilter::parse(&[("q".to_string(), q.trim().to_string())])
            .map_err(AppError::Invalid)?;
        let query = roster::ListQuery {
            grants: &who.scope.read,
            user_id: who.user.id,
            filter: &filter,
            bounds: rules.status.bounds(today),
        };
        roster::list(tx, &query, None, 8).await?.0
    };
    let what = format!("the door of {}", event.title);
    let audit = super::audit::Unaudited::shown(who, "member.search", &what, &rows);
    Ok(audit.holding((event, rows)))
}

/// An event as a calendar file holds it.
pub fn calendar_entry(e: &Stored) -> crate::domain::events::CalendarEntry<'_> {
    crate::domain::events::CalendarEntry {
        uid: &e.public_id,
        title: &e.title,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        time_zone: e.zone(),
        place: e.place.as_deref(),
        description: e.description.as_deref(),
        updated_at: e.updated_at,
        sequence: e.sequence,
        cancelled: e.cancelled_at.is_some(),
    }
}

/// How far back a public feed still lists events, so a subscriber sees what just passed.
const FEED_DAYS_BACK: i64 = 30;

/// The public calendar of a unit (a local party's includes its branches'): its public
/// events from a month ago on, as iCalendar text. No personal data, so no account.
pub async fn public_calendar(
    tx: &mut Tx<impl Mode>,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let unit = units::find(tx, slug).await?.ok_or(AppError::NotFound)?;
    let mut ids = vec![unit.id];
    if unit.kind == UnitKind::LocalParty.as_str() {
        ids.extend(units::branches(tx, unit.id).await?.iter().map(|b| b.id));
    }
    let since = now - chrono::Duration::days(FEED_DAYS_BACK);
    let found = events::public_of(tx, &ids, since).await?;
    let entries: Vec<_> = found.iter().map(calendar_entry).collect();
    Ok(crate::domain::events::calendar(&unit.name, &entries, now))
}

/// One event of `who`'s as an iCalendar file.
pub async fn event_calendar(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    id: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let e = find(tx, who, id).await?;
    Ok(crate::domain::events::calendar(
        &e.title,
        &[calendar_entry(&e)],
        now,
    ))
}

/// The next few events of `who`'s local parties with how many are signed up and waiting.
pub async fn coming_up(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<Vec<(Stored, i64, i64)>> {
    if !who.scope.is_officer() {
        return Ok(Vec::new());
    }
    let next = events::list(tx, &who.scope.local_parties, None, now, false, None, 5).await?;
    let ids: Vec<i64> = next.iter().map(|e| e.id).collect();
    let counts = events::sign_up_counts(tx, &ids).await?;
    Ok(next
        .into_iter()
        .map(|e| {
            let (signed_up, waiting) = counts.get(&e.id).copied().unwrap_or_default();
            (e, signed_up, waiting)
        })
        .collect())
}

/// After an event has started, marks everyone who signed up and was not signed in as not
/// having come. Returns how many.
pub async fn close_register(
    tx: &mut Tx,
    who: &Principal,
    id: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let event = find(tx, who, id).await?;
    if event.starts_at > now {
        return Err(AppError::field(
            "event",
            "it has not started yet: close the register once the door has shut",
        ));
    }
    let n = events::mark_no_shows(tx, event.id).await?;
    super::audit::note(
        tx,
        who,
        Some(event.local_party_id),
        "event.close",
        &event.title,
        &format!("{n} did not come"),
        &[],
    )
    .await?;
    Ok(n)
}

/// Someone at the door who is not on the register: added (a supporter unless the form
/// says otherwise, with the consents they give there) with the checks every new person
/// gets, then signed in. A likely duplicate is refused so the volunteer finds them instead.
pub async fn walk_in(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
    mut person: super::people::NewPerson,
) -> Result<SignedIn> {
    find(tx, who, id).await?;
    if !person
        .values
        .iter()
        .any(|(f, v)| *f == crate::import::Field::Kind && !v.trim().is_empty())
    {
        person
            .values
            .push((crate::import::Field::Kind, Kind::Supporter.as_str().into()));
    }
    let added = super::people::add(tx, who, rules, today, person).await?;
    check_in(tx, who, rules, id, &added.public_id).await
}

/// How long after an event its follow-ups (a first-timer's welcome, asking someone met
/// at a stall to join) are due.
const FOLLOW_UP_WITHIN_DAYS: u64 = 7;

/// A follow-up after an event for the person's branch (`tasks::for_their_branch`),
/// audited as `who`'s.
async fn follow_up(
    tx: &mut Tx,
    who: &Principal,
    l: &Listed,
    kind: crate::domain::calls::TaskKind,
    on: NaiveDate,
    note: &str,
) -> Result<()> {
    if let Some(to) =
        super::tasks::for_their_branch(tx, who.actor(), l, kind, on, note, FOLLOW_UP_WITHIN_DAYS)
            .await?
    {
        super::audit::about(
            tx,
            who,
            l,
            "task.create",
            &format!("{} for {to}", kind.as_str()),
        )
        .await?;
    }
    Ok(())
}

/// Someone met at a street stall or on a canvass, as the quick form records them.
#[derive(Debug, Clone, Default)]
pub struct Met {
    pub person: super::people::NewPerson,
    /// Said they might join: a recruitment follow-up for their branch.
    pub interested: bool,
}

/// What became of someone recorded at a stall.
pub struct MetOutcome {
    /// Their name as recorded, or `None` when they matched someone outside the
    /// officer's reach (who is tied to the event, and not shown).
    pub name: Option<String>,
    /// Matched to someone already recorded, by email address.
    pub known: bool,
    pub follow_up: bool,
}

/// Records someone met at a stall or canvass: matched to the person with that email
/// address if there is one (given the issues they raised as tags and any consent they
/// gave), else added as a supporter; tied to the event as having come; with a
/// recruitment follow-up when they are interested in joining.
pub async fn met(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
    mut met: Met,
) -> Result<MetOutcome> {
    let event = find(tx, who, id).await?;
    let value = |f: crate::import::Field| met.person.get(f).to_string();
    let email = crate::domain::fields::normalise_email(&value(crate::import::Field::Email)).ok();
    let known = match &email {
        Some(e) => roster::by_email(tx, event.local_party_id, e)
            .await?
            .into_iter()
            .next(),
        None => None,
    };
    let (listed, is_known) = match known {
        Some(k) => match roster::get(tx, &who.scope.write, who.user.id, &k.public_id).await? {
            Some(l) => {
                let tags = crate::domain::fields::parse_tags(&value(crate::import::Field::Tags));
                crate::store::members::add_tags_to(tx, l.person_id, &tags).await?;
                super::audit::about(tx, who, &l, "event.met", &format!("met at {}", event.title))
                    .await?;
                (Some(l), true)
            }
            None => {
                events::set_state(
                    tx,
                    event.id,
                    k.person_id,
                    Attendance::Attended.as_str(),
                    Some(Utc::now()),
                    "stall",
                )
                .await?;
                super::audit::note(
                    tx,
                    who,
                    Some(event.local_party_id),
                    "event.met",
                    &event.title,
                    "met someone already recorded, outside the recorder's reach",
                    &[k.person_id],
                )
                .await?;
                return Ok(MetOutcome {
                    name: None,
                    known: true,
                    follow_up: false,
                });
            }
        },
        None => {
            if value(crate::import::Field::Kind).is_empty() {
                met.person
                    .values
                    .push((crate::import::Field::Kind, Kind::Supporter.as_str().into()));
            }
            met.person.allow_duplicate = true;
            let added = super::people::add(tx, who, rules, today, met.person.clone()).await?;
            (Some(added), false)
        }
    };
    let Some(l) = listed else {
        return Err(AppError::NotFound);
    };
    events::set_state(
        tx,
        event.id,
        l.person_id,
        Attendance::Attended.as_str(),
        Some(Utc::now()),
        "stall",
    )
    .await?;
    if met.interested {
        let note = format!("Interested in joining: met at {}", event.title);
        follow_up(
            tx,
            who,
            &l,
            crate::domain::calls::TaskKind::Recruit,
            today,
            &note,
        )
        .await?;
    }
    Ok(MetOutcome {
        name: Some(format!("{} {}", l.first_name, l.last_name)),
        known: is_known,
        follow_up: met.interested,
    })
}

/// Drafts an invitation to an event for an email audience (a segment or a filter): a
/// members' notice for a members' meeting, a campaign email (which needs consent) for
/// anything else; each copy carries its recipient's own sign-up link. Returns the draft's
/// id, and a warning when a members' meeting is closer than the notice members are owed.
pub async fn invite(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
    audience: &str,
) -> Result<(String, Option<String>)> {
    let event = find_to_organise(tx, who, id).await?;
    if event.cancelled_at.is_some() {
        return Err(AppError::field("event", "it has been cancelled"));
    }
    let kind = EventType::parse(&event.kind).unwrap_or(EventType::Social);
    let purpose = if kind.is_members_meeting() {
        crate::domain::emails::Purpose::Notice
    } else {
        crate::domain::emails::Purpose::Campaign
    };
    let when = crate::domain::events::when_in_words(event.starts_at, event.ends_at, event.zone());
    let mut body = format!(
        "Dear {{{{ first_name }}}},\n\nYou are invited to **{}**.\n\n**When:** {when}  \n**Where:** {}\n",
        event.title.replace(['{', '}'], ""),
        event
            .place
            .as_deref()
            .unwrap_or("to be confirmed")
            .replace(['{', '}'], ""),
    );
    if let Some(d) = &event.description {
        body.push_str(&format!("\n{}\n", d.replace(['{', '}'], "")));
    }
    body.push_str("\n[Sign up here]({{ event_url }}): one click, no password.\n");
    let draft = super::emails::Draft {
        subject: format!("Invitation: {}", event.title),
        body,
        purpose: purpose.as_str().to_string(),
        audience: audience.to_string(),
        event: Some(event.id),
        ..Default::default()
    };
    let email = super::emails::create(tx, who, &draft).await?;
    let warning =
        crate::domain::events::short_notice(kind, &rules.events, local_date(&event), today);
    Ok((email, warning))
}

/// The events of `who`'s local parties that start in one month, in its own order.
pub async fn month(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    first: NaiveDate,
) -> Result<Vec<Stored>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let at = |d: NaiveDate| {
        local_time(&format!("{d} 00:00"), DEFAULT_TIME_ZONE).unwrap_or_else(|_| {
            d.and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or_default()
        })
    };
    Ok(events::between(tx, &who.scope.local_parties, at(first), at(next)).await?)
}

/// A new address for `who`'s private calendar feed; the one before stops working.
pub async fn new_feed(tx: &mut Tx, who: &Principal, public_url: &str) -> Result<String> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let token = crate::secrets::new_token();
    crate::store::accounts::set_calendar_token(
        tx,
        who.user.id,
        Some(&crate::secrets::digest(&token)),
    )
    .await?;
    super::audit::note(
        tx,
        who,
        None,
        "calendar.feed",
        &who.user.public_id,
        "a new private feed address",
        &[],
    )
    .await?;
    Ok(format!(
        "{}/calendar/private/{token}.ics",
        public_url.trim_end_matches('/')
    ))
}

/// Turns `who`'s private calendar feed off.
pub async fn stop_feed(tx: &mut Tx, who: &Principal) -> Result<()> {
    crate::store::accounts::set_calendar_token(tx, who.user.id, None).await?;
    super::audit::note(
        tx,
        who,
        None,
        "calendar.feed",
        &who.user.public_id,
        "private feed turned off",
        &[],
    )
    .await
}

/// The private feed a token opens: every event (of any audience) of the local parties
/// its officer sees, from a month ago on. The token is the proof, as a calendar app
/// cannot sign in; an officer who leaves (disabled) or makes a new one closes it.
pub async fn private_calendar(tx: &mut Tx, token: &str, now: DateTime<Utc>) -> Result<String> {
    let user = crate::store::accounts::user_by_calendar_token(tx, &crate::secrets::digest(token))
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or(AppError::NotFound)?;
    let who = super::principal_of(tx, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !who.scope.is_officer() {
        return Err(AppError::NotFound);
    }
    let since = now - chrono::Duration::days(FEED_DAYS_BACK);
    let found = events::list(tx, &who.scope.local_parties, None, since, false, None, 500).await?;
    let entries: Vec<_> = found.iter().map(calendar_entry).collect();
    Ok(crate::domain::events::calendar(
        &format!("Rosette: {}", who.user.name),
        &entries,
        now,
    ))
}
