//! Storage: connection pools and migrations, for SQLite (embedded, the default) and
//! PostgreSQL, through sqlx's `Any` driver so that every query is written once in portable
//! SQL. Times are stored as unix milliseconds for the same reason.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::{Result, migrations};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// A moment, in unix milliseconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Timestamp(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    /// RFC 3339 with milliseconds, `2026-11-24T05:44:20.123Z`.
    pub fn to_rfc3339(self) -> String {
        chrono::DateTime::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// An RFC 3339 time (`2026-11-24T05:44:20Z`, any offset), if `raw` is one.
    pub fn parse_rfc3339(raw: &str) -> Option<Timestamp> {
        chrono::DateTime::parse_from_rfc3339(raw).ok().map(|at| Timestamp(at.timestamp_millis()))
    }

    pub(crate) fn plus(self, duration: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)))
    }
}

/// What to add to a `select` that holds the rows it reads until the transaction ends:
/// PostgreSQL's row lock. SQLite has one writer at a time and needs none.
pub(crate) fn row_lock(conn: &sqlx::AnyConnection) -> &'static str {
    if conn.backend_name() == "PostgreSQL" { " for update" } else { "" }
}

#[derive(Clone)]
pub(crate) struct Db {
    pub backend: Backend,
    /// Where it is: PostgreSQL's listening connection opens its own connection.
    pub url: String,
    /// Reads: several connections, never blocked by a writer (WAL on SQLite).
    pub read: AnyPool,
    /// Writes. On SQLite a single connection: SQLite allows one writer at a time, and a
    /// transaction that starts as a read and upgrades fails with `database is locked`
    /// instead of waiting. Queuing writers in the pool makes every write wait its turn.
    pub write: AnyPool,
}

impl Db {
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url).ok_or_else(|| {
            crate::VaultError::invalid("database", "the database URL must start with sqlite: or postgres:")
        })?;
        let db = match backend {
            Backend::Sqlite => {
                let write = sqlite_pool(1).connect(url).await?;
                // The writer creates the file and turns on WAL before any reader opens it.
                migrations::migrator(migrations::SQLITE).run(&write).await?;
                let read = sqlite_pool(8).connect(url).await?;
                Db { backend, url: url.to_owned(), read, write }
            }
            Backend::Postgres => {
                // PostgreSQL runs writers side by side (row locks order them), so one pool
                // serves reads and writes.
                // A database that cannot be reached is said so (503) within seconds, not
                // after a long wait: writers here take turns by row locks, not in the pool.
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await?;
                migrations::migrator(migrations::POSTGRES).run(&pool).await?;
                Db { backend, url: url.to_owned(), read: pool.clone(), write: pool }
            }
        };
        Ok(db)
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

fn sqlite_pool(max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        // A queued writer waits for its turn rather than failing.
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    // Durable at every checkpoint and fast: the usual pairing with WAL.
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 10000",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
}
