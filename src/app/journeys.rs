//! Journeys: a local party's default welcome for new members, officers' changes to a
//! journey's steps, its board (who is at which step), taking someone off, and the job
//! queue's rounds that put people on journeys and take each step once.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{AppError, Principal, Result};
use crate::domain::access::Reach;
use crate::domain::emails::{Facts, Frame, Merge, Purpose};
use crate::domain::forums::Candidate;
use crate::domain::journeys::Condition;
use crate::domain::journeys::{
    self as rules_of, Action, DEFAULT_STEPS, OFFICER_STEPS, Step, Trigger,
};
use crate::domain::{Gender, Kind, Role, Rules, UnitKind};
use crate::store::journeys::{self, Journey, Run};
use crate::store::roster::{self, Listed};
use crate::store::{Db, Mode, Tx, accounts, audit, emails, outbox, units};

/// The name of every local party's first journey.
pub const DEFAULT_NAME: &str = "Welcome new members";

/// Every local party's journeys from the start: (name, trigger, steps).
const DEFAULTS: [(&str, Trigger, &str); 2] = [
    (DEFAULT_NAME, Trigger::Joined, DEFAULT_STEPS),
    ("New branch officers", Trigger::BecameOfficer, OFFICER_STEPS),
];

/// How long a run's step is held by the worker taking it.
const HOLD_MINUTES: i64 = 10;

/// Runs taken in one round.
const ROUND: u64 = 500;

/// Days until a buddy's call-back is due.
const BUDDY_CALL_DAYS: u64 = 3;

/// Days until a journey's follow-up is due.
const TASK_DAYS: u64 = 7;

/// Whether `who` may make journeys for the whole of local party `lp`: officers who look
/// after everyone in it.
fn changes_party_journeys(who: &Principal, lp: i64) -> bool {
    who.scope
        .write
        .iter()
        .any(|g| g.local_party_id == lp && g.reach == Reach::Everyone)
}

/// Whether `who` may change a journey: the whole local party's officers any of its
/// journeys, a branch's organisers (its officers, the Women's Officer for a women's
/// branch) the journeys of that branch.
async fn may_change(tx: &mut Tx<impl Mode>, who: &Principal, j: &Journey) -> Result<bool> {
    if changes_party_journeys(who, j.local_party_id) {
        return Ok(true);
    }
    let Some(unit) = j.unit_id else {
        return Ok(false);
    };
    Ok(units::named(tx, &[unit])
        .await?
        .first()
        .is_some_and(|u| super::events::organises(who, j.local_party_id, u)))
}

/// Gives every local party the default journeys (a welcome for new members, a one-to-one
/// for new officers) whose triggers none of its journeys has yet, switched on from now.
pub async fn ensure_defaults(tx: &mut Tx, now: DateTime<Utc>) -> Result<usize> {
    let parties: Vec<i64> = units::list(tx)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::LocalParty.as_str())
        .map(|u| u.id)
        .collect();
    let have: Vec<(i64, String)> = journeys::list(tx, &parties)
        .await?
        .into_iter()
        .filter(|j| j.unit_id.is_none())
        .map(|j| (j.local_party_id, j.trigger))
        .collect();
    let mut made = 0;
    for lp in parties {
        for (name, trigger, steps) in DEFAULTS {
            if have
                .iter()
                .any(|(p, t)| *p == lp && t.as_str() == trigger.as_str())
            {
                continue;
            }
            journeys::create(
                tx,
                (lp, None),
                name,
                trigger.as_str(),
                steps,
                "Rosette",
                now,
            )
            .await?;
            made += 1;
        }
    }
    Ok(made)
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub enrolled: u64,
    pub steps: usize,
}

/// One round of the job queue's `journeys` job: default journeys made, people whose
/// trigger has fired put on each active journey, and every due run's steps taken, a run
/// a transaction, claimed first so that however many workers run rounds, each step is
/// taken once.
pub async fn run_due(
    db: &Db,
    rules: &Rules,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Round> {
    let mut round = Round::default();
    let mut tx = db.begin().await?;
    ensure_defaults(&mut tx, now).await?;
    let parties: Vec<i64> = units::list(&mut tx)
        .await?
        .into_iter()
        .filter(|u| u.kind == UnitKind::LocalParty.as_str())
        .map(|u| u.id)
        .collect();
    let all = journeys::list(&mut tx, &parties).await?;
    for j in all.iter().filter(|j| j.active) {
        let people = match Trigger::parse(&j.trigger) {
            Some(Trigger::Joined) => {
                let recent = today
                    .checked_sub_days(chrono::Days::new(u64::from(rules.status.new_days)))
                    .unwrap_or(today);
                journeys::joined_since(&mut tx, j.local_party_id, j.id, j.active_since, recent)
                    .await?
            }
            Some(Trigger::FirstEvent) => {
                journeys::first_event_since(&mut tx, j.local_party_id, j.id, j.active_since).await?
            }
            Some(Trigger::Rejoined) => {
                journeys::rejoined_since(&mut tx, j.local_party_id, j.id, j.active_since).await?
            }
            Some(Trigger::BecameOfficer) => {
                journeys::became_officer_since(&mut tx, j.local_party_id, j.id, j.active_since)
                    .await?
            }
            None => Vec::new(),
        };
        // A branch's journey takes only the branch's people (a forum branch's: those in it).
        let people: Vec<i64> = match j.unit_id {
            Some(unit) => {
                let branch = [crate::domain::access::Grant {
                    local_party_id: j.local_party_id,
                    reach: Reach::Branch(unit),
                }];
                let theirs = roster::visible_people(&mut tx, &branch, 0, &people).await?;
                people.into_iter().filter(|p| theirs.contains(p)).collect()
            }
            None => people,
        };
        round.enrolled += journeys::enrol(&mut tx, j.id, &people, now).await?;
    }
    tx.commit().await?;

    let by_id: HashMap<i64, &Journey> = all.iter().map(|j| (j.id, j)).collect();
    let mut tx = db.begin_read().await?;
    let due = journeys::due(&mut tx, now, ROUND).await?;
    tx.commit().await?;
    for run in due {
        let Some(j) = by_id.get(&run.journey_id) else {
            continue;
        };
        let mut tx = db.begin().await?;
        if take_steps(&mut tx, rules, today, now, j, &run).await? {
            tx.commit().await?;
            round.steps += 1;
        }
    }
    Ok(round)
}

/// The person a run is for, as the member list shows them.
async fn person(tx: &mut Tx<impl Mode>, lp: i64, person_id: i64) -> Result<Option<Listed>> {
    let mut found = roster::everyone_of(tx, lp, &[person_id]).await?;
    Ok(found.pop())
}

/// Takes a run's steps from where it is up to its next wait (or its end), if this call
/// claims it. False when another worker has it, or it was not due after all.
async fn take_steps(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    now: DateTime<Utc>,
    j: &Journey,
    run: &Run,
) -> Result<bool> {
    if !journeys::claim(
        tx,
        run.id,
        run.step,
        now,
        now + Duration::minutes(HOLD_MINUTES),
    )
    .await?
    {
        return Ok(false);
    }
    let actor = format!("journey: {}", j.name);
    let steps = match rules_of::parse_steps(&j.steps) {
        Ok(s) => s,
        Err(_) => {
            journeys::finish(
                tx,
                run.id,
                run.step,
                now,
                "stopped",
                "its steps cannot be read",
                now,
            )
            .await?;
            return Ok(true);
        }
    };
    let Some(l) = person(tx, j.local_party_id, run.person_id).await? else {
        journeys::finish(
            tx,
            run.id,
            run.step,
            now,
            "stopped",
            "no longer in the local party",
            now,
        )
        .await?;
        return Ok(true);
    };
    let candidate = Candidate {
        person_id: l.person_id,
        kind: Kind::parse(&l.kind).unwrap_or(Kind::Contact),
        gender: l.gender.as_deref().and_then(Gender::parse),
        date_of_birth: None,
        status: l.status(&rules.status, today),
    };
    // Which surveys they answered is read only for a journey that asks.
    let asks = steps.iter().any(|s| {
        matches!(
            s.only,
            Some(Condition::Answered(_) | Condition::NotAnswered(_))
        )
    });
    let answered = if asks {
        crate::store::surveys::answered_by(tx, l.person_id).await?
    } else {
        Vec::new()
    };
    let picked = |c: &Condition| match c {
        Condition::Rule(r) => r.matches(&candidate, today),
        Condition::Answered(survey) => answered.contains(survey),
        Condition::NotAnswered(survey) => !answered.contains(survey),
    };
    let mut at = usize::try_from(run.step).unwrap_or(0);
    let mut notes = Vec::new();
    let mut next_at = now;
    while let Some(i) = rules_of::next_step(&steps, at, picked) {
        at = i + 1;
        notes.push(take(tx, rules, today, &actor, &l, &steps[i].action).await?);
        if let Action::Wait { days } = steps[i].action {
            next_at = now + Duration::days(i64::from(days));
            break;
        }
    }
    let state = if rules_of::next_step(&steps, at, picked).is_none() && next_at == now {
        "done"
    } else {
        "active"
    };
    let note = notes.join("; ");
    journeys::finish(
        tx,
        run.id,
        i32::try_from(at).unwrap_or(i32::MAX),
        next_at,
        state,
        &note,
        now,
    )
    .await?;
    if !notes.is_empty() {
        audit::record(
            tx,
            audit::Note {
                actor: &actor,
                local_party_id: Some(j.local_party_id),
                action: "journey.step",
                subject: &l.public_id,
                detail: &note,
                people: &[l.person_id],
            },
        )
        .await?;
    }
    Ok(true)
}

/// Takes one step for one person (a wait does nothing here); says what it did, in words.
async fn take(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    actor: &str,
    l: &Listed,
    action: &Action,
) -> Result<String> {
    match action {
        Action::Email { subject, body } => welcome_email(tx, rules, today, l, subject, body).await,
        Action::Buddy => buddy(tx, actor, l, today).await,
        Action::Task { kind } => {
            let note = format!(
                "From the journey ({})",
                actor.trim_start_matches("journey: ")
            );
            Ok(
                match super::tasks::for_their_branch(tx, actor, l, *kind, today, &note, TASK_DAYS)
                    .await?
                {
                    Some(to) => format!("{} for {to}", kind.label()),
                    None => format!(
                        "no {}: nobody holds a membership role for their branch",
                        kind.label()
                    ),
                },
            )
        }
        // The run waits: its next step is due later, which the caller sets.
        Action::Wait { days } => Ok(format!("waiting {days} days")),
        Action::Queue { list } => queue(tx, l, list).await,
    }
}

/// Puts someone on the local party's call list of that name, as a list takes people: only
/// with phone consent and a number.
async fn queue(tx: &mut Tx, l: &Listed, name: &str) -> Result<String> {
    let Some(list) = crate::store::calls::by_name(tx, l.local_party_id, name).await? else {
        return Ok(format!(
            "not queued: there is no call list called \"{name}\""
        ));
    };
    let grants = [crate::domain::access::Grant::everyone_in(l.local_party_id)];
    let agreed = crate::store::roster::details(tx, &grants, 0, l.person_id)
        .await?
        .is_some_and(|d| d.phone_consent == Some(true));
    if !agreed {
        return Ok("not queued: has not agreed to phone calls".into());
    }
    if l.mobile.is_none() && l.phone.is_none() {
        return Ok("not queued: has no phone number".into());
    }
    Ok(
        if crate::store::calls::add_person(tx, list.id, l.person_id).await? {
            format!("on the call list \"{}\"", list.name)
        } else {
            format!("already on the call list \"{}\"", list.name)
        },
    )
}

/// A journey's email: a members' notice, so only to someone entitled to members'
/// communications whose address has not bounced.
async fn welcome_email(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    l: &Listed,
    subject: &str,
    body: &str,
) -> Result<String> {
    let status = l.status(&rules.status, today);
    let entitled = super::emails::entitled(
        tx,
        rules,
        today,
        &[(l.membership_id, Kind::parse(&l.kind), status)],
    )
    .await?
    .contains(&l.membership_id);
    let suppressed = match l.email.as_deref() {
        Some(a) => outbox::is_suppressed(tx, a).await?,
        None => false,
    };
    let unsubscribed = !emails::unsubscribed(tx, &[l.person_id]).await?.is_empty();
    if let Err(why) = crate::domain::emails::decide(
        Purpose::Notice,
        &Facts {
            address: l.email.as_deref(),
            email_consent: l.email_consent,
            unsubscribed,
            suppressed,
            entitled,
        },
    ) {
        return Ok(format!("no email: {}", why.label()));
    }
    let party = units::name_of(tx, l.local_party_id).await?;
    let merge = Merge::of(
        [&l.first_name, &l.last_name, &l.membership_number],
        l.branch_name.as_deref().or(Some("your branch")),
        l.paid_until,
        &party,
    );
    let rendered = crate::domain::emails::render(
        subject,
        body,
        &merge,
        &Frame {
            purpose: Purpose::Notice,
            imprint: None,
            local_party: &party,
        },
    )
    .map_err(|e| AppError::field("steps", e))?;
    let to = l.email.as_deref().unwrap_or_default();
    outbox::enqueue_with(
        tx,
        to,
        &rendered.subject,
        &rendered.text,
        outbox::Extras {
            html: Some(&rendered.html),
            calendar: None,
        },
    )
    .await?;
    Ok(format!("emailed \"{}\"", rendered.subject))
}

/// A buddy: one of the buddies of their branch (else of the local party; where there are
/// none, the callers), the one with the fewest people shared, who is shared this person
/// and given a welcome call-back.
async fn buddy(tx: &mut Tx, actor: &str, l: &Listed, today: NaiveDate) -> Result<String> {
    let roles = accounts::roles_in(tx, &[l.local_party_id]).await?;
    let holding =
        |role: Role| -> Vec<_> { roles.iter().filter(|r| r.role == role.name()).collect() };
    let buddies = holding(Role::Buddy);
    let callers: Vec<_> = if buddies.is_empty() {
        holding(Role::Caller)
    } else {
        buddies
    };
    let here: Vec<_> = callers
        .iter()
        .filter(|r| Some(r.unit_slug.as_str()) == l.branch_slug.as_deref())
        .collect();
    let pool = if here.is_empty() {
        callers.iter().collect::<Vec<_>>()
    } else {
        here
    };
    let mut best: Option<(i64, String, i64)> = None;
    for r in pool {
        let Some(user) = accounts::user_by_public_id(tx, &r.user_public_id).await? else {
            continue;
        };
        if user.disabled_at.is_some() {
            continue;
        }
        let load = accounts::shared_count(tx, user.id).await?;
        if best.as_ref().is_none_or(|(_, _, n)| load < *n) {
            best = Some((user.id, user.email.clone(), load));
        }
    }
    let Some((user_id, email, _)) = best else {
        return Ok(
            "no buddy: nobody holds the buddy or caller role for their branch or the local party"
                .into(),
        );
    };
    accounts::share_with_caller(tx, user_id, l.person_id).await?;
    let due = today
        .checked_add_days(chrono::Days::new(BUDDY_CALL_DAYS))
        .unwrap_or(today);
    super::tasks::open_by(
        tx,
        actor,
        l,
        crate::domain::calls::TaskKind::CallBack,
        user_id,
        due,
        Some("Be their buddy: a welcome call, and a hand at their first event"),
    )
    .await?;
    Ok(format!("buddy {email}"))
}

/// A journey with its steps read.
pub struct Shown {
    pub journey: Journey,
    pub steps: Vec<Step>,
    /// The branch it is for (slug, name); none for the whole local party.
    pub unit: Option<(String, String)>,
}

/// The journeys of `who`'s local parties.
pub async fn list(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<Shown>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let found = journeys::list(tx, &who.scope.local_parties).await?;
    let ids: Vec<i64> = found.iter().filter_map(|j| j.unit_id).collect();
    let units = units::named(tx, &ids).await?;
    Ok(found
        .into_iter()
        .map(|journey| Shown {
            steps: rules_of::parse_steps(&journey.steps).unwrap_or_default(),
            unit: units
                .iter()
                .find(|u| Some(u.id) == journey.unit_id)
                .map(|u| (u.slug.clone(), u.name.clone())),
            journey,
        })
        .collect())
}

pub async fn find(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Journey> {
    if !who.scope.is_officer() {
        return Err(AppError::NotFound);
    }
    journeys::get(tx, &who.scope.local_parties, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A journey's board: for each step, the people in `who`'s read scope waiting at it;
/// then those who finished and those taken off. Audited naming everyone shown.
pub struct Board {
    pub journey: Journey,
    pub steps: Vec<Step>,
    /// People at each step (by index), with when their next step is due.
    pub at: Vec<Vec<(Listed, DateTime<Utc>)>>,
    pub done: Vec<(Listed, Option<String>)>,
    pub stopped: Vec<(Listed, Option<String>)>,
    pub may_change: bool,
}

pub async fn board(tx: &mut Tx, who: &Principal, id: &str) -> Result<Board> {
    let journey = find(tx, who, id).await?;
    let steps = rules_of::parse_steps(&journey.steps).unwrap_or_default();
    let runs = journeys::of_journey(tx, journey.id).await?;
    let ids: Vec<i64> = runs.iter().map(|r| r.person_id).collect();
    let visible = roster::visible_people(tx, &who.scope.read, who.user.id, &ids).await?;
    let seen: HashMap<i64, Listed> = roster::everyone_of(tx, journey.local_party_id, &ids)
        .await?
        .into_iter()
        .filter(|l| visible.contains(&l.person_id))
        .map(|l| (l.person_id, l))
        .collect();
    let mut at: Vec<Vec<(Listed, DateTime<Utc>)>> = vec![Vec::new(); steps.len().max(1)];
    let (mut done, mut stopped) = (Vec::new(), Vec::new());
    let mut shown = Vec::new();
    for r in &runs {
        let Some(l) = seen.get(&r.person_id) else {
            continue;
        };
        shown.push(l.clone());
        match r.state.as_str() {
            "done" => done.push((l.clone(), r.note.clone())),
            "stopped" => stopped.push((l.clone(), r.note.clone())),
            _ => {
                let i = usize::try_from(r.step).unwrap_or(0).min(at.len() - 1);
                at[i].push((l.clone(), r.next_at));
            }
        }
    }
    super::audit::listed(
        tx,
        who,
        "member.list",
        &format!("the journey {}", journey.name),
        &shown,
    )
    .await?;
    Ok(Board {
        may_change: may_change(tx, who, &journey).await?,
        journey,
        steps,
        at,
        done,
        stopped,
    })
}

/// Takes someone `who` may change off a journey.
pub async fn take_off(
    tx: &mut Tx,
    who: &Principal,
    id: &str,
    person: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let journey = find(tx, who, id).await?;
    let l = super::members::find_writable(tx, who, person).await?;
    let note = format!("taken off by {}", who.actor());
    if !journeys::stop(tx, journey.id, l.person_id, &note, now).await? {
        return Err(AppError::field("person", "is not on this journey now"));
    }
    super::audit::about(tx, who, &l, "journey.stop", &journey.name).await
}

/// A journey's name and steps checked, every mistake in the steps named by its line.
fn checked(name: &str, steps: &str) -> Result<String> {
    let mut problems = Vec::new();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let problem = |field: &str, message: String| crate::domain::filter::FieldProblem {
        field: field.into(),
        message,
    };
    if let Err(e) = crate::domain::fields::check_text(&name, false) {
        problems.push(problem("name", e));
    } else if name.is_empty() || name.chars().count() > 100 {
        problems.push(problem(
            "name",
            "give it a name of at most 100 characters".into(),
        ));
    }
    if let Err(e) = crate::domain::fields::check_text(steps, true) {
        problems.push(problem("steps", e));
    } else if let Err(lines) = rules_of::parse_steps(steps) {
        problems.extend(
            lines
                .into_iter()
                .map(|p| problem("steps", format!("line {}: {}", p.line, p.message))),
        );
    }
    if problems.is_empty() {
        Ok(name)
    } else {
        Err(AppError::Invalid(problems))
    }
}

/// Makes a journey, on from now: for `who`'s whole local party (`unit` blank, or the
/// local party's own slug), or for one branch they organise for.
pub async fn create(
    tx: &mut Tx,
    who: &Principal,
    unit: &str,
    (name, trigger, steps): (&str, &str, &str),
    now: DateTime<Utc>,
) -> Result<String> {
    let (lp, unit_id) = match super::events::placed(tx, who, unit).await? {
        Some((lp, u)) if u != lp => (lp, Some(u)),
        Some((lp, _)) if changes_party_journeys(who, lp) => (lp, None),
        Some(_) => return Err(AppError::Forbidden),
        None if unit.trim().is_empty() => {
            let lp = who.home_party().ok_or(AppError::Forbidden)?;
            if !changes_party_journeys(who, lp) {
                return Err(AppError::Forbidden);
            }
            (lp, None)
        }
        None => {
            return Err(AppError::field(
                "unit",
                "choose your local party or a branch you organise for",
            ));
        }
    };
    let wrong_trigger = crate::domain::filter::FieldProblem {
        field: "trigger".into(),
        message: "choose what starts it: joined, first_event, rejoined or became_officer".into(),
    };
    let (name, trigger) = match (checked(name, steps), Trigger::parse(trigger)) {
        (Ok(name), Some(t)) => (name, t),
        (Ok(_), None) => return Err(AppError::Invalid(vec![wrong_trigger])),
        (Err(AppError::Invalid(mut p)), None) => {
            p.push(wrong_trigger);
            return Err(AppError::Invalid(p));
        }
        (Err(e), _) => return Err(e),
    };
    let id = journeys::create(
        tx,
        (lp, unit_id),
        &name,
        trigger.as_str(),
        steps,
        who.actor(),
        now,
    )
    .await?;
    super::audit::note(tx, who, Some(lp), "journey.update", &name, "made; on", &[]).await?;
    Ok(id)
}

/// Changes a journey's name, steps and whether it is on; every mistake in the steps is
/// named by its line.
pub async fn update(
    tx: &mut Tx,
    who: &Principal,
    id: &str,
    name: &str,
    steps: &str,
    active: bool,
    now: DateTime<Utc>,
) -> Result<Journey> {
    let journey = find(tx, who, id).await?;
    if !may_change(tx, who, &journey).await? {
        return Err(AppError::Forbidden);
    }
    let name = checked(name, steps)?;
    journeys::update(tx, &journey, &name, steps, active, now).await?;
    super::audit::note(
        tx,
        who,
        Some(journey.local_party_id),
        "journey.update",
        &name,
        if active {
            "changed; on"
        } else {
            "changed; off"
        },
        &[],
    )
    .await?;
    find(tx, who, id).await
}
