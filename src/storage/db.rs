//! The database pool itself, for features whose queries read the same on SQLite and PostgreSQL
//! (accounts, membership, comments). Their SQL is written once with `$1`-style parameters, which
//! both engines number the same way, and run with [`on_db!`](crate::on_db).

use sqlx::{PgPool, SqlitePool};

/// The pool of whichever database this server uses.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same sqlx code on whichever pool `$db` holds, binding the pool to `$pool`:
///
/// ```ignore
/// let rows: Vec<UserRow> = on_db!(db, pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
/// ```
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::storage::Db::Sqlite($pool) => $body,
            $crate::storage::Db::Postgres($pool) => $body,
        }
    };
}
