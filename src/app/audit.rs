//! Audit entries for reads: one place decides how a list of people shown or exported is
//! written down, for pages and the API alike.

use super::{Principal, Result};
use crate::store::roster::Listed;
use crate::store::{Tx, audit};

/// One entry per local party concerned, naming that party's people in `rows`
/// (`what` says which list it was: a search, a segment, "people shared with me").
pub async fn listed(
    tx: &mut Tx,
    who: &Principal,
    action: &str,
    what: &str,
    rows: &[Listed],
) -> Result<()> {
    let named: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| (r.local_party_id, r.person_id))
        .collect();
    people(tx, who, action, what, &named).await
}

/// One entry per local party concerned, naming its people; `named` holds
/// (local party, person) pairs. Nothing shown is still written down, under the reader's
/// home party, so an empty page is on the record too.
pub async fn people(
    tx: &mut Tx,
    who: &Principal,
    action: &str,
    what: &str,
    named: &[(i64, i64)],
) -> Result<()> {
    let mut parties: Vec<i64> = named.iter().map(|(lp, _)| *lp).collect();
    parties.sort_unstable();
    parties.dedup();
    let detail = format!("{what}; {} people", named.len());
    let filed_under: Vec<Option<i64>> = if parties.is_empty() {
        vec![who.home_party()]
    } else {
        parties.into_iter().map(Some).collect()
    };
    for lp in filed_under {
        let people: Vec<i64> = named
            .iter()
            .filter(|(party, _)| lp.is_none_or(|lp| *party == lp))
            .map(|(_, person)| *person)
            .collect();
        audit::record(
            tx,
            audit::Note {
                actor: who.actor(),
                local_party_id: lp,
                action,
                subject: what,
                detail: &detail,
                people: &people,
            },
        )
        .await?;
    }
    Ok(())
}

/// An entry by the principal about `subject` (a list, a report, a setting), naming the
/// people it concerns.
pub async fn note(
    tx: &mut Tx,
    who: &Principal,
    local_party_id: Option<i64>,
    action: &str,
    subject: &str,
    detail: &str,
    people: &[i64],
) -> Result<()> {
    audit::record(
        tx,
        audit::Note {
            actor: who.actor(),
            local_party_id,
            action,
            subject,
            detail,
            people,
        },
    )
    .await?;
    Ok(())
}

/// An entry about one person: their record shown, or changed (`action` says which,
/// `detail` how).
pub async fn about(
    tx: &mut Tx,
    who: &Principal,
    person: &Listed,
    action: &str,
    detail: &str,
) -> Result<()> {
    audit::record(
        tx,
        audit::Note {
            actor: who.actor(),
            local_party_id: Some(person.local_party_id),
            action,
            subject: &person.public_id,
            detail,
            people: &[person.person_id],
        },
    )
    .await?;
    Ok(())
}
