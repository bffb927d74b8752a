//! Usage counted in memory and written in batches: a report (or a read or stream that names
//! its client) adds to a map under a short lock, and the server writes the map every second
//! in one transaction per [`BATCH`] rows — so thousands of reports a second cost a few writes,
//! and nothing on the read path waits for the database. What is pending is written again
//! after a failed write (nothing is lost while the database is away) and when the server
//! stops; the fleet and the guards write it before they read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::Result;
use crate::db::Db;
use crate::error::VaultError;

/// The most rows pending at once: beyond it reports are refused (429) and reads are not
/// noted, until the next write. Far above a second's worth from any real fleet.
pub const MAX_PENDING: usize = 200_000;

/// The rows written per transaction.
const BATCH: usize = 500;

/// An application's instance, as it names itself (`PromptVault-App`, `PromptVault-Instance`,
/// or a report's `app` and `instance`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId {
    app: Arc<str>,
    instance: Arc<str>,
}

/// The most bytes of an application's name or an instance id.
pub const MAX_CLIENT_NAME_BYTES: usize = 100;

impl ClientId {
    /// Refused in words unless both are 1 to [`MAX_CLIENT_NAME_BYTES`] bytes of printable text.
    pub fn new(app: &str, instance: &str) -> Result<ClientId> {
        for (field, value) in [("app", app), ("instance", instance)] {
            if value.is_empty() || value.len() > MAX_CLIENT_NAME_BYTES || value.chars().any(char::is_control)
            {
                return Err(VaultError::invalid(
                    field,
                    format!("{field} is 1 to {MAX_CLIENT_NAME_BYTES} bytes of printable text"),
                ));
            }
        }
        Ok(ClientId { app: app.into(), instance: instance.into() })
    }
}

/// One row of `usage_minutes`, by what identifies it (the prompt by workspace and name: the
/// write finds its id, so a report costs no query).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct UsageKey {
    pub workspace_id: i64,
    pub prompt: Arc<str>,
    pub number: i64,
    pub client: ClientId,
    pub minute: i64,
}

impl UsageKey {
    pub fn new(workspace_id: i64, prompt: &str, number: i64, client: &ClientId, at: i64) -> UsageKey {
        UsageKey {
            workspace_id,
            prompt: prompt.into(),
            number,
            client: client.clone(),
            minute: at / 60_000 * 60_000,
        }
    }
}

/// What a row gains: uses, failures, and the latest moment it was added to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub uses: u64,
    pub failures: u64,
    pub last_seen: i64,
}

impl Counts {
    fn add(&mut self, more: Counts) {
        self.uses = self.uses.saturating_add(more.uses);
        self.failures = self.failures.saturating_add(more.failures);
        self.last_seen = self.last_seen.max(more.last_seen);
    }
}

#[derive(Clone, Default)]
pub(crate) struct UsageBuffer {
    pending: Arc<Mutex<HashMap<UsageKey, Counts>>>,
    /// One write at a time, so that a row is never written by two at once.
    writing: Arc<tokio::sync::Mutex<()>>,
}

impl UsageBuffer {
    /// Adds every row or none: `false` when that would pass [`MAX_PENDING`].
    pub fn add_all(&self, rows: impl IntoIterator<Item = (UsageKey, Counts)>) -> bool {
        let rows: Vec<_> = rows.into_iter().collect();
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() + rows.len() > MAX_PENDING {
            return false;
        }
        for (key, counts) in rows {
            pending.entry(key).or_default().add(counts);
        }
        true
    }

    /// Notes that `key`'s client was served its version just now (no use counted).
    pub fn note(&self, key: UsageKey, at: i64) {
        self.add_all([(key, Counts { uses: 0, failures: 0, last_seen: at })]);
    }

    /// Writes what is pending; how many rows. On failure what was taken is put back.
    pub async fn write(&self, db: &Db) -> Result<usize> {
        let _one = self.writing.lock().await;
        let rows: Vec<(UsageKey, Counts)> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *pending).into_iter().collect()
        };
        let written = rows.len();
        for (i, batch) in rows.chunks(BATCH).enumerate() {
            if let Err(error) = write_batch(db, batch).await {
                // This batch and the ones after it wait for the next write (over the cap if
                // need be: they were counted already).
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                for (key, counts) in &rows[i * BATCH..] {
                    pending.entry(key.clone()).or_default().add(*counts);
                }
                return Err(error);
            }
        }
        Ok(written)
    }
}

async fn write_batch(db: &Db, rows: &[(UsageKey, Counts)]) -> Result<()> {
    let mut tx = db.write.begin().await?;
    for (key, counts) in rows {
        // A prompt not found (deleted meanwhile) adds nothing.
        sqlx::query(
            "insert into usage_minutes (prompt_id, number, app, instance, minute, uses, failures, last_seen) \
             select p.id, $3, $4, $5, $6, $7, $8, $9 from prompts p where p.workspace_id = $1 and p.name = $2 \
             on conflict (prompt_id, number, app, instance, minute) do update set \
             uses = usage_minutes.uses + excluded.uses, failures = usage_minutes.failures + excluded.failures, \
             last_seen = case when excluded.last_seen > usage_minutes.last_seen then excluded.last_seen \
             else usage_minutes.last_seen end",
        )
        .bind(key.workspace_id)
        .bind(&*key.prompt)
        .bind(key.number)
        .bind(&*key.client.app)
        .bind(&*key.client.instance)
        .bind(key.minute)
        .bind(i64::try_from(counts.uses).unwrap_or(i64::MAX))
        .bind(i64::try_from(counts.failures).unwrap_or(i64::MAX))
        .bind(counts.last_seen)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
