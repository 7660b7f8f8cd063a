//! People entering and moving within the register by hand: adding a person (with the
//! import's checks, and a warning when they look like someone already there), moving a
//! member to another branch or rate, and the likely duplicates an officer may see.

use chrono::{NaiveDate, Utc};
use std::collections::HashMap;

use super::{AppError, Principal, Result};
use crate::domain::access::{Grant, Reach};
use crate::domain::dates::parse_date;
use crate::domain::duplicates::{self, Someone, Why};
use crate::domain::filter::FieldProblem;
use crate::domain::{Event, EventKind, Rules, UnitKind};
use crate::import::{Context, Field, check_person};
use crate::store::members::{self, ConsentSource, NewMember};
use crate::store::roster::{self, Listed};
use crate::store::{Mode, Tx, units};

/// Someone already recorded whom a new or listed person looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Likely {
    /// Their public id and name, when the officer may see them; `None` when they are
    /// outside the officer's scope (the officer learns only that such a record exists).
    pub seen: Option<(String, String)>,
    pub membership_number: Option<String>,
    pub why: Vec<Why>,
}

/// What adding a person is given: text by field name (the import's canonical names).
#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    pub values: Vec<(Field, String)>,
    /// The officer has seen the likely duplicates and says this is someone else.
    pub allow_duplicate: bool,
}

impl NewPerson {
    /// Reads `name → value` pairs as a form or the API sends them; an unknown name is a
    /// problem against it, so a typo is never silently dropped.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> std::result::Result<NewPerson, Vec<FieldProblem>> {
        let mut out = NewPerson::default();
        let mut problems = Vec::new();
        for (name, value) in pairs {
            match Field::from_name(name) {
                Some(f) => out.values.push((f, value.to_string())),
                None => problems.push(FieldProblem {
                    field: name.to_string(),
                    message: format!("is not a field; the fields are {}", Field::all_names()),
                }),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    /// The last value given for `field`, trimmed; empty if none.
    pub fn get(&self, field: Field) -> &str {
        self.values
            .iter()
            .rev()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.trim())
    }

    fn set(&mut self, field: Field, value: String) {
        self.values.retain(|(f, _)| *f != field);
        self.values.push((field, value));
    }
}

/// The local party a new person goes into: their branch's, or the officer's own. Either
/// must be one the officer may change people in.
async fn party_for(tx: &mut Tx, who: &Principal, branch: &str) -> Result<i64> {
    let writes = |lp: i64| who.scope.write.iter().any(|g| g.local_party_id == lp);
    if !branch.is_empty()
        && let Some(unit) = units::find(tx, &crate::domain::fields::slugify(branch)).await?
        && unit.kind == UnitKind::Branch.as_str()
        && let Some(lp) = units::parent_id(tx, unit.id).await?
        && writes(lp)
    {
        return Ok(lp);
    }
    who.scope
        .write
        .first()
        .map(|g| g.local_party_id)
        .ok_or(AppError::Forbidden)
}

/// Whom `who` may change in a local party.
fn write_reaches(who: &Principal, local_party_id: i64) -> Vec<Reach> {
    who.scope
        .write
        .iter()
        .filter(|g| g.local_party_id == local_party_id)
        .map(|g| g.reach)
        .collect()
}

/// The field to blame when a new or moved person would fall outside what `who` may
/// change, and why, in words.
fn outside_scope(who: &Principal, local_party_id: i64) -> AppError {
    let reaches = write_reaches(who, local_party_id);
    if reaches.iter().all(|r| *r == Reach::Women) && !reaches.is_empty() {
        AppError::field(
            "gender",
            "you look after women members: a person you add or move must have gender woman",
        )
    } else {
        AppError::field(
            "branch",
            "is not a branch you look after: choose your own branch",
        )
    }
}

/// Where `who` may put a person: the geographic branches of their local party they look
/// after (slug, name), and every rate code with its name.
pub struct Places {
    pub branches: Vec<(String, String)>,
    pub rates: Vec<(String, String)>,
}

pub async fn places(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    local_party_id: Option<i64>,
) -> Result<Places> {
    let lp = local_party_id
        .or_else(|| who.scope.write.first().map(|g| g.local_party_id))
        .ok_or(AppError::Forbidden)?;
    let grants = write_reaches(who, lp);
    let all = grants
        .iter()
        .any(|r| matches!(r, Reach::Everyone | Reach::Women));
    let branches = units::branches(tx, lp)
        .await?
        .into_iter()
        .filter(|b| !b.is_forum())
        .filter(|b| all || grants.iter().any(|r| r.branch() == Some(b.id)))
        .map(|b| (b.slug, b.name))
        .collect();
    let mut rates: Vec<(String, String)> = Vec::new();
    for r in &rules.rates {
        if !rates.iter().any(|(code, _)| *code == r.code) {
            rates.push((r.code.clone(), r.name.clone()));
        }
    }
    Ok(Places { branches, rates })
}

/// A grant of everyone in a local party: what the service layer reads with before it
/// decides what the officer may see of it.
fn whole(local_party_id: i64) -> [Grant; 1] {
    [Grant::everyone_in(local_party_id)]
}

/// Everyone in the local party, for matching.
async fn whole_party(tx: &mut Tx<impl Mode>, who: &Principal, lp: i64) -> Result<Vec<Listed>> {
    Ok(roster::everyone(tx, &whole(lp), who.user.id).await?)
}

fn someone(l: &Listed) -> Someone<'_> {
    Someone {
        first_name: &l.first_name,
        last_name: &l.last_name,
        email: l.email.as_deref(),
        mobile: l.mobile.as_deref(),
        phone: l.phone.as_deref(),
        postcode: l.postcode.as_deref(),
    }
}

/// A person checked exactly as an imported row is, ready to go into local party `lp`.
struct Checked {
    new: NewMember,
    branch_ids: HashMap<String, i64>,
    /// They were given the local party's next local number.
    numbered: bool,
}

/// Checks a new person with the import's row check, giving them today as their joining
/// date and the next local number where the input has none.
async fn check(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    lp: i64,
    input: &mut NewPerson,
) -> Result<Checked> {
    if input.get(Field::JoinedOn).is_empty() {
        input.set(Field::JoinedOn, today.to_string());
    }
    let numbered = !input.get(Field::MembershipNumber).is_empty();
    if !numbered {
        let number = members::next_local_number(tx, lp).await?;
        input.set(Field::MembershipNumber, number);
    }
    // Forum branches are joined alongside a geographic one, not as a person's branch.
    let branches: Vec<_> = units::branches(tx, lp)
        .await?
        .into_iter()
        .filter(|b| !b.is_forum())
        .collect();
    let wards = units::wards(tx, lp).await?;
    let ctx = Context::new(
        rules,
        branches.iter().map(|b| (b.slug.as_str(), b.name.as_str())),
        wards,
        today,
    );
    let values: Vec<(Field, &str)> = input.values.iter().map(|(f, v)| (*f, v.as_str())).collect();
    let (person, membership) = check_person(&ctx, &values).map_err(|problems| {
        AppError::Invalid(
            problems
                .into_iter()
                .map(|p| FieldProblem {
                    field: p.column,
                    message: p.message,
                })
                .collect(),
        )
    })?;
    let events = membership.opening_events();
    Ok(Checked {
        new: NewMember {
            person,
            membership,
            events,
            payments: Vec::new(),
        },
        branch_ids: branches.iter().map(|b| (b.slug.clone(), b.id)).collect(),
        numbered,
    })
}

/// Stores a checked person, their consents recorded as given through `source`, and
/// puts them in the forum branches whose rules they meet. Returns their ids.
async fn insert(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    lp: i64,
    checked: Checked,
    source: String,
) -> Result<(i64, String)> {
    let number = checked.new.membership.number.clone();
    if members::number_taken(tx, lp, &number).await? {
        return Err(AppError::field(
            "membership_number",
            format!("{number} already belongs to someone in this local party"),
        ));
    }
    let source = ConsentSource {
        source,
        at: Utc::now(),
    };
    let ids = members::insert(
        tx,
        lp,
        &checked.branch_ids,
        &[checked.new],
        &source,
        &|_| {},
    )
    .await?;
    let (person_id, public_id) = ids.into_iter().next().unwrap_or_default();
    crate::store::forums::follow_rules(tx, rules, lp, Some(&[person_id]), today).await?;
    Ok((person_id, public_id))
}

/// Adds someone who came in without an officer (a public sign-up page): checked as an
/// imported row is, with no likely-duplicate refusal (a near match shows up among the
/// likely duplicates for an officer to merge). Returns their ids.
pub async fn add_unattended(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    lp: i64,
    mut input: NewPerson,
    source: String,
) -> Result<(i64, String)> {
    let checked = check(tx, rules, today, lp, &mut input).await?;
    insert(tx, rules, today, lp, checked, source).await
}

/// Adds a person by hand, checked exactly as an imported row is, within `who`'s write
/// scope. A person who looks like someone already recorded is refused with
/// `AppError::Duplicate` unless `allow_duplicate` says the officer has looked. Returns the
/// new person as the list shows them.
pub async fn add(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    mut input: NewPerson,
) -> Result<Listed> {
    let lp = party_for(tx, who, input.get(Field::Branch)).await?;
    let checked = check(tx, rules, today, lp, &mut input).await?;
    if !input.allow_duplicate {
        let everyone = whole_party(tx, who, lp).await?;
        let people: Vec<Someone> = everyone.iter().map(someone).collect();
        let person = &checked.new.person;
        let new = Someone {
            first_name: &person.first_name,
            last_name: &person.last_name,
            email: person.email.as_deref(),
            mobile: person.mobile.as_deref(),
            phone: person.phone.as_deref(),
            postcode: person.postcode.as_deref(),
        };
        let found = duplicates::matches(&new, &people);
        if !found.is_empty() {
            let ids: Vec<i64> = found.iter().map(|(i, _)| everyone[*i].person_id).collect();
            let seen = roster::visible_people(tx, &who.scope.read, who.user.id, &ids).await?;
            let likely = found
                .into_iter()
                .map(|(i, why)| {
                    let l = &everyone[i];
                    let visible = seen.contains(&l.person_id);
                    Likely {
                        seen: visible.then(|| {
                            (
                                l.public_id.clone(),
                                format!("{} {}", l.first_name, l.last_name),
                            )
                        }),
                        membership_number: visible.then(|| l.membership_number.clone()),
                        why,
                    }
                })
                .collect();
            return Err(AppError::Duplicate(likely));
        }
    }
    let numbered = checked.numbered;
    let (_, public_id) = insert(
        tx,
        rules,
        today,
        lp,
        checked,
        format!("added by {}", who.actor()),
    )
    .await?;
    // The store's scope is the check: a person the officer could not change afterwards
    // was never theirs to add, and the caller's transaction is not committed. It comes
    // after the forum rules, as a forum's rule may be what puts them in the officer's reach.
    let Some(added) = roster::get(tx, &who.scope.write, who.user.id, &public_id).await? else {
        return Err(outside_scope(who, lp));
    };
    let detail = format!(
        "added by hand: {} {}{}",
        added.kind,
        added.membership_number,
        if numbered { "" } else { " (a local number)" }
    );
    super::audit::about(tx, who, &added, "member.add", &detail).await?;
    Ok(added)
}

/// A move as an officer asks for it, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MoveInput {
    /// The new branch's slug; blank for none.
    pub branch: String,
    /// The new rate's code; blank for none (a supporter or contact has no rate).
    pub rate: String,
    /// When the move took effect; blank for today.
    pub on: String,
}

/// Moves a member `who` may change to another branch or rate, recorded in their history
/// as `moved` and `rate_changed` on the day given. The member must still be theirs to
/// change afterwards.
pub async fn move_member(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    l: &Listed,
    input: &MoveInput,
) -> Result<Listed> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: String| {
        problems.push(FieldProblem {
            field: field.into(),
            message,
        })
    };
    let branches = units::branches(tx, l.local_party_id).await?;
    let wanted = crate::domain::fields::slugify(input.branch.trim());
    let branch = if wanted.is_empty() {
        None
    } else {
        match branches.iter().find(|b| b.slug == wanted && !b.is_forum()) {
            Some(b) => Some(b),
            None => {
                problem(
                    "branch",
                    format!(
                        "'{}' is not a branch of this local party",
                        input.branch.trim()
                    ),
                );
                None
            }
        }
    };
    let rate = match input.rate.trim() {
        "" => String::new(),
        r => match rules.rate_code(r) {
            Some(code) => code.to_string(),
            None => {
                problem(
                    "rate",
                    format!("'{r}' is not a known rate ({})", rules.rate_codes()),
                );
                String::new()
            }
        },
    };
    if rate.is_empty()
        && l.kind == crate::domain::Kind::Member.as_str()
        && input.rate.trim().is_empty()
    {
        problem(
            "rate",
            format!("a member needs a rate ({})", rules.rate_codes()),
        );
    }
    let on = match input.on.trim() {
        "" => Some(today),
        text => match parse_date(text) {
            Ok(d) if d > today => {
                problem("on", format!("{d} is in the future"));
                None
            }
            Ok(d) if d < l.joined_on => {
                problem("on", format!("{d} is before they joined ({})", l.joined_on));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                problem("on", e.to_string());
                None
            }
        },
    };
    let new_slug = branch.map(|b| b.slug.clone());
    let unchanged = new_slug == l.branch_slug && rate == l.rate;
    if unchanged && (wanted.is_empty() || branch.is_some()) && !input.rate.trim().is_empty() {
        problem(
            "branch",
            "this is where they are already: choose another branch or rate".into(),
        );
    }
    let (Some(on), true) = (on, problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    let name = |n: Option<&str>| n.unwrap_or("no branch").to_string();
    let called = |code: &str| {
        rules
            .rate(code, on)
            .map_or_else(|| code.to_string(), |r| r.called())
    };
    let events = crate::domain::record::moves(
        (new_slug != l.branch_slug).then(|| {
            (
                name(l.branch_name.as_deref()),
                name(branch.map(|b| b.name.as_str())),
            )
        }),
        (rate != l.rate).then(|| (called(&l.rate), called(&rate))),
        on,
    );
    members::set_place(tx, l.membership_id, branch.map(|b| b.id), &rate).await?;
    let history: Vec<(i64, &Event)> = events.iter().map(|e| (l.membership_id, e)).collect();
    members::add_events(tx, &history).await?;
    let Some(moved) = roster::get(tx, &who.scope.write, who.user.id, &l.public_id).await? else {
        return Err(outside_scope(who, l.local_party_id));
    };
    let detail = events
        .iter()
        .filter_map(|e| {
            e.detail
                .as_deref()
                .map(|d| format!("{} {d} on {}", e.kind, e.on))
        })
        .collect::<Vec<_>>()
        .join("; ");
    super::audit::about(tx, who, &moved, "member.move", &detail).await?;
    Ok(moved)
}

/// Two records in scope that look like one person.
pub struct Duplicate {
    pub a: Listed,
    pub b: Listed,
    pub why: Vec<Why>,
    /// Both are the officer's to change, so they may merge them.
    pub mergeable: bool,
}

fn pairs_of(people: Vec<Listed>) -> Vec<(Listed, Listed, Vec<Why>)> {
    let found = duplicates::pairs(&people.iter().map(someone).collect::<Vec<_>>());
    found
        .into_iter()
        .map(|p| (people[p.a].clone(), people[p.b].clone(), p.why))
        .collect()
}

/// The likely duplicates among the people `who` sees, audited naming each one listed.
pub async fn duplicates_for(tx: &mut Tx, who: &Principal) -> Result<Vec<Duplicate>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let seen = roster::everyone(tx, &who.scope.read, who.user.id).await?;
    let pairs = pairs_of(seen);
    let ids: Vec<i64> = pairs
        .iter()
        .flat_map(|(a, b, _)| [a.person_id, b.person_id])
        .collect();
    let writable = roster::visible_people(tx, &who.scope.write, who.user.id, &ids).await?;
    let named: Vec<Listed> = pairs
        .iter()
        .flat_map(|(a, b, _)| [a.clone(), b.clone()])
        .collect();
    super::audit::listed(tx, who, "member.duplicates", "possible duplicates", &named).await?;
    Ok(pairs
        .into_iter()
        .map(|(a, b, why)| Duplicate {
            mergeable: writable.contains(&a.person_id) && writable.contains(&b.person_id),
            a,
            b,
            why,
        })
        .collect())
}

/// Every likely duplicate in a local party, for `rosette people duplicates`: the
/// operator's list, unscoped, audited as a report by `actor` naming everyone listed.
pub async fn duplicates_in(
    tx: &mut Tx,
    local_party_id: i64,
    actor: &str,
) -> Result<Vec<(Listed, Listed, Vec<Why>)>> {
    let pairs = pairs_of(roster::everyone(tx, &whole(local_party_id), 0).await?);
    let named: Vec<i64> = pairs
        .iter()
        .flat_map(|(a, b, _)| [a.person_id, b.person_id])
        .collect();
    crate::store::audit::record(
        tx,
        crate::store::audit::Note {
            actor,
            local_party_id: Some(local_party_id),
            action: "member.duplicates",
            subject: "possible duplicates",
            detail: &format!("{} pairs", pairs.len()),
            people: &named,
        },
    )
    .await?;
    Ok(pairs)
}

/// Merges `other` into `keep`, both people `who` may change in one local party: their
/// history, payments, consents (the most recent wins, with its source), tags, calls,
/// tasks, emails and audit references follow the kept record, the merge is on its
/// timeline, and the other record is gone. One transaction, the caller's.
pub async fn merge(
    tx: &mut Tx,
    who: &Principal,
    today: NaiveDate,
    keep: &str,
    other: &str,
) -> Result<Listed> {
    let k = super::members::find_writable(tx, who, keep).await?;
    let o = super::members::find_writable(tx, who, other).await?;
    if k.person_id == o.person_id {
        return Err(AppError::field(
            "other",
            "choose two different people to merge",
        ));
    }
    if k.local_party_id != o.local_party_id {
        return Err(AppError::field(
            "other",
            "these two are in different local parties; a transfer, not a merge, moves someone between them",
        ));
    }
    let said = format!("{} {} ({})", o.first_name, o.last_name, o.membership_number);
    let event = Event::new(EventKind::Merged, today, None).with_detail(format!("with {said}"));
    crate::store::merge::merge(
        tx,
        crate::store::merge::Record {
            person_id: k.person_id,
            membership_id: k.membership_id,
        },
        crate::store::merge::Record {
            person_id: o.person_id,
            membership_id: o.membership_id,
        },
        &event,
    )
    .await?;
    let kept = super::members::find(tx, who, keep).await?;
    super::audit::about(tx, who, &kept, "member.merge", &format!("merged in {said}")).await?;
    Ok(kept)
}
