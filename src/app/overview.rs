//! The register at a glance within an officer's scope: how many in each status, joins
//! and lapses month by month. The home page and the meeting presentation both show it;
//! only counts, never names.

use chrono::NaiveDate;

use super::{Principal, Result};
use crate::domain::{Rules, Status};
use crate::store::{Mode, Tx, roster};

pub struct Overview {
    /// How many in each status.
    pub counts: Vec<(Status, i64)>,
    /// Members of any standing but ended ones (the statuses `Status::is_member` says).
    pub members: i64,
    /// New and current.
    pub good_standing: i64,
    /// The first days of the twelve months ending with this one, oldest first.
    pub months: Vec<NaiveDate>,
    /// Each join since the first of those months.
    pub joins: Vec<NaiveDate>,
    /// Each lapse since then, on the day it took effect.
    pub lapses: Vec<NaiveDate>,
}

impl Overview {
    pub fn count_of(&self, s: Status) -> i64 {
        self.counts
            .iter()
            .find(|(x, _)| *x == s)
            .map_or(0, |(_, n)| *n)
    }
}

pub async fn of(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
) -> Result<Overview> {
    let bounds = rules.status.bounds(today);
    let grants = &who.scope.read;
    let uid = who.user.id;
    let counts = roster::status_counts(tx, grants, uid, &bounds).await?;
    let months = crate::domain::dates::last_twelve_months(today);
    let since = months[0];
    let joins = roster::joins_by_month(tx, grants, uid, since).await?;
    let lapses = roster::recent_lapses(
        tx,
        grants,
        uid,
        &bounds,
        crate::domain::dates::sub_months(since, rules.status.lapse_after_months),
    )
    .await?
    .into_iter()
    .map(|(start, paid)| rules.status.lapses_on(start, paid))
    .filter(|d| *d >= since && *d <= today)
    .collect();
    let members = counts
        .iter()
        .filter(|(s, _)| s.is_member())
        .map(|(_, n)| n)
        .sum();
    let mut o = Overview {
        counts,
        members,
        good_standing: 0,
        months,
        joins,
        lapses,
    };
    o.good_standing = o.count_of(Status::New) + o.count_of(Status::Current);
    Ok(o)
}
