//! Audit entries for reads: one place decides how a list of people shown or exported is
//! written down, for pages and the API alike.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, mpsc, oneshot};

use super::{Principal, Result};
use crate::store::audit::Journaled;
use crate::store::journal::Journal;
use crate::store::roster::{Line, Listed};
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
    let named: Vec<(i64, i64)> = rows.iter().map(Shown::named).collect();
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
    Ok(audit::take_in(tx, &entries(who, action, what, named)).await?)
}

fn entries(who: &Principal, action: &str, what: &str, named: &[(i64, i64)]) -> Vec<Journaled> {
    let at = Utc::now();
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
        .map(|lp| Journaled {
            at,
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

/// A row of a list shown to someone: whom it names, as (local party, person).
pub trait Shown {
    fn named(&self) -> (i64, i64);
}

impl Shown for Listed {
    fn named(&self) -> (i64, i64) {
        (self.local_party_id, self.person_id)
    }
}

impl Shown for Line {
    fn named(&self) -> (i64, i64) {
        (self.local_party_id, self.person_id)
    }
}

/// What a read found, kept back until the audit journal says who was shown. A list read
/// on the read pool becomes `Unaudited`, and only `audited` gives it up, once its entries
/// are in the journal: nothing is shown unrecorded, and the read waits for no database
/// write at all.
#[must_use = "what was read is shown only after its audit entries are written"]
pub struct Unaudited<T> {
    value: T,
    entries: Vec<Journaled>,
}

impl Unaudited<()> {
    /// Entries for `rows` shown as `what`, audited as `action`; `holding` then gives them
    /// what was read, so the rows are named before they move into it (no copy is kept).
    pub fn shown<'a, R: Shown + 'a>(
        who: &Principal,
        action: &str,
        what: &str,
        rows: impl IntoIterator<Item = &'a R>,
    ) -> Self {
        let named: Vec<(i64, i64)> = rows.into_iter().map(Shown::named).collect();
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
    /// Writes the entries to the journal and gives back what was read.
    pub async fn audited(self, log: &Appender) -> Result<T> {
        log.append(&self.entries)?;
        Ok(self.value)
    }
}

/// Entries waiting in the journal past which they are taken in at once, not at the next
/// tick: one transaction stays a few megabytes however busy the site is.
const TAKE_IN_AT: usize = 2048;
/// How often entries waiting in the journal are taken into the log.
const TAKE_IN_EVERY: Duration = Duration::from_millis(250);

/// Writes list views' audit entries to the audit journal (`store::journal`), and takes
/// the journal into the log in batches: one transaction every `TAKE_IN_EVERY` (or
/// `TAKE_IN_AT` entries) instead of one per view. One task owns the taking in; anyone
/// about to read the log asks it to `flush` first.
#[derive(Clone, Debug)]
pub struct Appender {
    journal: Arc<Journal>,
    flushes: mpsc::Sender<oneshot::Sender<bool>>,
    busy: Arc<Notify>,
}

impl Appender {
    /// Opens the journal in `dir` and starts taking it in on the current runtime, first
    /// whatever an earlier run (or another process) left there. The folder is this
    /// database's alone: whatever is in it is taken into `db`.
    pub fn start(db: Db, dir: &Path) -> Result<Appender> {
        let journal = Arc::new(Journal::open(dir)?);
        let (flushes, mut asked) = mpsc::channel::<oneshot::Sender<bool>>(64);
        let busy = Arc::new(Notify::new());
        let (j, nudged) = (journal.clone(), busy.clone());
        tokio::spawn(async move {
            let mut leftovers = true;
            loop {
                let mut waiting = Vec::new();
                if !leftovers {
                    tokio::select! {
                        flush = asked.recv() => match flush {
                            Some(w) => waiting.push(w),
                            // Every Appender is gone: what is left goes in, and that is all.
                            None => {
                                if j.pending() > 0 {
                                    take_in(&j, &db).await;
                                }
                                break;
                            }
                        },
                        () = nudged.notified() => {}
                        () = tokio::time::sleep(TAKE_IN_EVERY) => {}
                    }
                }
                while let Ok(w) = asked.try_recv() {
                    waiting.push(w);
                }
                let idle = !leftovers && waiting.is_empty() && j.pending() == 0;
                leftovers = false;
                let ok = idle || take_in(&j, &db).await;
                for w in waiting {
                    // One who gave up waiting reads without it.
                    let _ = w.send(ok);
                }
            }
        });
        Ok(Appender {
            journal,
            flushes,
            busy,
        })
    }

    fn append(&self, entries: &[Journaled]) -> Result<()> {
        if self.journal.append(entries)? >= TAKE_IN_AT {
            self.busy.notify_one();
        }
        Ok(())
    }

    /// Returns once everything appended before the call is in the log: for whoever is
    /// about to read the log, or change the people it names.
    pub async fn flush(&self) -> Result<()> {
        let unwritten = || {
            super::AppError::Store(crate::store::StoreError::Invalid(
                "the audit journal could not be taken into the log".into(),
            ))
        };
        let (done, wait) = oneshot::channel();
        self.flushes.send(done).await.map_err(|_| unwritten())?;
        match wait.await {
            Ok(true) => Ok(()),
            _ => Err(unwritten()),
        }
    }
}

/// One taking in; what went wrong is logged (the entries stay in the journal for the
/// next try).
async fn take_in(journal: &Journal, db: &Db) -> bool {
    match journal.take_in(db).await {
        Ok(taken) => {
            for (path, lines) in &taken.damaged {
                tracing::error!(
                    segment = %path.display(),
                    ?lines,
                    "audit journal lines that are not entries were kept aside"
                );
            }
            true
        }
        Err(e) => {
            tracing::error!(error = %e, "audit journal not taken in; trying again");
            false
        }
    }
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
