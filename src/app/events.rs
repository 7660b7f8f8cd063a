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
fn organises(who: &Principal, party: i64, unit: &units::Unit) -> bool {
    let forum = unit.branch_type.as_deref() == Some("forum");
    who.scope.write.iter().any(|g| {
        g.local_party_id == party
            && match g.reach {
                Reach::Everyone => true,
                Reach::Branch(b) => b == unit.id,
                Reach::Women => forum,
                Reach::AssignedToMe => false,
            }
    })
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
async fn organised_by(tx: &mut Tx, who: &Principal, unit: &units::Unit) -> Result<i64> {
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

/// Creates an event, every field checked at once.
pub async fn create(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    input: &EventInput,
) -> Result<Stored> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let mut problems = Vec::new();
    for (field, text, lines) in [
        ("title", &input.title, false),
        ("place", &input.place, false),
        ("description", &input.description, true),
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
    let id = events::create(
        tx,
        &events::New {
            local_party_id: party,
            unit_id: unit.id,
            kind: kind.as_str(),
            title: &title,
            description: optional(&input.description).as_deref(),
            place: optional(&input.place).as_deref(),
            starts_at: starts,
            ends_at: ends,
            time_zone: tz.name(),
            capacity,
            audience: audience.as_str(),
            vote_right: right.as_deref(),
            freeze_date,
            created_by: who.actor(),
        },
    )
    .await?;
    let stored = find(tx, who, &id).await?;
    super::audit::note(
        tx,
        who,
        Some(party),
        "event.create",
        &stored.title,
        &format!("{} for {}", kind.label(), unit.name),
        &[],
    )
    .await?;
    Ok(stored)
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
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    Ok(events::list(tx, &who.scope.local_parties, now, past, after, limit).await?)
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
    events::set_state(tx, event.id, l.person_id, state.as_str(), None).await?;
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
    )
    .await?;
    super::audit::about(tx, who, &l, "event.checkin", &event.title).await?;
    if check.first_time {
        welcome(tx, who, &l, &event, on).await?;
    }
    Ok(SignedIn {
        event,
        person: l,
        door: check,
    })
}

/// People in `who`'s scope whose name or number starts with `q`, for the door: a few,
/// by name.
pub async fn door_search(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
    q: &str,
) -> Result<(Stored, Vec<Listed>)> {
    let event = find(tx, who, id).await?;
    if q.trim().is_empty() {
        return Ok((event, Vec::new()));
    }
    let filter = MemberFilter::parse(&[("q".to_string(), q.trim().to_string())])
        .map_err(AppError::Invalid)?;
    let query = roster::ListQuery {
        grants: &who.scope.read,
        user_id: who.user.id,
        filter: &filter,
        bounds: rules.status.bounds(today),
    };
    let (rows, _) = roster::list(tx, &query, None, 8).await?;
    super::audit::listed(
        tx,
        who,
        "member.search",
        &format!("the door of {}", event.title),
        &rows,
    )
    .await?;
    Ok((event, rows))
}

fn entry(e: &Stored) -> crate::domain::events::CalendarEntry<'_> {
    crate::domain::events::CalendarEntry {
        uid: &e.public_id,
        title: &e.title,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        time_zone: e.zone(),
        place: e.place.as_deref(),
        description: e.description.as_deref(),
        updated_at: e.updated_at,
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
    let entries: Vec<_> = found.iter().map(entry).collect();
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
    Ok(crate::domain::events::calendar(&e.title, &[entry(&e)], now))
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
    let next = events::list(tx, &who.scope.local_parties, now, false, None, 5).await?;
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

/// How long after their first event a first-timer's welcome is due.
const WELCOME_WITHIN_DAYS: u64 = 7;

/// A follow-up to welcome someone at their first event, for their branch: its Branch
/// Membership Secretary or Branch Secretary, else the local party's Membership Officer.
/// Nobody holding those roles, no follow-up.
async fn welcome(
    tx: &mut Tx,
    who: &Principal,
    l: &Listed,
    event: &Stored,
    on: NaiveDate,
) -> Result<()> {
    let roles = crate::store::accounts::roles_in(tx, &[l.local_party_id]).await?;
    let branch = l.branch_slug.as_deref();
    let pick = |role: &str, unit: Option<&str>| {
        roles
            .iter()
            .find(|r| r.role == role && unit.is_none_or(|u| r.unit_slug == u))
    };
    use crate::domain::Role;
    let holder = branch
        .and_then(|b| {
            pick(Role::BranchMembershipSecretary.name(), Some(b))
                .or_else(|| pick(Role::BranchSecretary.name(), Some(b)))
        })
        .or_else(|| pick(Role::MembershipOfficer.name(), None));
    let Some(holder) = holder else {
        return Ok(());
    };
    let Some(user) = crate::store::accounts::user_by_public_id(tx, &holder.user_public_id).await?
    else {
        return Ok(());
    };
    let due = on
        .checked_add_days(chrono::Days::new(WELCOME_WITHIN_DAYS))
        .unwrap_or(on);
    let note = format!("First time at an event: {}", event.title);
    super::tasks::open_for(
        tx,
        who,
        l,
        crate::domain::calls::TaskKind::WelcomeOneToOne,
        user.id,
        due,
        Some(&note),
    )
    .await?;
    super::audit::about(
        tx,
        who,
        l,
        "task.create",
        &format!("welcome_one_to_one for {} by {due}", user.email),
    )
    .await
}
