//! API keys: what a key reads, making, listing and revoking them, and the in-memory entry a
//! read finds by the hash of its token (with its last use, written back in batches).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::access::{Actor, Permission};
use crate::activity::{self, ActivityKind};
use crate::credentials::new_bearer_token;
use crate::db::Timestamp;
use crate::error::VaultError;
use crate::labels::find_label;
use crate::names::{LabelName, short_text};
use crate::{Result, Vault};

/// Which pointer a key reads: a word of the API's vocabulary.
pub use types::KeyKind;

/// An API key as listed: never the token itself.
#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub kind: KeyKind,
    /// The label it reads.
    pub label: LabelName,
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

debug_without_secrets!(NewApiKey { key });

pub(super) type TokenHash = [u8; 32];

pub(super) struct KeyEntry {
    pub(super) id: i64,
    pub(super) workspace_id: i64,
    /// The label it reads: `live`, `staging` or one of the workspace's own.
    pub(super) label: Arc<str>,
    /// Unix ms of the last read; flushed to the database in batches.
    pub(super) last_used: AtomicI64,
    pub(super) flushed: AtomicI64,
}

pub(super) fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

pub(super) const KEY_COLUMNS: &str =
    "select id, workspace_id, kind, label, token_hash, last_used_at, revoked_at from api_keys";

/// The label a key of `kind` reads when it names none: live keys read live, test keys staging.
pub(crate) fn label_of_kind(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Live => LabelName::LIVE,
        KeyKind::Test => LabelName::STAGING,
    }
}

pub(super) fn key_from_row(row: &sqlx::any::AnyRow) -> Result<(TokenHash, KeyEntry)> {
    let hash: String = row.try_get("token_hash")?;
    let mut token_hash = [0u8; 32];
    hex::decode_to_slice(&hash, &mut token_hash).map_err(|e| VaultError::Internal(Box::new(e)))?;
    let last_used = row.try_get::<Option<i64>, _>("last_used_at")?.unwrap_or(0);
    let kind = KeyKind::parse(&row.try_get::<String, _>("kind")?)?;
    let label = row.try_get::<Option<String>, _>("label")?;
    let entry = KeyEntry {
        id: row.try_get("id")?,
        workspace_id: row.try_get("workspace_id")?,
        label: Arc::from(label.as_deref().unwrap_or(label_of_kind(kind))),
        last_used: AtomicI64::new(last_used),
        flushed: AtomicI64::new(last_used),
    };
    Ok((token_hash, entry))
}

impl Vault {
    /// Creates an API key of `kind` (admins only), reading its kind's label (live keys
    /// live, test keys staging). The token is returned here and never again.
    pub async fn create_api_key(&self, actor: &Actor, kind: KeyKind, name: &str) -> Result<NewApiKey> {
        self.create_label_key(actor, kind, name, None).await
    }

    /// Creates an API key of `kind` that reads label `label` (by default its kind's), which
    /// must exist in the workspace (admins only). The token is returned here and never again.
    pub async fn create_label_key(
        &self,
        actor: &Actor,
        kind: KeyKind,
        name: &str,
        label: Option<&str>,
    ) -> Result<NewApiKey> {
        actor.require(Permission::Administer)?;
        let name = short_text("name", name)?;
        let label = LabelName::parse(label.unwrap_or(label_of_kind(kind)))?;
        let (token, last_four) = new_bearer_token(kind.prefix());
        let token_hash = hash_token(&token);
        let created_at = Timestamp::now();
        let mut tx = self.db.write.begin().await?;
        self.room(&mut tx, crate::Quota::ApiKeysPerWorkspace, actor.workspace_id).await?.take(1)?;
        find_label(&mut tx, actor.workspace_id, &label).await?;
        // A key of its kind's own label keeps it unnamed, as keys made before labels are.
        let stored = (label.as_str() != label_of_kind(kind)).then_some(label.as_str());
        let id: i64 = sqlx::query_scalar(
            "insert into api_keys (workspace_id, kind, name, token_hash, last_four, created_by, created_at, label) \
             values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        )
        .bind(actor.workspace_id)
        .bind(kind.as_str())
        .bind(&name)
        .bind(hex::encode(token_hash))
        .bind(&last_four)
        .bind(actor.account_id)
        .bind(created_at.0)
        .bind(stored)
        .fetch_one(&mut *tx)
        .await?;
        let details = json!({ "id": id, "name": name, "kind": kind.as_str(), "label": label.as_str() });
        activity::record(&mut tx, actor, ActivityKind::KeyCreated, None, details).await?;
        tx.commit().await?;
        self.follow_changes().await;
        let key = ApiKey {
            id,
            kind,
            label,
            name,
            prefix: kind.prefix(),
            last_four,
            created_at,
            last_used_at: None,
        };
        Ok(NewApiKey { key, token })
    }

    /// The workspace's keys that are not revoked, newest first (admins only). "Last used"
    /// comes from memory, so it is current even before it is flushed.
    pub async fn api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>> {
        actor.require(Permission::Administer)?;
        let rows = sqlx::query(
            "select id, kind, label, name, last_four, created_at, last_used_at from api_keys \
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
                let label = row.try_get::<Option<String>, _>("label")?;
                Ok(ApiKey {
                    id,
                    kind,
                    label: LabelName::parse(label.as_deref().unwrap_or(label_of_kind(kind)))?,
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
