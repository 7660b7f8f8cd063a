//! Stakeholder organisations: recorded and seen by whoever organises for their unit (a
//! women's organisation on a women's branch is the Women's Officer's), with their contacts
//! (people on the register, of kind `contact` when new, with the consents they gave) and
//! the meetings, joint events and speakers exchanged with them.

use chrono::{DateTime, NaiveDate, Utc};

use super::{AppError, Principal, Result};
use crate::domain::access::Grant;
use crate::domain::fields::{check_text, normalise_email};
use crate::domain::filter::FieldProblem;
use crate::domain::organisations::{DealingKind, OrgKind, check_date, needs_event};
use crate::domain::{Kind, Rules};
use crate::import::Field;
use crate::store::organisations::{self, Dealing, New, NewDealing, Stored};
use crate::store::roster::{self, Listed};
use crate::store::{Mode, Tx, events, units};

/// What the organisation form (or the API) sends.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OrgInput {
    /// The slug of the unit whose organisers work with it.
    pub unit: String,
    pub name: String,
    pub kind: String,
    pub notes: String,
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        message: message.into(),
    }
}

/// A line of text that must be given, in at most `most` characters.
fn required(field: &str, text: &str, most: usize, problems: &mut Vec<FieldProblem>) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Err(e) = check_text(&text, false) {
        problems.push(problem(field, e));
    } else if text.is_empty() || text.chars().count() > most {
        problems.push(problem(
            field,
            format!("write it, in at most {most} characters"),
        ));
    }
    text
}

/// Notes (lines allowed), or nothing.
fn notes(field: &str, text: &str, problems: &mut Vec<FieldProblem>) -> Option<String> {
    let text = text.trim();
    if let Err(e) = check_text(text, true) {
        problems.push(problem(field, e));
    } else if text.chars().count() > 5000 {
        problems.push(problem(field, "write at most 5,000 characters"));
    }
    Some(text.to_string()).filter(|t| !t.is_empty())
}

struct Valid {
    party: i64,
    unit_id: i64,
    name: String,
    kind: OrgKind,
    notes: Option<String>,
}

impl Valid {
    fn to_store(&self) -> New<'_> {
        New {
            local_party_id: self.party,
            unit_id: self.unit_id,
            name: &self.name,
            kind: self.kind.as_str(),
            notes: self.notes.as_deref(),
        }
    }
}

async fn check(tx: &mut Tx, who: &Principal, input: &OrgInput) -> Result<Valid> {
    let mut problems = Vec::new();
    let name = required("name", &input.name, 200, &mut problems);
    let kind = OrgKind::parse(&input.kind).unwrap_or_else(|| {
        problems.push(problem(
            "kind",
            format!(
                "choose one of {}",
                OrgKind::ALL.map(|k| k.as_str()).join(", ")
            ),
        ));
        OrgKind::Other
    });
    let notes = notes("notes", &input.notes, &mut problems);
    let placed = super::events::placed(tx, who, &input.unit).await?;
    let (party, unit_id) = placed.unwrap_or_else(|| {
        problems.push(problem(
            "unit",
            "choose a unit you organise for: your own branch, women's branch or local party",
        ));
        (0, 0)
    });
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    Ok(Valid {
        party,
        unit_id,
        name,
        kind,
        notes,
    })
}

/// Records an organisation for a unit `who` organises for; returns its id.
pub async fn create(
    tx: &mut Tx,
    who: &Principal,
    input: &OrgInput,
    now: DateTime<Utc>,
) -> Result<String> {
    let v = check(tx, who, input).await?;
    let id = organisations::create(tx, &v.to_store(), who.actor(), now).await?;
    super::audit::note(
        tx,
        who,
        Some(v.party),
        "organisation.create",
        &id,
        &v.name,
        &[],
    )
    .await?;
    Ok(id)
}

/// An organisation `who` works with (others' are not found, so they cannot be probed).
pub async fn find(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Stored> {
    let found = organisations::by_public_id(tx, id).await?;
    super::events::find_organised(tx, who, found).await
}

/// Changes an organisation's name, kind, notes or unit.
pub async fn update(tx: &mut Tx, who: &Principal, id: &str, input: &OrgInput) -> Result<()> {
    let before = find(tx, who, id).await?;
    let v = check(tx, who, input).await?;
    organisations::update(tx, before.id, &v.to_store()).await?;
    super::audit::note(
        tx,
        who,
        Some(v.party),
        "organisation.update",
        &before.public_id,
        &v.name,
        &[],
    )
    .await
}

/// The organisations `who` works with, by name.
pub async fn list(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<Stored>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let all = organisations::of_parties(tx, &who.scope.local_parties).await?;
    super::events::organised_only(tx, who, all).await
}

/// The slug of the unit a new organisation of `kind` starts on for `who`: a women's
/// organisation on the first women's branch they organise for, anything else on the
/// first unit they organise for.
pub async fn default_unit(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    kind: OrgKind,
) -> Result<String> {
    let units = super::events::units_for(tx, who).await?;
    let mut forums = Vec::new();
    for (slug, _) in &units {
        if let Some(u) = units::find(tx, slug).await?
            && u.is_forum()
        {
            forums.push(slug.clone());
        }
    }
    Ok(forums
        .into_iter()
        .find(|_| kind.for_women())
        .or_else(|| units.first().map(|(s, _)| s.clone()))
        .unwrap_or_default())
}

/// One contact at an organisation.
pub struct Contact {
    pub person: Listed,
    pub role: Option<String>,
}

/// An organisation with its contacts and dealings.
pub struct Opened {
    pub organisation: Stored,
    pub contacts: Vec<Contact>,
    pub dealings: Vec<Dealing>,
}

/// An organisation as its page shows it. Its contacts are shown to whoever works with
/// it, which is the access check for them (they may be nobody else's to see); the read is
/// audited, naming each.
pub async fn open(tx: &mut Tx, who: &Principal, id: &str) -> Result<Opened> {
    let o = find(tx, who, id).await?;
    let rows = organisations::contacts(tx, o.id).await?;
    let ids: Vec<i64> = rows.iter().map(|(p, _)| *p).collect();
    let people = roster::by_people(tx, &[Grant::everyone_in(o.local_party_id)], 0, &ids).await?;
    let contacts: Vec<Contact> = rows
        .into_iter()
        .filter_map(|(p, role)| {
            people.iter().find(|l| l.person_id == p).map(|l| Contact {
                person: l.clone(),
                role,
            })
        })
        .collect();
    let shown: Vec<Listed> = contacts.iter().map(|c| c.person.clone()).collect();
    super::audit::listed(
        tx,
        who,
        "organisation.view",
        &format!("the contacts of '{}'", o.name),
        &shown,
    )
    .await?;
    Ok(Opened {
        dealings: organisations::dealings(tx, o.id).await?,
        contacts,
        organisation: o,
    })
}

/// A contact to add: someone already recorded with that email address is linked as they
/// are; anyone else becomes a person of kind `contact` with the consents given.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    /// Their role at the organisation ("Chair").
    pub role: String,
    /// `yes`, `no` or blank (not asked).
    pub email_consent: String,
    pub phone_consent: String,
}

/// Adds a contact to an organisation; returns the person's id.
pub async fn add_contact(
    tx: &mut Tx,
    who: &Principal,
    (rules, today): (&Rules, NaiveDate),
    id: &str,
    input: &ContactInput,
) -> Result<String> {
    let o = find(tx, who, id).await?;
    let mut problems = Vec::new();
    let role = input.role.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Err(e) = check_text(&role, false) {
        problems.push(problem("role", e));
    } else if role.chars().count() > 100 {
        problems.push(problem("role", "write at most 100 characters"));
    }
    let known = match normalise_email(input.email.trim()) {
        Ok(email) => roster::by_email(tx, o.local_party_id, &email)
            .await?
            .into_iter()
            .next(),
        Err(_) => None,
    };
    let (person_id, public_id) = match known {
        Some(l) if problems.is_empty() => (l.person_id, l.public_id),
        Some(_) => return Err(AppError::Invalid(problems)),
        None => {
            let mut values = vec![
                (Field::FirstName, input.first_name.clone()),
                (Field::LastName, input.last_name.clone()),
                (Field::Email, input.email.clone()),
                (Field::Mobile, input.phone.clone()),
                (Field::Kind, Kind::Contact.as_str().to_string()),
                (Field::EmailConsent, input.email_consent.clone()),
                (Field::PhoneConsent, input.phone_consent.clone()),
            ];
            values.retain(|(_, v)| !v.trim().is_empty());
            let added = super::people::add_unattended(
                tx,
                rules,
                today,
                o.local_party_id,
                super::people::NewPerson {
                    values,
                    allow_duplicate: true,
                },
                format!("recorded by {} as a contact of '{}'", who.actor(), o.name),
            )
            .await;
            match added {
                Ok(p) if problems.is_empty() => p,
                Ok(_) => return Err(AppError::Invalid(problems)),
                Err(AppError::Invalid(mut more)) => {
                    more.extend(problems);
                    return Err(AppError::Invalid(more));
                }
                Err(e) => return Err(e),
            }
        }
    };
    organisations::add_contact(
        tx,
        o.id,
        person_id,
        Some(role.as_str()).filter(|r| !r.is_empty()),
    )
    .await?;
    super::audit::note(
        tx,
        who,
        Some(o.local_party_id),
        "organisation.contact",
        &public_id,
        &format!("a contact of '{}'", o.name),
        &[person_id],
    )
    .await?;
    Ok(public_id)
}

/// Takes someone off an organisation's contacts (their record stays).
pub async fn remove_contact(tx: &mut Tx, who: &Principal, id: &str, person: &str) -> Result<()> {
    let o = find(tx, who, id).await?;
    let listed = roster::by_public_ids(tx, o.local_party_id, &[person])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    if !organisations::remove_contact(tx, o.id, listed.person_id).await? {
        return Err(AppError::NotFound);
    }
    super::audit::note(
        tx,
        who,
        Some(o.local_party_id),
        "organisation.contact",
        &listed.public_id,
        &format!("no longer a contact of '{}'", o.name),
        &[listed.person_id],
    )
    .await
}

/// A dealing to record.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DealingInput {
    pub kind: String,
    /// The day, `YYYY-MM-DD` or `DD/MM/YYYY`.
    pub on: String,
    pub note: String,
    /// For a joint event: the event's id.
    pub event: String,
}

/// Records a meeting, joint event or speaker exchanged with an organisation.
pub async fn record_dealing(
    tx: &mut Tx,
    who: &Principal,
    (today, now): (NaiveDate, DateTime<Utc>),
    id: &str,
    input: &DealingInput,
) -> Result<()> {
    let o = find(tx, who, id).await?;
    let mut problems = Vec::new();
    let kind = DealingKind::parse(&input.kind);
    if kind.is_none() {
        problems.push(problem(
            "kind",
            format!(
                "choose one of {}",
                DealingKind::ALL.map(|k| k.as_str()).join(", ")
            ),
        ));
    }
    let on = match crate::domain::dates::parse_date(input.on.trim()) {
        Ok(d) => match check_date(d, today) {
            Ok(()) => Some(d),
            Err(e) => {
                problems.push(problem("on", e));
                None
            }
        },
        Err(e) => {
            problems.push(problem("on", e.to_string()));
            None
        }
    };
    let note = notes("note", &input.note, &mut problems);
    let event = match input.event.trim() {
        "" => None,
        e => match events::get(tx, &who.scope.local_parties, e).await? {
            Some(ev) => Some(ev.id),
            None => {
                problems.push(problem("event", "no such event in your local party"));
                None
            }
        },
    };
    if kind.is_some_and(needs_event) && event.is_none() && input.event.trim().is_empty() {
        problems.push(problem("event", "choose the joint event"));
    }
    let (Some(kind), Some(on)) = (kind, on) else {
        return Err(AppError::Invalid(problems));
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    organisations::add_dealing(
        tx,
        &NewDealing {
            organisation_id: o.id,
            kind: kind.as_str(),
            on_date: on,
            note: note.as_deref(),
            event_id: event.filter(|_| needs_event(kind)),
            recorded_by: who.actor(),
            at: now,
        },
    )
    .await?;
    super::audit::note(
        tx,
        who,
        Some(o.local_party_id),
        "organisation.update",
        &o.public_id,
        &format!("{} on {on}", kind.label()),
        &[],
    )
    .await
}

impl super::events::ForUnit for Stored {
    fn made_for(&self) -> (i64, &str) {
        (self.local_party_id, &self.unit_slug)
    }
}
