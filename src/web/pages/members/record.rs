//! One person's record: details, consents, history, payments, calls and tasks, and who
//! opened it; sharing them with a caller.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use crate::app::members;
use crate::domain::calls::TaskKind;
use crate::domain::{Ending, EventKind, History, Kind};
use crate::store::roster::{self};
use crate::store::{accounts, audit, calls};
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Nav, consent_text, kind_label, opt_date, uk_date};
use crate::web::{AppState, WebError};

/// One line of the timeline.
pub struct TimelineItem {
    pub date: String,
    pub what: String,
    pub detail: String,
    pub gap: bool,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    nav: Nav,
    id: String,
    name: String,
    number: String,
    status: &'static str,
    status_code: &'static str,
    limited: bool,
    can_write: bool,
    fields: Vec<(&'static str, String)>,
    phones: Vec<(String, String)>,
    /// The person said no to phone calls: numbers are shown, but not to be dialled.
    no_calls: bool,
    consents: Vec<(&'static str, &'static str, String)>,
    tags: Vec<String>,
    notes: String,
    timeline: Vec<TimelineItem>,
    continuous_since: String,
    payments: Vec<(String, String, String, String)>,
    viewers: Vec<(String, String)>,
    callers: Vec<(String, String)>,
    tasks: Vec<(&'static str, String, String, String)>,
    assignees: Vec<(String, String)>,
    task_kinds: Vec<(&'static str, &'static str)>,
    saved: bool,
}

fn event_label(k: EventKind) -> String {
    let s = k.as_str().replace('_', " ");
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

pub async fn member_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
    Query(sq): Query<SavedQuery>,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let l = members::find(&mut tx, &officer, &id).await?;
    let can_write = roster::get(&mut tx, &officer.scope.write, officer.user.id, &id)
        .await?
        .is_some();
    let limited = !officer.scope.is_officer();
    let d = members::details(&mut tx, &officer, &l).await?;
    let status = l.status(&state.rules.status, today);
    let events = members::history(&mut tx, &officer, &l).await?;
    let history = History::at(&state.rules.status, &events, today);
    let mut dated: Vec<(NaiveDate, TimelineItem)> = events
        .iter()
        .map(|e| {
            let detail = e.detail.clone().unwrap_or_else(|| {
                e.paid_until
                    .map(|p| format!("paid until {}", uk_date(&p)))
                    .unwrap_or_default()
            });
            (
                e.on,
                TimelineItem {
                    date: uk_date(&e.on),
                    what: event_label(e.kind),
                    detail,
                    gap: false,
                },
            )
        })
        .collect();
    // Derived lapses are not recorded events; the spans show them, so a gap is never hidden.
    for s in &history.spans {
        if let Some((end, Ending::Lapsed)) = s.end
            && !events
                .iter()
                .any(|e| e.kind == EventKind::Lapsed && e.on == end)
        {
            dated.push((
                end,
                TimelineItem {
                    date: uk_date(&end),
                    what: "Lapsed".into(),
                    detail: "in arrears too long: membership broken here".into(),
                    gap: true,
                },
            ));
        }
    }
    for (at, outcome, notes, by, flagged) in calls::outcomes_for(&mut tx, l.person_id).await? {
        let label = crate::domain::calls::Outcome::parse(&outcome).map_or("Call", |o| o.label());
        let on = at.date_naive();
        let mut detail = format!("by {by}");
        if let Some(n) = notes {
            detail.push_str(&format!(": {n}"));
        }
        if flagged {
            detail.push_str(" (needs an officer)");
        }
        dated.push((
            on,
            TimelineItem {
                date: uk_date(&on),
                what: format!("Call: {label}"),
                detail,
                gap: false,
            },
        ));
    }
    dated.sort_by_key(|(on, _)| *on);
    let timeline: Vec<TimelineItem> = dated.into_iter().map(|(_, item)| item).collect();
    let payments = if limited {
        Vec::new()
    } else {
        members::payments(&mut tx, &officer, &id)
            .await?
            .1
            .into_iter()
            .map(|p| {
                (
                    uk_date(&p.paid_on),
                    format!("£{}.{:02}", p.amount_pence / 100, p.amount_pence % 100),
                    p.method.replace('_', " "),
                    format!("{} to {}", uk_date(&p.period_from), uk_date(&p.period_to)),
                )
            })
            .collect()
    };
    let viewers = roster::viewers(&mut tx, l.person_id, 10)
        .await?
        .into_iter()
        .map(|(at, who)| (at.format("%-d %b %Y %H:%M").to_string(), who))
        .collect();
    let tags = members::tags(&mut tx, &officer, &l).await?;
    let open_tasks = if limited {
        Vec::new()
    } else {
        crate::store::tasks::for_person(&mut tx, l.person_id)
            .await?
            .into_iter()
            .map(|t| {
                let kind = TaskKind::parse(&t.kind).map_or("Follow up", TaskKind::label);
                (
                    kind,
                    uk_date(&t.due_on),
                    t.assignee,
                    t.notes.unwrap_or_default(),
                )
            })
            .collect()
    };
    let assignees = if can_write {
        accounts::role_holders(&mut tx, l.local_party_id).await?
    } else {
        Vec::new()
    };
    let callers = if can_write {
        accounts::callers_in(&mut tx, l.local_party_id)
            .await?
            .into_iter()
            .map(|r| (r.user_public_id, r.name))
            .collect()
    } else {
        Vec::new()
    };
    audit::record(
        &mut tx,
        audit::Note {
            actor: officer.actor(),
            local_party_id: Some(l.local_party_id),
            action: "member.view",
            subject: &l.public_id,
            detail: &format!("{} {} ({})", l.first_name, l.last_name, l.membership_number),
            people: &[l.person_id],
        },
    )
    .await?;
    tx.commit().await?;
    let mut phones = Vec::new();
    for (label, v) in [("Mobile", &l.mobile), ("Phone", &l.phone)] {
        if let Some(n) = v {
            phones.push((label.to_string(), n.clone()));
        }
    }
    let fields: Vec<(&'static str, String)> = if limited {
        Vec::new()
    } else {
        vec![
            ("Email", l.email.clone().unwrap_or_default()),
            (
                "Address",
                [
                    d.address_line1.clone(),
                    d.address_line2.clone(),
                    d.town.clone(),
                    l.postcode.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
            ),
            ("Ward", d.ward.clone().unwrap_or_default()),
            (
                "Branch",
                l.branch_name.clone().unwrap_or_else(|| "No branch".into()),
            ),
            (
                "Rate",
                state
                    .rules
                    .rates
                    .iter()
                    .find(|r| r.code == l.rate)
                    .map(|r| r.name.clone())
                    .unwrap_or_else(|| l.rate.clone()),
            ),
            (
                "Kind",
                Kind::parse(&l.kind)
                    .map(kind_label)
                    .unwrap_or("Unknown")
                    .to_string(),
            ),
            (
                "Gender",
                l.gender
                    .clone()
                    .map(|g| g.replace('_', "-"))
                    .unwrap_or_else(|| "Not given".into()),
            ),
            ("Date of birth", opt_date(d.date_of_birth)),
            (
                "Affiliated organisation",
                d.affiliate.clone().unwrap_or_default(),
            ),
            ("Joined", uk_date(&l.joined_on)),
            ("Paid until", opt_date(l.paid_until)),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    };
    let consents = [
        ("Email", d.email_consent, &d.email_consent_source),
        ("Phone", d.phone_consent, &d.phone_consent_source),
        ("Text messages", d.sms_consent, &d.sms_consent_source),
        ("Post", d.post_consent, &d.post_consent_source),
    ]
    .into_iter()
    .map(|(label, v, src)| (label, consent_text(v), src.clone().unwrap_or_default()))
    .collect();
    let page = MemberPage {
        nav: officer.nav(),
        id: l.public_id.clone(),
        name: format!("{} {}", l.first_name, l.last_name),
        number: l.membership_number.clone(),
        status: status.label(),
        status_code: status.as_str(),
        limited,
        can_write,
        fields,
        phones,
        no_calls: d.phone_consent == Some(false),
        consents,
        tags: if limited { Vec::new() } else { tags },
        notes: if limited {
            String::new()
        } else {
            d.notes.clone().unwrap_or_default()
        },
        timeline: if limited { Vec::new() } else { timeline },
        continuous_since: opt_date(history.continuous_since(today)),
        payments,
        viewers: if limited { Vec::new() } else { viewers },
        callers,
        tasks: open_tasks,
        assignees,
        task_kinds: TaskKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        saved: !sq.saved.is_empty(),
    };
    Ok(Html(page.render()?))
}

#[derive(serde::Deserialize)]
pub struct ShareForm {
    caller: String,
}

pub async fn share(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<ShareForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let callers = accounts::callers_in(&mut tx, l.local_party_id).await?;
    let Some(caller) = callers.iter().find(|c| c.user_public_id == form.caller) else {
        return Err(WebError::BadRequest(
            "Choose one of the local party's callers.".into(),
        ));
    };
    let user = accounts::user_by_public_id(&mut tx, &caller.user_public_id)
        .await?
        .ok_or(WebError::NotFound)?;
    accounts::share_with_caller(&mut tx, user.id, l.person_id).await?;
    audit::record(
        &mut tx,
        audit::Note {
            actor: officer.actor(),
            local_party_id: Some(l.local_party_id),
            action: "member.share",
            subject: &l.public_id,
            detail: &format!("shared with caller {}", user.email),
            people: &[l.person_id],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}?saved=shared")).into_response())
}
