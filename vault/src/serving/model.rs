//! The read model: per prompt and label, the response a read sends, and every API key by
//! the hash of its token, all in memory. Every operation that changes what a key reads
//! rebuilds the affected entries before it returns, so the next read serves the new state.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use sqlx::{AssertSqlSafe, Row};

use crate::db::{Db, Timestamp};
use crate::labels::Fallback;
use crate::names::LabelName;
use crate::names::VersionNumber;
use crate::serving::entry::{PromptEntry, Reading};
use crate::serving::keys::{KEY_COLUMNS, KeyEntry, TokenHash, hash_token, key_from_row};
use crate::serving::rendering::{Served, serve, version_row};
use crate::serving::updates::{StreamCounts, Update, Updates};
use crate::version::Status;
use crate::{Result, Vault};

/// Why a read got nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRefused {
    /// Missing, unknown or revoked key: 401.
    Unauthorized,
    /// No such prompt, nothing live, or no such published version: 404.
    NotFound,
    /// A pinned version not in memory, and the database cannot be read: 503.
    Unavailable,
    /// The key read more than its configured rate: 429, to try again after this.
    Limited(std::time::Duration),
}

#[derive(Default)]
pub(super) struct Model {
    pub(super) keys: HashMap<TokenHash, Arc<KeyEntry>>,
    /// workspace → prompt name → entry.
    pub(super) prompts: HashMap<i64, HashMap<String, PromptEntry>>,
    /// Published versions read by number, per label read: immutable, so cached once read.
    pub(super) pinned: HashMap<(i64, i64, Arc<str>), Arc<Served>>,
    /// workspace → its own labels' fallbacks.
    pub(super) fallbacks: HashMap<i64, HashMap<Arc<str>, Option<Fallback>>>,
    /// Numbers (up to the prompt's newest published one) found not published when read
    /// by number, so that asking again costs no query; forgotten when the prompt changes.
    pub(super) unpublished: HashSet<(i64, i64)>,
    /// Bundles built since the last change, by workspace and label read: a bundle read that
    /// changed nothing costs one lookup, not a pass over every prompt. Emptied by every
    /// change to the model (see [`ReadModel::lock_write`]), so it never serves a stale one;
    /// at most one per label a key reads.
    pub(super) bundles: std::sync::Mutex<BundleCache>,
}

/// Bundles by workspace and label read.
pub(super) type BundleCache = HashMap<(i64, Arc<str>), Arc<crate::serving::rendering::Bundle>>;

/// What memory knows of a version read by number.
pub(crate) enum Pinned {
    Served(Arc<Served>),
    /// Not published: newer than the newest published version, or found a draft before.
    NotPublished,
    /// Not read yet: the database says.
    Unknown,
}

impl Model {
    /// The bundles built since the last change (a poisoned lock is safe: each use is one
    /// lookup or one insert).
    pub(super) fn bundles(&self) -> std::sync::MutexGuard<'_, BundleCache> {
        self.bundles.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn pinned(&self, prompt: &PromptEntry, number: VersionNumber, label: &Arc<str>) -> Pinned {
        let n = number.get();
        if prompt.latest.as_ref().is_none_or(|latest| n > latest.number.get())
            || self.unpublished.contains(&(prompt.id, n))
        {
            return Pinned::NotPublished;
        }
        self.pinned
            .get(&(prompt.id, n, label.clone()))
            .map_or(Pinned::Unknown, |served| Pinned::Served(served.clone()))
    }

    /// What `key` reads: its label, with the fallback the label has now (live's none,
    /// staging's live).
    pub(crate) fn reading(&self, key: &KeyEntry) -> Reading {
        self.reading_of(key.workspace_id, &key.label)
    }

    /// What a key of workspace `workspace_id` reading `label` reads.
    pub(crate) fn reading_of(&self, workspace_id: i64, label: &Arc<str>) -> Reading {
        let fallback = match &**label {
            LabelName::LIVE => None,
            LabelName::STAGING => Some(Fallback::Live),
            own => self.fallbacks.get(&workspace_id).and_then(|labels| labels.get(own).copied()).flatten(),
        };
        Reading { label: label.clone(), fallback }
    }
}

#[derive(Clone, Default)]
pub(crate) struct ReadModel {
    pub(super) model: Arc<RwLock<Model>>,
    /// Refreshes run one at a time, each reading the latest committed state, so an older
    /// state can never overwrite a newer one.
    pub(super) refreshing: Arc<tokio::sync::Mutex<()>>,
    /// The last entry of the change feed applied (see `changes.rs`).
    pub(crate) revision: Arc<AtomicI64>,
    /// Reads allowed per key and second, when configured (off by default).
    pub(crate) read_limit: Option<Arc<governor::DefaultKeyedRateLimiter<i64>>>,
    /// What open streams are told of changes.
    pub(super) updates: Updates,
    /// Open streams per key.
    pub(super) streams: Arc<StreamCounts>,
    /// Usage reported, and versions served to clients that name themselves, until written.
    pub(crate) usage: crate::usage::UsageBuffer,
}

impl ReadModel {
    /// Loads every key and every prompt's served versions; called once at start-up.
    pub async fn load(db: &Db) -> Result<ReadModel> {
        let model = ReadModel::default();
        model.reload(db).await?;
        Ok(model)
    }

    /// Reads everything again from the database: every key that is not revoked (keeping
    /// what memory knows of their last use) and every prompt. The revision is the feed's
    /// end as it was before reading, so any change committed meanwhile is applied again
    /// by the next [`Vault::follow_changes`] (applying a change twice does no harm).
    pub async fn reload(&self, db: &Db) -> Result<()> {
        let revision = crate::changes::feed_end(db).await?;
        let rows = sqlx::query(AssertSqlSafe(format!("{KEY_COLUMNS} where revoked_at is null")))
            .fetch_all(&db.read)
            .await?;
        let mut keys = HashMap::with_capacity(rows.len());
        {
            let model = self.lock_read();
            for row in &rows {
                let (token_hash, entry) = key_from_row(row)?;
                let entry = model.keys.get(&token_hash).cloned().unwrap_or_else(|| Arc::new(entry));
                keys.insert(token_hash, entry);
            }
        }
        let fallbacks = crate::serving::entry::own_labels(db, None).await?;
        {
            let mut model = self.lock_write();
            model.keys = keys;
            model.pinned.clear();
            model.fallbacks = fallbacks;
        }
        self.updates.send(Update::Keys);
        let prompts: Vec<i64> = sqlx::query_scalar("select id from prompts").fetch_all(&db.read).await?;
        for id in prompts {
            self.refresh_prompt(db, id, revision).await?;
        }
        self.revision.fetch_max(revision, Ordering::SeqCst);
        Ok(())
    }

    /// Reads key `id` again: added if it is new here, dropped if it was revoked.
    pub async fn refresh_key(&self, db: &Db, id: i64) -> Result<()> {
        let Some(row) = sqlx::query(AssertSqlSafe(format!("{KEY_COLUMNS} where id = $1")))
            .bind(id)
            .fetch_optional(&db.read)
            .await?
        else {
            return Ok(());
        };
        let revoked = row.try_get::<Option<i64>, _>("revoked_at")?.is_some();
        let (token_hash, entry) = key_from_row(&row)?;
        let mut model = self.lock_write();
        if revoked {
            model.keys.remove(&token_hash);
            drop(model);
            // Its open streams end at once.
            self.updates.send(Update::Keys);
        } else {
            model.keys.entry(token_hash).or_insert_with(|| Arc::new(entry));
        }
        Ok(())
    }

    /// The key `token` as it reads now: a read of its counted against its rate and its last
    /// use noted. Every read path (SDK, Langfuse, MCP, streams) comes through here.
    pub(super) fn reader<'m>(&self, model: &'m Model, token: &str) -> Result<&'m KeyEntry, ReadRefused> {
        let key = model.keys.get(&hash_token(token)).ok_or(ReadRefused::Unauthorized)?;
        self.within_read_limit(key.id).map_err(ReadRefused::Limited)?;
        key.last_used.store(Timestamp::now().0, Ordering::Relaxed);
        Ok(key)
    }

    /// The workspace of the key `token`, as a read of the key's (counted, its use noted).
    pub(crate) fn key_workspace(&self, token: &str) -> Result<i64, ReadRefused> {
        let model = self.lock_read();
        Ok(self.reader(&model, token)?.workspace_id)
    }

    /// Counts a read by key `id` against the configured rate; how long to wait when over.
    pub(crate) fn within_read_limit(&self, id: i64) -> Result<(), std::time::Duration> {
        use governor::clock::{Clock, DefaultClock};
        let Some(limiter) = &self.read_limit else { return Ok(()) };
        limiter.check_key(&id).map_err(|not_until| {
            crate::limits::wait_for(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }

    /// Forgets the published versions read by number: they carry their author's name.
    pub fn forget_pinned(&self) {
        self.lock_write().pinned.clear();
    }

    pub(super) fn lock_write(&self) -> std::sync::RwLockWriteGuard<'_, Model> {
        // A panic while holding the lock cannot leave the maps half-updated (each update is
        // one insert), so a poisoned lock is still safe to use.
        let mut model = self.model.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Every change to what is served takes this lock: a bundle built before may be stale.
        model.bundles.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        model
    }

    pub(super) fn lock_read(&self) -> std::sync::RwLockReadGuard<'_, Model> {
        self.model.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What `token` reads for prompt `name`: the key's label (under a rollout, the side
    /// `unit` is assigned), or a pinned published version.
    pub(super) fn read(
        &self,
        token: &str,
        name: &str,
        pinned: Option<VersionNumber>,
        unit: Option<&str>,
    ) -> ReadOutcome {
        let model = self.lock_read();
        let key = match self.reader(&model, token) {
            Ok(key) => key,
            Err(refused) => return ReadOutcome::Refused(refused),
        };
        let Some(prompt) = model.prompts.get(&key.workspace_id).and_then(|prompts| prompts.get(name)) else {
            return ReadOutcome::Refused(ReadRefused::NotFound);
        };
        let served = match pinned {
            Some(number) => match model.pinned(prompt, number, &key.label) {
                Pinned::Served(served) => Some(served),
                Pinned::NotPublished => None,
                Pinned::Unknown => {
                    return ReadOutcome::Pinned { prompt_id: prompt.id, label: key.label.clone() };
                }
            },
            None => prompt.view_for(&model.reading(key), name, unit).0.cloned(),
        };
        served.map_or(ReadOutcome::Refused(ReadRefused::NotFound), ReadOutcome::Served)
    }

    /// Loads a published version for a pinned read and keeps it: published versions never
    /// change. Drafts are not found here.
    pub(super) async fn load_pinned(
        &self,
        db: &Db,
        prompt_id: i64,
        name: &str,
        number: VersionNumber,
        label: Arc<str>,
    ) -> Result<Option<Arc<Served>>> {
        let version = version_row(db, prompt_id, number.get()).await?;
        let Some(version) = version.filter(|version| version.status == Status::Published) else {
            self.lock_write().unpublished.insert((prompt_id, number.get()));
            return Ok(None);
        };
        let served = Arc::new(serve(name, version, &label, None)?);
        self.lock_write().pinned.insert((prompt_id, number.get(), label), served.clone());
        Ok(Some(served))
    }

    /// Keys read since their last flush, with the time of their last read.
    pub(super) fn unflushed_usage(&self) -> Vec<(Arc<KeyEntry>, i64)> {
        self.lock_read()
            .keys
            .values()
            .filter_map(|key| {
                let last = key.last_used.load(Ordering::Relaxed);
                (last > key.flushed.load(Ordering::Relaxed)).then(|| (key.clone(), last))
            })
            .collect()
    }
}

/// The outcome of a read against the model.
pub(super) enum ReadOutcome {
    Served(Arc<Served>),
    Refused(ReadRefused),
    /// A pinned version not read before: [`Vault::read_prompt`] loads it once.
    Pinned {
        prompt_id: i64,
        label: Arc<str>,
    },
}

impl Vault {
    /// An SDK read: the key's channel, or with `pinned` a published version by number.
    /// Served from memory; the first read of a pinned version loads it once.
    pub async fn read_prompt(
        &self,
        token: &str,
        name: &str,
        pinned: Option<VersionNumber>,
    ) -> Result<Arc<Served>, ReadRefused> {
        self.read_prompt_for(token, name, pinned, None).await
    }

    /// [`Vault::read_prompt`] for `unit` (a user, session or tenant id): under a rollout of
    /// the label read, the side the unit is assigned.
    pub async fn read_prompt_for(
        &self,
        token: &str,
        name: &str,
        pinned: Option<VersionNumber>,
        unit: Option<&str>,
    ) -> Result<Arc<Served>, ReadRefused> {
        match self.serving.read(token, name, pinned, unit) {
            ReadOutcome::Served(served) => Ok(served),
            ReadOutcome::Refused(refused) => Err(refused),
            ReadOutcome::Pinned { prompt_id, label } => {
                let number = pinned.ok_or(ReadRefused::NotFound)?;
                match self.serving.load_pinned(&self.db, prompt_id, name, number, label).await {
                    Ok(Some(served)) => Ok(served),
                    Ok(None) => Err(ReadRefused::NotFound),
                    Err(error) => {
                        tracing::error!(%error, "loading a pinned version failed");
                        Err(ReadRefused::Unavailable)
                    }
                }
            }
        }
    }
}
