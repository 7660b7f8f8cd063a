//! Saved segments: a member-list filter kept under a name, for the local party.

use super::{AppError, Principal, Result};
use crate::domain::fields::check_text;
use crate::domain::filter::{FieldProblem, MemberFilter};
use crate::store::segments::{self, Segment};
use crate::store::{StoreError, Tx};

/// Saves `query` (the member list's filters as a query string) as a segment called
/// `name` in the principal's local party. A bad filter is reported under `query`, a
/// missing or taken name under `name`, even when two saves race for one name.
pub async fn save(tx: &mut Tx, who: &Principal, name: &str, query: &str) -> Result<Segment> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let lp = who.home_party().ok_or(AppError::Forbidden)?;
    check_text(name, false).map_err(|e| AppError::field("name", e))?;
    let filter = filter_of(query).map_err(|problems| {
        AppError::Invalid(
            problems
                .into_iter()
                .map(|p| FieldProblem {
                    field: "query".into(),
                    message: format!("{}: {}", p.field, p.message),
                })
                .collect(),
        )
    })?;
    match segments::create(tx, lp, name, &filter.to_query(), who.actor()).await {
        Ok(s) => Ok(s),
        Err(StoreError::Invalid(m)) => Err(AppError::field("name", m)),
        Err(StoreError::Taken(_)) => Err(AppError::field(
            "name",
            format!("there is already a segment called '{}'", name.trim()),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The filter a query string (with or without its leading `?`) describes.
pub fn filter_of(query: &str) -> std::result::Result<MemberFilter, Vec<FieldProblem>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.trim_start_matches('?'))
        .map_err(|_| {
            vec![FieldProblem {
                field: "query".into(),
                message: "not a query string".into(),
            }]
        })?;
    MemberFilter::parse(&pairs)
}

/// The segment, if it is in one of the principal's local parties.
pub async fn find(
    tx: &mut Tx<impl crate::store::Mode>,
    who: &Principal,
    id: &str,
) -> Result<Segment> {
    segments::get(tx, id, &who.scope.local_parties)
        .await?
        .ok_or(AppError::NotFound)
}

/// The principal's segments; callers have none.
pub async fn list(tx: &mut Tx<impl crate::store::Mode>, who: &Principal) -> Result<Vec<Segment>> {
    if !who.scope.is_officer() {
        return Ok(Vec::new());
    }
    Ok(segments::list(tx, &who.scope.local_parties).await?)
}

/// Deletes a segment in the principal's local parties.
pub async fn delete(tx: &mut Tx, who: &Principal, id: &str) -> Result<()> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    if segments::delete(tx, id, &who.scope.local_parties).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
