//! Audit entries for reads: one place decides how a list of people shown or exported is
//! written down, for pages and the API alike.

use super::{Principal, Result};
use crate::store::roster::Listed;
use crate::store::{Tx, audit};

/// One entry per local party concerned, naming every person in `rows` (`what` says which
/// list it was: a search, a segment, "people shared with me").
pub async fn listed(
    tx: &mut Tx,
    who: &Principal,
    action: &str,
    what: &str,
    rows: &[Listed],
) -> Result<()> {
    let ids: Vec<&str> = rows.iter().map(|r| r.public_id.as_str()).collect();
    let mut parties: Vec<i64> = rows.iter().map(|r| r.local_party_id).collect();
    parties.sort_unstable();
    parties.dedup();
    let detail = format!("{what}; {} people: {}", ids.len(), ids.join(" "));
    let filed_under: Vec<Option<i64>> = if parties.is_empty() {
        vec![who.home_party()]
    } else {
        parties.into_iter().map(Some).collect()
    };
    for lp in filed_under {
        audit::record(
            tx,
            audit::Note {
                actor: who.actor(),
                local_party_id: lp,
                action,
                subject: what,
                detail: &detail,
            },
        )
        .await?;
    }
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
        },
    )
    .await?;
    Ok(())
}
