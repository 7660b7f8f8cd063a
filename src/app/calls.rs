//! Call lists: who a list is made from (a report section or a segment, with phone consent
//! first), making one, handing callers the next person, and recording what happened.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate, Utc};

use super::{AppError, Principal, Result, audit};
use crate::app::report::ActionReport;
use crate::domain::access::Reach;
use crate::domain::calls::{DoneWhen, Outcome, TaskKind};
use crate::domain::dates::parse_date;
use crate::domain::fields::check_text;
use crate::domain::filter::MemberFilter;
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
    /// What the source is, in words: "in arrears from the report 1 Nov to 14 Nov".
    pub label: String,
    /// People the source names who are left out for want of consent or a number.
    pub left_out: usize,
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
    let (lp, mut filter, only, label) = match text.split(':').collect::<Vec<_>>()[..] {
        ["report", id, section] => {
            let kept = reports::get(tx, id, &who.scope.local_parties)
                .await?
                .ok_or(AppError::NotFound)?;
            let report: ActionReport = serde_json::from_str(&kept.body)
                .map_err(|e| AppError::field("from", format!("the report cannot be read: {e}")))?;
            let ids: HashSet<String> = report
                .sections
                .get(section)
                .ok_or(AppError::NotFound)?
                .iter()
                .map(|r| r.id.clone())
                .collect();
            let label = format!(
                "{} from the report {} to {}",
                section.replace('_', " "),
                kept.period_from.format("%-d %b %Y"),
                kept.period_to.format("%-d %b %Y")
            );
            (
                kept.local_party_id,
                MemberFilter::default(),
                Some(ids),
                label,
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
                filter,
                None,
                format!("the segment {}", seg.name),
            )
        }
        _ => {
            return Err(AppError::field(
                "from",
                "make a call list from a report section or a segment",
            ));
        }
    };
    let named = |rows: &[Listed]| -> Vec<Listed> {
        rows.iter()
            .filter(|r| r.local_party_id == lp)
            .filter(|r| only.as_ref().is_none_or(|ids| ids.contains(&r.public_id)))
            .cloned()
            .collect()
    };
    let all_named = named(&in_write_scope(tx, who, rules, today, &filter).await?).len();
    // Only people who agreed to phone calls and have a number: consent comes first.
    filter.consents.retain(|(c, _)| *c != Channel::Phone);
    filter.consents.push((Channel::Phone, true));
    let people: Vec<i64> = named(&in_write_scope(tx, who, rules, today, &filter).await?)
        .iter()
        .filter(|r| r.mobile.is_some() || r.phone.is_some())
        .map(|r| r.person_id)
        .collect();
    Ok(Source {
        local_party_id: lp,
        left_out: all_named.saturating_sub(people.len()),
        people,
        label,
    })
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
        let Some(u) = accounts::role_holder(tx, lp, p).await? else {
            return Err(AppError::field(
                "caller",
                "Choose callers from the local party's officers and callers.",
            ));
        };
        let hidden = hidden_from(tx, u.id, lp, &from.people).await?;
        if hidden > 0 {
            return Err(AppError::field(
                "caller",
                format!(
                    "{} cannot see {hidden} of the {} people on this list, and a call would show them their names and numbers. Give them the caller role, or choose another caller.",
                    u.name,
                    from.people.len()
                ),
            ));
        }
        caller_ids.push(u.id);
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
pub struct Progress {
    pub list: CallList,
    pub waiting: i64,
    pub done: i64,
    /// People not to call after all (asked not to be, or no longer reachable).
    pub blocked: i64,
}

/// The lists the principal organises, made, or calls on, with their progress.
pub async fn lists(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<Progress>> {
    let found = calls::lists_for(tx, &who.scope.whole_parties(), who.actor(), who.user.id).await?;
    let mut out = Vec::with_capacity(found.len());
    for list in found {
        let (waiting, done, blocked, _) = calls::progress(tx, list.id).await?;
        out.push(Progress {
            list,
            waiting,
            done,
            blocked,
        });
    }
    Ok(out)
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

/// The people flagged for an officer on a list, for its organiser (audited when it names
/// anyone); callers see none.
pub async fn flagged(tx: &mut Tx, who: &Principal, opened: &Opened) -> Result<Vec<calls::Flagged>> {
    if !opened.organiser {
        return Ok(Vec::new());
    }
    let flagged = calls::flagged(tx, opened.list.id).await?;
    if !flagged.is_empty() {
        let named: Vec<(i64, i64)> = flagged
            .iter()
            .map(|f| (opened.list.local_party_id, f.person_id))
            .collect();
        let what = format!("flagged on {}", opened.list.name);
        audit::people(tx, who, "calls.view", &what, &named).await?;
    }
    Ok(flagged)
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
/// person's name and phone with them. On a "done when renewed" list, people who renewed
/// meanwhile are settled without a call.
pub async fn next(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
) -> Result<()> {
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
        break;
    }
    Ok(())
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
