//! Follow-ups about a person: given by hand from their record, or made by a call, and
//! marked done by the person they were given to.

use chrono::NaiveDate;

use super::{AppError, Principal, Result, audit, members};
use crate::domain::calls::TaskKind;
use crate::domain::dates::parse_date;
use crate::domain::fields::check_text;
use crate::store::roster::{self, Listed};
use crate::store::tasks::{self, Open};
use crate::store::{Tx, accounts, calls};

/// A follow-up as the form on a member's page describes it.
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    pub kind: String,
    /// The assignee's public user id.
    pub assignee: String,
    /// Today if blank.
    pub due_on: String,
    pub notes: String,
}

/// Gives a follow-up about the person `id` (whom the principal may change) to someone
/// with a role in their local party.
pub async fn give(
    tx: &mut Tx,
    who: &Principal,
    today: NaiveDate,
    id: &str,
    new: &NewTask,
) -> Result<()> {
    let l = members::find_writable(tx, who, id).await?;
    let kind = TaskKind::parse(&new.kind)
        .filter(|k| TaskKind::BY_HAND.contains(k))
        .ok_or_else(|| AppError::field("kind", "Choose what the follow-up is."))?;
    let assignee = accounts::role_holder(tx, l.local_party_id, &new.assignee)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "assignee",
                "Give the follow-up to someone with a role in the local party.",
            )
        })?;
    // Giving someone a follow-up shows them the person: only to someone who may see them.
    let sees = match super::principal_of(tx, assignee.id).await? {
        Some(p) => roster::get(tx, &p.scope.read, p.user.id, id)
            .await?
            .is_some(),
        None => false,
    };
    if !sees {
        return Err(AppError::field(
            "assignee",
            format!(
                "{} cannot see {} {}'s record, so cannot follow them up; choose someone who can.",
                assignee.name, l.first_name, l.last_name
            ),
        ));
    }
    let due_on = match new.due_on.trim() {
        "" => today,
        text => parse_date(text).map_err(|e| AppError::field("due_on", format!("Due: {e}")))?,
    };
    if new.notes.chars().count() > 1000 {
        return Err(AppError::field("notes", "Keep notes to 1,000 characters."));
    }
    check_text(&new.notes, true).map_err(|e| AppError::field("notes", e))?;
    let notes = Some(new.notes.trim()).filter(|n| !n.is_empty());
    open_for(tx, who, &l, kind, assignee.id, due_on, notes).await?;
    audit::about(
        tx,
        who,
        &l,
        "task.create",
        &format!("{} for {} by {due_on}", kind.as_str(), assignee.email),
    )
    .await
}

/// Opens a follow-up about `person` for `assignee_id`, made by `who` (the caller audits).
pub(super) async fn open_for(
    tx: &mut Tx,
    who: &Principal,
    person: &Listed,
    kind: TaskKind,
    assignee_id: i64,
    due_on: NaiveDate,
    notes: Option<&str>,
) -> Result<()> {
    open_by(tx, who.actor(), person, kind, assignee_id, due_on, notes).await
}

/// `open_for`, made by `by` (a journey, which has no principal).
pub(super) async fn open_by(
    tx: &mut Tx,
    by: &str,
    person: &Listed,
    kind: TaskKind,
    assignee_id: i64,
    due_on: NaiveDate,
    notes: Option<&str>,
) -> Result<()> {
    tasks::create(
        tx,
        &tasks::NewTask {
            local_party_id: person.local_party_id,
            person_id: person.person_id,
            kind: kind.as_str(),
            assignee_id,
            due_on,
            notes,
            by,
        },
    )
    .await?;
    Ok(())
}

/// A follow-up for the person's branch: its Branch Membership Secretary or Branch
/// Secretary, else the local party's Membership Officer, due `within` days of `on`.
/// Returns the address of whom it went to; nobody holding those roles, no follow-up.
pub(super) async fn for_their_branch(
    tx: &mut Tx,
    by: &str,
    l: &Listed,
    kind: TaskKind,
    on: NaiveDate,
    note: &str,
    within: u64,
) -> Result<Option<String>> {
    let roles = accounts::roles_in(tx, &[l.local_party_id]).await?;
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
        return Ok(None);
    };
    let Some(user) = accounts::user_by_public_id(tx, &holder.user_public_id).await? else {
        return Ok(None);
    };
    let due = on.checked_add_days(chrono::Days::new(within)).unwrap_or(on);
    open_by(tx, by, l, kind, user.id, due, Some(note)).await?;
    Ok(Some(format!("{} by {due}", user.email)))
}

/// Marks one of the principal's own tasks done, with what was done if they say.
pub async fn done(tx: &mut Tx, who: &Principal, id: &str, note: &str) -> Result<()> {
    check_text(note, true).map_err(|e| AppError::field("note", e))?;
    if note.chars().count() > 1000 {
        return Err(AppError::field(
            "note",
            "Keep the note to 1,000 characters.",
        ));
    }
    let note = note.trim();
    let (person, lp, kind) =
        tasks::complete(tx, id, who.user.id, Some(note).filter(|n| !n.is_empty()))
            .await?
            .ok_or(AppError::NotFound)?;
    // A flag from a caller is dealt with: the call lists stop showing it.
    if TaskKind::parse(&kind) == Some(TaskKind::NeedsOfficer) {
        calls::unflag(tx, person).await?;
    }
    audit::note(tx, who, Some(lp), "task.done", id, note, &[person]).await
}

/// The principal's open tasks, soonest first (audited: each names a person).
pub async fn mine(tx: &mut Tx, who: &Principal) -> Result<Vec<Open>> {
    let open = tasks::mine(tx, who.user.id).await?;
    let named: Vec<(i64, i64)> = open
        .iter()
        .map(|t| (t.local_party_id, t.person_id))
        .collect();
    audit::people(tx, who, "task.list", "my tasks", &named).await?;
    Ok(open)
}
