//! Actions on one person's record: finding it within scope, changing their details and
//! consents, recording a payment or their leaving. Each writes history and an audit entry
//! in the caller's transaction.

use chrono::NaiveDate;

use super::audit::Unaudited;
use super::{AppError, Principal, Result};
use crate::domain::Rules;
use crate::domain::filter::{Cursor, MemberFilter};
use crate::domain::forms::{Contact, LeavingInput, PaymentInput};
use crate::domain::{Ending, Event, EventKind, History, Status};
use crate::store::members::NewPayment;
use crate::store::roster::{self, Details, Line, Listed, Payment};
use crate::store::units::{self, Unit};
use crate::store::{Mode, Tx, accounts, calls, tasks};

/// A person in `who`'s read scope, or `NotFound` (never "exists but not yours").
pub async fn find(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Listed> {
    roster::get(tx, &who.scope.read, who.user.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One page of the people in `who`'s read scope that a filter finds.
pub struct Found {
    pub rows: Vec<Line>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
    /// How many the filter finds in all.
    pub total: i64,
    /// The branches `who` sees, each with its local party, and the units their scope is
    /// named by (`units::branches_and_named`), for the filter form and its heading.
    pub branches: Vec<(i64, Unit)>,
    pub named: Vec<Unit>,
}

/// The member list: a page of people, the count of all the filter finds and the units
/// the page is shown with, read in `tx` (the read pool will do) in one statement, and
/// given up once audited as a search naming each one.
pub async fn search(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    filter: &MemberFilter,
    from: Option<&Cursor>,
    limit: u64,
) -> Result<Unaudited<Found>> {
    let q = roster::ListQuery {
        grants: &who.scope.read,
        user_id: who.user.id,
        filter,
        bounds: rules.status.bounds(today),
    };
    let grants = &who.scope.read;
    let ids = who.scope.units_named();
    let units = units::packed_branches_and_named(tx.backend(), grants, &ids);
    let page = roster::counted(tx, &q, from, limit, units).await?;
    let (branches, named) = units::unpack_branches_and_named(page.beside.as_deref(), grants, &ids)?;
    let what = format!("member list ?{}", filter.to_query());
    let audit = Unaudited::shown(who, "member.search", &what, &page.rows);
    Ok(audit.holding(Found {
        rows: page.rows,
        next: page.next,
        total: page.total,
        branches,
        named,
    }))
}

/// A person in `who`'s write scope: `NotFound` if unseen, `Forbidden` if seen but not
/// theirs to change.
pub async fn find_writable(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Listed> {
    let seen = find(tx, who, id).await?;
    roster::get(tx, &who.scope.write, who.user.id, &seen.public_id)
        .await?
        .ok_or(AppError::Forbidden)
}

/// The rest of a person's record (address, consents, notes), read within scope.
pub async fn details(tx: &mut Tx<impl Mode>, who: &Principal, l: &Listed) -> Result<Details> {
    roster::details(tx, &who.scope.read, who.user.id, l.person_id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn tags(tx: &mut Tx<impl Mode>, who: &Principal, l: &Listed) -> Result<Vec<String>> {
    Ok(roster::tags(tx, &who.scope.read, who.user.id, l.person_id).await?)
}

/// The membership's history, oldest first.
pub async fn history(tx: &mut Tx<impl Mode>, who: &Principal, l: &Listed) -> Result<Vec<Event>> {
    Ok(roster::history(tx, &who.scope.read, who.user.id, l.membership_id).await?)
}

/// A person's payments, newest first. Payments are outside a caller's scope, so for a
/// caller they are not there, like any other record out of scope.
pub async fn payments(tx: &mut Tx<impl Mode>, who: &Principal, l: &Listed) -> Result<Vec<Payment>> {
    if !who.scope.is_officer() {
        return Err(AppError::NotFound);
    }
    Ok(roster::payments(tx, &who.scope.read, who.user.id, l.membership_id).await?)
}

/// One person's record as their page shows it, trimmed to what the principal may see:
/// a caller gets name, phones and consents, nothing of history, payments or who looked.
pub struct Record {
    pub person: Listed,
    pub details: Details,
    pub status: Status,
    /// Only name and phone may be shown (a caller's view).
    pub limited: bool,
    pub can_write: bool,
    pub events: Vec<Event>,
    /// Where membership broke by lapsing without a recorded lapse: shown as gaps.
    pub unrecorded_lapses: Vec<NaiveDate>,
    pub continuous_since: Option<NaiveDate>,
    pub calls: Vec<calls::CallNote>,
    pub payments: Vec<Payment>,
    /// Who opened the record lately.
    pub viewers: Vec<roster::Noted>,
    /// Changes to their contact details and consents: when, by whom, which fields.
    pub changes: Vec<roster::Noted>,
    pub tags: Vec<String>,
    pub tasks: Vec<tasks::Open>,
    /// Each right in the rules file: its label, and why not when they may not today.
    pub rights: Vec<(String, Option<String>)>,
    /// Emails sent to them, newest first.
    pub emails: Vec<crate::store::emails::Received>,
    /// Why and since when mail is not sent to their address, if it bounced.
    pub bounce: Option<(String, chrono::DateTime<chrono::Utc>)>,
    /// Events they signed up for or came to, latest first.
    pub occasions: Vec<crate::store::events::Attended>,
    /// Their stints in forum branches, the current first.
    pub forums: Vec<crate::store::forums::Stint>,
    /// The forum branches they may be put in now: (slug, name).
    pub forum_choices: Vec<(String, String)>,
    /// Who a follow-up may be given to, and who the person may be shared with.
    pub assignees: Vec<(String, String)>,
    pub callers: Vec<(String, String)>,
    /// How they were welcomed, by whom and when, newest first.
    pub welcomes: Vec<crate::store::welcomes::Welcome>,
    /// The journeys they are or were on.
    pub journeys: Vec<crate::store::journeys::OnJourney>,
    /// The courses they have done, latest first.
    pub training: Vec<crate::store::training::Course>,
    /// The surveys they answered, with their answers.
    pub surveys: Vec<super::surveys::OnRecord>,
}

/// The audit action of a change to someone's contact details, which their history shows.
const CHANGED: &str = "member.update";

/// Opens a person's record (audited as `member.view`).
pub async fn record(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
) -> Result<Record> {
    let person = find(tx, who, id).await?;
    let can_write = roster::get(tx, &who.scope.write, who.user.id, id)
        .await?
        .is_some();
    let limited = !who.scope.is_officer();
    let details = details(tx, who, &person).await?;
    let events = history(tx, who, &person).await?;
    let history = History::at(&rules.status, &events, today);
    let unrecorded_lapses = history
        .spans
        .iter()
        .filter_map(|s| match s.end {
            Some((end, Ending::Lapsed))
                if !events
                    .iter()
                    .any(|e| e.kind == EventKind::Lapsed && e.on == end) =>
            {
                Some(end)
            }
            _ => None,
        })
        .collect();
    let mut record = Record {
        status: person.status(&rules.status, today),
        limited,
        can_write,
        continuous_since: history.continuous_since(today),
        unrecorded_lapses,
        events,
        calls: Vec::new(),
        payments: Vec::new(),
        viewers: Vec::new(),
        changes: Vec::new(),
        tags: Vec::new(),
        tasks: Vec::new(),
        rights: Vec::new(),
        emails: Vec::new(),
        bounce: None,
        occasions: Vec::new(),
        forums: Vec::new(),
        forum_choices: Vec::new(),
        assignees: Vec::new(),
        callers: Vec::new(),
        welcomes: Vec::new(),
        journeys: Vec::new(),
        training: Vec::new(),
        surveys: Vec::new(),
        details,
        person,
    };
    let (person_id, lp) = (record.person.person_id, record.person.local_party_id);
    if limited {
        record.events.clear();
        record.unrecorded_lapses.clear();
        record.details.notes = None;
    } else {
        record.calls = calls::outcomes_for(tx, person_id).await?;
        record.payments = payments(tx, who, &record.person).await?;
        record.viewers = roster::noted(tx, person_id, "member.view", 10).await?;
        record.changes = roster::noted(tx, person_id, CHANGED, 100).await?;
        record.tags = tags(tx, who, &record.person).await?;
        record.tasks = tasks::for_person(tx, person_id).await?;
        record.emails = crate::store::emails::for_person(tx, person_id, 50).await?;
        if let Some(kind) = crate::domain::Kind::parse(&record.person.kind) {
            record.rights = rules
                .rights
                .iter()
                .map(|r| {
                    let check =
                        r.check_history(&rules.status, kind, record.status, &record.events, today);
                    let why = match check {
                        crate::domain::RightCheck::Allowed => None,
                        crate::domain::RightCheck::Refused(why) => Some(why),
                    };
                    (r.label.clone(), why)
                })
                .collect();
        }
        if let Some(address) = &record.person.email {
            record.bounce = crate::store::outbox::suppression(tx, address).await?;
        }
        record.forums = crate::store::forums::of_person(tx, person_id).await?;
        record.occasions = crate::store::events::of_person(tx, person_id, 50).await?;
        record.welcomes = crate::store::welcomes::of_person(tx, person_id).await?;
        record.journeys = crate::store::journeys::of_person(tx, person_id).await?;
        record.training = crate::store::training::of_person(tx, person_id).await?;
        record.surveys = super::surveys::of_person(tx, person_id).await?;
    }
    if can_write {
        let current: Vec<&str> = record
            .forums
            .iter()
            .filter(|s| s.left_on.is_none())
            .map(|s| s.slug.as_str())
            .collect();
        record.forum_choices = crate::store::forums::of_party(tx, lp)
            .await?
            .into_iter()
            .filter(|f| !current.contains(&f.slug.as_str()))
            .map(|f| (f.slug, f.name))
            .collect();
        record.assignees = accounts::role_holders(tx, lp).await?;
        record.callers = accounts::callers_in(tx, lp)
            .await?
            .into_iter()
            .map(|r| (r.user_public_id, r.name))
            .collect();
    }
    let p = &record.person;
    let shown = format!("{} {} ({})", p.first_name, p.last_name, p.membership_number);
    super::audit::about(tx, who, p, "member.view", &shown).await?;
    Ok(record)
}

/// Shares a person (name and phone only) with one of their local party's callers.
pub async fn share(tx: &mut Tx, who: &Principal, id: &str, caller: &str) -> Result<()> {
    let l = find_writable(tx, who, id).await?;
    let callers = accounts::callers_in(tx, l.local_party_id).await?;
    let user = match callers.iter().find(|c| c.user_public_id == caller) {
        Some(c) => accounts::user_by_public_id(tx, &c.user_public_id).await?,
        None => None,
    }
    .ok_or_else(|| AppError::field("caller", "Choose one of the local party's callers."))?;
    accounts::share_with_caller(tx, user.id, l.person_id).await?;
    super::audit::about(
        tx,
        who,
        &l,
        "member.share",
        &format!("shared with caller {}", user.email),
    )
    .await
}

/// Saves a person's details and consents, and notes which fields changed. Nothing is
/// written when nothing changed.
pub async fn save_contact(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    l: &Listed,
    contact: &Contact,
) -> Result<()> {
    let d = details(tx, who, l).await?;
    let old_consents = [
        d.email_consent,
        d.phone_consent,
        d.sms_consent,
        d.post_consent,
    ];
    // In words, as the person's history and the audit log both show them.
    let before = [
        ("first name", Some(l.first_name.clone())),
        ("last name", Some(l.last_name.clone())),
        ("email", l.email.clone()),
        ("mobile", l.mobile.clone()),
        ("phone", l.phone.clone()),
        ("address", d.address_line1.clone()),
        ("address", d.address_line2.clone()),
        ("town", d.town.clone()),
        ("postcode", l.postcode.clone()),
        ("gender", l.gender.clone()),
        ("kind", Some(l.kind.clone())),
        ("notes", d.notes.clone()),
    ];
    let after = [
        Some(contact.first_name.clone()),
        Some(contact.last_name.clone()),
        contact.email.clone(),
        contact.mobile.clone(),
        contact.phone.clone(),
        contact.address_line1.clone(),
        contact.address_line2.clone(),
        contact.town.clone(),
        contact.postcode.clone(),
        contact.gender.as_ref().map(|g| g.as_str().to_string()),
        Some(contact.kind.as_str().to_string()),
        contact.notes.clone(),
    ];
    let mut changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|((_, old), new)| old != *new)
        .map(|((field, _), _)| *field)
        .collect();
    for (i, name) in [
        "email consent",
        "phone consent",
        "text message consent",
        "post consent",
    ]
    .into_iter()
    .enumerate()
    {
        if old_consents[i] != contact.consents[i] {
            changed.push(name);
        }
    }
    changed.dedup();
    if changed.is_empty() {
        return Ok(());
    }
    roster::update_contact(
        tx,
        l.person_id,
        old_consents,
        contact,
        &format!("edited by {}", who.actor()),
    )
    .await?;
    super::audit::about(
        tx,
        who,
        l,
        CHANGED,
        &format!("changed {}", changed.join(", ")),
    )
    .await?;
    // A changed gender, kind or age may put them in or out of a forum branch.
    crate::store::forums::follow_rules(tx, rules, l.local_party_id, Some(&[l.person_id]), today)
        .await?;
    Ok(())
}

/// Checks and records a payment for a membership `who` may change: renewing, or
/// rejoining after a lapse. Returns the payment's public id.
pub async fn record_payment(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    who: &Principal,
    l: &Listed,
    input: &PaymentInput,
) -> Result<String> {
    let Some(rate) = rules.rate(&l.rate, today) else {
        return Err(AppError::field(
            "amount",
            if l.rate.is_empty() {
                "this person has no membership rate, so a membership payment cannot be recorded for them".to_string()
            } else {
                format!(
                    "the rate '{}' is not in the rules any more; change the member's rate first",
                    l.rate
                )
            },
        ));
    };
    let status = l.status(&rules.status, today);
    let effect = input
        .check(rate, status, l.paid_until, today)
        .map_err(AppError::Invalid)?;
    let payment = NewPayment {
        paid_on: effect.paid_on,
        amount_pence: effect.amount_pence,
        method: input.method.trim().to_string(),
        period_from: effect.period_from,
        period_to: effect.period_to,
    };
    let id = roster::record_payment(
        tx,
        l.membership_id,
        &payment,
        effect.period_to,
        effect.rejoins,
    )
    .await?;
    super::audit::about(
        tx,
        who,
        l,
        "payment.record",
        &format!(
            "£{}.{:02} by {} on {}, paid until {}{}",
            payment.amount_pence / 100,
            payment.amount_pence % 100,
            payment.method,
            payment.paid_on,
            effect.period_to,
            if effect.rejoins { " (rejoined)" } else { "" }
        ),
    )
    .await?;
    Ok(id)
}

/// Records that a member `who` may change has left (resigned, died, expelled).
pub async fn record_leaving(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    who: &Principal,
    l: &Listed,
    input: &LeavingInput,
) -> Result<()> {
    let (reason, on, note) = input
        .check(l.status(&rules.status, today), today)
        .map_err(AppError::Invalid)?;
    roster::record_leaving(tx, l.membership_id, reason, on, note.clone()).await?;
    super::audit::about(
        tx,
        who,
        l,
        "member.leave",
        &format!(
            "{} on {on}{}",
            reason.as_str(),
            note.map(|n| format!(": {n}")).unwrap_or_default()
        ),
    )
    .await?;
    Ok(())
}

/// A course as the member page's form gives it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CourseInput {
    pub course: String,
    /// The day it was done; today if blank.
    pub on: String,
    pub provider: String,
}

/// Records a course someone `who` may change has done, every field checked.
pub async fn add_training(
    tx: &mut Tx,
    who: &Principal,
    today: NaiveDate,
    id: &str,
    input: &CourseInput,
) -> Result<()> {
    let l = find_writable(tx, who, id).await?;
    let mut problems = Vec::new();
    let mut text = |field: &str, value: &str, required: bool| {
        let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match crate::domain::fields::check_text(&v, false) {
            Err(e) => problems.push(crate::domain::filter::FieldProblem {
                field: field.into(),
                message: e,
            }),
            Ok(()) if required && v.is_empty() => {
                problems.push(crate::domain::filter::FieldProblem {
                    field: field.into(),
                    message: "say which course".into(),
                })
            }
            Ok(()) if v.chars().count() > 200 => {
                problems.push(crate::domain::filter::FieldProblem {
                    field: field.into(),
                    message: "use at most 200 characters".into(),
                })
            }
            Ok(()) => {}
        }
        v
    };
    let course = text("course", &input.course, true);
    let provider = text("provider", &input.provider, false);
    let on = match input.on.trim() {
        "" => Some(today),
        t => match crate::domain::dates::parse_date(t) {
            Ok(d) if d <= today => Some(d),
            Ok(d) => {
                problems.push(crate::domain::filter::FieldProblem {
                    field: "on".into(),
                    message: format!("{d} is in the future: record a course once it is done"),
                });
                None
            }
            Err(e) => {
                problems.push(crate::domain::filter::FieldProblem {
                    field: "on".into(),
                    message: e.to_string(),
                });
                None
            }
        },
    };
    let Some(on) = on.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    crate::store::training::add(
        tx,
        &crate::store::training::New {
            local_party_id: l.local_party_id,
            person_id: l.person_id,
            course: &course,
            on_date: on,
            provider: Some(provider.as_str()).filter(|p| !p.is_empty()),
            recorded_by: who.actor(),
            at: chrono::Utc::now(),
        },
    )
    .await?;
    super::audit::about(tx, who, &l, "member.training", &format!("{course} on {on}")).await
}
