//! Call lists: an officer makes one from a report section or a segment and shares it
//! among callers; a caller works through it on their phone, one person at a time; the
//! organiser sees progress and the people flagged for an officer.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use std::collections::HashSet;

use crate::app::audit as app_audit;
use crate::domain::Channel;
use crate::domain::calls::{DoneWhen, Outcome, TaskKind};
use crate::domain::dates::parse_date;
use crate::domain::filter::MemberFilter;
use crate::report::ActionReport;
use crate::store::roster::{self, ListQuery};
use crate::store::{Mode, accounts, audit, calls, reports, segments, tasks};
use crate::web::auth::{NoFields, Officer, Posted};
use crate::web::view::{Choice, Nav, uk_date};
use crate::web::{AppState, WebError};

/// How long a caller holds a person before another caller may have them.
const HOLD_MINUTES: i64 = 20;

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    nav: Nav,
    lists: Vec<(String, String, i64, i64, i64)>,
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let found = calls::lists_for(
        &mut tx,
        &officer.scope.whole_parties(),
        officer.actor(),
        officer.user.id,
    )
    .await?;
    let mut lists = Vec::new();
    for l in found {
        let (waiting, done, blocked, _) = calls::progress(&mut tx, l.id).await?;
        lists.push((l.public_id, l.name, waiting, done, blocked));
    }
    tx.commit().await?;
    Ok(Html(
        CallsPage {
            nav: officer.nav(),
            lists,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "call_new.html")]
struct NewCallListPage {
    nav: Nav,
    source: String,
    source_label: String,
    name: String,
    callers: Vec<Choice>,
    error: Option<String>,
}

/// Who may be given a list to call: anyone holding a role in the local party.
async fn caller_choices(
    tx: &mut crate::store::Tx<impl Mode>,
    lp: i64,
) -> Result<Vec<Choice>, WebError> {
    Ok(accounts::role_holders(tx, lp)
        .await?
        .into_iter()
        .map(|(value, label)| Choice {
            value,
            label,
            picked: false,
        })
        .collect())
}

/// The people a source names, as (local party, person ids, what it is called).
async fn people_of(
    tx: &mut crate::store::Tx<impl Mode>,
    state: &AppState,
    officer: &Officer,
    source: &str,
) -> Result<(i64, Vec<i64>, String, usize), WebError> {
    let today = (state.today)();
    let (lp, mut filter, only, label) = match source.split(':').collect::<Vec<_>>()[..] {
        ["report", id, section] => {
            let kept = reports::get(tx, id, &officer.scope.local_parties)
                .await?
                .ok_or(WebError::NotFound)?;
            let report: ActionReport = serde_json::from_str(&kept.body)
                .map_err(|e| WebError::BadRequest(e.to_string()))?;
            let ids: HashSet<String> = report
                .sections
                .get(section)
                .ok_or(WebError::NotFound)?
                .iter()
                .map(|r| r.id.clone())
                .collect();
            let label = format!(
                "{} from the report {} to {}",
                section.replace('_', " "),
                uk_date(&kept.period_from),
                uk_date(&kept.period_to)
            );
            (
                kept.local_party_id,
                MemberFilter::default(),
                Some(ids),
                label,
            )
        }
        ["segment", id] => {
            let seg = segments::get(tx, id, &officer.scope.local_parties)
                .await?
                .ok_or(WebError::NotFound)?;
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(&seg.query).unwrap_or_default();
            let filter = MemberFilter::parse(&pairs).map_err(|_| {
                WebError::BadRequest("this segment's filters are no longer valid".into())
            })?;
            (
                seg.local_party_id,
                filter,
                None,
                format!("the segment {}", seg.name),
            )
        }
        _ => {
            return Err(WebError::BadRequest(
                "make a call list from a report section or a segment".into(),
            ));
        }
    };
    let total_before_consent = {
        let q = ListQuery {
            grants: &officer.scope.write,
            user_id: officer.user.id,
            filter: &filter,
            bounds: state.rules.status.bounds(today),
        };
        let (rows, _) = roster::list(tx, &q, None, 10_000_000).await?;
        rows.iter()
            .filter(|r| only.as_ref().is_none_or(|ids| ids.contains(&r.public_id)))
            .count()
    };
    // Only people who agreed to phone calls and have a number: consent comes first.
    filter.consents.retain(|(c, _)| *c != Channel::Phone);
    filter.consents.push((Channel::Phone, true));
    let q = ListQuery {
        grants: &officer.scope.write,
        user_id: officer.user.id,
        filter: &filter,
        bounds: state.rules.status.bounds(today),
    };
    let (rows, _) = roster::list(tx, &q, None, 10_000_000).await?;
    let people: Vec<i64> = rows
        .iter()
        .filter(|r| r.local_party_id == lp)
        .filter(|r| only.as_ref().is_none_or(|ids| ids.contains(&r.public_id)))
        .filter(|r| r.mobile.is_some() || r.phone.is_some())
        .map(|r| r.person_id)
        .collect();
    let left_out = total_before_consent.saturating_sub(people.len());
    Ok((lp, people, label, left_out))
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    from: String,
}

pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
    axum::extract::Query(q): axum::extract::Query<NewQuery>,
) -> Result<Html<String>, WebError> {
    if officer.scope.write.is_empty() {
        return Err(WebError::Forbidden);
    }
    let mut tx = state.db.begin_read().await?;
    let (lp, people, label, left_out) = people_of(&mut tx, &state, &officer, &q.from).await?;
    let callers = caller_choices(&mut tx, lp).await?;
    tx.commit().await?;
    Ok(Html(
        NewCallListPage {
            nav: officer.nav(),
            source: q.from,
            source_label: format!("{} people to call from {label}; {left_out} left out for want of phone consent or a number", people.len()),
            name: label,
            callers,
            error: None,
        }
        .render()?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    if officer.scope.write.is_empty() {
        return Err(WebError::Forbidden);
    }
    let source = field("from");
    let mut tx = state.db.begin().await?;
    let (lp, people, label, _) = people_of(&mut tx, &state, &officer, &source).await?;
    let picked: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "caller")
        .map(|(_, v)| v.clone())
        .collect();
    let mut caller_ids = Vec::new();
    for p in &picked {
        let Some(u) = accounts::role_holder(&mut tx, lp, p).await? else {
            return Err(WebError::BadRequest(
                "choose callers from the local party's officers and callers".into(),
            ));
        };
        caller_ids.push(u.id);
    }
    let name = field("name");
    let done_when = DoneWhen::parse(&field("done_when")).unwrap_or(DoneWhen::Reached);
    let gap: i32 = field("min_gap_hours").parse().unwrap_or(24);
    let error = if name.is_empty() || name.chars().count() > 100 {
        Some("Give the list a name of up to 100 characters.")
    } else if caller_ids.is_empty() {
        Some("Choose at least one caller.")
    } else if people.is_empty() {
        Some("Nobody on this list can be called: nobody has both phone consent and a number.")
    } else if !(0..=720).contains(&gap) {
        Some("The shortest time between calls is 0 to 720 hours.")
    } else {
        None
    };
    if let Some(error) = error {
        drop(tx);
        let mut tx = state.db.begin_read().await?;
        let callers = caller_choices(&mut tx, lp)
            .await?
            .into_iter()
            .map(|mut c| {
                c.picked = picked.contains(&c.value);
                c
            })
            .collect();
        tx.commit().await?;
        let page = NewCallListPage {
            nav: officer.nav(),
            source,
            source_label: label.clone(),
            name,
            callers,
            error: Some(error.into()),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    let id = calls::create(
        &mut tx,
        &calls::NewList {
            local_party_id: lp,
            name: &name,
            script: &field("script"),
            done_when: done_when.as_str(),
            min_gap_hours: gap,
            by: officer.actor(),
            people: &people,
            callers: &caller_ids,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Note {
            actor: officer.actor(),
            local_party_id: Some(lp),
            action: "calls.create",
            subject: &id,
            detail: &format!(
                "{name}: {} people from {label}, {} callers",
                people.len(),
                caller_ids.len()
            ),
            people: &people,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/calls/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "call_list.html")]
struct CallListPage {
    nav: Nav,
    id: String,
    name: String,
    script: String,
    organiser: bool,
    caller: bool,
    waiting: i64,
    done: i64,
    blocked: i64,
    total: i64,
    flagged: Vec<calls::Flagged>,
}

async fn load_list(
    tx: &mut crate::store::Tx<impl Mode>,
    officer: &Officer,
    id: &str,
) -> Result<(calls::CallList, bool, bool), WebError> {
    let list = calls::get(tx, id).await?.ok_or(WebError::NotFound)?;
    let organiser = officer.scope.whole_parties().contains(&list.local_party_id)
        || list.created_by == officer.actor();
    let caller = calls::is_caller(tx, list.id, officer.user.id).await?;
    if !organiser && !caller {
        return Err(WebError::NotFound);
    }
    Ok((list, organiser, caller))
}

pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let (list, organiser, caller) = load_list(&mut tx, &officer, &id).await?;
    let (waiting, done, blocked, _) = calls::progress(&mut tx, list.id).await?;
    let flagged = if organiser {
        calls::flagged(&mut tx, list.id).await?
    } else {
        Vec::new()
    };
    let named: Vec<(i64, i64)> = flagged
        .iter()
        .map(|f| (list.local_party_id, f.person_id))
        .collect();
    app_audit::people(
        &mut tx,
        &officer,
        "calls.view",
        &format!("flagged on {}", list.name),
        &named,
    )
    .await?;
    tx.commit().await?;
    Ok(Html(
        CallListPage {
            nav: officer.nav(),
            id,
            name: list.name,
            script: list.script,
            organiser,
            caller,
            waiting,
            done,
            blocked,
            total: waiting + done + blocked,
            flagged,
        }
        .render()?,
    ))
}

/// Claims the next person (a change, so a POST) and goes to the call page.
pub async fn next(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let (list, _, caller) = load_list(&mut tx, &officer, &id).await?;
    if !caller {
        return Err(WebError::Forbidden);
    }
    let now = Utc::now();
    let today = (state.today)();
    let renewed_counts = DoneWhen::parse(&list.done_when) == Some(DoneWhen::Renewed);
    // On a "done when renewed" list, people who renewed since it was made are done
    // without a call; skip past them (a bounded number at a time).
    for _ in 0..50 {
        let Some(person) = calls::claim_next(
            &mut tx,
            &list,
            officer.user.id,
            now,
            Duration::minutes(HOLD_MINUTES),
        )
        .await?
        else {
            break;
        };
        let renewed = renewed_counts
            && roster::for_call(&mut tx, list.id, officer.user.id, now)
                .await?
                .is_some_and(|l| l.status(&state.rules.status, today).in_good_standing());
        if renewed {
            calls::settle(&mut tx, list.id, person).await?;
            continue;
        }
        // The caller may now open this person's record (name and phone only).
        accounts::share_with_caller(&mut tx, officer.user.id, person).await?;
        break;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/calls/{id}/call")).into_response())
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    nav: Nav,
    list_id: String,
    list_name: String,
    script: String,
    person: Option<(String, String, String)>,
    earlier: Vec<(String, String, String, String)>,
    outcomes: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

async fn call_page(
    state: &AppState,
    officer: &Officer,
    id: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let (list, _, caller) = load_list(&mut tx, officer, id).await?;
    if !caller {
        return Err(WebError::Forbidden);
    }
    let held = roster::for_call(&mut tx, list.id, officer.user.id, Utc::now()).await?;
    let mut person = None;
    let mut earlier = Vec::new();
    if let Some(l) = held {
        let p = l.person_id;
        let number = l.mobile.clone().or(l.phone.clone()).unwrap_or_default();
        earlier = calls::outcomes_for(&mut tx, p)
            .await?
            .into_iter()
            .map(|(at, outcome, notes, by, _)| {
                let label = Outcome::parse(&outcome)
                    .map(Outcome::label)
                    .unwrap_or("Call");
                (
                    at.format("%-d %b %Y").to_string(),
                    label.to_string(),
                    notes.unwrap_or_default(),
                    by,
                )
            })
            .collect();
        audit::record(
            &mut tx,
            audit::Note {
                actor: officer.actor(),
                local_party_id: Some(l.local_party_id),
                action: "calls.open",
                subject: &l.public_id,
                detail: &format!("to call from {}", list.name),
                people: &[p],
            },
        )
        .await?;
        person = Some((
            l.public_id.clone(),
            format!("{} {}", l.first_name, l.last_name),
            number,
        ));
    }
    tx.commit().await?;
    let page = CallPage {
        nav: officer.nav(),
        list_id: id.to_string(),
        list_name: list.name,
        script: list.script,
        person,
        earlier,
        outcomes: Outcome::ALL
            .iter()
            .map(|o| (o.as_str(), o.label()))
            .collect(),
        error,
    };
    crate::web::render(&page, page.error.is_some())
}

pub async fn call(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    call_page(&state, &officer, &id, None).await
}

#[derive(serde::Deserialize)]
pub struct OutcomeForm {
    person: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    needs_officer: String,
    #[serde(default)]
    call_back_on: String,
}

pub async fn outcome(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<OutcomeForm>,
) -> Result<Response, WebError> {
    let Some(outcome) = Outcome::parse(&form.outcome) else {
        return call_page(
            &state,
            &officer,
            &id,
            Some("Choose what happened on the call.".into()),
        )
        .await;
    };
    if form.notes.chars().count() > 1000 {
        return call_page(
            &state,
            &officer,
            &id,
            Some("Keep notes to 1,000 characters.".into()),
        )
        .await;
    }
    let today = (state.today)();
    let call_back_on = match form.call_back_on.trim() {
        "" => today.succ_opt().unwrap_or(today),
        text => match parse_date(text) {
            Ok(d) if d >= today => d,
            Ok(_) => {
                let error = "The call-back date is in the past.".to_string();
                return call_page(&state, &officer, &id, Some(error)).await;
            }
            Err(e) => {
                return call_page(&state, &officer, &id, Some(format!("Call back on: {e}"))).await;
            }
        },
    };
    let mut tx = state.db.begin().await?;
    let (list, _, caller) = load_list(&mut tx, &officer, &id).await?;
    if !caller {
        return Err(WebError::Forbidden);
    }
    let l = roster::for_call(&mut tx, list.id, officer.user.id, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let held = l.person_id;
    if l.public_id != form.person {
        // Not the person this caller holds: as if they did not exist.
        return Err(WebError::NotFound);
    }
    let done_when = DoneWhen::parse(&list.done_when).unwrap_or(DoneWhen::Reached);
    let flag = !form.needs_officer.is_empty() || outcome.needs_officer();
    let notes = (!form.notes.trim().is_empty()).then(|| form.notes.trim().to_string());
    let recorded = calls::record(
        &mut tx,
        list.id,
        held,
        officer.user.id,
        outcome,
        notes.as_deref(),
        flag,
        outcome.next_state(done_when),
    )
    .await?;
    if !recorded {
        return Err(WebError::NotFound);
    }
    if outcome == Outcome::CallBack {
        tasks::create(
            &mut tx,
            &tasks::NewTask {
                local_party_id: l.local_party_id,
                person_id: held,
                kind: TaskKind::CallBack.as_str(),
                assignee_id: officer.user.id,
                due_on: call_back_on,
                notes: notes.as_deref(),
                by: officer.actor(),
            },
        )
        .await?;
    }
    audit::record(
        &mut tx,
        audit::Note {
            actor: officer.actor(),
            local_party_id: Some(l.local_party_id),
            action: "calls.outcome",
            subject: &l.public_id,
            detail: &format!(
                "{}{}",
                outcome.as_str(),
                if flag { ", needs an officer" } else { "" }
            ),
            people: &[held],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/calls/{id}/call")).into_response())
}
