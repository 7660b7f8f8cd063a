//! Audit entries for reads: one place decides how a list of people shown or exported is
//! written down, for pages and the API alike.

use super::{Principal, Result};
use crate::store::roster::Listed;
use tokio::sync::{mpsc, oneshot};

use crate::store::{Db, Tx, audit};

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
    let entries = entries(who, action, what, named);
    let notes: Vec<audit::Note<'_>> = entries.iter().map(Entry::note).collect();
    Ok(audit::record_all(tx, &notes).await?)
}

/// An entry not yet written.
#[derive(Debug)]
struct Entry {
    actor: String,
    local_party_id: Option<i64>,
    action: String,
    subject: String,
    detail: String,
    people: Vec<i64>,
}

impl Entry {
    fn note(&self) -> audit::Note<'_> {
        audit::Note {
            actor: &self.actor,
            local_party_id: self.local_party_id,
            action: &self.action,
            subject: &self.subject,
            detail: &self.detail,
            people: &self.people,
        }
    }
}

fn entries(who: &Principal, action: &str, what: &str, named: &[(i64, i64)]) -> Vec<Entry> {
    let mut parties: Vec<i64> = named.iter().map(|(lp, _)| *lp).collect();
    parties.sort_unstable();
    parties.dedup();
    let detail = format!("{what}; {} people", named.len());
    let filed_under: Vec<Option<i64>> = if parties.is_empty() {
        vec![who.home_party()]
    } else {
        parties.into_iter().map(Some).collect()
    };
    filed_under
        .into_iter()
        .map(|lp| Entry {
            actor: who.actor().to_string(),
            local_party_id: lp,
            action: action.to_string(),
            subject: what.to_string(),
            detail: detail.clone(),
            people: named
                .iter()
                .filter(|(party, _)| lp.is_none_or(|lp| *party == lp))
                .map(|(_, person)| *person)
                .collect(),
        })
        .collect()
}

/// What a read found, kept back until the audit log says who was shown. A list read on
/// the read pool (which, on SQLite, runs beside other readers) becomes `Unaudited`, and
/// only `audited` gives it up: its entries are written in one short write transaction
/// first, so nothing is shown unrecorded, and the single writer is held for the insert
/// alone, not for the whole read.
#[must_use = "what was read is shown only after its audit entries are written"]
pub struct Unaudited<T> {
    value: T,
    entries: Vec<Entry>,
}

impl Unaudited<()> {
    /// Entries for `rows` shown as `what`, audited as `action`; `holding` then gives them
    /// what was read, so the rows are named before they move into it (no copy is kept).
    pub fn shown<'a>(
        who: &Principal,
        action: &str,
        what: &str,
        rows: impl IntoIterator<Item = &'a Listed>,
    ) -> Self {
        let named: Vec<(i64, i64)> = rows
            .into_iter()
            .map(|r| (r.local_party_id, r.person_id))
            .collect();
        Unaudited {
            value: (),
            entries: entries(who, action, what, &named),
        }
    }

    /// What was read, given up by `audited` once these entries are written.
    pub fn holding<T>(self, value: T) -> Unaudited<T> {
        Unaudited {
            value,
            entries: self.entries,
        }
    }
}

impl<T> Unaudited<T> {
    /// Has the entries written (and committed) and gives back what was read.
    pub async fn audited(self, log: &Appender) -> Result<T> {
        log.append(self.entries).await?;
        Ok(self.value)
    }
}

/// How many requests' entries may share one transaction.
const MOST_PER_COMMIT: usize = 256;

/// Writes the audit entries of many requests in one transaction (a group commit): each
/// request waits until the transaction holding its entries has committed, so nothing is
/// shown unrecorded, while the single SQLite writer commits once for many readers instead
/// of once each. One task owns the writing; requests queue their entries to it.
#[derive(Clone, Debug)]
pub struct Appender {
    queue: mpsc::Sender<Batch>,
}

#[derive(Debug)]
struct Batch {
    entries: Vec<Entry>,
    written: oneshot::Sender<bool>,
}

impl Appender {
    /// Starts the writing task on the current runtime.
    pub fn start(db: Db) -> Appender {
        let (queue, mut waiting) = mpsc::channel::<Batch>(4 * MOST_PER_COMMIT);
        tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut batches = vec![first];
                while batches.len() < MOST_PER_COMMIT {
                    match waiting.try_recv() {
                        Ok(b) => batches.push(b),
                        Err(_) => break,
                    }
                }
                let written = write_all(&db, &batches).await;
                if let Err(e) = &written {
                    tracing::error!(error = %e, requests = batches.len(), "audit entries not written");
                }
                for b in batches {
                    // A request that gave up waiting has nothing left to show.
                    let _ = b.written.send(written.is_ok());
                }
            }
        });
        Appender { queue }
    }

    async fn append(&self, entries: Vec<Entry>) -> Result<()> {
        let unwritten = || {
            super::AppError::Store(crate::store::StoreError::Invalid(
                "the audit log could not be written".into(),
            ))
        };
        let (written, wait) = oneshot::channel();
        self.queue
            .send(Batch { entries, written })
            .await
            .map_err(|_| unwritten())?;
        match wait.await {
            Ok(true) => Ok(()),
            _ => Err(unwritten()),
        }
    }
}

async fn write_all(db: &Db, batches: &[Batch]) -> crate::store::Result<()> {
    let notes: Vec<audit::Note<'_>> = batches
        .iter()
        .flat_map(|b| &b.entries)
        .map(Entry::note)
        .collect();
    let mut tx = db.begin().await?;
    audit::record_all(&mut tx, &notes).await?;
    tx.commit().await
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
