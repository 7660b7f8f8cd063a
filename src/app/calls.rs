//! Call lists: who a list is made from (a report section or a segment, with phone consent
//! first), making one, handing callers the next person, and recording what happened.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate, Utc};

use super::audit::Unaudited;
use super::{AppError, Principal, Result, audit};
use crate::app::report::ActionReport;
use crate::domain::access::Reach;
use crate::domain::calls::{DoneWhen, Outcome, TaskKind};
use crate::domain::dates::parse_date;
use crate::domain::fields::check_text;
use crate::domain::filter::MemberFilter;
use crate::domain::report::{Period, Section};
use crate::domain::{Channel, Rules};
use crate::store::calls::{self, CallList};
use crate::store::roster::{self, ListQuery, Listed};
use crate::store::{Mode, Tx, accounts, reports, segments};

/// How long a caller holds a person before another caller may have them.
pub const HOLD_MINUTES: i64 = 20;

/// Who a list would be made from.
#[derive(Debug, Clone)]
pub struct Source {
    pub local_party_id: i64,
    /// People in the principal's write scope with phone consent and a number.
    pub people: Vec<i64>,
    /// What the source is, in words: "the In arrears section of the report 1 Nov 2026 to
    /// 14 Nov 2026".
    pub label: String,
    /// A name for a list made from it: "In arrears, 1 Nov 2026 to 14 Nov 2026".
    pub name: String,
    /// People the source names who cannot be called, and why.
    pub left_out: Vec<LeftOut>,
    /// The member list's filter (a query string) for the source's people who have not
    /// agreed to phone calls: another way to reach them, and a segment to save.
    pub other_way: Option<String>,
}

/// Someone a call list leaves out.
#[derive(Debug, Clone)]
pub struct LeftOut {
    pub person: Listed,
    pub why: &'static str,
}

/// Reads a source: `report:ID:SECTION` or `segment:ID`.
pub async fn source(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    text: &str,
) -> Result<Source> {
    if who.scope.write.is_empty() {
        return Err(AppError::Forbidden);
    }
    check_text(text, false).map_err(|e| AppError::field("from", e))?;
    let (lp, filter, only, label, name, other_way) = match text.split(':').collect::<Vec<_>>()[..] {
        ["report", id, section] => {
            let kept = reports::get(tx, id, &who.scope.local_parties)
                .await?
                .ok_or(AppError::NotFound)?;
            let section = Section::parse(section).ok_or(AppError::NotFound)?;
            let report: ActionReport = serde_json::from_str(&kept.body)
                .map_err(|e| AppError::field("from", format!("the report cannot be read: {e}")))?;
            let ids: HashSet<String> = report
                .sections
                .get(section.as_str())
                .into_iter()
                .flatten()
                .map(|r| r.id.clone())
                .collect();
            let period = format!(
                "{} to {}",
                kept.period_from.format("%-d %b %Y"),
                kept.period_to.format("%-d %b %Y")
            );
            let other_way = section.filter(Period {
                from: kept.period_from,
                to: kept.period_to,
            });
            (
                kept.local_party_id,
                MemberFilter::default(),
                Some(ids),
                format!("the {} section of the report {period}", section.label()),
                format!("{}, {period}", section.label()),
                other_way,
            )
        }
        ["segment", id] => {
            let seg = segments::get(tx, id, &who.scope.local_parties)
                .await?
                .ok_or(AppError::NotFound)?;
            let filter = super::segments::filter_of(&seg.query).map_err(|_| {
                AppError::field("from", "this segment's filters are no longer valid")
            })?;
            (
                seg.local_party_id,
                filter.clone(),
                None,
                format!("the segment {}", seg.name),
                seg.name.clone(),
                Some(filter),
            )
        }
        _ => {
            return Err(AppError::field(
                "from",
                "make a call list from a report section or a segment",
            ));
        }
    };
    let named = |rows: Vec<Listed>| -> Vec<Listed> {
        rows.into_iter()
            .filter(|r| r.local_party_id == lp)
            .filter(|r| only.as_ref().is_none_or(|ids| ids.contains(&r.public_id)))
            .collect()
    };
    let everyone = named(in_write_scope(tx, who, rules, today, &filter).await?);
    // Only people who agreed to phone calls and have a number: consent comes first.
    let with_consent = filter.with_consent(Channel::Phone, true);
    let agreed: HashSet<i64> = named(in_write_scope(tx, who, rules, today, &with_consent).await?)
        .into_iter()
        .map(|r| r.person_id)
        .collect();
    let mut people = Vec::new();
    let mut left_out = Vec::new();
    for person in everyone {
        let why = if !agreed.contains(&person.person_id) {
            "has not agreed to phone calls"
        } else if person.mobile.is_none() && person.phone.is_none() {
            "has no phone number"
        } else {
            people.push(person.person_id);
            continue;
        };
        left_out.push(LeftOut { person, why });
    }
    Ok(Source {
        local_party_id: lp,
        people,
        label,
        name,
        left_out,
        // The others are reached another way: the same people, without phone consent.
        other_way: other_way.map(|f| f.with_consent(Channel::Phone, false).to_query()),
    })
}

/// A source as the officer's form shows it, naming the people it leaves out (so it is
/// on the record before it is shown).
pub async fn preview(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    text: &str,
) -> Result<Unaudited<Source>> {
    let from = source(tx, who, rules, today, text).await?;
    let what = format!("left out of a call list from {}", from.label);
    let audit = Unaudited::shown(
        who,
        "member.list",
        &what,
        from.left_out.iter().map(|l| &l.person),
    );
    Ok(audit.holding(from))
}

async fn in_write_scope(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    filter: &MemberFilter,
) -> Result<Vec<Listed>> {
    let q = ListQuery {
        grants: &who.scope.write,
        user_id: who.user.id,
        filter,
        bounds: rules.status.bounds(today),
    };
    Ok(roster::list(tx, &q, None, 10_000_000).await?.0)
}

/// A list as the organiser's form describes it.
#[derive(Debug, Clone, Default)]
pub struct NewList {
    pub from: String,
    pub name: String,
    pub script: String,
    pub done_when: String,
    pub min_gap_hours: String,
    /// Callers' public user ids.
    pub callers: Vec<String>,
}

/// Makes a call list and shares it among its callers; returns its public id.
pub async fn build(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    new: &NewList,
) -> Result<String> {
    let from = source(tx, who, rules, today, &new.from).await?;
    let lp = from.local_party_id;
    let mut caller_ids = Vec::new();
    for p in &new.callers {
        caller_ids.push(checked_caller(tx, lp, p, &from.people).await?.id);
    }
    let name = new.name.trim();
    check_text(name, false).map_err(|e| AppError::field("name", e))?;
    check_text(&new.script, true).map_err(|e| AppError::field("script", e))?;
    let done_when = DoneWhen::parse(new.done_when.trim()).unwrap_or(DoneWhen::Reached);
    let gap = match new.min_gap_hours.trim() {
        "" => 24,
        text => text.parse::<i32>().unwrap_or(-1),
    };
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field(
            "name",
            "Give the list a name of up to 100 characters.",
        ));
    }
    if caller_ids.is_empty() {
        return Err(AppError::field("caller", "Choose at least one caller."));
    }
    if from.people.is_empty() {
        return Err(AppError::field(
            "from",
            "Nobody on this list can be called: nobody has both phone consent and a number.",
        ));
    }
    if !(0..=720).contains(&gap) {
        return Err(AppError::field(
            "min_gap_hours",
            "The shortest time between calls is 0 to 720 hours.",
        ));
    }
    let id = calls::create(
        tx,
        &calls::NewList {
            local_party_id: lp,
            name,
            script: new.script.trim(),
            done_when: done_when.as_str(),
            min_gap_hours: gap,
            by: who.actor(),
            people: &from.people,
            callers: &caller_ids,
        },
    )
    .await?;
    audit::note(
        tx,
        who,
        Some(lp),
        "calls.create",
        &id,
        &format!(
            "{name}: {} people from {}, {} callers",
            from.people.len(),
            from.label,
            caller_ids.len()
        ),
        &from.people,
    )
    .await?;
    Ok(id)
}

/// How many of `people` a caller would be shown who are outside what they may see. A user
/// with the caller role in the local party may be given anyone there (that is the role);
/// an officer only people their own roles already show them.
async fn hidden_from(tx: &mut Tx, user_id: i64, lp: i64, people: &[i64]) -> Result<usize> {
    let Some(caller) = super::principal_of(tx, user_id).await? else {
        return Ok(people.len());
    };
    let calls_here = caller
        .scope
        .read
        .iter()
        .any(|g| g.local_party_id == lp && g.reach == Reach::AssignedToMe);
    if calls_here {
        return Ok(0);
    }
    let seen = roster::visible_people(tx, &caller.scope.read, user_id, people).await?;
    Ok(people.len().saturating_sub(seen.len()))
}

/// A call list and how far its callers have got.
pub struct ListProgress {
    pub list: CallList,
    pub progress: calls::Progress,
}

/// The lists the principal organises, made, or calls on, with their progress.
pub async fn lists(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<ListProgress>> {
    let found = calls::lists_for(tx, &who.scope.whole_parties(), who.actor(), who.user.id).await?;
    let ids: Vec<i64> = found.iter().map(|l| l.id).collect();
    let mut progress = calls::progress_of(tx, &ids).await?;
    Ok(found
        .into_iter()
        .map(|list| ListProgress {
            progress: progress.remove(&list.id).unwrap_or_default(),
            list,
        })
        .collect())
}

/// A list the principal may see: they made it, organise its whole party, or call on it.
pub struct Opened {
    pub list: CallList,
    pub organiser: bool,
    pub caller: bool,
}

pub async fn open(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Opened> {
    let list = calls::get(tx, id).await?.ok_or(AppError::NotFound)?;
    let organiser =
        who.scope.whole_parties().contains(&list.local_party_id) || list.created_by == who.actor();
    let caller = calls::is_caller(tx, list.id, who.user.id).await?;
    if !organiser && !caller {
        return Err(AppError::NotFound);
    }
    Ok(Opened {
        list,
        organiser,
        caller,
    })
}

/// Everyone on a list with the outcomes of their calls, for its organiser (audited when
/// it names anyone); callers see none of it.
pub async fn people(tx: &mut Tx, who: &Principal, opened: &Opened) -> Result<Vec<calls::OnList>> {
    if !opened.organiser {
        return Ok(Vec::new());
    }
    let people = calls::people(tx, opened.list.id).await?;
    if !people.is_empty() {
        let named: Vec<(i64, i64)> = people
            .iter()
            .map(|p| (opened.list.local_party_id, p.person_id))
            .collect();
        let what = format!("on the call list {}", opened.list.name);
        audit::people(tx, who, "calls.view", &what, &named).await?;
    }
    Ok(people)
}

/// Who calls on a list, and, for its organiser only, the role holders who could be added:
/// (public id, name) pairs.
pub struct Callers {
    pub on: Vec<calls::Caller>,
    pub could: Vec<(String, String)>,
}

pub async fn callers(tx: &mut Tx<impl Mode>, opened: &Opened) -> Result<Callers> {
    let on = calls::callers(tx, opened.list.id).await?;
    let could = if opened.organiser {
        accounts::role_holders(tx, opened.list.local_party_id)
            .await?
            .into_iter()
            .filter(|(id, _)| !on.iter().any(|c| c.public_id == *id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Callers { on, could })
}

/// The audit entry for a change of a list's callers.
async fn note_callers(tx: &mut Tx, who: &Principal, list: &CallList, detail: &str) -> Result<()> {
    audit::note(
        tx,
        who,
        Some(list.local_party_id),
        "calls.callers",
        &list.public_id,
        detail,
        &[],
    )
    .await
}

/// A role holder in the list's local party who may be shown everyone on it: the one
/// check for every way a caller is given a list.
async fn checked_caller(
    tx: &mut Tx,
    lp: i64,
    public_id: &str,
    people: &[i64],
) -> Result<accounts::User> {
    let Some(u) = accounts::role_holder(tx, lp, public_id).await? else {
        return Err(AppError::field(
            "caller",
            "Choose callers from the local party's officers and callers.",
        ));
    };
    let hidden = hidden_from(tx, u.id, lp, people).await?;
    if hidden > 0 {
        return Err(AppError::field(
            "caller",
            format!(
                "{} cannot see {hidden} of the {} people on this list, and a call would show them their names and numbers. Give them the caller role, or choose another caller.",
                u.name,
                people.len()
            ),
        ));
    }
    Ok(u)
}

/// The organiser of a list (and only they) changes its callers.
async fn organised(tx: &mut Tx, who: &Principal, id: &str) -> Result<Opened> {
    let opened = open(tx, who, id).await?;
    if opened.organiser {
        Ok(opened)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Gives the list to one more caller.
pub async fn add_caller(tx: &mut Tx, who: &Principal, id: &str, caller: &str) -> Result<()> {
    let opened = organised(tx, who, id).await?;
    let list = &opened.list;
    let people = calls::person_ids(tx, list.id).await?;
    let u = checked_caller(tx, list.local_party_id, caller, &people).await?;
    if calls::add_caller(tx, list.id, u.id).await? {
        note_callers(
            tx,
            who,
            list,
            &format!("{} now calls on {}", u.name, list.name),
        )
        .await?;
    }
    Ok(())
}

/// Takes the list from a caller (anyone they held goes back to waiting).
pub async fn remove_caller(tx: &mut Tx, who: &Principal, id: &str, caller: &str) -> Result<()> {
    let opened = organised(tx, who, id).await?;
    let list = &opened.list;
    let u = calls::callers(tx, list.id)
        .await?
        .into_iter()
        .find(|c| c.public_id == caller)
        .ok_or(AppError::NotFound)?;
    calls::remove_caller(tx, list.id, u.user_id).await?;
    let detail = format!("{} no longer calls on {}", u.name, list.name);
    note_callers(tx, who, list, &detail).await
}

/// A list the principal calls on.
async fn open_to_call(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<CallList> {
    let opened = open(tx, who, id).await?;
    if opened.caller {
        Ok(opened.list)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Gives the caller the next person due (or keeps the one they hold), and shares that
/// person's name and phone with them; false if nobody is free for them now. On a "done
/// when renewed" list, people who renewed meanwhile are settled without a call.
pub async fn next(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
) -> Result<bool> {
    let list = open_to_call(tx, who, id).await?;
    let now = Utc::now();
    let renewed_counts = DoneWhen::parse(&list.done_when) == Some(DoneWhen::Renewed);
    // Skip a bounded number at a time, so one request never walks a whole list.
    for _ in 0..50 {
        let Some(person) =
            calls::claim_next(tx, &list, who.user.id, now, Duration::minutes(HOLD_MINUTES)).await?
        else {
            break;
        };
        let renewed = renewed_counts
            && roster::for_call(tx, list.id, who.user.id, now)
                .await?
                .is_some_and(|l| l.status(&rules.status, today).in_good_standing());
        if renewed {
            calls::settle(tx, list.id, person).await?;
            continue;
        }
        accounts::share_with_caller(tx, who.user.id, person).await?;
        return Ok(true);
    }
    Ok(false)
}

/// The person the caller holds on a list now, opened for the call (and audited).
pub async fn held(tx: &mut Tx, who: &Principal, id: &str) -> Result<(CallList, Option<Listed>)> {
    let list = open_to_call(tx, who, id).await?;
    let held = roster::for_call(tx, list.id, who.user.id, Utc::now()).await?;
    if let Some(l) = &held {
        audit::about(
            tx,
            who,
            l,
            "calls.open",
            &format!("to call from {}", list.name),
        )
        .await?;
    }
    Ok((list, held))
}

/// What a caller says happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The public id of the person the caller holds.
    pub person: String,
    pub outcome: String,
    pub notes: String,
    pub needs_officer: bool,
    pub call_back_on: String,
}

/// Records a call to the person the caller holds; "call back" becomes a follow-up for
/// the caller on the day asked (tomorrow if none).
pub async fn record(
    tx: &mut Tx,
    who: &Principal,
    today: NaiveDate,
    id: &str,
    report: &Report,
) -> Result<()> {
    let outcome = Outcome::parse(&report.outcome)
        .ok_or_else(|| AppError::field("outcome", "Choose what happened on the call."))?;
    if report.notes.chars().count() > 1000 {
        return Err(AppError::field("notes", "Keep notes to 1,000 characters."));
    }
    check_text(&report.notes, true).map_err(|e| AppError::field("notes", e))?;
    let call_back_on = match report.call_back_on.trim() {
        "" => today.succ_opt().unwrap_or(today),
        text => match parse_date(text) {
            Ok(d) if d >= today => d,
            Ok(_) => {
                return Err(AppError::field(
                    "call_back_on",
                    "The call-back date is in the past.",
                ));
            }
            Err(e) => {
                return Err(AppError::field(
                    "call_back_on",
                    format!("Call back on: {e}"),
                ));
            }
        },
    };
    let list = open_to_call(tx, who, id).await?;
    let l = roster::for_call(tx, list.id, who.user.id, Utc::now())
        .await?
        .ok_or(AppError::NotFound)?;
    if l.public_id != report.person {
        // Not the person this caller holds: as if they did not exist.
        return Err(AppError::NotFound);
    }
    let done_when = DoneWhen::parse(&list.done_when).unwrap_or(DoneWhen::Reached);
    let flag = report.needs_officer || outcome.needs_officer();
    let notes = Some(report.notes.trim()).filter(|n| !n.is_empty());
    let recorded = calls::record(
        tx,
        list.id,
        l.person_id,
        who.user.id,
        outcome,
        notes,
        flag,
        outcome.next_state(done_when),
    )
    .await?;
    if !recorded {
        return Err(AppError::NotFound);
    }
    // A flag reaches the officer who made the list, as a follow-up on their list of
    // tasks, to be closed with what they did.
    if flag && let Some(organiser) = accounts::user_by_email(tx, &list.created_by).await? {
        super::tasks::open_for(
            tx,
            who,
            &l,
            TaskKind::NeedsOfficer,
            organiser.id,
            today,
            notes,
        )
        .await?;
    }
    if outcome == Outcome::CallBack {
        super::tasks::open_for(
            tx,
            who,
            &l,
            TaskKind::CallBack,
            who.user.id,
            call_back_on,
            notes,
        )
        .await?;
    }
    audit::about(
        tx,
        who,
        &l,
        "calls.outcome",
        &format!(
            "{}{}",
            outcome.as_str(),
            if flag { ", needs an officer" } else { "" }
        ),
    )
    .await?;
    Ok(())
}
