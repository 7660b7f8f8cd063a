//! From member to activist: how many of the people an officer sees are on each rung of
//! the ladder, for everyone, for women members and branch by branch, each with the member
//! list's filter for that rung, so an officer can invite "came twice, never volunteered"
//! to a canvass.

use chrono::NaiveDate;

use super::{AppError, Principal, Result};
use crate::domain::Rules;
use crate::domain::ladder::{Rung, funnel};
use crate::store::{Mode, Tx, roster, units};

/// One group's funnel.
pub struct Funnel {
    pub name: String,
    /// The member list's filter for the group (`kind=member&gender=woman`…).
    pub filter: String,
    /// How many are on each rung (`Rung::ALL` order), and how many reached it or higher.
    pub on: [u64; 4],
    pub reached: [u64; 4],
}

/// Counts only; the names are behind each rung's link to the member list, which audits.
pub async fn funnels(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
) -> Result<Vec<Funnel>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let mut groups = vec![
        (
            "Everyone you look after".to_string(),
            "kind=member".to_string(),
        ),
        (
            "Women members".to_string(),
            "kind=member&gender=woman".to_string(),
        ),
    ];
    for party in units::named(tx, &who.scope.local_parties).await? {
        for b in units::branches(tx, party.id).await? {
            if !b.is_forum() {
                groups.push((b.name, format!("kind=member&branch={}", b.slug)));
            }
        }
    }
    let bounds = rules.status.bounds(today);
    let mut out = Vec::new();
    for (name, base) in groups {
        let mut on = [0u64; 4];
        for (i, rung) in Rung::ALL.iter().enumerate() {
            let filter = super::segments::filter_of(&format!(
                "{base}&status=new&status=current&status=in_arrears&rung={}",
                rung.as_str()
            ))
            .map_err(AppError::Invalid)?;
            let q = roster::ListQuery {
                grants: &who.scope.read,
                user_id: who.user.id,
                filter: &filter,
                bounds,
            };
            on[i] = u64::try_from(roster::count(tx, &q).await?).unwrap_or(0);
        }
        if on.iter().sum::<u64>() == 0 {
            continue;
        }
        out.push(Funnel {
            name,
            filter: format!("{base}&status=new&status=current&status=in_arrears"),
            reached: funnel(on),
            on,
        });
    }
    Ok(out)
}
