//! A PostgreSQL schema of its own for one test or bench run, so that runs at the same time
//! against one database never see each other's plans or migration table.

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::Connection;

/// The environment variable naming the PostgreSQL database that tests and benches use.
pub const URL_VAR: &str = "SAMSKRIV_TEST_POSTGRES_URL";

/// Longest connecting to the server may take: an unreachable one must not hang a run.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A schema dropped with everything in it when this value is dropped, whether the run passed or
/// failed.
pub struct PostgresSchema {
    base_url: String,
    /// The schema's name, also the `application_name` of the connections made through
    /// [`Self::url`].
    name: String,
}

impl PostgresSchema {
    pub async fn create(base_url: &str) -> Result<PostgresSchema> {
        // Hex digits only: safe to splice into SQL as an identifier.
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin =
            tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect(base_url))
                .await
                .with_context(|| format!("no connection within {CONNECT_TIMEOUT:?}"))??;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut admin)
            .await
            .context("cannot create a schema")?;
        let _ = admin.close().await;
        Ok(PostgresSchema {
            base_url: base_url.to_owned(),
            name,
        })
    }

    /// The base URL with every connection's `search_path` set to this schema, and named after
    /// it so that the cleanup can find them.
    pub fn url(&self) -> String {
        let separator = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{separator}application_name={name}&options=-c%20search_path%3D{name}",
            self.base_url,
            name = self.name
        )
    }

    /// Ends the schema's own sessions, then drops it. The sessions must go first: a connection
    /// returned to the pool after a failed transaction rolls back in a task of the caller's
    /// runtime, which may not run again (a single-threaded runtime is blocked in `Drop`, a
    /// panicking test never polls again), and its locks would make `DROP SCHEMA` wait forever.
    async fn drop_now(base_url: &str, name: &str) -> Result<(), sqlx::Error> {
        let mut admin = sqlx::PgConnection::connect(base_url).await?;
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(&mut admin)
        .await?;
        sqlx::query("SET lock_timeout = '10s'")
            .execute(&mut admin)
            .await?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .execute(&mut admin)
            .await?;
        let _ = admin.close().await;
        Ok(())
    }
}

impl Drop for PostgresSchema {
    fn drop(&mut self) {
        // Drop cannot await: use a thread with a runtime of its own. Never panic here; a
        // leftover schema is only worth a warning.
        let base_url = self.base_url.clone();
        let name = self.name.clone();
        let outcome = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(Self::drop_now(&base_url, &name))
                .map_err(|e| e.to_string())
        })
        .join()
        .unwrap_or_else(|_| Err("the cleanup thread panicked".to_owned()));
        if let Err(e) = outcome {
            let _ = writeln!(
                std::io::stderr(),
                "warning: schema {} was not dropped: {e}",
                self.name
            );
        }
    }
}
