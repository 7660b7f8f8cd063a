//! The home page: the register at a glance for officers, the people shared with them for
//! callers.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use super::{Row, row};
use crate::app::audit::Unaudited;
use crate::domain::Status;
use crate::domain::filter::MemberFilter;
use crate::store::roster::{self, ListQuery};
use crate::web::auth::{Officer, mail_folder};
use crate::web::view::chart::{self, Chart};
use crate::web::view::{Nav, uk_date};
use crate::web::{AppState, WebError};

/// How many people in scope have one status.
struct StatusCount {
    status: Status,
    n: i64,
    /// What the status means under the local rules.
    meaning: String,
}

/// A job on the officer's list, with a link to the people it concerns.
struct Todo {
    label: &'static str,
    href: String,
    n: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    nav: Nav,
    today: String,
    /// Whom the figures count: "everyone in Anytown", "the Riverside branch".
    seen: String,
    counts: Vec<StatusCount>,
    members: i64,
    good_standing: i64,
    chart: Chart,
    todo: Vec<Todo>,
    mail_folder: Option<String>,
    assigned: Vec<Row>,
    /// A caller's call lists, with how many are still to call.
    call_lists: Vec<crate::app::calls::ListProgress>,
    /// The next events: (id, title, when, signed up, waiting).
    coming_up: Vec<(String, String, String, i64, i64)>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let today = (state.today)();
    let bounds = state.rules.status.bounds(today);
    let grants = &officer.scope.read;
    let uid = officer.user.id;
    let mut tx = state.db.begin_read().await?;
    let overview = crate::app::overview::of(&mut tx, &officer, &state.rules, today).await?;
    let seen = officer.seen(&mut tx).await?;
    let months = &overview.months;
    let since = months[0];
    let chart = chart::joins_and_lapses(
        months,
        &chart::bucket(months, overview.joins.iter().copied()),
        &chart::bucket(months, overview.lapses.iter().copied()),
    );
    let count_of = |s: Status| overview.count_of(s);
    let (members, good_standing) = (overview.members, overview.good_standing);
    let counts = &overview.counts;
    // Only how many: the names are on the tasks page, which audits them.
    let mine = crate::store::tasks::count_mine(&mut tx, uid).await?;
    let mut todo = vec![
        Todo {
            label: "Follow-ups given to you (flags from callers among them)",
            href: "/tasks".to_string(),
            n: mine,
        },
        Todo {
            label: "Welcome new members",
            href: "/members?status=new&sort=-joined".to_string(),
            n: count_of(Status::New),
        },
        Todo {
            label: "Remind members in arrears",
            href: "/members?status=in_arrears".to_string(),
            n: count_of(Status::InArrears),
        },
        Todo {
            label: "Win back members who lapsed this year",
            // Lapsed within the chart's year: arrears began no more than the lapse period before it.
            href: format!(
                "/members?status=lapsed&paid_from={}",
                crate::domain::dates::sub_months(since, state.rules.status.lapse_after_months)
                    .pred_opt()
                    .unwrap_or(since)
            ),
            n: lapse_count(&chart),
        },
    ];
    let unread = crate::app::notices::unread(&mut tx, &officer).await?;
    if unread > 0 {
        todo.insert(
            0,
            Todo {
                label: "Notices for you to read",
                href: "/notices".to_string(),
                n: i64::try_from(unread).unwrap_or(i64::MAX),
            },
        );
    }
    if crate::app::women::looks_after_women(&officer) {
        let n = crate::app::women::waiting(&mut tx, &officer, &state.rules, today).await?;
        todo.insert(
            0,
            Todo {
                label: "New women members to welcome",
                href: "/women".to_string(),
                n: i64::try_from(n).unwrap_or(i64::MAX),
            },
        );
    }
    let coming_up = crate::app::events::coming_up(&mut tx, &officer, chrono::Utc::now())
        .await?
        .into_iter()
        .map(|(e, signed_up, waiting)| {
            (
                e.public_id.clone(),
                e.title.clone(),
                crate::web::view::event_when(&e),
                signed_up,
                waiting,
            )
        })
        .collect();
    // A caller's home page is their call lists and the people shared with them.
    let call_lists = if officer.scope.is_officer() {
        Vec::new()
    } else {
        crate::app::calls::lists(&mut tx, &officer).await?
    };
    // Only a caller's home names anyone; it is on the record before it is shown.
    let shared = if officer.scope.is_officer() {
        None
    } else {
        let filter = MemberFilter::default();
        let q = ListQuery {
            grants,
            user_id: uid,
            filter: &filter,
            bounds,
        };
        let (rows, _) = roster::list(&mut tx, &q, None, 100).await?;
        let what = "people shared with me";
        Some(Unaudited::shown(&officer, "member.list", what, &rows).holding(rows))
    };
    tx.commit().await?;
    let assigned = match shared {
        Some(shared) => shared
            .audited(&state.audit)
            .await?
            .iter()
            .map(|l| row(l, &state, today))
            .collect(),
        None => Vec::new(),
    };
    let page = Dashboard {
        coming_up,
        nav: officer.nav(),
        today: uk_date(&today),
        seen,
        counts: counts
            .iter()
            .map(|(status, n)| StatusCount {
                status: *status,
                n: *n,
                meaning: state.rules.status.meaning(*status),
            })
            .collect(),
        members,
        good_standing,
        chart,
        todo,
        mail_folder: mail_folder(&state),
        assigned,
        call_lists,
    };
    Ok(Html(page.render()?))
}

fn lapse_count(c: &Chart) -> i64 {
    c.months.iter().map(|m| m.lapses.value as i64).sum()
}
