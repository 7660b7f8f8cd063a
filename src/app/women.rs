//! The Women's Officer's home: the women members she looks after, the new ones still to
//! welcome (marked welcomed by a call, an email, a one-to-one or at an event, with who and
//! when), her forum branches and their events, and the filter that emails them all.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::HashMap;

use super::{AppError, Principal, Result};
use crate::domain::filter::MemberFilter;
use crate::domain::{Rules, WelcomeHow};
use crate::store::events::Stored;
use crate::store::roster::{self, Listed};
use crate::store::welcomes::{self, Welcome};
use crate::store::{Mode, Tx, events, units};

/// The member list's filter for every woman member in good standing: what a notice to
/// all of them goes to.
pub const ALL_WOMEN: &str = "kind=member&gender=woman&status=new&status=current&status=in_arrears";

/// The new women members: joined in the rules file's new-member days and paid up.
const NEW_WOMEN: &str = "kind=member&gender=woman&status=new";

/// How long a welcome stays on the home page after it is marked.
const WELCOMED_SHOWN_DAYS: i64 = 30;

/// A forum branch with how many are in it.
pub struct Forum {
    pub slug: String,
    pub name: String,
    pub members: i64,
}

/// What her home page shows.
pub struct Home {
    pub women: i64,
    /// New women members no one has welcomed yet, longest waiting first.
    pub to_welcome: Vec<Listed>,
    /// Those welcomed lately, with how.
    pub welcomed: Vec<(Listed, Welcome)>,
    pub forums: Vec<Forum>,
    /// Upcoming events of her forum branches, with how many are signed up and waiting.
    pub events: Vec<(Stored, i64, i64)>,
    /// The surveys she runs, newest first.
    pub surveys: Vec<crate::store::surveys::Stored>,
    /// The organisations she works with, by name.
    pub organisations: Vec<crate::store::organisations::Stored>,
}

fn filter(query: &str) -> Result<MemberFilter> {
    super::segments::filter_of(query).map_err(AppError::Invalid)
}

/// `who`'s home as the officer for women members, within their read scope; the people
/// shown are audited.
pub async fn home(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Home> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let bounds = rules.status.bounds(today);
    let query = |filter| roster::ListQuery {
        grants: &who.scope.read,
        user_id: who.user.id,
        filter,
        bounds,
    };
    let all = filter(ALL_WOMEN)?;
    let women = roster::count(tx, &query(&all)).await?;
    let (recent, done) = new_women(tx, who, rules, today).await?;
    let since = now - Duration::days(WELCOMED_SHOWN_DAYS);
    let (welcomed, to_welcome): (Vec<Listed>, Vec<Listed>) = recent
        .into_iter()
        .partition(|l| done.contains_key(&l.person_id));
    let mut welcomed: Vec<(Listed, Welcome)> = welcomed
        .into_iter()
        .filter_map(|l| done.get(&l.person_id).cloned().map(|w| (l, w)))
        .filter(|(_, w)| w.at >= since)
        .collect();
    welcomed.sort_by_key(|(_, w)| std::cmp::Reverse(w.at));

    let mut forums = Vec::new();
    let mut forum_ids = Vec::new();
    for party in units::named(tx, &who.scope.local_parties).await? {
        for b in units::branches(tx, party.id).await? {
            if b.is_forum() {
                let in_it = filter(&format!("branch={}", b.slug))?;
                let q = roster::ListQuery {
                    grants: &who.scope.read,
                    user_id: who.user.id,
                    filter: &in_it,
                    bounds,
                };
                forum_ids.push(b.id);
                forums.push(Forum {
                    members: roster::count(tx, &q).await?,
                    slug: b.slug,
                    name: b.name,
                });
            }
        }
    }
    let mut coming = Vec::new();
    for e in events::list(tx, &who.scope.local_parties, None, now, false, None, 200).await? {
        if forum_ids.contains(&e.unit_id) && coming.len() < 10 {
            coming.push(e);
        }
    }
    let counts =
        events::sign_up_counts(tx, &coming.iter().map(|e| e.id).collect::<Vec<_>>()).await?;
    let events = coming
        .into_iter()
        .map(|e| {
            let (signed_up, waiting) = counts.get(&e.id).copied().unwrap_or_default();
            (e, signed_up, waiting)
        })
        .collect();

    let shown: Vec<Listed> = to_welcome
        .iter()
        .chain(welcomed.iter().map(|(l, _)| l))
        .cloned()
        .collect();
    super::audit::listed(tx, who, "member.list", "the welcome queue", &shown).await?;
    let surveys = super::surveys::list(tx, who).await?;
    let organisations = super::organisations::list(tx, who).await?;
    Ok(Home {
        women,
        to_welcome,
        welcomed,
        forums,
        events,
        surveys,
        organisations,
    })
}

/// The new women members in `who`'s read scope, longest waiting first, and the latest
/// welcome of each who has had one.
async fn new_women(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
) -> Result<(Vec<Listed>, HashMap<i64, Welcome>)> {
    let new = filter(NEW_WOMEN)?;
    let q = roster::ListQuery {
        grants: &who.scope.read,
        user_id: who.user.id,
        filter: &new,
        bounds: rules.status.bounds(today),
    };
    let (mut recent, _) = roster::list(tx, &q, None, 2_000).await?;
    let ids: Vec<i64> = recent.iter().map(|l| l.person_id).collect();
    let done = welcomes::latest(tx, &ids).await?;
    recent.sort_by_key(|l| (l.joined_on, l.person_id));
    Ok((recent, done))
}

/// How many new women members are waiting to be welcomed: a count, no names.
pub async fn waiting(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
) -> Result<usize> {
    let (recent, done) = new_women(tx, who, rules, today).await?;
    Ok(recent
        .iter()
        .filter(|l| !done.contains_key(&l.person_id))
        .count())
}

/// Records that someone `who` may change has been welcomed, how, by `who`, now.
pub async fn mark_welcomed(
    tx: &mut Tx,
    who: &Principal,
    person: &str,
    how: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let how = WelcomeHow::parse(how).ok_or_else(|| {
        AppError::field("how", format!("choose one of {}", WelcomeHow::expected()))
    })?;
    let l = super::members::find_writable(tx, who, person).await?;
    welcomes::record(
        tx,
        l.local_party_id,
        l.person_id,
        how.as_str(),
        who.actor(),
        now,
    )
    .await?;
    super::audit::about(tx, who, &l, "member.welcomed", how.label()).await
}

/// Whether `who` looks after women members (the Women's Officer's reach), so the menu
/// offers her home.
pub fn looks_after_women(who: &Principal) -> bool {
    who.scope
        .write
        .iter()
        .any(|g| g.reach == crate::domain::access::Reach::Women)
}
