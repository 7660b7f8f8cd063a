//! The audit log: who read, exported or changed personal data, when, and what. Rows are
//! only ever inserted; nothing in Rosette updates or deletes them.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Cond, Expr, ExprTrait, IntoIden, LikeExpr, Order, Query};

use super::schema::{AuditLog, AuditPeople, People};
use super::{Cell, Mode, Result, StoreError, Tx};

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

/// Up to this many people are named in the entry's own statement; more (an export, a
/// large list) go in by the engine's bulk path.
const PEOPLE_PER_STATEMENT: usize = 500;

/// Records one action inside the caller's transaction, so the entry lands with the change.
pub async fn record(tx: &mut Tx, note: Note<'_>) -> Result<()> {
    let (entry,): (i64,) = tx
        .fetch_optional(
            &Query::insert()
                .into_table(AuditLog::Table)
                .columns([
                    AuditLog::At,
                    AuditLog::Actor,
                    AuditLog::LocalPartyId,
                    AuditLog::Action,
                    AuditLog::Subject,
                    AuditLog::Detail,
                ])
                .values_panic([
                    Utc::now().into(),
                    note.actor.into(),
                    note.local_party_id.into(),
                    note.action.into(),
                    note.subject.into(),
                    note.detail.into(),
                ])
                .returning_col(AuditLog::Id)
                .to_owned(),
        )
        .await?
        .ok_or_else(|| StoreError::Invalid("the audit entry was not written".into()))?;
    let mut people = note.people.to_vec();
    people.sort_unstable();
    people.dedup();
    if people.is_empty() {
        return Ok(());
    }
    if people.len() <= PEOPLE_PER_STATEMENT {
        let mut insert = Query::insert();
        insert
            .into_table(AuditPeople::Table)
            .columns([AuditPeople::EntryId, AuditPeople::PersonId]);
        for person in &people {
            insert.values_panic([entry.into(), (*person).into()]);
        }
        tx.execute(&insert).await?;
    } else {
        let columns = [
            AuditPeople::EntryId.into_iden(),
            AuditPeople::PersonId.into_iden(),
        ];
        tx.insert_all(AuditPeople::Table, &columns, people.len(), |i, cells| {
            cells.push(Cell::Int(Some(entry)));
            cells.push(Cell::Int(people.get(i).copied()));
            Ok(())
        })
        .await?;
    }
    Ok(())
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
