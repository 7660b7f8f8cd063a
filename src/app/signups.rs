//! Events as the public and members meet them, with no account: an event's public page
//! and its sign-up (someone already known is matched by email, never entered twice), the
//! personal links in invitations, the confirmation with the event as a calendar file and
//! a link to cancel, and the reminders the job queue sends once to each person.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{AppError, Result};
use crate::domain::events::{Attendance, Audience, consent_wording, place_for, reminder_due};
use crate::domain::fields::{check_text, normalise_email, normalise_phone};
use crate::domain::filter::FieldProblem;
use crate::domain::{Channel, Kind, Rules};
use crate::import::Field;
use crate::secrets;
use crate::store::events::{self, Attendee, Stored};
use crate::store::{Db, Tx, accounts, audit, emails, outbox, roster, units};

/// The name of the server key that signs invitation and cancellation links.
pub const LINK_KEY: &str = "event_links";

/// Sign-ups one network address may attempt in an hour: plenty for a family or an office
/// behind one address, few for a script.
const PER_ADDRESS_PER_HOUR: i64 = 20;
/// Sign-ups one email address may be given in an hour, so nobody's inbox is filled with
/// confirmations they did not ask for.
const PER_EMAIL_PER_HOUR: i64 = 5;

/// Who the audit log names for what a person does on a public page.
const PUBLIC_ACTOR: &str = "public sign-up page";

/// An audit entry for what someone did on a public page, naming the people concerned.
async fn noted(
    tx: &mut Tx,
    local_party_id: i64,
    action: &str,
    subject: &str,
    detail: &str,
    people: &[i64],
) -> Result<()> {
    audit::record(
        tx,
        audit::Note {
            actor: PUBLIC_ACTOR,
            local_party_id: Some(local_party_id),
            action,
            subject,
            detail,
            people,
        },
    )
    .await?;
    Ok(())
}

/// The address of an event's page as one invitation's recipient opens it: it signs them
/// up without a form, and is the only way in to a members-only event.
pub fn invitation_url(key: &str, public_url: &str, event: &str, recipient: &str) -> String {
    format!(
        "{}/e/{event}?i={}",
        public_url.trim_end_matches('/'),
        secrets::sign(key, &format!("invite:{recipient}"))
    )
}

/// The address that cancels one person's place at one event.
fn cancel_url(key: &str, public_url: &str, event: &str, person: &str) -> String {
    format!(
        "{}/e/{event}/cancel/{}",
        public_url.trim_end_matches('/'),
        secrets::sign(key, &format!("cancel:{event}:{person}"))
    )
}

/// The person an invitation link names.
#[derive(Debug, Clone)]
pub struct Invitee {
    pub person_id: i64,
    pub person_public_id: String,
    pub first_name: String,
}

/// An event as its public page shows it.
#[derive(Debug, Clone)]
pub struct PublicEvent {
    pub event: Stored,
    /// The local party's name.
    pub party: String,
    /// Who the invitation link names, when the page was opened through one.
    pub invitee: Option<Invitee>,
    /// Every place is taken: a sign-up joins the waiting list.
    pub full: bool,
}

impl PublicEvent {
    /// Why nobody may sign up now, if so.
    pub fn closed(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.event.cancelled_at.is_some() {
            Some("This event has been cancelled.")
        } else if self.event.starts_at <= now {
            Some("This event has already started, so sign-ups have closed.")
        } else {
            None
        }
    }
}

/// The recipient an invitation token names, if Rosette signed it for this event.
async fn invitee(tx: &mut Tx, event: &Stored, token: &str) -> Result<Option<Invitee>> {
    let key = emails::server_key(tx, LINK_KEY).await?;
    let Some(recipient) = secrets::signed(&key, token).and_then(|m| m.strip_prefix("invite:"))
    else {
        return Ok(None);
    };
    Ok(emails::link(tx, recipient)
        .await?
        .filter(|l| l.event_id == Some(event.id))
        .map(|l| Invitee {
            person_id: l.person_id,
            person_public_id: l.person_public_id,
            first_name: l.first_name,
        }))
}

/// An event's public page: a public event for anyone; a members-only or invited one only
/// through an invitation's link (otherwise it is not found, so its existence is not told).
pub async fn public_event(tx: &mut Tx, id: &str, invitation: Option<&str>) -> Result<PublicEvent> {
    let event = events::by_public_id(tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let invitee = match invitation.filter(|t| !t.trim().is_empty()) {
        Some(token) => invitee(tx, &event, token.trim()).await?,
        None => None,
    };
    if Audience::parse(&event.audience) != Some(Audience::Public) && invitee.is_none() {
        return Err(AppError::NotFound);
    }
    let party = units::name_of(tx, event.local_party_id).await?;
    let taken = events::places_taken(tx, event.id).await?;
    let full =
        place_for(event.capacity.and_then(|c| u32::try_from(c).ok()), taken) == Attendance::Waiting;
    Ok(PublicEvent {
        event,
        party,
        invitee,
        full,
    })
}

/// Counts a sign-up attempt from a network address, in its own transaction so that a
/// refused attempt still counts; refuses once the address has made too many this hour.
pub async fn admit(db: &Db, client: &str, now: DateTime<Utc>) -> Result<()> {
    let key = format!("signup:{client}");
    let mut tx = db.begin().await?;
    let recent = accounts::failures_since(&mut tx, &key, now - Duration::hours(1)).await?;
    if recent >= PER_ADDRESS_PER_HOUR {
        return Err(AppError::Throttled);
    }
    accounts::record_failure(&mut tx, &key).await?;
    tx.commit().await?;
    Ok(())
}

/// What the public sign-up form sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SignUpForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    /// Ticked: agrees to email about the local party's campaigns, events and news.
    pub agree_email: Option<String>,
    /// Ticked: agrees to phone calls about them.
    pub agree_phone: Option<String>,
    /// Hidden from people; a bot that fills every field fills this one too.
    pub website: String,
    /// The token of the invitation the page was opened through.
    pub invitation: String,
}

/// A place taken through a public page.
#[derive(Debug, Clone)]
pub struct Placed {
    pub state: Attendance,
    /// Where the confirmation went.
    pub email: Option<String>,
}

/// Signs someone up through an event's public page (or their invitation's link). `None`
/// when the form was filled by a bot (the hidden field): nothing is stored, and the bot is
/// shown the same thanks as a person. A person is recognised by email address among the
/// local party's people and never entered twice; someone new becomes a supporter with
/// the consents they ticked, worded as the page worded them.
pub async fn sign_up(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    now: DateTime<Utc>,
    id: &str,
    form: &SignUpForm,
    public_url: &str,
) -> Result<Option<Placed>> {
    let page = public_event(tx, id, Some(&form.invitation)).await?;
    if let Some(why) = page.closed(now) {
        return Err(AppError::field("event", why));
    }
    if !form.website.trim().is_empty() {
        tracing::info!(event = %page.event.public_id, "a sign-up filled the hidden field: ignored");
        return Ok(None);
    }
    let event = &page.event;
    let lp = event.local_party_id;
    let (person_id, person_public_id, source) = match &page.invitee {
        Some(i) => (i.person_id, i.person_public_id.clone(), "invitation"),
        None => {
            let page_name = format!("the sign-up page of '{}'", page.event.title);
            let (person_id, public_id) = person_from_form(
                tx,
                rules,
                (today, now),
                (page.event.local_party_id, &page.party, &page_name),
                form,
            )
            .await?;
            (person_id, public_id, "public")
        }
    };
    let state = match events::state_of(tx, event.id, person_id)
        .await?
        .and_then(|s| Attendance::parse(&s))
        .filter(|s| *s != Attendance::Cancelled)
    {
        Some(kept) => kept,
        None => {
            let taken = events::places_taken(tx, event.id).await?;
            let state = place_for(event.capacity.and_then(|c| u32::try_from(c).ok()), taken);
            events::set_state(tx, event.id, person_id, state.as_str(), None, source).await?;
            state
        }
    };
    let address = roster::by_public_ids(tx, lp, &[person_public_id.as_str()])
        .await?
        .into_iter()
        .next()
        .and_then(|l| l.email);
    if let Some(to) = &address {
        confirm(
            tx,
            event,
            &page.party,
            &person_public_id,
            to,
            state,
            public_url,
            now,
        )
        .await?;
    }
    noted(
        tx,
        lp,
        "event.signup",
        &person_public_id,
        &format!("{}: {} (through {source})", event.title, state.label()),
        &[person_id],
    )
    .await?;
    Ok(Some(Placed {
        state,
        email: address,
    }))
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        message: message.into(),
    }
}

/// The person a public form describes: someone already known by that email address (who
/// keeps their record; only consents they tick now are added), or a new supporter. The
/// page is named by its local party (id and name) and what it was, in words ("the
/// sign-up page of 'Summer social'"), which the consent's record keeps.
pub(super) async fn person_from_form(
    tx: &mut Tx,
    rules: &Rules,
    (today, now): (NaiveDate, DateTime<Utc>),
    (lp, party, page_name): (i64, &str, &str),
    form: &SignUpForm,
) -> Result<(i64, String)> {
    let mut problems = Vec::new();
    for (field, text, what) in [
        ("first_name", &form.first_name, "your first name"),
        ("last_name", &form.last_name, "your last name"),
    ] {
        match check_text(text, false) {
            Err(e) => problems.push(problem(field, e)),
            Ok(()) if text.trim().is_empty() => {
                problems.push(problem(field, format!("give {what}")))
            }
            Ok(()) if text.trim().chars().count() > 100 => {
                problems.push(problem(field, "use at most 100 characters"))
            }
            Ok(()) => {}
        }
    }
    let email = match form.email.trim() {
        "" => {
            problems.push(problem(
                "email",
                "give your email address, so that we can reach you",
            ));
            None
        }
        text => normalise_email(text)
            .map_err(|e| problems.push(problem("email", e)))
            .ok(),
    };
    let phone = match form.phone.trim() {
        "" => None,
        text => normalise_phone(text)
            .map_err(|e| problems.push(problem("phone", e)))
            .ok(),
    };
    let agree_phone = form.agree_phone.is_some();
    if agree_phone && phone.is_none() && form.phone.trim().is_empty() {
        problems.push(problem(
            "phone",
            "give your number, or untick the box about phone calls",
        ));
    }
    let Some(email) = email.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    let mut count_key = format!("signup-email:{email}");
    count_key.truncate(300);
    if accounts::failures_since(tx, &count_key, now - Duration::hours(1)).await?
        >= PER_EMAIL_PER_HOUR
    {
        return Err(AppError::Throttled);
    }
    accounts::record_failure(tx, &count_key).await?;

    let agreed: Vec<(Channel, bool)> = [
        (Channel::Email, form.agree_email.is_some()),
        (Channel::Phone, agree_phone),
    ]
    .into_iter()
    .filter(|(c, _)| *c == Channel::Email || phone.is_some())
    .collect();
    let source = format!(
        "{page_name}, which said: {}",
        agreed
            .iter()
            .map(|(c, _)| format!("\"{}\"", consent_wording(*c, party)))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    if let Some(known) = roster::by_email(tx, lp, &email).await?.into_iter().next() {
        // Someone typing another's address must not take consent away from them, so only
        // what is given here is recorded.
        let given: Vec<(Channel, bool)> = agreed.into_iter().filter(|(_, yes)| *yes).collect();
        let changed = emails::set_consents(tx, known.person_id, None, &given, &source, now).await?;
        if !changed.is_empty() {
            noted(
                tx,
                lp,
                "consent.change",
                &known.public_id,
                &source,
                &[known.person_id],
            )
            .await?;
        }
        return Ok((known.person_id, known.public_id));
    }
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let mut values = vec![
        (Field::FirstName, form.first_name.trim().to_string()),
        (Field::LastName, form.last_name.trim().to_string()),
        (Field::Email, email),
        (Field::Kind, Kind::Supporter.as_str().to_string()),
    ];
    for (channel, yes) in &agreed {
        match channel {
            Channel::Email => values.push((Field::EmailConsent, yes_no(*yes))),
            Channel::Phone => values.push((Field::PhoneConsent, yes_no(*yes))),
            Channel::Sms | Channel::Post => {}
        }
    }
    if let Some(p) = phone {
        values.push((Field::Mobile, p));
    }
    let person = super::people::NewPerson {
        values,
        allow_duplicate: true,
    };
    let (person_id, public_id) =
        super::people::add_unattended(tx, rules, today, lp, person, source.clone()).await?;
    noted(
        tx,
        lp,
        "member.add",
        &public_id,
        &format!("signed up on {source}"),
        &[person_id],
    )
    .await?;
    Ok((person_id, public_id))
}

/// The event as one calendar file.
pub fn event_file(e: &Stored, now: DateTime<Utc>) -> String {
    crate::domain::events::calendar(&e.title, &[super::events::calendar_entry(e)], now)
}

/// Queues the confirmation of a place: what, when and where, a link to cancel, and the
/// event as a calendar file.
#[allow(clippy::too_many_arguments)]
async fn confirm(
    tx: &mut Tx,
    event: &Stored,
    party: &str,
    person_public_id: &str,
    to: &str,
    state: Attendance,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let key = emails::server_key(tx, LINK_KEY).await?;
    let cancel = cancel_url(&key, public_url, &event.public_id, person_public_id);
    let (subject, opening) = match state {
        Attendance::Waiting => (
            format!("On the waiting list: {}", event.title),
            "Every place is taken, so you are on the waiting list. We will email you if a place comes up.",
        ),
        _ => (
            format!("You're signed up: {}", event.title),
            "Thank you for signing up. The event is attached: open it to add it to your calendar.",
        ),
    };
    let body = format!(
        "{opening}\n\n{}\n{}\n{}\n\nCan't come after all? Cancel your place here, so someone else can have it:\n{cancel}\n\n{party}\n",
        event.title,
        crate::domain::events::when_in_words(event.starts_at, event.ends_at, event.zone()),
        event.place.as_deref().unwrap_or("Place to be confirmed"),
    );
    let ics = event_file(event, now);
    outbox::enqueue_with(
        tx,
        to,
        &subject,
        &body,
        outbox::Extras {
            html: None,
            calendar: Some(&ics),
        },
    )
    .await?;
    Ok(())
}

/// The place a cancellation link names: the event and the person's first name.
pub async fn cancellation(tx: &mut Tx, id: &str, token: &str) -> Result<(Stored, String, i64)> {
    let key = emails::server_key(tx, LINK_KEY).await?;
    let person = secrets::signed(&key, token)
        .and_then(|m| m.strip_prefix("cancel:"))
        .and_then(|m| m.strip_prefix(id))
        .and_then(|m| m.strip_prefix(':'))
        .ok_or(AppError::NotFound)?
        .to_string();
    let event = events::by_public_id(tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let listed = roster::by_public_ids(tx, event.local_party_id, &[person.as_str()])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    Ok((event, listed.first_name, listed.person_id))
}

/// Cancels the place a link names; returns the event and the person's first name. A
/// place given up goes to whoever has waited longest, who is told by email. Cancelling
/// twice changes nothing more.
pub async fn cancel(
    tx: &mut Tx,
    id: &str,
    token: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<(Stored, String)> {
    let (event, first_name, person_id) = cancellation(tx, id, token).await?;
    let before = events::state_of(tx, event.id, person_id)
        .await?
        .and_then(|s| Attendance::parse(&s));
    if !matches!(before, Some(Attendance::SignedUp | Attendance::Waiting)) {
        return Ok((event, first_name));
    }
    events::set_state(
        tx,
        event.id,
        person_id,
        Attendance::Cancelled.as_str(),
        None,
        "public",
    )
    .await?;
    let mut named = vec![person_id];
    if before == Some(Attendance::SignedUp)
        && event.cancelled_at.is_none()
        && let Some(next) = events::first_waiting(tx, event.id).await?
    {
        events::set_state(
            tx,
            event.id,
            next,
            Attendance::SignedUp.as_str(),
            None,
            "public",
        )
        .await?;
        named.push(next);
        if let Some(l) = roster::everyone_of(tx, event.local_party_id, &[next])
            .await?
            .pop()
            && let Some(to) = l.email.as_deref()
        {
            let party = units::name_of(tx, event.local_party_id).await?;
            confirm(
                tx,
                &event,
                &party,
                &l.public_id,
                to,
                Attendance::SignedUp,
                public_url,
                now,
            )
            .await?;
        }
    }
    let detail = format!(
        "{}: a place given up{}",
        event.title,
        if named.len() > 1 {
            ", and taken by the first on the waiting list"
        } else {
            ""
        }
    );
    noted(
        tx,
        event.local_party_id,
        "event.cancel_place",
        &event.public_id,
        &detail,
        &named,
    )
    .await?;
    Ok((event, first_name))
}

/// How far ahead the reminder round looks: no event's reminder goes earlier than this.
const REMINDERS_LOOK_AHEAD_DAYS: i64 = 8;

/// Queues one reminder to a person with a place, if it is still theirs to have: claimed
/// first, so two workers (or an officer's button and a worker) never both send it.
async fn remind(
    tx: &mut Tx,
    event: &Stored,
    a: &Attendee,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(to) = a.email.as_deref().filter(|e| !e.trim().is_empty()) else {
        return Ok(false);
    };
    if outbox::is_suppressed(tx, to).await?
        || !events::claim_reminder(tx, a.place_id, since, now).await?
    {
        return Ok(false);
    }
    let body = format!(
        "Hello {},\n\nA reminder that you are signed up for {}:\n{}\n{}\n\nSee you there.\n",
        a.first_name,
        event.title,
        crate::domain::events::when_in_words(event.starts_at, event.ends_at, event.zone()),
        event.place.as_deref().unwrap_or("Place to be confirmed"),
    );
    outbox::enqueue(tx, to, &format!("Reminder: {}", event.title), &body).await?;
    Ok(true)
}

/// One round of automatic reminders: for every event whose reminder time has come, each
/// person signed up and not reminded since then gets one, late sign-ups included. An
/// event a transaction. Returns how many were queued.
pub async fn remind_due(db: &Db, now: DateTime<Utc>) -> Result<usize> {
    let mut tx = db.begin_read().await?;
    let soon = events::starting_between(
        &mut tx,
        now,
        now + Duration::days(REMINDERS_LOOK_AHEAD_DAYS),
    )
    .await?;
    tx.commit().await?;
    let mut sent = 0;
    for event in soon
        .iter()
        .filter(|e| reminder_due(e.starts_at, e.remind_hours) <= now)
    {
        let since = reminder_due(event.starts_at, event.remind_hours);
        let mut tx = db.begin().await?;
        let due = events::attendees(
            &mut tx,
            event.id,
            &[Attendance::SignedUp.as_str()],
            Some(since),
        )
        .await?;
        let mut reminded = Vec::new();
        for a in &due {
            if remind(&mut tx, event, a, Some(since), now).await? {
                reminded.push(a.person_id);
            }
        }
        if !reminded.is_empty() {
            audit::record(
                &mut tx,
                audit::Note {
                    actor: "reminders",
                    local_party_id: Some(event.local_party_id),
                    action: "event.remind",
                    subject: &event.public_id,
                    detail: &format!("{}: {} reminded", event.title, reminded.len()),
                    people: &reminded,
                },
            )
            .await?;
        }
        tx.commit().await?;
        sent += reminded.len();
    }
    Ok(sent)
}

/// An officer's reminder, now, to everyone signed up with an address. Returns how many.
pub async fn remind_now(
    tx: &mut Tx,
    who: &super::Principal,
    id: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let event = super::events::find_to_organise(tx, who, id).await?;
    if event.cancelled_at.is_some() || event.starts_at <= now {
        return Err(AppError::field(
            "event",
            "it is cancelled or has started: there is nothing to remind people of",
        ));
    }
    let due = events::attendees(tx, event.id, &[Attendance::SignedUp.as_str()], None).await?;
    let mut reminded = Vec::new();
    for a in &due {
        if remind(tx, &event, a, None, now).await? {
            reminded.push((event.local_party_id, a.person_id));
        }
    }
    super::audit::people(
        tx,
        who,
        "event.remind",
        &format!("{}: reminded by hand", event.title),
        &reminded,
    )
    .await?;
    Ok(reminded.len())
}
