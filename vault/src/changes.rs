//! Following the change feed: how every instance's read model learns of changes, whichever
//! instance made them.
//!
//! Triggers write an entry to the `changes` table in the same transaction as each change to
//! what the read model holds: a prompt's pointers or served versions, an API key created or
//! revoked, a workspace's staging setting, an author's name. Entries commit in the order of
//! their revision (SQLite has one writer; on PostgreSQL the writers of the feed take turns),
//! so an instance applies "everything after the revision it has" and never skips one.
//!
//! An instance follows the feed after each of its own writes (so its next read serves the
//! change), when PostgreSQL notifies it of another instance's write, and every few seconds
//! as a backstop. When it may have missed a notification (the listening connection was
//! lost) or the database (it was unreachable), it reloads the whole read model instead.

use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::Row;

use crate::db::{Backend, Db, Timestamp};
use crate::{Result, Vault, VaultError};

/// How long feed entries are kept: far longer than a running instance takes to follow them
/// (one that lost the database reads everything again when it is back).
pub const FEED_KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// How often an instance checks the feed without being told of a change: the backstop.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// PostgreSQL's notification channel for feed entries (see the migration).
const CHANNEL: &str = "promptvault_changes";

/// The feed entries applied in one query.
const BATCH: i64 = 500;

/// The last revision the feed holds (0 when empty).
pub(crate) async fn feed_end(db: &Db) -> Result<i64> {
    Ok(sqlx::query_scalar("select coalesce(max(revision), 0) from changes").fetch_one(&db.read).await?)
}

/// What one feed entry says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Prompt(i64),
    ApiKey(i64),
    Workspace(i64),
    Account(i64),
}

impl Subject {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Subject> {
        let id: i64 = row.try_get("subject_id")?;
        match row.try_get::<String, _>("subject")?.as_str() {
            "prompt" => Ok(Subject::Prompt(id)),
            "api_key" => Ok(Subject::ApiKey(id)),
            "workspace" => Ok(Subject::Workspace(id)),
            "account" => Ok(Subject::Account(id)),
            other => Err(VaultError::Internal(format!("unknown change subject {other:?}").into())),
        }
    }
}

impl Vault {
    /// The last feed entry this instance's read model has applied: equal on every instance
    /// once they have converged (shown by `/healthz`).
    pub fn revision(&self) -> i64 {
        self.serving.revision.load(Ordering::SeqCst)
    }

    /// The last entry of the change feed in the database.
    pub async fn feed_revision(&self) -> Result<i64> {
        feed_end(&self.db).await
    }

    /// Applies what the feed holds after this instance's revision. Called after every
    /// write of this instance; a failure is logged, and the periodic check retries.
    pub(crate) async fn follow_changes(&self) {
        if let Err(error) = self.catch_up().await {
            tracing::error!(%error, "following the change feed failed; retrying at the next check");
        }
    }

    /// Brings the read model up to the end of the change feed, in order: one caller at a
    /// time, the others wait and then find little or nothing left to do.
    pub async fn catch_up(&self) -> Result<()> {
        let _one_at_a_time = self.following.lock().await;
        loop {
            let after = self.revision();
            let rows = sqlx::query(
                "select revision, subject, subject_id from changes where revision > $1 order by revision limit $2",
            )
            .bind(after)
            .bind(BATCH)
            .fetch_all(&self.db.read)
            .await?;
            let Some(last) = rows.last() else { return Ok(()) };
            let last: i64 = last.try_get("revision")?;
            for row in &rows {
                self.apply(Subject::from_row(row)?, row.try_get("revision")?).await?;
            }
            self.serving.revision.fetch_max(last, Ordering::SeqCst);
            if rows.len() < BATCH as usize {
                return Ok(());
            }
        }
    }

    /// Reads the whole read model again, as after a lost notification connection.
    pub async fn resync(&self) -> Result<()> {
        let _one_at_a_time = self.following.lock().await;
        self.serving.reload(&self.db).await
    }

    /// Applies one feed entry, of revision `revision`.
    async fn apply(&self, subject: Subject, revision: i64) -> Result<()> {
        let prompts_of = |query: &'static str, id: i64| async move {
            sqlx::query_scalar::<_, i64>(query).bind(id).fetch_all(&self.db.read).await
        };
        match subject {
            Subject::Prompt(id) => self.serving.refresh_prompt(&self.db, id, revision).await,
            Subject::ApiKey(id) => self.serving.refresh_key(&self.db, id).await,
            Subject::Workspace(workspace_id) => {
                // Test keys of every prompt read staging or live from now on; a label of the
                // workspace's own was made, changed (its fallback) or deleted.
                for id in prompts_of("select id from prompts where workspace_id = $1", workspace_id).await? {
                    self.serving.refresh_prompt(&self.db, id, revision).await?;
                }
                self.serving.refresh_labels(&self.db, workspace_id).await
            }
            Subject::Account(id) => {
                // Served versions carry their author's name.
                self.serving.forget_pinned();
                for id in
                    prompts_of("select distinct prompt_id from versions where author_id = $1", id).await?
                {
                    self.serving.refresh_prompt(&self.db, id, revision).await?;
                }
                Ok(())
            }
        }
    }

    /// Deletes feed entries older than [`FEED_KEPT_FOR`]. A running instance follows the
    /// feed every few seconds, and one that lost the database for longer reloads everything
    /// when it is back, so no instance still needs them.
    pub async fn prune_changes(&self) -> Result<()> {
        let before = Timestamp::now().0 - i64::try_from(FEED_KEPT_FOR.as_millis()).unwrap_or(i64::MAX);
        // The newest entry stays, so the feed's end (the instances' revision) never goes back.
        sqlx::query("delete from changes where at < $1 and revision < (select max(revision) from changes)")
            .bind(before)
            .execute(&self.db.write)
            .await?;
        Ok(())
    }

    /// Follows the change feed until dropped: every [`CHECK_EVERY`], and on PostgreSQL
    /// also at once when another instance commits a change. The server runs this once.
    pub async fn follow_forever(self) {
        let notified = async {
            if self.db.backend == Backend::Postgres {
                self.listen().await;
            }
        };
        let checked = async {
            let mut every = tokio::time::interval(CHECK_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u64 = 0;
            loop {
                every.tick().await;
                self.follow_changes().await;
                ticks += 1;
                // About once an hour, the feed is trimmed.
                if ticks.is_multiple_of(3600 / CHECK_EVERY.as_secs())
                    && let Err(error) = self.prune_changes().await
                {
                    tracing::warn!(%error, "could not prune the change feed");
                }
            }
        };
        tokio::join!(notified, checked);
    }

    /// Listens for PostgreSQL's notifications of feed entries. A notification is lost when
    /// the connection is, so once listening again the read model is read whole.
    async fn listen(&self) {
        let mut first = true;
        loop {
            let Err(error) = self.listening(&mut first).await;
            tracing::warn!(%error, "the change notifications' connection failed; reconnecting");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// One listening connection, until it fails. A connection lost and made again by the
    /// listener itself is followed by reading everything again.
    async fn listening(&self, first: &mut bool) -> Result<std::convert::Infallible> {
        let mut listener = sqlx::postgres::PgListener::connect(&self.db.url).await?;
        listener.listen(CHANNEL).await?;
        // Listening now: whatever committed before is in the database. The first time it
        // is in the feed after the revision loaded at start-up; after a loss, anything.
        if std::mem::replace(first, false) {
            self.follow_changes().await;
        } else {
            self.resync_logged().await;
        }
        loop {
            match listener.try_recv().await? {
                Some(notification) if notification.payload() == "search" => self.search_index.poke(),
                Some(_) => self.follow_changes().await,
                None => {
                    tracing::warn!(
                        "the change notifications' connection was lost and made again; reading everything"
                    );
                    self.resync_logged().await;
                }
            }
        }
    }

    async fn resync_logged(&self) {
        if let Err(error) = self.resync().await {
            tracing::error!(%error, "reading the read model again failed; retrying at the next check");
        }
    }
}
