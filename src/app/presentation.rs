//! The meeting presentation: a few slides of plain figures for a members' meeting
//! (members now and a year ago, joins and lapses, arrears recovered by calling, new
//! members welcomed, what is coming up, representation). Counts only, never a name or
//! a membership number.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::overview::{self, Overview};
use super::representation::Representation;
use super::{AppError, Principal, Result};
use crate::domain::Rules;
use crate::store::events::Stored;
use crate::store::{Tx, calls, roster, welcomes};

/// How far back "recovered by calls" looks.
pub const CALL_WEEKS: i64 = 12;

pub struct Slides {
    /// Whom the figures count, in words.
    pub seen: String,
    pub overview: Overview,
    /// Members a year ago, counted back from today's by this year's joins and lapses.
    pub year_ago: i64,
    /// The report period's length, and its joins and lapses.
    pub period_days: i64,
    pub joined_in_period: usize,
    pub lapsed_in_period: usize,
    /// People called in the last `CALL_WEEKS` weeks, and how many have paid since a call.
    pub called: i64,
    pub paid_after_a_call: i64,
    pub new_members: usize,
    pub welcomed: usize,
    pub coming_up: Vec<(Stored, i64, i64)>,
    pub representation: Representation,
}

pub async fn slides(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Slides> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let overview = overview::of(tx, who, rules, today).await?;
    let seen = who.seen(tx).await?;
    let year_ago = overview.members - i64::try_from(overview.joins.len()).unwrap_or(0)
        + i64::try_from(overview.lapses.len()).unwrap_or(0);
    let lp = who.home_party().ok_or(AppError::Forbidden)?;
    let period_days = i64::from(super::report::period_days(tx, rules, lp).await?);
    let period_start = today - Duration::days(period_days);
    let joined_in_period = overview.joins.iter().filter(|d| **d > period_start).count();
    let lapsed_in_period = overview
        .lapses
        .iter()
        .filter(|d| **d > period_start)
        .count();
    let (called, paid_after_a_call) = calls::called_and_paid(
        tx,
        &who.scope.local_parties,
        now - Duration::weeks(CALL_WEEKS),
    )
    .await?;
    // Counted, not shown: nobody's name leaves here.
    let new = super::segments::filter_of("status=new&kind=member").map_err(AppError::Invalid)?;
    let q = roster::ListQuery {
        grants: &who.scope.read,
        user_id: who.user.id,
        filter: &new,
        bounds: rules.status.bounds(today),
    };
    let (recent, _) = roster::list(tx, &q, None, 100_000).await?;
    let ids: Vec<i64> = recent.iter().map(|l| l.person_id).collect();
    let welcomed = welcomes::latest(tx, &ids).await?.len();
    let coming_up = super::events::coming_up(tx, who, now).await?;
    let representation = super::representation::for_officer(tx, who, rules, today).await?;
    Ok(Slides {
        seen,
        year_ago,
        period_days,
        joined_in_period,
        lapsed_in_period,
        called,
        paid_after_a_call,
        new_members: recent.len(),
        welcomed,
        coming_up,
        representation,
        overview,
    })
}
