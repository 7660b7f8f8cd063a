//! One person's record: details, consents, history, payments, calls and tasks, and who
//! opened it; sharing them with a caller.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use crate::app::members;
use crate::domain::calls::TaskKind;
use crate::domain::forms::PAYMENT_METHODS;
use crate::domain::{Gender, Kind};
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Choice, Labelled, Nav, consent_text, opt_date, uk_date};
use crate::web::{AppState, WebError};

/// One line of the timeline.
pub struct TimelineItem {
    pub date: String,
    pub what: String,
    pub detail: String,
    pub gap: bool,
}

/// A survey they answered: each question with their answer.
struct Answered {
    title: String,
    on: String,
    answers: Vec<(String, String)>,
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
    fields: Vec<Labelled>,
    phones: Vec<Labelled>,
    /// The person said no to phone calls: numbers are shown, but not to be dialled.
    no_calls: bool,
    consents: Vec<ConsentLine>,
    tags: Vec<String>,
    notes: String,
    timeline: Vec<TimelineItem>,
    continuous_since: String,
    payments: Vec<PaymentLine>,
    /// When the record was opened, and by whom.
    viewers: Vec<Labelled>,
    callers: Vec<Choice>,
    tasks: Vec<TaskLine>,
    assignees: Vec<Choice>,
    task_kinds: Vec<Choice>,
    saved: bool,
    emails: Vec<EmailLine>,
    bounce: Option<String>,
    /// Each right with why not, when not.
    rights: Vec<(String, Option<String>)>,
    forums: Vec<ForumLine>,
    forum_choices: Vec<Choice>,
    /// Events: (id, title, day, what became of them).
    occasions: Vec<(String, String, String, &'static str)>,
    /// How they were welcomed: how, by whom, on.
    welcomes: Vec<(&'static str, String, String)>,
    /// Journeys: (id, name, where they are, what was done last).
    journeys: Vec<(String, String, &'static str, String)>,
    /// Courses done: (course, on, provider, recorded by).
    training: Vec<(String, String, String, String)>,
    surveys: Vec<Answered>,
}

/// A stint in a forum branch, as the member page lists it.
struct ForumLine {
    slug: String,
    name: String,
    /// "since 3 Mar 2025", or "3 Mar 2025 to 1 Jun 2026".
    when: String,
    how: &'static str,
    current: bool,
    opted_in: bool,
}

/// An email sent to the person, as their page lists it.
struct EmailLine {
    id: String,
    subject: String,
    what: String,
}

/// One channel's consent: given or not, and where that came from.
struct ConsentLine {
    label: &'static str,
    value: &'static str,
    source: String,
}

struct PaymentLine {
    on: String,
    amount: String,
    method: String,
    covers: String,
}

/// An open follow-up about this person.
struct TaskLine {
    kind: &'static str,
    due: String,
    who: String,
    notes: String,
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
    let r = members::record(&mut tx, &officer, &state.rules, today, &id).await?;
    tx.commit().await?;
    let (l, d) = (&r.person, &r.details);
    let mut phones = Vec::new();
    for (label, v) in [("Mobile", &l.mobile), ("Phone", &l.phone)] {
        if let Some(n) = v {
            phones.push(Labelled::new(label, n.clone()));
        }
    }
    let consents = [
        ("Email", d.email_consent, &d.email_consent_source),
        ("Phone", d.phone_consent, &d.phone_consent_source),
        ("Text messages", d.sms_consent, &d.sms_consent_source),
        ("Post", d.post_consent, &d.post_consent_source),
    ]
    .into_iter()
    .map(|(label, v, src)| ConsentLine {
        label,
        value: consent_text(v),
        source: src.clone().unwrap_or_default(),
    })
    .collect();
    let forums = r
        .forums
        .iter()
        .map(|f| {
            let how = crate::domain::forums::How::parse(&f.how);
            ForumLine {
                slug: f.slug.clone(),
                name: f.name.clone(),
                when: match f.left_on {
                    None => format!("since {}", uk_date(&f.joined_on)),
                    Some(left) => format!("{} to {}", uk_date(&f.joined_on), uk_date(&left)),
                },
                how: how.map_or("", |h| h.label()),
                current: f.left_on.is_none(),
                opted_in: how == Some(crate::domain::forums::How::OptedIn),
            }
        })
        .collect();
    let occasions = r
        .occasions
        .iter()
        .map(|e| {
            (
                e.public_id.clone(),
                e.title.clone(),
                uk_date(&e.starts_at.date_naive()),
                crate::domain::events::Attendance::parse(&e.state)
                    .map_or("", crate::domain::events::Attendance::label),
            )
        })
        .collect();
    let welcomes = r
        .welcomes
        .iter()
        .map(|w| {
            (
                crate::domain::WelcomeHow::parse(&w.how)
                    .map_or("", crate::domain::WelcomeHow::label),
                w.by_actor.clone(),
                uk_date(&w.at.date_naive()),
            )
        })
        .collect();
    let journeys = r
        .journeys
        .iter()
        .map(|j| {
            (
                j.public_id.clone(),
                j.name.clone(),
                match j.state.as_str() {
                    "done" => "finished",
                    "stopped" => "taken off",
                    _ => "on it now",
                },
                j.note.clone().unwrap_or_default(),
            )
        })
        .collect();
    let training = r
        .training
        .iter()
        .map(|c| {
            (
                c.course.clone(),
                uk_date(&c.on_date),
                c.provider.clone().unwrap_or_default(),
                c.recorded_by.clone(),
            )
        })
        .collect();
    let surveys = r
        .surveys
        .iter()
        .map(|a| Answered {
            title: a.title.clone(),
            on: uk_date(&a.answered_at.date_naive()),
            answers: a.answers.clone(),
        })
        .collect();
    let page = MemberPage {
        training,
        surveys,
        welcomes,
        journeys,
        occasions,
        forums,
        forum_choices: Choice::options(r.forum_choices.clone()),
        nav: officer.nav(),
        id: l.public_id.clone(),
        name: format!("{} {}", l.first_name, l.last_name),
        number: l.membership_number.clone(),
        status: r.status.label(),
        status_code: r.status.as_str(),
        limited: r.limited,
        can_write: r.can_write,
        fields: if r.limited {
            Vec::new()
        } else {
            fields(&r, &state)
        },
        phones,
        no_calls: d.phone_consent == Some(false),
        consents,
        tags: r.tags.clone(),
        notes: d.notes.clone().unwrap_or_default(),
        timeline: timeline(&r),
        continuous_since: opt_date(r.continuous_since),
        payments: r
            .payments
            .iter()
            .map(|p| PaymentLine {
                on: uk_date(&p.paid_on),
                amount: format!("£{}.{:02}", p.amount_pence / 100, p.amount_pence % 100),
                method: PAYMENT_METHODS
                    .iter()
                    .find(|(code, _)| *code == p.method)
                    .map_or_else(|| p.method.clone(), |(_, label)| (*label).to_string()),
                covers: format!("{} to {}", uk_date(&p.period_from), uk_date(&p.period_to)),
            })
            .collect(),
        viewers: r
            .viewers
            .iter()
            .map(|v| Labelled::new(v.at.format("%-d %b %Y %H:%M").to_string(), v.by.clone()))
            .collect(),
        callers: Choice::options(r.callers.clone()),
        tasks: r
            .tasks
            .iter()
            .map(|t| {
                let kind = TaskKind::parse(&t.kind).map_or("Follow up", TaskKind::label);
                TaskLine {
                    kind,
                    due: uk_date(&t.due_on),
                    who: t.assignee.clone(),
                    notes: t.notes.clone().unwrap_or_default(),
                }
            })
            .collect(),
        assignees: Choice::options(r.assignees.clone()),
        task_kinds: Choice::options(TaskKind::BY_HAND.iter().map(|k| (k.as_str(), k.label()))),
        saved: !sq.saved.is_empty(),
        emails: r
            .emails
            .iter()
            .map(|e| EmailLine {
                id: e.email_public_id.clone(),
                subject: e.subject.clone(),
                what: match (e.state.as_str(), e.sent_at) {
                    ("sent", Some(at)) => format!("sent {}", at.format("%-d %b %Y %H:%M")),
                    ("failed", _) => {
                        format!("not delivered: {}", e.reason.clone().unwrap_or_default())
                    }
                    ("unknown", _) => "may have gone; the sender stopped mid-send".into(),
                    _ => "waiting to be sent".into(),
                },
            })
            .collect(),
        rights: r.rights.clone(),
        bounce: r.bounce.as_ref().map(|(why, at)| {
            format!(
                "Mail to this address bounced on {} ({why}); nothing more is sent to it.",
                at.format("%-d %b %Y")
            )
        }),
    };
    Ok(Html(page.render()?))
}

/// The record's labelled fields, blank ones left out.
fn fields(r: &members::Record, state: &AppState) -> Vec<Labelled> {
    let (l, d) = (&r.person, &r.details);
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
        ("Rate", state.rules.rate_name(&l.rate)),
        (
            "Kind",
            Kind::parse(&l.kind)
                .map(Kind::label)
                .unwrap_or("Unknown")
                .to_string(),
        ),
        (
            "Gender",
            l.gender
                .as_deref()
                .and_then(Gender::parse)
                .map_or_else(|| "Not given".into(), |g| g.label().to_string()),
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
    .map(|(label, value)| Labelled::new(label, value))
    .collect()
}

/// History, gaps and calls in date order. Derived lapses are not recorded events; they
/// are shown as gaps, so a break in membership is never hidden.
fn timeline(r: &members::Record) -> Vec<TimelineItem> {
    let mut dated: Vec<(NaiveDate, TimelineItem)> = r
        .events
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
                    what: e.kind.label().into(),
                    detail,
                    gap: false,
                },
            )
        })
        .collect();
    for end in &r.unrecorded_lapses {
        dated.push((
            *end,
            TimelineItem {
                date: uk_date(end),
                what: "Lapsed".into(),
                detail: "in arrears too long: membership broken here".into(),
                gap: true,
            },
        ));
    }
    for c in &r.calls {
        let label = crate::domain::calls::Outcome::parse(&c.outcome).map_or("Call", |o| o.label());
        let on = c.at.date_naive();
        let mut detail = format!("by {}", c.caller);
        if let Some(n) = &c.notes {
            detail.push_str(&format!(": {n}"));
        }
        if c.needs_officer {
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
    for c in &r.changes {
        let on = c.at.date_naive();
        let which = c.detail.strip_prefix("changed ").unwrap_or(&c.detail);
        dated.push((
            on,
            TimelineItem {
                date: uk_date(&on),
                what: "Details changed".into(),
                detail: format!("{which}, by {}", c.by),
                gap: false,
            },
        ));
    }
    dated.sort_by_key(|(on, _)| *on);
    dated.into_iter().map(|(_, item)| item).collect()
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
    members::share(&mut tx, &officer, &id, &form.caller).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}?saved=shared")).into_response())
}
