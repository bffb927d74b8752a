//! SDK reads: API keys and the in-memory read model behind `GET /v1/prompts/{name}`.
//!
//! Reads are the hot path, so they never touch the database: the model holds, per prompt
//! and channel, the response bytes and their ETag, ready to send, and every API key by the
//! hash of its token. Every operation that changes what a key reads (promote, rollback,
//! staging, a rewrite of a staged draft, the staging setting, a revocation) rebuilds the
//! affected entries before it returns, so the next read already serves the new state.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row};

use crate::activity::{self, ActivityKind};
use crate::content::{self, Body, Config};
use crate::credentials::new_bearer_token;
use crate::db::{Db, Timestamp};
use crate::members::{Actor, Permission};
use crate::names::{VersionNumber, short_text};
use crate::prompts::{Channel, Named};
use crate::{Result, Vault, VaultError};
use types::{ServedPrompt, VersionJson};

mod agents;
mod langfuse;
mod stream;
pub use agents::{
    AgentMessages, AgentPrompt, AgentRefused, AgentRole, MAX_AGENT_ARGUMENT_BYTES, MAX_AGENT_ARGUMENTS,
};
pub use langfuse::LangfuseRefused;
pub use stream::{
    DEFAULT_STREAMS_PER_KEY, DEFAULT_STREAMS_PER_WORKSPACE, Resume, StreamEvent, StreamRefused, Subscription,
    prompt_filter,
};

/// Which pointer a key reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// `pv_live_…`: the live pointer.
    Live,
    /// `pv_test_…`: the staging pointer, falling back to live.
    Test,
}

impl KeyKind {
    pub fn parse(raw: &str) -> Result<KeyKind> {
        match raw {
            "live" => Ok(KeyKind::Live),
            "test" => Ok(KeyKind::Test),
            _ => Err(VaultError::invalid("kind", "a key's kind is live or test")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Live => "live",
            KeyKind::Test => "test",
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Live => "pv_live_",
            KeyKind::Test => "pv_test_",
        }
    }

    /// The pointer the key reads (a test key falls back to live).
    pub fn channel(self) -> Channel {
        match self {
            KeyKind::Live => Channel::Live,
            KeyKind::Test => Channel::Staging,
        }
    }
}

/// An API key as listed: never the token itself.
#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub kind: KeyKind,
    pub name: String,
    pub prefix: &'static str,
    pub last_four: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// A key just created: the only time its token is seen.
#[derive(Clone)]
pub struct NewApiKey {
    pub key: ApiKey,
    pub token: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey").field("key", &self.key).finish_non_exhaustive()
    }
}

/// A response ready to send: the JSON body and its entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub body: Bytes,
    pub etag: String,
    /// What the body was made from, for reads that shape it differently (Langfuse's).
    pub(crate) version: Arc<VersionData>,
}

/// A served version's fields.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct VersionData {
    pub number: i64,
    pub body: Body,
    /// Its `{{variables}}`, as saved with it (never scanned again on the way to a reader).
    pub variables: Vec<String>,
    pub config: Config,
    pub message: String,
    pub author: String,
    pub created_at: Timestamp,
}

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

type TokenHash = [u8; 32];

struct KeyEntry {
    id: i64,
    workspace_id: i64,
    kind: KeyKind,
    /// Unix ms of the last read; flushed to the database in batches.
    last_used: AtomicI64,
    flushed: AtomicI64,
}

impl PromptEntry {
    /// Keeps `old`'s revisions for the kinds of key whose view did not change; whether
    /// any did.
    fn keep_unchanged(&mut self, old: &PromptEntry) -> bool {
        let mut changed = false;
        for kind in [KeyKind::Live, KeyKind::Test] {
            let tag = |entry: &PromptEntry| entry.view(kind).0.map(|served| served.etag.clone());
            if tag(self) == tag(old) {
                let kept = old.view(kind).1;
                match kind {
                    KeyKind::Live => self.live_changed = kept,
                    KeyKind::Test => self.test_changed = kept,
                }
            } else {
                changed = true;
            }
        }
        changed
    }
}

/// What one prompt serves.
#[derive(Default)]
struct PromptEntry {
    id: i64,
    live: Option<Arc<Served>>,
    /// Set only while staging is enabled and points somewhere.
    staging: Option<Arc<Served>>,
    /// The newest published version (Langfuse's `latest` label).
    latest: Option<Arc<VersionData>>,
    /// The change-feed revisions at which what live keys, and test keys, read of it last
    /// changed: the ids of the stream events that report it.
    live_changed: i64,
    test_changed: i64,
}

#[derive(Default)]
struct Model {
    keys: HashMap<TokenHash, Arc<KeyEntry>>,
    /// workspace → prompt name → entry.
    prompts: HashMap<i64, HashMap<String, PromptEntry>>,
    /// Published versions read by number: immutable, so cached once read.
    pinned: HashMap<(i64, i64, KeyKind), Arc<Served>>,
    /// Numbers (up to the prompt's newest published one) found not published when read
    /// by number, so that asking again costs no query; forgotten when the prompt changes.
    unpublished: HashSet<(i64, i64)>,
}

/// What memory knows of a version read by number.
pub(crate) enum Pinned {
    Served(Arc<Served>),
    /// Not published: newer than the newest published version, or found a draft before.
    NotPublished,
    /// Not read yet: the database says.
    Unknown,
}

impl Model {
    pub(crate) fn pinned(&self, prompt: &PromptEntry, number: VersionNumber, kind: KeyKind) -> Pinned {
        let n = number.get();
        if prompt.latest.as_ref().is_none_or(|latest| n > latest.number)
            || self.unpublished.contains(&(prompt.id, n))
        {
            return Pinned::NotPublished;
        }
        self.pinned
            .get(&(prompt.id, n, kind))
            .map_or(Pinned::Unknown, |served| Pinned::Served(served.clone()))
    }
}

#[derive(Clone, Default)]
pub(crate) struct ReadModel {
    model: Arc<RwLock<Model>>,
    /// Refreshes run one at a time, each reading the latest committed state, so an older
    /// state can never overwrite a newer one.
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// The last entry of the change feed applied (see `changes.rs`).
    pub(crate) revision: Arc<AtomicI64>,
    /// Reads allowed per key and second, when configured (off by default).
    pub(crate) read_limit: Option<Arc<governor::DefaultKeyedRateLimiter<i64>>>,
    /// What open streams are told of changes.
    updates: stream::Updates,
    /// Open streams per key.
    streams: Arc<stream::StreamCounts>,
}

fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// The JSON of an SDK read: the version JSON with the prompt's name and the channel read.
fn serve(name: &str, row: &sqlx::any::AnyRow, channel: Channel) -> Result<Served> {
    let version = VersionData {
        number: row.try_get("number")?,
        body: content::body_from_db(&row.try_get::<String, _>("kind")?, row.try_get("source")?)?,
        variables: content::variables_from_db(row.try_get::<Option<String>, _>("variables")?.as_deref()),
        config: content::config_from_db(&row.try_get::<String, _>("config")?)?,
        message: row.try_get("message")?,
        author: row.try_get("author")?,
        created_at: Timestamp(row.try_get("created_at")?),
    };
    let named = Named {
        number: crate::prompts::number_from_db(version.number)?,
        status: crate::prompts::status_from_db(&row.try_get::<String, _>("status")?)?,
        kind: version.body.kind(),
        variables: version.variables.clone(),
        message: &version.message,
        author: &version.author,
        created_at: version.created_at,
    };
    let (source, messages) = match &version.body {
        Body::Text(text) => (Some(text.clone()), None),
        Body::Chat(messages) => (None, Some(messages.clone())),
    };
    let json = VersionJson { source, messages, config: Some(version.config.clone()), ..named.into_json() };
    let body = ServedPrompt { name: name.to_owned(), version: json, channel };
    let body = serde_json::to_vec(&body).map_err(|e| VaultError::Internal(Box::new(e)))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    Ok(Served { body: Bytes::from(body), etag, version: Arc::new(version) })
}

const KEY_COLUMNS: &str = "select id, workspace_id, kind, token_hash, last_used_at, revoked_at from api_keys";

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<(TokenHash, KeyEntry)> {
    let hash: String = row.try_get("token_hash")?;
    let mut token_hash = [0u8; 32];
    hex::decode_to_slice(&hash, &mut token_hash).map_err(|e| VaultError::Internal(Box::new(e)))?;
    let last_used = row.try_get::<Option<i64>, _>("last_used_at")?.unwrap_or(0);
    let entry = KeyEntry {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        kind: KeyKind::parse(&row.try_get::<String, _>("kind")?)?,
        last_used: AtomicI64::new(last_used),
        flushed: AtomicI64::new(last_used),
    };
    Ok((token_hash, entry))
}

const SERVED_VERSION: &str = "select v.number, v.status, v.source, v.variables, v.config, v.message, v.created_at, \
     m.name as author, (select kind from prompts where id = v.prompt_id) as kind \
     from versions v join accounts m on m.id = v.author_id where v.prompt_id = $1 and v.number = $2";

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
        {
            let mut model = self.lock_write();
            model.keys = keys;
            model.pinned.clear();
        }
        self.updates.send(stream::Update::Keys);
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
            self.updates.send(stream::Update::Keys);
        } else {
            model.keys.entry(token_hash).or_insert_with(|| Arc::new(entry));
        }
        Ok(())
    }

    /// The key `token` as it reads now: a read of its counted against its rate and its last
    /// use noted. Every read path (SDK, Langfuse, MCP, streams) comes through here.
    fn reader<'m>(&self, model: &'m Model, token: &str) -> Result<&'m KeyEntry, ReadRefused> {
        let key = model.keys.get(&hash_token(token)).ok_or(ReadRefused::Unauthorized)?;
        self.within_read_limit(key.id).map_err(ReadRefused::Limited)?;
        key.last_used.store(Timestamp::now().0, Ordering::Relaxed);
        Ok(key)
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

    fn lock_write(&self) -> std::sync::RwLockWriteGuard<'_, Model> {
        // A panic while holding the lock cannot leave the maps half-updated (each update is
        // one insert), so a poisoned lock is still safe to use.
        self.model.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_read(&self) -> std::sync::RwLockReadGuard<'_, Model> {
        self.model.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Rebuilds what prompt `id` serves from the database (a prompt that is not there has
    /// nothing to serve), as of change-feed revision `revision`: what changed for a kind of
    /// key is marked changed then, and open streams are told.
    pub async fn refresh_prompt(&self, db: &Db, id: i64, revision: i64) -> Result<()> {
        let _one_at_a_time = self.refreshing.lock().await;
        let row = sqlx::query(
            "select p.workspace_id, p.name, p.live_number, p.staging_number, w.staging_enabled \
             from prompts p join workspaces w on w.id = p.workspace_id where p.id = $1",
        )
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
        let Some(row) = row else { return Ok(()) };
        let workspace_id: i64 = row.try_get("workspace_id")?;
        let name: String = row.try_get("name")?;
        let staging_enabled = row.try_get::<i64, _>("staging_enabled")? != 0;
        let served = |number: Option<i64>, channel: Channel| {
            let name = name.clone();
            async move {
                let Some(number) = number else { return Ok::<_, VaultError>(None) };
                let row = sqlx::query(SERVED_VERSION).bind(id).bind(number).fetch_one(&db.read).await?;
                Ok(Some(Arc::new(serve(&name, &row, channel)?)))
            }
        };
        let live = served(row.try_get("live_number")?, Channel::Live).await?;
        let staging_number = row.try_get::<Option<i64>, _>("staging_number")?.filter(|_| staging_enabled);
        let staging = served(staging_number, Channel::Staging).await?;
        let latest_number: Option<i64> =
            sqlx::query_scalar("select max(number) from versions where prompt_id = $1 and status = 'live'")
                .bind(id)
                .fetch_one(&db.read)
                .await?;
        let latest = match &live {
            Some(live) if Some(live.version.number) == latest_number => Some(live.version.clone()),
            _ => served(latest_number, Channel::Live).await?.map(|served| served.version.clone()),
        };
        let mut entry =
            PromptEntry { id, live, staging, latest, live_changed: revision, test_changed: revision };
        let mut model = self.lock_write();
        model.unpublished.retain(|(prompt, _)| *prompt != id);
        let prompts = model.prompts.entry(workspace_id).or_default();
        let changed = match prompts.get(&name) {
            Some(old) => entry.keep_unchanged(old),
            None => true,
        };
        let name: Arc<str> = Arc::from(name.as_str());
        prompts.insert(name.to_string(), entry);
        drop(model);
        if changed {
            self.updates.send(stream::Update::Prompt { workspace_id, name });
        }
        Ok(())
    }

    /// What `token` reads for prompt `name`: the key's channel, or a pinned published version.
    fn read(&self, token: &str, name: &str, pinned: Option<VersionNumber>) -> ReadOutcome {
        let model = self.lock_read();
        let key = match self.reader(&model, token) {
            Ok(key) => key,
            Err(refused) => return ReadOutcome::Refused(refused),
        };
        let Some(prompt) = model.prompts.get(&key.workspace_id).and_then(|prompts| prompts.get(name)) else {
            return ReadOutcome::Refused(ReadRefused::NotFound);
        };
        let served = match (pinned, key.kind) {
            (Some(number), kind) => match model.pinned(prompt, number, kind) {
                Pinned::Served(served) => Some(served),
                Pinned::NotPublished => None,
                Pinned::Unknown => return ReadOutcome::Pinned { prompt_id: prompt.id, kind },
            },
            (None, KeyKind::Live) => prompt.live.clone(),
            (None, KeyKind::Test) => prompt.staging.clone().or_else(|| prompt.live.clone()),
        };
        served.map_or(ReadOutcome::Refused(ReadRefused::NotFound), ReadOutcome::Served)
    }

    /// Loads a published version for a pinned read and keeps it: published versions never
    /// change. Drafts are not found here.
    async fn load_pinned(
        &self,
        db: &Db,
        prompt_id: i64,
        name: &str,
        number: VersionNumber,
        kind: KeyKind,
    ) -> Result<Option<Arc<Served>>> {
        let row =
            sqlx::query(SERVED_VERSION).bind(prompt_id).bind(number.get()).fetch_optional(&db.read).await?;
        let Some(row) = row.filter(|row| row.try_get::<String, _>("status").is_ok_and(|s| s == "live"))
        else {
            self.lock_write().unpublished.insert((prompt_id, number.get()));
            return Ok(None);
        };
        let served = Arc::new(serve(name, &row, kind.channel())?);
        self.lock_write().pinned.insert((prompt_id, number.get(), kind), served.clone());
        Ok(Some(served))
    }

    /// Keys read since their last flush, with the time of their last read.
    fn unflushed_usage(&self) -> Vec<(Arc<KeyEntry>, i64)> {
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
enum ReadOutcome {
    Served(Arc<Served>),
    Refused(ReadRefused),
    /// A pinned version not read before: [`Vault::read_prompt`] loads it once.
    Pinned {
        prompt_id: i64,
        kind: KeyKind,
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
        match self.serving.read(token, name, pinned) {
            ReadOutcome::Served(served) => Ok(served),
            ReadOutcome::Refused(refused) => Err(refused),
            ReadOutcome::Pinned { prompt_id, kind } => {
                let number = pinned.ok_or(ReadRefused::NotFound)?;
                match self.serving.load_pinned(&self.db, prompt_id, name, number, kind).await {
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

    /// Creates an API key (admins only). The token is returned here and never again.
    pub async fn create_api_key(&self, actor: &Actor, kind: KeyKind, name: &str) -> Result<NewApiKey> {
        actor.require(Permission::Administer)?;
        let name = short_text("name", name)?;
        let (token, last_four) = new_bearer_token(kind.prefix());
        let token_hash = hash_token(&token);
        let created_at = Timestamp::now();
        let mut tx = self.db.write.begin().await?;
        self.room(&mut tx, crate::Quota::ApiKeysPerWorkspace, actor.workspace_id).await?.take(1)?;
        let id: i64 = sqlx::query_scalar(
            "insert into api_keys (workspace_id, kind, name, token_hash, last_four, created_by, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(actor.workspace_id)
        .bind(kind.as_str())
        .bind(&name)
        .bind(hex::encode(token_hash))
        .bind(&last_four)
        .bind(actor.account_id)
        .bind(created_at.0)
        .fetch_one(&mut *tx)
        .await?;
        let details = json!({ "id": id, "name": name, "kind": kind.as_str() });
        activity::record(&mut tx, actor, ActivityKind::KeyCreated, None, details).await?;
        tx.commit().await?;
        self.follow_changes().await;
        let key = ApiKey { id, kind, name, prefix: kind.prefix(), last_four, created_at, last_used_at: None };
        Ok(NewApiKey { key, token })
    }

    /// The workspace's keys that are not revoked, newest first (admins only). "Last used"
    /// comes from memory, so it is current even before it is flushed.
    pub async fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>> {
        actor.require(Permission::Administer)?;
        let rows = sqlx::query(
            "select id, kind, name, last_four, created_at, last_used_at from api_keys \
             where workspace_id = $1 and revoked_at is null order by id desc",
        )
        .bind(actor.workspace_id)
        .fetch_all(&self.db.read)
        .await?;
        let in_memory: HashMap<i64, i64> = self
            .serving
            .lock_read()
            .keys
            .values()
            .map(|k| (k.id, k.last_used.load(Ordering::Relaxed)))
            .collect();
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                let stored = row.try_get::<Option<i64>, _>("last_used_at")?.unwrap_or(0);
                let last_used = in_memory.get(&id).copied().unwrap_or(0).max(stored);
                let kind = KeyKind::parse(&row.try_get::<String, _>("kind")?)?;
                Ok(ApiKey {
                    id,
                    kind,
                    name: row.try_get("name")?,
                    prefix: kind.prefix(),
                    last_four: row.try_get("last_four")?,
                    created_at: Timestamp(row.try_get("created_at")?),
                    last_used_at: (last_used > 0).then_some(Timestamp(last_used)),
                })
            })
            .collect()
    }

    /// Revokes a key (admins only); its very next read on this instance is refused, and
    /// on the others as soon as they follow the change feed.
    pub async fn revoke_api_key(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::Administer)?;
        let mut tx = self.db.write.begin().await?;
        let revoked = sqlx::query(
            "update api_keys set revoked_at = $1 where id = $2 and workspace_id = $3 and revoked_at is null \
             returning name",
        )
        .bind(Timestamp::now().0)
        .bind(id)
        .bind(actor.workspace_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| VaultError::NotFound(format!("no API key {id}")))?;
        let details = json!({ "id": id, "name": revoked.try_get::<String, _>("name")? });
        activity::record(&mut tx, actor, ActivityKind::KeyRevoked, None, details).await?;
        tx.commit().await?;
        self.follow_changes().await;
        Ok(())
    }

    /// Writes the keys' "last used" times gathered in memory; the server calls this every
    /// few seconds and at shutdown, so reads never write.
    pub async fn flush_key_usage(&self) -> Result<()> {
        for (key, last) in self.serving.unflushed_usage() {
            // Another instance may have recorded a later read of the same key.
            sqlx::query(
                "update api_keys set last_used_at = $1 where id = $2 and (last_used_at is null or last_used_at < $1)",
            )
                .bind(last)
                .bind(key.id)
                .execute(&self.db.write)
                .await?;
            key.flushed.store(last, Ordering::Relaxed);
        }
        Ok(())
    }
}
