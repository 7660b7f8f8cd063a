//! The database. Every query is built once with sea-query and rendered for whichever
//! backend the connection is: SQLite (the embedded default, one file in WAL mode) or
//! PostgreSQL. Nothing above this module writes SQL.

pub mod accounts;
pub mod audit;
pub mod bulk;
pub mod calls;
pub mod emails;
pub mod events;
pub mod forums;
pub mod imports;
pub mod jobs;
pub mod journal;
pub mod journeys;
pub mod members;
pub mod merge;
mod migrations;
pub mod notices;
pub mod organisations;
pub mod outbox;
mod readers;
pub mod reports;
pub mod roster;
mod schema;
pub mod segments;
pub mod surveys;
pub mod tasks;
pub mod training;
pub mod units;
pub mod welcomes;

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{DynIden, Expr, IntoIden, PostgresQueryBuilder, Query, SqliteQueryBuilder, Value};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, FromRow};
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::Duration;

pub use migrations::{LATEST, migrate, migrate_to};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL '{0}' is neither sqlite://PATH nor postgres://…")]
    UnknownUrl(String),
    #[error("cannot open the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A write met a unique index (two saves of one name at once, say): the caller knows
    /// which field that was and says so.
    #[error("already taken: {0}")]
    Taken(String),
    #[error("the audit journal at {path}: {source}")]
    Journal {
        path: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Unique violations become `Taken`, naming the index or columns the engine reports.
    fn from_write(e: sqlx::Error) -> StoreError {
        match e.as_database_error() {
            Some(d) if d.is_unique_violation() => {
                StoreError::Taken(d.constraint().unwrap_or(d.message()).to_string())
            }
            _ => StoreError::Sql(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool of connections to one database.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite allows one writer at a time. Writers queue for the single connection of
    /// `write` (a fair, in-process queue) instead of sleeping in SQLite's busy handler,
    /// whose backoff put second-long stalls in the tail under load; readers use `read`.
    Sqlite {
        read: readers::Readers,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// Rows gathered into one JSON text value: an array holding, for each row in the order
/// of `order` (with no `order`, as the engine reads them), the array of its `columns`. A
/// page of many columns then crosses the driver as one value instead of one per cell: on
/// SQLite each cell is copied, counted and freed on its own, which cost more than the
/// query itself. `unpack` reads the value back. Only for pages of bounded size: the whole
/// result is one value in memory.
pub(crate) fn packed(
    backend: Backend,
    columns: impl IntoIterator<Item = Expr>,
    order: Vec<Expr>,
    descending: bool,
) -> Expr {
    let (array, gather) = match backend {
        Backend::Sqlite => ("json_array", "json_group_array"),
        Backend::Postgres => ("json_build_array", "json_agg"),
    };
    // sea-query's own placeholder for the n-th expression: `?` or `$n`.
    let placeholder = |n: usize| match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${n}"),
    };
    let row = sea_query::Func::cust(sea_query::Alias::new(array)).args(columns);
    let direction = if descending { " DESC" } else { "" };
    let keys = (2..order.len() + 2)
        .map(|n| format!("{}{direction}", placeholder(n)))
        .collect::<Vec<_>>()
        .join(", ");
    let ordered = if order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {keys}")
    };
    // PostgreSQL's json is not text to the driver; SQLite's already is.
    Expr::cust_with_exprs(
        format!("CAST({gather}({}{ordered}) AS TEXT)", placeholder(1)),
        std::iter::once(Expr::from(row)).chain(order),
    )
}

/// The rows of a `packed` value; none when there were no rows (PostgreSQL's aggregate of
/// nothing is NULL, SQLite's `[]`).
pub(crate) fn unpack<T: serde::de::DeserializeOwned>(value: Option<&str>) -> Result<Vec<T>> {
    match value {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| StoreError::Sql(sqlx::Error::Decode(Box::new(e)))),
    }
}

/// A flag as either engine puts it in JSON: `true`/`false` from PostgreSQL, `1`/`0` from
/// SQLite, which stores booleans as integers.
pub(crate) mod json_flag {
    use serde::Deserializer;
    use serde::de::{Error, Unexpected, Visitor};
    use std::fmt;

    struct Flag;

    impl Visitor<'_> for Flag {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("true, false, 1 or 0")
        }

        fn visit_bool<E: Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<bool, E> {
            match v {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
            }
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<bool, E> {
            u64::try_from(v)
                .map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
                .and_then(|v| self.visit_u64(v))
        }
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(Flag)
    }
}

/// A date in a packed row: the stored form (`2024-02-29`) read the fast way
/// (`dates::stored_date`), any other by chrono.
pub(crate) mod json_date {
    use chrono::NaiveDate;
    use serde::Deserializer;
    use serde::de::{Error, Visitor};
    use std::fmt;

    struct Date;

    impl Visitor<'_> for Date {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a date, 2024-02-29")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<NaiveDate, E> {
            match crate::domain::dates::stored_date(text) {
                Some(day) => Ok(day),
                None => text.parse().map_err(E::custom),
            }
        }
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        d.deserialize_str(Date)
    }

    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        #[derive(serde::Deserialize)]
        struct Present(#[serde(deserialize_with = "required")] NaiveDate);
        let present: Option<Present> = serde::Deserialize::deserialize(d)?;
        Ok(present.map(|Present(day)| day))
    }
}

/// A row type that decodes from either backend (derive `sqlx::FromRow`).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl Db {
    /// Opens `sqlite://PATH` (created if missing) or `postgres://…`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Db> {
        let connect_err = |source| StoreError::Connect {
            url: redact(url),
            source,
        };
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(connect_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // A large import is one transaction: with SQLite's 2 MB default cache it
                // spills dirty pages to the WAL mid-transaction, which costs more than the
                // inserts. 256 MiB is the most the cache grows to, not what it takes.
                .pragma("cache_size", "-262144")
                // Every commit (an audit entry after each list read) tells the readers the
                // file changed, and each drops its page cache: read through a memory map,
                // a reader takes pages straight from the OS, instead of copying each one
                // into fresh memory again (which cost most of a member list's time).
                .pragma("mmap_size", "2147418112")
                .pragma("temp_store", "memory")
                // Rows cross from the connection's thread in a bounded channel (50 by
                // default): a page of 51 rows filled it, and the thread then waited for
                // the request's task to drain it, a second hand-over per read.
                .row_buffer_size(256)
                .disable_statement_logging();
            // A local file's connection cannot go stale, so no ping before each use.
            let write = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await
                .map_err(connect_err)?;
            let read = readers::pool(options, 4)?;
            Ok(Db::Sqlite { read, write })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(connect_err)?
                .disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::UnknownUrl(redact(url)))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction that may write. On SQLite it runs on the one writer
    /// connection, so it never meets another writer of this process half-way, and takes
    /// the write lock as it begins (`BEGIN IMMEDIATE`): a transaction that read first and
    /// wrote after another process's commit would fail at once with SQLITE_BUSY_SNAPSHOT,
    /// where one that waits for the lock (the busy timeout) reads what that commit wrote.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx {
            conn: match self {
                Db::Sqlite { write, .. } => {
                    Conn::Sqlite(Held::Tx(write.begin_with("BEGIN IMMEDIATE").await?))
                }
                Db::Postgres(pool) => Conn::Postgres(Held::Tx(pool.begin().await?)),
            },
            mode: PhantomData,
        })
    }

    /// Starts a transaction that only reads: one consistent view, not queued behind
    /// writers. It has no way to write, so a read never holds SQLite's one writer.
    pub async fn begin_read(&self) -> Result<Tx<Read>> {
        Ok(Tx {
            conn: match self {
                Db::Sqlite { read, .. } => {
                    let mut reader = readers::lend(read).await?;
                    reader.begin().await?;
                    Conn::Sqlite(Held::Lent(reader))
                }
                Db::Postgres(pool) => Conn::Postgres(Held::Tx(pool.begin().await?)),
            },
            mode: PhantomData,
        })
    }

    /// Reads outside a transaction, on the read pool: each statement sees the data as of
    /// its own start. For a caller whose statements need no shared snapshot (the sign-in
    /// check of every page; the member list, whose page and total are one statement),
    /// this spares the BEGIN and COMMIT, each a round trip to SQLite's connection thread.
    pub async fn read_once(&self) -> Result<Tx<Read>> {
        Ok(Tx {
            conn: match self {
                Db::Sqlite { read, .. } => Conn::Sqlite(Held::Lent(readers::lend(read).await?)),
                Db::Postgres(pool) => Conn::Postgres(Held::Lent(pool.acquire().await?)),
            },
            mode: PhantomData,
        })
    }

    /// Refreshes the planner's statistics after a bulk load. Without them SQLite reads a
    /// national index (events by kind and date) for one local party's dashboard, 300
    /// times slower than starting from the local party's memberships.
    pub async fn analyze(&self) -> Result<()> {
        match self {
            Db::Sqlite { write, .. } => {
                sqlx::raw_sql("ANALYZE").execute(write).await?;
            }
            Db::Postgres(pool) => {
                sqlx::raw_sql("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Closes every connection. On SQLite the write-ahead log is first folded back into
    /// the file, so that a copy of the file alone holds every commit: the checkpoint that
    /// SQLite makes as its last connection closes is best-effort, and was skipped in about
    /// one close in four after a killed server had left a log behind.
    pub async fn close(&self) {
        match self {
            // Closing again (the server closes its database, then the command does) is
            // nothing to report.
            Db::Sqlite { write, .. } if write.is_closed() => {}
            Db::Sqlite { read, write } => {
                readers::close(read).await;
                // The one writer is taken, and its pool closed to everyone else, before
                // the checkpoint: a job still running (the server's worker) cannot then
                // commit after it and leave a log behind again.
                match write.acquire().await {
                    Ok(mut writer) => {
                        let closing = write.close();
                        if let Err(e) = sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                            .execute(&mut *writer)
                            .await
                        {
                            tracing::warn!(error = %e, "the write-ahead log was not folded back");
                        }
                        drop(writer);
                        closing.await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the write-ahead log was not folded back");
                        write.close().await;
                    }
                }
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Hides a password in a database URL before it is shown to anyone.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A transaction on either backend. Every statement goes through the methods here, which
/// render the same sea-query statement in the backend's own dialect. `Tx` (`Tx<Write>`)
/// may write; `Tx<Read>` (from `Db::begin_read`) only has the reading methods, so a
/// store function that writes cannot be handed one. Functions that only read take
/// `&mut Tx<impl Mode>` and serve both.
pub struct Tx<M: Mode = Write> {
    conn: Conn,
    mode: PhantomData<M>,
}

enum Conn {
    Sqlite(SqliteHeld),
    Postgres(PgHeld),
}

type SqliteHeld = Held<sqlx::Sqlite, readers::Lent>;
type PgHeld = Held<sqlx::Postgres, sqlx::pool::PoolConnection<sqlx::Postgres>>;

/// A connection in a transaction, or lent outside one (`Db::read_once`, and on SQLite
/// every read: a reader holds its read transaction itself).
enum Held<DB: sqlx::Database, L> {
    Tx(sqlx::Transaction<'static, DB>),
    Lent(L),
}

/// A connection lent by a pool: what committing its holder ends.
trait Lending: std::ops::DerefMut + Sized {
    fn finish(self) -> impl Future<Output = Result<()>> + Send;
}

impl<DB: sqlx::Database> Lending for sqlx::pool::PoolConnection<DB> {
    async fn finish(self) -> Result<()> {
        Ok(())
    }
}

impl<DB: sqlx::Database, L: Lending<Target = DB::Connection>> std::ops::Deref for Held<DB, L> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Held::Tx(t) => t,
            Held::Lent(c) => c,
        }
    }
}

impl<DB: sqlx::Database, L: Lending<Target = DB::Connection>> std::ops::DerefMut for Held<DB, L> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Held::Tx(t) => t,
            Held::Lent(c) => c,
        }
    }
}

impl<DB: sqlx::Database, L: Lending> Held<DB, L> {
    async fn commit(self) -> Result<()> {
        match self {
            Held::Tx(t) => Ok(t.commit().await?),
            Held::Lent(c) => c.finish().await,
        }
    }
}

/// What a transaction may do: `Read` or `Write`.
pub trait Mode: Send + Sync + 'static {}

/// A transaction that may write (on SQLite, it holds the one writer connection).
pub enum Write {}
/// A transaction that only reads.
pub enum Read {}

impl Mode for Write {}
impl Mode for Read {}

impl<M: Mode> Tx<M> {
    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn fetch_all<T: Record, S: SqlxBinder>(&mut self, statement: &S) -> Result<Vec<T>> {
        Ok(match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (sql, values) = statement.build_sqlx(SqliteQueryBuilder);
                sqlx::query_as_with(&sql, values)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Conn::Postgres(tx) => {
                let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
                sqlx::query_as_with(&sql, values)
                    .fetch_all(&mut **tx)
                    .await?
            }
        })
    }

    pub async fn fetch_optional<T: Record, S: SqlxBinder>(
        &mut self,
        statement: &S,
    ) -> Result<Option<T>> {
        Ok(match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (sql, values) = statement.build_sqlx(SqliteQueryBuilder);
                sqlx::query_as_with(&sql, values)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            Conn::Postgres(tx) => {
                let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
                sqlx::query_as_with(&sql, values)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        })
    }

    pub async fn commit(self) -> Result<()> {
        match self.conn {
            Conn::Sqlite(held) => held.commit().await,
            Conn::Postgres(held) => held.commit().await,
        }
    }
}

impl Tx<Write> {
    pub async fn execute<S: SqlxBinder>(&mut self, statement: &S) -> Result<u64> {
        Ok(match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (sql, values) = statement.build_sqlx(SqliteQueryBuilder);
                sqlx::query_with(&sql, values)
                    .execute(&mut **tx)
                    .await
                    .map_err(StoreError::from_write)?
                    .rows_affected()
            }
            Conn::Postgres(tx) => {
                let (sql, values) = statement.build_sqlx(PostgresQueryBuilder);
                sqlx::query_with(&sql, values)
                    .execute(&mut **tx)
                    .await
                    .map_err(StoreError::from_write)?
                    .rows_affected()
            }
        })
    }

    /// Runs one schema statement (DDL), already rendered for this backend by the caller,
    /// never with user data in it. Sent as an
    /// unnamed statement: `raw_sql`'s future cannot be proven `Send` by rustc, and a web
    /// handler may reach a bulk load, which drops and rebuilds indexes through here.
    async fn execute_raw(&mut self, sql: &str) -> Result<()> {
        match &mut self.conn {
            Conn::Sqlite(tx) => {
                sqlx::query(sql)
                    .persistent(false)
                    .execute(&mut **tx)
                    .await?;
            }
            Conn::Postgres(tx) => {
                sqlx::query(sql)
                    .persistent(false)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Column names for `Tx::insert_all`.
pub(crate) fn idens<I: IntoIden>(cols: impl IntoIterator<Item = I>) -> Vec<DynIden> {
    cols.into_iter().map(IntoIden::into_iden).collect()
}

/// One value of a bulk insert. Bound straight into the driver, so a large import does not
/// pay for building and copying a tree of query values per cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Date(Option<NaiveDate>),
    Bool(Option<bool>),
    Stamp(Option<DateTime<Utc>>),
}

impl From<Cell<'_>> for Value {
    fn from(cell: Cell<'_>) -> Value {
        match cell {
            Cell::Text(v) => v.map(str::to_string).into(),
            Cell::Int(v) => v.into(),
            Cell::Date(v) => v.into(),
            Cell::Bool(v) => v.into(),
            Cell::Stamp(v) => v.into(),
        }
    }
}

/// The text of an insert of `rows` rows (at least one) into `columns`, with a placeholder
/// for every value.
/// sea-query renders the first row; the others repeat its placeholders, because building
/// and rendering a tree of values for each row cost more than the audit log's inserts.
fn insert_sql(table: &DynIden, columns: &[DynIden], rows: usize) -> String {
    let mut q = Query::insert();
    q.into_table(table.clone())
        .columns(columns.iter().cloned())
        .values_panic(columns.iter().map(|_| Expr::val(Value::Int(None))));
    let mut sql = q.build(SqliteQueryBuilder).0;
    let row = sql
        .rsplit_once("VALUES ")
        .map_or_else(String::new, |(_, row)| format!(", {row}"));
    sql.reserve(row.len() * rows.saturating_sub(1));
    for _ in 1..rows {
        sql.push_str(&row);
    }
    sql
}

/// The error for a `fill` that gave a row more or fewer cells than there are columns.
fn wrong_width(table: &DynIden) -> StoreError {
    StoreError::Invalid(format!("a row for {table} has the wrong number of values"))
}

impl Tx<Write> {
    /// Inserts `rows` rows of `columns`; `fill(i, cells)` appends row `i`'s cells in column
    /// order. Each engine gets its fastest way in: multi-row INSERTs on SQLite; on
    /// PostgreSQL one INSERT for a few rows (a statement is one round trip, a COPY two or
    /// more) and one COPY stream for more.
    pub async fn insert_all<'a>(
        &mut self,
        table: impl IntoIden,
        columns: &[DynIden],
        rows: usize,
        fill: impl Fn(usize, &mut Vec<Cell<'a>>) -> Result<()>,
    ) -> Result<()> {
        let table = table.into_iden();
        if matches!(self.conn, Conn::Postgres(_)) && rows <= FEW_ROWS {
            if rows == 0 {
                return Ok(());
            }
            let mut insert = Query::insert();
            insert
                .into_table(table.clone())
                .columns(columns.iter().cloned());
            let mut cells = Vec::with_capacity(columns.len());
            for i in 0..rows {
                cells.clear();
                fill(i, &mut cells)?;
                if cells.len() != columns.len() {
                    return Err(wrong_width(&table));
                }
                insert.values_panic(cells.iter().map(|c| Expr::val(Value::from(*c))));
            }
            self.execute(&insert).await?;
            return Ok(());
        }
        match &mut self.conn {
            Conn::Sqlite(tx) => insert_batches(tx, &table, columns, rows, fill).await,
            Conn::Postgres(tx) => copy_in(tx, &table, columns, rows, fill).await,
        }
    }

    /// Ids for `n` new rows of `table` (an `id` column the engine numbers), so a bulk
    /// insert knows them without reading them back. On SQLite the range above every id
    /// ever given is this transaction's: if another writer commits after this read, the
    /// transaction's first write fails (SQLITE_BUSY_SNAPSHOT) instead of colliding. On
    /// PostgreSQL each value comes from the table's sequence, which never repeats one.
    pub async fn reserve_ids(&mut self, table: impl IntoIden, n: usize) -> Result<Vec<i64>> {
        // The name is one of the schema's own tables, never user data.
        let table = table.into_iden().to_string();
        let count = i64::try_from(n)
            .map_err(|_| StoreError::Invalid(format!("{n} rows are too many for one insert")))?;
        match &mut self.conn {
            Conn::Sqlite(tx) => {
                let (last,): (i64,) = sqlx::query_as(&format!(
                    "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0), \
                     COALESCE((SELECT max(id) FROM \"{table}\"), 0))"
                ))
                .bind(&table)
                .fetch_one(&mut **tx)
                .await?;
                Ok((last + 1..=last + count).collect())
            }
            Conn::Postgres(tx) => Ok(sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
            )
            .bind(&table)
            .bind(count)
            .fetch_all(&mut **tx)
            .await?),
        }
    }
}

/// Up to this many rows, `insert_all` on PostgreSQL is one INSERT rather than a COPY
/// (well inside PostgreSQL's 65,535 bound values for any table here).
const FEW_ROWS: usize = 500;

/// SQLite's side of `insert_all`: multi-row INSERTs of `batch_rows` rows, each value bound
/// straight into sqlx, so a large import builds no tree of query values per cell.
async fn insert_batches<'a>(
    tx: &mut SqliteHeld,
    table: &DynIden,
    columns: &[DynIden],
    rows: usize,
    fill: impl Fn(usize, &mut Vec<Cell<'a>>) -> Result<()>,
) -> Result<()> {
    if rows == 0 {
        return Ok(());
    }
    let per_batch = batch_rows(columns.len());
    let full_sql = insert_sql(table, columns, per_batch.min(rows));
    let mut cells: Vec<Cell<'a>> = Vec::with_capacity(per_batch * columns.len());
    let mut start = 0;
    while start < rows {
        let end = (start + per_batch).min(rows);
        cells.clear();
        for i in start..end {
            fill(i, &mut cells)?;
        }
        if cells.len() != (end - start) * columns.len() {
            return Err(wrong_width(table));
        }
        let partial;
        let sql = if end - start == per_batch.min(rows) {
            &full_sql
        } else {
            partial = insert_sql(table, columns, end - start);
            &partial
        };
        let mut q = sqlx::query(sql);
        for cell in &cells {
            q = match *cell {
                Cell::Text(v) => q.bind(v),
                Cell::Int(v) => q.bind(v),
                Cell::Date(v) => q.bind(v),
                Cell::Bool(v) => q.bind(v),
                Cell::Stamp(v) => q.bind(v),
            };
        }
        q.execute(&mut **tx).await?;
        start = end;
    }
    Ok(())
}

/// PostgreSQL's side of `insert_all`: `COPY … FROM STDIN` in text format, streamed in
/// pieces of about a megabyte. A multi-row INSERT binds every value as a parameter, which
/// made the transport, not the engine, the slowest part of a national import.
async fn copy_in<'a>(
    tx: &mut PgHeld,
    table: &DynIden,
    columns: &[DynIden],
    rows: usize,
    fill: impl Fn(usize, &mut Vec<Cell<'a>>) -> Result<()>,
) -> Result<()> {
    if rows == 0 {
        return Ok(());
    }
    let quoted = |name: String| format!("\"{}\"", name.replace('"', "\"\""));
    let sql = format!(
        "COPY {} ({}) FROM STDIN",
        quoted(table.to_string()),
        columns
            .iter()
            .map(|c| quoted(c.to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut copy = tx.copy_in_raw(&sql).await?;
    let mut text = String::with_capacity(COPY_PIECE + 4_096);
    let mut cells: Vec<Cell<'a>> = Vec::with_capacity(columns.len());
    for i in 0..rows {
        cells.clear();
        fill(i, &mut cells)?;
        if cells.len() != columns.len() {
            // Dropping `copy` unfinished aborts the COPY, and with it the transaction.
            return Err(wrong_width(table));
        }
        for (n, cell) in cells.iter().enumerate() {
            if n > 0 {
                text.push('\t');
            }
            copy_text(&mut text, cell);
        }
        text.push('\n');
        if text.len() >= COPY_PIECE {
            copy.send(text.as_bytes()).await?;
            text.clear();
        }
    }
    copy.send(text.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

const COPY_PIECE: usize = 1 << 20;

/// A cell in COPY's text format: `\N` for NULL; backslash, tab and line ends escaped.
fn copy_text(out: &mut String, cell: &Cell<'_>) {
    use std::fmt::Write;
    match *cell {
        Cell::Text(None)
        | Cell::Int(None)
        | Cell::Date(None)
        | Cell::Bool(None)
        | Cell::Stamp(None) => out.push_str("\\N"),
        Cell::Text(Some(s)) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        Cell::Int(Some(v)) => {
            let _ = write!(out, "{v}");
        }
        Cell::Date(Some(d)) => {
            let _ = write!(out, "{d}");
        }
        Cell::Bool(Some(b)) => out.push(if b { 't' } else { 'f' }),
        // Microseconds are PostgreSQL's precision; truncating matches what a bound value gets.
        Cell::Stamp(Some(t)) => {
            out.push_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        }
    }
}

/// How many rows of `columns` values fit in one SQLite statement (it allows 32,766 bound
/// values), capped so one statement stays small.
pub(crate) fn batch_rows(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Flags(
        #[serde(deserialize_with = "json_flag::required")] bool,
        #[serde(deserialize_with = "json_flag::required")] bool,
    );

    #[test]
    fn a_packed_flag_reads_as_either_engine_writes_it() {
        let read = |text: &str| unpack::<Flags>(Some(text));
        assert_eq!(
            read("[[true,false],[1,0],[0,1],[false,true]]").expect("flags"),
            vec![
                Flags(true, false),
                Flags(true, false),
                Flags(false, true),
                Flags(false, true),
            ]
        );
        for wrong in [
            "[[2,0]]",
            "[[-1,0]]",
            "[[\"yes\",0]]",
            "[[null,0]]",
            "[[1,7]]",
        ] {
            assert!(read(wrong).is_err(), "{wrong}");
        }
        assert_eq!(unpack::<Flags>(None).expect("no rows"), vec![]);
        assert_eq!(read("[]").expect("no rows"), vec![]);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://rosette:s3cret@db.example/rosette"),
            "postgres://rosette:***@db.example/rosette"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact("sqlite://rosette.db"), "sqlite://rosette.db");
    }

    #[test]
    fn bulk_inserts_have_one_placeholder_per_cell() {
        let cols: Vec<DynIden> = ["a", "b", "c"]
            .map(|c| sea_query::Alias::new(c).into_iden())
            .to_vec();
        let table = sea_query::Alias::new("t").into_iden();
        for rows in [1, 2, 4, 1000] {
            let mut whole = Query::insert();
            whole
                .into_table(table.clone())
                .columns(cols.iter().cloned());
            for _ in 0..rows {
                whole.values_panic(cols.iter().map(|_| Expr::val(Value::Int(None))));
            }
            let sql = insert_sql(&table, &cols, rows);
            assert_eq!(sql, whole.build(SqliteQueryBuilder).0, "{rows} rows");
            assert_eq!(sql.matches('?').count(), rows * 3, "{sql}");
        }
    }

    #[test]
    fn copy_text_escapes_what_would_split_a_row() {
        let mut out = String::new();
        for cell in [
            Cell::Text(Some("a\tb\\c\nd\re")),
            Cell::Text(None),
            Cell::Int(Some(-7)),
            Cell::Bool(Some(false)),
            Cell::Date(NaiveDate::from_ymd_opt(2024, 2, 29)),
            Cell::Stamp(DateTime::from_timestamp(1_700_000_000, 123_456_789)),
        ] {
            copy_text(&mut out, &cell);
            out.push('|');
        }
        assert_eq!(
            out,
            "a\\tb\\\\c\\nd\\re|\\N|-7|f|2024-02-29|2023-11-14T22:13:20.123456Z|"
        );
    }

    #[test]
    fn batches_fit_one_sqlite_statement() {
        assert_eq!(batch_rows(30), 1_000);
        assert_eq!(batch_rows(40), 750);
        assert!(batch_rows(40) * 40 <= 32_766);
    }
}
