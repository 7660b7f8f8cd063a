//! SQLite's readers: a few connections lent out by deadpool rather than by sqlx's pool.
//!
//! sqlx's pool pings every connection as it comes back (a task spawned, and a round trip
//! to SQLite's connection thread): a page's sign-in check and its list read each paid one
//! more hand-over between threads than statements they ran. A local file's connection
//! cannot go stale, so the only thing to set right as one comes back is a read
//! transaction left open (a read that ended without `finish`, or a cancelled request),
//! and that is rolled back as sqlx's own `Transaction` does when dropped: queued on the
//! connection without waiting, so it runs before whatever the next borrower sends.

use deadpool::managed::{self, Metrics, RecycleResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteTransactionManager};
use sqlx::{ConnectOptions, Connection, TransactionManager};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use super::{Result, StoreError};

/// Opens readers.
#[derive(Debug)]
struct Opener(SqliteConnectOptions);

#[derive(Debug)]
struct Reader {
    conn: SqliteConnection,
    /// Its BEGIN was answered and no COMMIT has been: it may hold a snapshot. (A BEGIN
    /// cut off before its answer is rolled back by sqlx's connection thread itself.)
    open: bool,
}

impl managed::Manager for Opener {
    type Type = Reader;
    type Error = sqlx::Error;

    async fn create(&self) -> std::result::Result<Reader, sqlx::Error> {
        Ok(Reader {
            conn: self.0.connect().await?,
            open: false,
        })
    }

    async fn recycle(&self, _: &mut Reader, _: &Metrics) -> RecycleResult<sqlx::Error> {
        Ok(())
    }
}

/// The readers of one database file.
#[derive(Clone, Debug)]
pub struct Readers(managed::Pool<Opener>);

/// A reader lent to one `Tx<Read>`, returned to the others when dropped.
pub(crate) struct Lent(managed::Object<Opener>);

/// At most `size` readers, each opened when first needed.
pub(crate) fn pool(options: SqliteConnectOptions, size: usize) -> Result<Readers> {
    managed::Pool::builder(Opener(options))
        .max_size(size)
        // As long as sqlx's pools wait for a connection.
        .wait_timeout(Some(Duration::from_secs(30)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map(Readers)
        .map_err(|e| StoreError::Invalid(format!("the SQLite readers could not be set up: {e}")))
}

/// Lends a reader outside any transaction.
pub(crate) async fn lend(readers: &Readers) -> Result<Lent> {
    readers.0.get().await.map(Lent).map_err(|e| {
        StoreError::Sql(match e {
            managed::PoolError::Backend(e) => e,
            managed::PoolError::Timeout(_) => sqlx::Error::PoolTimedOut,
            _ => sqlx::Error::PoolClosed,
        })
    })
}

impl Lent {
    /// Starts a read transaction: one snapshot for every statement until `finish`.
    pub(crate) async fn begin(&mut self) -> Result<()> {
        SqliteTransactionManager::begin(&mut self.0.conn, None).await?;
        self.0.open = true;
        Ok(())
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if self.0.open {
            SqliteTransactionManager::start_rollback(&mut self.0.conn);
            self.0.open = false;
        }
    }
}

impl super::Lending for Lent {
    /// Ends the read transaction, if one was begun.
    async fn finish(mut self) -> Result<()> {
        if self.0.open {
            SqliteTransactionManager::commit(&mut self.0.conn).await?;
            self.0.open = false;
        }
        Ok(())
    }
}

impl Deref for Lent {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.0.conn
    }
}

impl DerefMut for Lent {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.0.conn
    }
}

/// Closes every reader not lent out, and drops the rest as they come back; none is lent
/// after this.
pub(crate) async fn close(readers: &Readers) {
    let idle = readers.0.retain(|_, _| false).removed;
    readers.0.close();
    for reader in idle {
        if let Err(e) = reader.conn.close().await {
            tracing::warn!(error = %e, "a reader did not close cleanly");
        }
    }
}
