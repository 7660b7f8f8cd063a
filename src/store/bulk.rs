//! Bulk loads: a load that at least doubles the tables it writes sets their secondary
//! indexes (and, on PostgreSQL, their foreign keys) aside, inserts, then builds them again
//! and re-checks every reference before the transaction commits. Building an index by
//! sorting once is cheaper than keeping it up to date row by row, and PostgreSQL checks a
//! foreign key of half a million rows in one join instead of half a million triggers.
//! Both engines' DDL is transactional, so a failure anywhere leaves the schema as it was.

use sea_query::DynIden;

use super::{Conn, Result, Tx};

/// Below this many rows a load takes the ordinary path: setting aside and rebuilding
/// costs more than it saves, and on PostgreSQL it would lock the tables for others.
pub const MIN_ROWS: usize = 10_000;

/// Whether adding `adding` rows to tables that hold `existing` should be a bulk load: the
/// rebuild then sorts at most twice what row-by-row upkeep would have touched.
pub fn worth_it(adding: usize, existing: i64) -> bool {
    adding >= MIN_ROWS && i64::try_from(adding).is_ok_and(|a| a >= existing)
}

/// What was set aside, as the statements that put it back, in order.
#[must_use = "what was set aside must be restored before commit"]
pub struct SetAside {
    restore: Vec<String>,
}

/// Drops the secondary indexes of `tables` (and, on PostgreSQL, their foreign keys),
/// keeping each definition as the catalog states it. Primary keys and unique constraints
/// stay: the load's own ids and public ids rely on them.
pub async fn set_aside(tx: &mut Tx, tables: &[DynIden]) -> Result<SetAside> {
    let tables: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
    let pairs: Vec<(String, String)> = match &mut tx.conn {
        // sqlite_master keeps the statement that created each index; automatic indexes
        // (primary keys, UNIQUE columns) have none and cannot be dropped.
        Conn::Sqlite(t) => {
            let mut pairs = Vec::new();
            for table in &tables {
                pairs.extend(
                    sqlx::query_as::<_, (String, String)>(
                        "SELECT 'DROP INDEX \"' || replace(name, '\"', '\"\"') || '\"', sql \
                         FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                         AND tbl_name = ?1 ORDER BY name",
                    )
                    .bind(table.clone())
                    .fetch_all(&mut **t)
                    .await?,
                );
            }
            pairs
        }
        Conn::Postgres(t) => {
            sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
                .persistent(false)
                .execute(&mut **t)
                .await?;
            // Indexes come first, so each foreign key is checked with them already built.
            sqlx::query_as(
                "SELECT drop_sql, create_sql FROM ( \
                   SELECT 0 AS step, format('DROP INDEX %I.%I', i.schemaname, i.indexname) AS drop_sql, \
                          i.indexdef AS create_sql \
                   FROM pg_indexes i JOIN pg_index x \
                     ON x.indexrelid = format('%I.%I', i.schemaname, i.indexname)::regclass \
                   WHERE i.schemaname = current_schema() AND i.tablename = ANY($1) \
                     AND NOT x.indisprimary \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) \
                   UNION ALL \
                   SELECT 1, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname), \
                          format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, \
                                 pg_get_constraintdef(c.oid)) \
                   FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid \
                   WHERE c.contype = 'f' AND r.relnamespace = current_schema()::regnamespace \
                     AND r.relname = ANY($1) \
                 ) s ORDER BY step, drop_sql",
            )
            .bind(tables.clone())
            .fetch_all(&mut **t)
            .await?
        }
    };
    let mut restore = Vec::with_capacity(pairs.len());
    for (drop, create) in pairs {
        tx.execute_raw(&drop).await?;
        restore.push(create);
    }
    tracing::debug!(set_aside = restore.len(), "bulk load");
    Ok(SetAside { restore })
}

/// Builds again what `set_aside` dropped. A duplicate in a unique index or a reference to
/// nothing fails here, and the caller's transaction rolls the whole load back.
pub async fn restore(tx: &mut Tx, aside: SetAside) -> Result<()> {
    for sql in aside.restore {
        tx.execute_raw(&sql).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loads_that_at_least_double_the_tables_are_bulk() {
        assert!(
            !worth_it(MIN_ROWS - 1, 0),
            "small loads take the ordinary path"
        );
        assert!(worth_it(MIN_ROWS, 0));
        assert!(worth_it(500_000, 500_000));
        assert!(!worth_it(500_000, 500_001));
        assert!(
            !worth_it(20_000, 1_000_000),
            "a fortnightly file into a big register"
        );
    }
}
