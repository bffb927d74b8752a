//! Webhooks and their lifecycle (admins only): create, list, change, delete, rotate the
//! secret. What happens to a delivery is in `attempts`, the queue in `deliveries`; the
//! sending itself (HTTP, signatures on the wire, address checks) is the server's.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::access::{Actor, Permission};
use crate::activity::{self, ActivityKind};
use crate::credentials::random_token;
use crate::db::Timestamp;
use crate::error::VaultError;
use crate::events::{self, EventKind};
use crate::{Result, Vault};

const MAX_URL_CHARS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<EventKind>,
    pub enabled: bool,
    /// Why the server disabled it, when it did (repeated failures).
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A webhook just made (or its secret just rotated): the only time the secret is seen.
#[derive(Clone)]
pub struct WebhookSecret {
    pub webhook: Webhook,
    pub secret: String,
}

debug_without_secrets!(WebhookSecret { webhook });

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// Enabling a webhook the server disabled clears its failure count.
    pub enabled: Option<bool>,
}

impl Vault {
    pub async fn create_webhook(&self, actor: &Actor, input: NewWebhook) -> Result<WebhookSecret> {
        actor.require(Permission::Administer)?;
        let url = parse_url(&input.url)?;
        let events = parse_events(&input.events)?;
        let secret = new_secret();
        let now = Timestamp::now().0;
        let mut tx = self.db.write.begin().await?;
        self.room(&mut tx, crate::Quota::WebhooksPerWorkspace, actor.workspace_id).await?.take(1)?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "insert into webhooks (workspace_id, url, events, enabled, secret, created_by, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $7) returning {WEBHOOK_COLUMNS}"
        )))
        .bind(actor.workspace_id)
        .bind(url)
        .bind(events)
        .bind(i64::from(input.enabled))
        .bind(&secret)
        .bind(actor.account_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let webhook = webhook_from_row(&row)?;
        record_change(&mut tx, actor, ActivityKind::WebhookCreated, &webhook).await?;
        tx.commit().await?;
        Ok(WebhookSecret { webhook, secret })
    }

    pub async fn webhooks(&self, actor: &Actor) -> Result<Vec<Webhook>> {
        actor.require(Permission::Administer)?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "select {WEBHOOK_COLUMNS} from webhooks where workspace_id = $1 order by id"
        )))
        .bind(actor.workspace_id)
        .fetch_all(&self.db.read)
        .await?;
        rows.iter().map(webhook_from_row).collect()
    }

    pub async fn webhook(&self, actor: &Actor, id: i64) -> Result<Webhook> {
        actor.require(Permission::Administer)?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "select {WEBHOOK_COLUMNS} from webhooks where workspace_id = $1 and id = $2"
        )))
        .bind(actor.workspace_id)
        .bind(id)
        .fetch_optional(&self.db.read)
        .await?
        .ok_or_else(|| not_found(id))?;
        webhook_from_row(&row)
    }

    pub async fn update_webhook(&self, actor: &Actor, id: i64, patch: WebhookPatch) -> Result<Webhook> {
        actor.require(Permission::Administer)?;
        let url = patch.url.as_deref().map(parse_url).transpose()?;
        let events = patch.events.as_deref().map(parse_events).transpose()?;
        let enabled = patch.enabled.map(i64::from);
        let mut tx = self.db.write.begin().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "update webhooks set url = coalesce($1, url), events = coalesce($2, events), \
                 enabled = coalesce($3, enabled), \
                 consecutive_failures = case when $3 = 1 then 0 else consecutive_failures end, \
                 disabled_reason = case when $3 = 1 then null else disabled_reason end, \
                 updated_at = $4 \
             where workspace_id = $5 and id = $6 returning {WEBHOOK_COLUMNS}"
        )))
        .bind(url)
        .bind(events)
        .bind(enabled)
        .bind(Timestamp::now().0)
        .bind(actor.workspace_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found(id))?;
        let webhook = webhook_from_row(&row)?;
        record_change(&mut tx, actor, ActivityKind::WebhookChanged, &webhook).await?;
        tx.commit().await?;
        self.outbox.poke();
        Ok(webhook)
    }

    /// Deletes a webhook with its pending deliveries and its log.
    pub async fn delete_webhook(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::Administer)?;
        let mut tx = self.db.write.begin().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "delete from webhooks where workspace_id = $1 and id = $2 returning {WEBHOOK_COLUMNS}"
        )))
        .bind(actor.workspace_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found(id))?;
        record_change(&mut tx, actor, ActivityKind::WebhookDeleted, &webhook_from_row(&row)?).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new signing secret; the old one stops signing at once (retries included).
    pub async fn rotate_webhook_secret(&self, actor: &Actor, id: i64) -> Result<WebhookSecret> {
        actor.require(Permission::Administer)?;
        let secret = new_secret();
        let mut tx = self.db.write.begin().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "update webhooks set secret = $1, updated_at = $2 where workspace_id = $3 and id = $4 \
             returning {WEBHOOK_COLUMNS}"
        )))
        .bind(&secret)
        .bind(Timestamp::now().0)
        .bind(actor.workspace_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| not_found(id))?;
        let webhook = webhook_from_row(&row)?;
        record_change(&mut tx, actor, ActivityKind::WebhookSecretRotated, &webhook).await?;
        tx.commit().await?;
        Ok(WebhookSecret { webhook, secret })
    }
}

const WEBHOOK_COLUMNS: &str = "id, url, events, enabled, disabled_reason, created_at, updated_at";

pub(crate) fn webhook_from_row(row: &AnyRow) -> Result<Webhook> {
    let events: String = row.try_get("events")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: events.split_whitespace().map(events::subscribable).collect::<Result<_>>()?,
        enabled: row.try_get::<i64, _>("enabled")? == 1,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
    })
}

fn parse_url(raw: &str) -> Result<String> {
    let raw = raw.trim();
    let invalid = |why: &str| {
        VaultError::invalid("url", format!("{why}, such as https://example.com/hooks/promptvault"))
    };
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(invalid(&format!("the URL is longer than {MAX_URL_CHARS} characters")));
    }
    let url = url::Url::parse(raw).map_err(|e| invalid(&format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid("the URL must be http or https with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the URL must not carry credentials; the signature authenticates the sender"));
    }
    Ok(url.to_string())
}

/// The event types, deduplicated, in the product's order, space-separated for storage.
fn parse_events(raw: &[String]) -> Result<String> {
    let kinds = raw.iter().map(|e| events::subscribable(e.trim())).collect::<Result<Vec<_>>>()?;
    if kinds.is_empty() {
        return Err(VaultError::invalid("events", "choose at least one event type"));
    }
    let chosen: Vec<&str> =
        EventKind::SUBSCRIBABLE.iter().filter(|k| kinds.contains(k)).map(|k| k.as_str()).collect();
    Ok(chosen.join(" "))
}

fn new_secret() -> String {
    format!("whsec_{}", random_token(32))
}

/// A webhook change in the activity log: its id, events and whether it is enabled. Never
/// its URL (URLs often carry tokens, and every member reads the log) nor its secret.
async fn record_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor,
    kind: ActivityKind,
    webhook: &Webhook,
) -> Result<()> {
    let events: Vec<&str> = webhook.events.iter().map(|e| e.as_str()).collect();
    let details = serde_json::json!({ "id": webhook.id, "events": events, "enabled": webhook.enabled });
    activity::record(tx, actor, kind, None, details).await
}

pub(crate) fn not_found(id: i64) -> VaultError {
    VaultError::NotFound(format!("no webhook {id} in this workspace"))
}
