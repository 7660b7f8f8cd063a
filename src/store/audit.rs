//! The audit log: who read, exported or changed personal data, when, and what. Rows are
//! only ever inserted; nothing in Rosette updates or deletes them.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Cond, Expr, ExprTrait, LikeExpr, Order, Query};
use serde::{Deserialize, Serialize};

use super::schema::{AuditLog, AuditPeople, People};
use super::{Cell, Mode, Result, StoreError, Tx, idens};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// One thing that happened, about `subject` (a person's public id, or what was exported),
/// concerning `people` (their internal ids: none for an entry about no one).
#[derive(Debug, Clone, Copy)]
pub struct Note<'a> {
    pub actor: &'a str,
    pub local_party_id: Option<i64>,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
    pub people: &'a [i64],
}

/// Records one action inside the caller's transaction, so the entry lands with the change.
pub async fn record(tx: &mut Tx, note: Note<'_>) -> Result<()> {
    record_all(tx, &[note]).await
}

/// Records several actions inside the caller's transaction, all as happening now.
pub async fn record_all(tx: &mut Tx, notes: &[Note<'_>]) -> Result<()> {
    let now = Utc::now();
    insert(tx, notes, |_| now).await
}

/// An entry kept outside the database until it is taken in (the audit journal's lines):
/// a `Note` that owns its text and remembers when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journaled {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub local_party_id: Option<i64>,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub people: Vec<i64>,
}

impl Journaled {
    pub fn note(&self) -> Note<'_> {
        Note {
            actor: &self.actor,
            local_party_id: self.local_party_id,
            action: &self.action,
            subject: &self.subject,
            detail: &self.detail,
            people: &self.people,
        }
    }
}

/// Writes entries made before this transaction (the journal's, a read's) into the log,
/// each at the time it happened.
pub async fn take_in(tx: &mut Tx, records: &[Journaled]) -> Result<()> {
    let notes: Vec<Note<'_>> = records.iter().map(Journaled::note).collect();
    insert(tx, &notes, |i| {
        records.get(i).map_or_else(Utc::now, |r| r.at)
    })
    .await
}

/// Their ids are reserved up front, so nothing is read back: the entries go in as one
/// statement and everyone they name as another, however many entries there are (on
/// SQLite each statement is a trip to the connection thread).
async fn insert(
    tx: &mut Tx,
    notes: &[Note<'_>],
    at: impl Fn(usize) -> DateTime<Utc>,
) -> Result<()> {
    if notes.is_empty() {
        return Ok(());
    }
    let ids = tx.reserve_ids(AuditLog::Table, notes.len()).await?;
    let columns = idens([
        AuditLog::Id,
        AuditLog::At,
        AuditLog::Actor,
        AuditLog::LocalPartyId,
        AuditLog::Action,
        AuditLog::Subject,
        AuditLog::Detail,
    ]);
    tx.insert_all(AuditLog::Table, &columns, notes.len(), |i, cells| {
        let (Some(id), Some(note)) = (ids.get(i), notes.get(i)) else {
            return Err(StoreError::Invalid(
                "an audit entry was not numbered".into(),
            ));
        };
        cells.extend([
            Cell::Int(Some(*id)),
            Cell::Stamp(Some(at(i))),
            Cell::Text(Some(note.actor)),
            Cell::Int(note.local_party_id),
            Cell::Text(Some(note.action)),
            Cell::Text(Some(note.subject)),
            Cell::Text(Some(note.detail)),
        ]);
        Ok(())
    })
    .await?;
    // In the table's own order, so the inserts walk its b-tree forwards.
    let mut named: Vec<(i64, i64)> = ids
        .iter()
        .zip(notes)
        .flat_map(|(entry, note)| note.people.iter().map(move |person| (*person, *entry)))
        .collect();
    named.sort_unstable();
    named.dedup();
    let columns = idens([AuditPeople::PersonId, AuditPeople::EntryId]);
    tx.insert_all(AuditPeople::Table, &columns, named.len(), |i, cells| {
        let (person, entry) = named.get(i).copied().unzip();
        cells.extend([Cell::Int(person), Cell::Int(entry)]);
        Ok(())
    })
    .await
}

/// What the Secretary filters the log by. Empty fields mean any.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Local parties whose entries may be read (the reader's scope); empty reads none.
    pub local_parties: Vec<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// A person's public id (entries naming them), or text in the entry's subject or detail.
    pub about: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Entries older than this id (paging, newest first).
    pub before: Option<i64>,
}

/// The newest matching entries first.
pub async fn search(tx: &mut Tx<impl Mode>, s: &Search, limit: u64) -> Result<Vec<Entry>> {
    if s.local_parties.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::select();
    q.columns([
        AuditLog::Id,
        AuditLog::At,
        AuditLog::Actor,
        AuditLog::Action,
        AuditLog::Subject,
        AuditLog::Detail,
    ])
    .from(AuditLog::Table)
    .and_where(Expr::col(AuditLog::LocalPartyId).is_in(s.local_parties.iter().copied()))
    .order_by(AuditLog::Id, Order::Desc)
    .limit(limit);
    if let Some(a) = &s.actor {
        q.and_where(Expr::col(AuditLog::Actor).eq(a.trim().to_lowercase()));
    }
    if let Some(a) = &s.action {
        q.and_where(Expr::col(AuditLog::Action).eq(a.as_str()));
    }
    if let Some(about) = &s.about {
        let escaped = about
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let naming = Query::select()
            .column((AuditPeople::Table, AuditPeople::EntryId))
            .from(AuditPeople::Table)
            .inner_join(
                People::Table,
                Expr::col((People::Table, People::Id))
                    .equals((AuditPeople::Table, AuditPeople::PersonId)),
            )
            .and_where(Expr::col((People::Table, People::PublicId)).eq(about.trim()))
            .to_owned();
        q.cond_where(
            Cond::any()
                .add(Expr::col(AuditLog::Id).in_subquery(naming))
                .add(Expr::col(AuditLog::Subject).eq(about.as_str()))
                .add(
                    Expr::col(AuditLog::Detail)
                        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
                ),
        );
    }
    if let Some(d) = s.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        q.and_where(Expr::col(AuditLog::At).gte(d.and_utc()));
    }
    if let Some(d) =
        s.to.and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        q.and_where(Expr::col(AuditLog::At).lt(d.and_utc()));
    }
    if let Some(b) = s.before {
        q.and_where(Expr::col(AuditLog::Id).lt(b));
    }
    tx.fetch_all(&q).await
}
