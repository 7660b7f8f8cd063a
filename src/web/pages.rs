//! Officers' pages: the dashboard, the member list with its filters and segments, the
//! member page and its forms, and exports. Every read goes through `store::roster` with
//! the officer's scope, and every read, search, export and change of personal data is
//! written to the audit log in the same transaction.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;

use super::auth::{Officer, Posted, mail_folder};
use super::chart::{self, Chart};
use super::view::{Choice, Nav, Problems, opt_date, uk_date};
use super::{AppState, WebError};
use crate::app::{AppError, audit as app_audit, members, segments as app_segments};
use crate::domain::access::Grant;
use crate::domain::calls::TaskKind;
use crate::domain::fields::consent_field;
use crate::domain::filter::{Cursor, GenderFilter, MemberFilter, Sort};
use crate::domain::forms::{ContactInput, LeavingInput, PAYMENT_METHODS, PaymentInput};
use crate::domain::{Channel, Ending, EventKind, History, Kind, Status};
use crate::export;
use crate::store::roster::{self, ListQuery, Listed};
use crate::store::segments::Segment;
use crate::store::{Mode, Tx, accounts, audit, calls, units};

/// A row of the member list as the page shows it.
pub struct Row {
    pub id: String,
    pub number: String,
    pub name: String,
    pub branch: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub paid_until: String,
    pub contact: String,
}

fn row(l: &Listed, state: &AppState, today: NaiveDate) -> Row {
    let status = l.status(&state.rules.status, today);
    Row {
        id: l.public_id.clone(),
        number: l.membership_number.clone(),
        name: format!("{} {}", l.first_name, l.last_name),
        branch: l.branch_name.clone().unwrap_or_default(),
        status: status.label(),
        status_code: status.as_str(),
        paid_until: opt_date(l.paid_until),
        contact: l
            .mobile
            .clone()
            .or_else(|| l.phone.clone())
            .or_else(|| l.email.clone())
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    nav: Nav,
    today: String,
    counts: Vec<(&'static str, &'static str, i64)>,
    members: i64,
    good_standing: i64,
    chart: Chart,
    todo: Vec<(String, String, i64)>,
    mail_folder: Option<String>,
    assigned: Vec<Row>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let bounds = state.rules.status.bounds(today);
    let grants = &officer.scope.read;
    let uid = officer.user.id;
    let mut tx = state.db.begin().await?;
    let counts = roster::status_counts(&mut tx, grants, uid, &bounds).await?;
    let months = chart::last_twelve_months(today);
    let since = months[0];
    let joins = roster::joins_by_month(&mut tx, grants, uid, since).await?;
    let lapse_dates: Vec<NaiveDate> = roster::recent_lapses(
        &mut tx,
        grants,
        uid,
        &bounds,
        crate::domain::dates::sub_months(since, state.rules.status.lapse_after_months),
    )
    .await?
    .into_iter()
    .map(|(start, paid)| state.rules.status.lapses_on(start, paid))
    .collect();
    let chart = chart::joins_and_lapses(
        &months,
        &chart::bucket(&months, joins),
        &chart::bucket(&months, lapse_dates),
    );
    let count_of = |s: Status| counts.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
    let members: i64 = counts
        .iter()
        .filter(|(s, _)| s.is_member())
        .map(|(_, n)| n)
        .sum();
    let good_standing = count_of(Status::New) + count_of(Status::Current);
    let todo = vec![
        (
            "Welcome new members".to_string(),
            "/members?status=new&sort=-joined".to_string(),
            count_of(Status::New),
        ),
        (
            "Remind members in arrears".to_string(),
            "/members?status=in_arrears".to_string(),
            count_of(Status::InArrears),
        ),
        (
            "Win back members who lapsed this year".to_string(),
            // Lapsed within the chart's year: arrears began no more than the lapse period before it.
            format!(
                "/members?status=lapsed&paid_from={}",
                crate::domain::dates::sub_months(since, state.rules.status.lapse_after_months)
                    .pred_opt()
                    .unwrap_or(since)
            ),
            lapse_count(&chart),
        ),
    ];
    // A caller's home page is the list of people shared with them.
    let assigned = if officer.scope.is_officer() {
        Vec::new()
    } else {
        let filter = MemberFilter::default();
        let q = ListQuery {
            grants,
            user_id: uid,
            filter: &filter,
            bounds,
        };
        let (rows, _) = roster::list(&mut tx, &q, None, 100).await?;
        app_audit::listed(
            &mut tx,
            &officer,
            "member.list",
            "people shared with me",
            &rows,
        )
        .await?;
        rows.iter().map(|l| row(l, &state, today)).collect()
    };
    tx.commit().await?;
    let page = Dashboard {
        nav: officer.nav(),
        today: uk_date(&today),
        counts: counts
            .iter()
            .map(|(s, n)| (s.label(), s.as_str(), *n))
            .collect(),
        members,
        good_standing,
        chart,
        todo,
        mail_folder: mail_folder(&state),
        assigned,
    };
    Ok(Html(page.render()?))
}

fn lapse_count(c: &Chart) -> i64 {
    c.months.iter().map(|m| m.lapses.value as i64).sum()
}

fn query_pairs(raw: Option<String>) -> Result<Vec<(String, String)>, WebError> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).map_err(|_| {
        WebError::BadRequest("The address of this page is garbled; go back and try again.".into())
    })
}

fn query_string(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "members.html")]
struct MemberList {
    nav: Nav,
    q: String,
    rows: Vec<Row>,
    total: i64,
    next: Option<String>,
    first_page: Option<String>,
    problems: Problems,
    statuses: Vec<Choice>,
    branches: Vec<Choice>,
    rates: Vec<Choice>,
    kinds: Vec<Choice>,
    genders: Vec<Choice>,
    consents: Vec<Choice>,
    sorts: Vec<Choice>,
    dates: Vec<(&'static str, &'static str, String)>,
    tags: String,
    query: String,
    can_export: bool,
    filtered: bool,
}

async fn branch_choices(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    picked: &[String],
) -> Result<Vec<Choice>, WebError> {
    let mut out = Vec::new();
    let mut parties: Vec<i64> = grants.iter().map(|g| g.local_party_id).collect();
    parties.dedup();
    for lp in parties {
        for b in units::branches(tx, lp).await? {
            if crate::domain::access::sees_branch(grants, lp, b.id) {
                out.push(Choice {
                    picked: picked.contains(&b.slug),
                    value: b.slug,
                    label: b.name,
                });
            }
        }
    }
    Ok(out)
}

pub async fn member_list(
    State(state): State<AppState>,
    officer: Officer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw)?;
    let today = (state.today)();
    let (filter, problems) = match MemberFilter::parse(&pairs) {
        Ok(f) => (f, Problems::default()),
        Err(p) => (MemberFilter::default(), Problems(p)),
    };
    let cursor_text = pairs
        .iter()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.as_str());
    let cursor = match cursor_text.filter(|c| !c.is_empty()) {
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
            WebError::BadRequest("That page link is not valid; start from the first page.".into())
        })?),
        None => None,
    };
    let mut tx = state.db.begin().await?;
    let q = ListQuery {
        grants: &officer.scope.read,
        user_id: officer.user.id,
        filter: &filter,
        bounds: state.rules.status.bounds(today),
    };
    let (rows, next) = roster::list(&mut tx, &q, cursor.as_ref(), 50).await?;
    let total = roster::count(&mut tx, &q).await?;
    let query = query_string(&filter.to_pairs());
    app_audit::listed(
        &mut tx,
        &officer,
        "member.search",
        &format!("member list ?{query}"),
        &rows,
    )
    .await?;
    let branches = branch_choices(&mut tx, &officer.scope.read, &filter.branches).await?;
    tx.commit().await?;
    let with = |extra: Option<String>| {
        let mut p = filter.to_pairs();
        if let Some(c) = extra {
            p.push(("cursor", c));
        }
        format!("/members?{}", query_string(&p))
    };
    let raw_value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let picked_consent = |c: Channel, wanted: bool| filter.consents.contains(&(c, wanted));
    let page = MemberList {
        nav: officer.nav(),
        q: if problems.any() {
            raw_value("q")
        } else {
            filter.q.clone()
        },
        rows: rows.iter().map(|l| row(l, &state, today)).collect(),
        total,
        next: next.map(|c| with(Some(c.encode()))),
        first_page: cursor.map(|_| with(None)),
        statuses: Status::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                picked: filter.statuses.contains(s),
            })
            .collect(),
        branches,
        rates: state
            .rules
            .rates
            .iter()
            .filter(|r| r.valid_on(today))
            .map(|r| Choice {
                value: r.code.clone(),
                label: r.name.clone(),
                picked: filter.rates.contains(&r.code),
            })
            .collect(),
        kinds: Kind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: kind_label(*k).into(),
                picked: filter.kinds.contains(k),
            })
            .collect(),
        genders: GenderFilter::ALL
            .iter()
            .map(|g| Choice {
                value: g.as_str().into(),
                label: g.label().into(),
                picked: filter.genders.contains(g),
            })
            .collect(),
        consents: Channel::ALL
            .iter()
            .flat_map(|c| {
                [true, false].map(|wanted| Choice {
                    value: if wanted {
                        c.as_str().to_string()
                    } else {
                        format!("no_{}", c.as_str())
                    },
                    label: format!(
                        "{} {}",
                        if wanted { "Agreed to" } else { "No consent to" },
                        channel_label(*c)
                    ),
                    picked: picked_consent(*c, wanted),
                })
            })
            .collect(),
        sorts: Sort::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                picked: filter.sort == *s,
            })
            .collect(),
        dates: [
            ("joined_from", "Joined on or after"),
            ("joined_to", "Joined on or before"),
            ("paid_from", "Paid until on or after"),
            ("paid_to", "Paid until on or before"),
        ]
        .into_iter()
        .map(|(name, label)| (name, label, raw_value(name)))
        .collect(),
        tags: filter.tags.join(", "),
        can_export: !officer.scope.export.is_empty(),
        filtered: !filter.is_empty(),
        query,
        problems,
    };
    super::render(&page, page.problems.any())
}

pub fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Member => "Member",
        Kind::RegisteredSupporter => "Registered supporter",
        Kind::AffiliatedSupporter => "Affiliated supporter",
        Kind::Supporter => "Supporter",
        Kind::Contact => "Contact",
    }
}

fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Phone => "phone calls",
        Channel::Sms => "text messages",
        Channel::Post => "post",
    }
}

fn consent_text(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "Not asked",
    }
}

/// The export columns: what an officer needs to act on a list, no more.
const EXPORT_COLUMNS: &[&str] = &[
    "membership_number",
    "first_name",
    "last_name",
    "email",
    "mobile",
    "phone",
    "postcode",
    "branch",
    "rate",
    "kind",
    "gender",
    "status",
    "joined_on",
    "paid_until",
];

pub async fn export(
    State(state): State<AppState>,
    officer: Officer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw)?;
    let filter = MemberFilter::parse(&pairs).map_err(|p| {
        WebError::BadRequest(
            p.iter()
                .map(|x| format!("{}: {}", x.field, x.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let format = match pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str())
    {
        None | Some("csv") => export::Format::Csv,
        Some("xlsx") => export::Format::Xlsx,
        Some(other) => {
            return Err(WebError::BadRequest(format!(
                "'{other}' is not an export format: use csv or xlsx"
            )));
        }
    };
    if officer.scope.export.is_empty() {
        return Err(WebError::Forbidden);
    }
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let q = ListQuery {
        grants: &officer.scope.export,
        user_id: officer.user.id,
        filter: &filter,
        bounds: state.rules.status.bounds(today),
    };
    let (rows, _) = roster::list(&mut tx, &q, None, 1_000_000).await?;
    app_audit::listed(
        &mut tx,
        &officer,
        "export",
        &format!("member export ?{}", query_string(&filter.to_pairs())),
        &rows,
    )
    .await?;
    tx.commit().await?;
    let mut table: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for l in &rows {
        table.push(
            [
                l.membership_number.clone(),
                l.first_name.clone(),
                l.last_name.clone(),
                l.email.clone().unwrap_or_default(),
                l.mobile.clone().unwrap_or_default(),
                l.phone.clone().unwrap_or_default(),
                l.postcode.clone().unwrap_or_default(),
                l.branch_slug.clone().unwrap_or_default(),
                l.rate.clone(),
                l.kind.clone(),
                l.gender.clone().unwrap_or_default(),
                l.status(&state.rules.status, today).as_str().to_string(),
                l.joined_on.to_string(),
                l.paid_until.map(|d| d.to_string()).unwrap_or_default(),
            ]
            .to_vec(),
        );
    }
    let stamp = today.format("%Y-%m-%d");
    Ok(match format {
        export::Format::Csv => {
            let mut out = Vec::new();
            export::write_csv(&mut out, EXPORT_COLUMNS, &table)?;
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"members-{stamp}.csv\""),
                    ),
                ],
                out,
            )
                .into_response()
        }
        export::Format::Xlsx => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"members-{stamp}.xlsx\""),
                ),
            ],
            export::xlsx_bytes(EXPORT_COLUMNS, &table)?,
        )
            .into_response(),
    })
}

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

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    nav: Nav,
    id: String,
    name: String,
    form: ContactInput,
    problems: Problems,
    kinds: Vec<Choice>,
}

fn kind_choices(current: &str) -> Vec<Choice> {
    Kind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: kind_label(*k).into(),
            picked: k.as_str() == current,
        })
        .collect()
}

pub async fn edit_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let d = members::details(&mut tx, &officer, &l).await?;
    app_audit::about(&mut tx, &officer, &l, "member.view", "edit form").await?;
    tx.commit().await?;
    let form = ContactInput {
        first_name: l.first_name.clone(),
        last_name: l.last_name.clone(),
        email: l.email.clone().unwrap_or_default(),
        mobile: l.mobile.clone().unwrap_or_default(),
        phone: l.phone.clone().unwrap_or_default(),
        address_line1: d.address_line1.unwrap_or_default(),
        address_line2: d.address_line2.unwrap_or_default(),
        town: d.town.unwrap_or_default(),
        postcode: l.postcode.clone().unwrap_or_default(),
        gender: l.gender.clone().unwrap_or_default(),
        kind: l.kind.clone(),
        notes: d.notes.unwrap_or_default(),
        email_consent: consent_field(d.email_consent),
        phone_consent: consent_field(d.phone_consent),
        sms_consent: consent_field(d.sms_consent),
        post_consent: consent_field(d.post_consent),
    };
    Ok(Html(
        EditPage {
            nav: officer.nav(),
            id,
            name: format!("{} {}", l.first_name, l.last_name),
            kinds: kind_choices(&form.kind),
            form,
            problems: Problems::default(),
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    #[serde(flatten)]
    contact: ContactInput,
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<EditForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let saved = match form.contact.check() {
        Ok(contact) => members::save_contact(&mut tx, &officer, &l, &contact).await,
        Err(problems) => Err(AppError::Invalid(problems)),
    };
    match saved {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{id}?saved=details")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = EditPage {
                nav: officer.nav(),
                id,
                name: format!("{} {}", l.first_name, l.last_name),
                kinds: kind_choices(&form.contact.kind),
                form: form.contact,
                problems: Problems(problems),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentPage {
    nav: Nav,
    id: String,
    name: String,
    status: &'static str,
    paid_until: String,
    rate: String,
    suggested: String,
    form: PaymentInput,
    methods: Vec<Choice>,
    problems: Problems,
}

fn method_choices(current: &str) -> Vec<Choice> {
    PAYMENT_METHODS
        .iter()
        .map(|(code, label)| Choice {
            value: code.to_string(),
            label: label.to_string(),
            picked: *code == current,
        })
        .collect()
}

fn payment_page_for(
    state: &AppState,
    officer: &Officer,
    l: &Listed,
    form: PaymentInput,
    problems: Problems,
) -> PaymentPage {
    let today = (state.today)();
    let rate = state.rules.rate(&l.rate, today);
    PaymentPage {
        nav: officer.nav(),
        id: l.public_id.clone(),
        name: format!("{} {}", l.first_name, l.last_name),
        status: l.status(&state.rules.status, today).label(),
        paid_until: opt_date(l.paid_until),
        rate: rate
            .map(|r| r.name.clone())
            .unwrap_or_else(|| l.rate.clone()),
        suggested: rate
            .map(|r| format!("{}.{:02}", r.price_pence / 100, r.price_pence % 100))
            .unwrap_or_default(),
        methods: method_choices(&form.method),
        form,
        problems,
    }
}

pub async fn payment_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    app_audit::about(&mut tx, &officer, &l, "member.view", "payment form").await?;
    tx.commit().await?;
    let mut form = PaymentInput::default();
    if let Some(r) = state.rules.rate(&l.rate, (state.today)()) {
        form.amount = format!("{}.{:02}", r.price_pence / 100, r.price_pence % 100);
    }
    Ok(Html(
        payment_page_for(&state, &officer, &l, form, Problems::default()).render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct PaymentForm {
    #[serde(flatten)]
    payment: PaymentInput,
}

pub async fn payment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<PaymentForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let today = (state.today)();
    match members::record_payment(&mut tx, &state.rules, today, &officer, &l, &form.payment).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{id}?saved=payment")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = payment_page_for(&state, &officer, &l, form.payment, Problems(problems));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "leaving.html")]
struct LeavingPage {
    nav: Nav,
    id: String,
    name: String,
    form: LeavingInput,
    problems: Problems,
}

pub async fn leaving_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    app_audit::about(&mut tx, &officer, &l, "member.view", "leaving form").await?;
    tx.commit().await?;
    Ok(Html(
        LeavingPage {
            nav: officer.nav(),
            id,
            name: format!("{} {}", l.first_name, l.last_name),
            form: LeavingInput::default(),
            problems: Problems::default(),
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct LeavingForm {
    #[serde(flatten)]
    leaving: LeavingInput,
}

pub async fn leaving(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<LeavingForm>,
) -> Result<Response, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    match members::record_leaving(&mut tx, &state.rules, today, &officer, &l, &form.leaving).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{id}?saved=leaving")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = LeavingPage {
                nav: officer.nav(),
                id,
                name: format!("{} {}", l.first_name, l.last_name),
                form: form.leaving,
                problems: Problems(problems),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
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

#[derive(Template)]
#[template(path = "segments.html")]
struct SegmentsPage {
    nav: Nav,
    segments: Vec<Segment>,
    error: Option<String>,
}

async fn segments_page(
    state: &AppState,
    officer: &Officer,
    error: Option<String>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin_read().await?;
    let list = app_segments::list(&mut tx, officer).await?;
    tx.commit().await?;
    let page = SegmentsPage {
        nav: officer.nav(),
        segments: list,
        error,
    };
    super::render(&page, page.error.is_some())
}

pub async fn segment_list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, WebError> {
    segments_page(&state, &officer, None).await
}

#[derive(serde::Deserialize)]
pub struct SegmentForm {
    name: String,
    #[serde(default)]
    query: String,
}

pub async fn save_segment(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<SegmentForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match app_segments::save(&mut tx, &officer, &form.name, &form.query).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to("/segments").into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let message = problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            segments_page(&state, &officer, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_segment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, .. }: Posted<super::auth::NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    app_segments::delete(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/segments").into_response())
}
