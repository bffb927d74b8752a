//! The rules of delivery: when a delivery is due, what an attempt's outcome does to it
//! (retries with backoff, a webhook disabled after repeated failures), test events and
//! redeliveries, and each webhook's log of attempts.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::Row;
use tokio::sync::Notify;

use crate::access::Actor;
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::events::{self, EventKind};
use crate::{Result, Vault};
pub use types::DeliveryState;

/// Attempts per delivery: the first, then retries `RETRY_BACKOFF` apart.
pub const MAX_ATTEMPTS: i64 = RETRY_BACKOFF.len() as i64 + 1;

/// The gap before each retry, in units of the retry base (10 s in production): 10 s, 30 s,
/// 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h — about a day in all.
const RETRY_BACKOFF: [u32; 10] = [1, 3, 12, 60, 180, 360, 720, 1440, 2880, 2880];

/// Failed attempts in a row (across deliveries) after which a webhook is disabled.
pub const DISABLE_AFTER_FAILURES: i64 = 15;

/// One attempt to deliver an event to a webhook, as the delivery log lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub event_id: String,
    pub event_type: EventKind,
    pub attempt: i64,
    pub at: Timestamp,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// Where the delivery stands now.
    pub delivery_state: DeliveryState,
}

/// A delivery a worker should send now: where, with which secret, what.
#[derive(Clone)]
pub struct DueDelivery {
    pub delivery_id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    /// The event's type as stored, sent on as it is: during an upgrade an instance may
    /// deliver an event of a type only a newer instance knows, and must not stall on it.
    pub event_type: String,
    pub body: String,
    /// This attempt's number, from 1.
    pub attempt: i64,
}

/// Neither the secret nor the whole URL (URLs often carry a token): see [`url_for_logs`].
impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("delivery_id", &self.delivery_id)
            .field("webhook_id", &self.webhook_id)
            .field("url", &url_for_logs(&self.url))
            .field("event_id", &self.event_id)
            .field("event_type", &self.event_type)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// A webhook URL as logs may show it: scheme, host and port only. Receivers' URLs often
/// carry a token in the path or the query (Slack's, Zapier's), which logs must not keep.
pub fn url_for_logs(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let rest = if parsed.path() == "/" && parsed.query().is_none() { "" } else { "/…" };
            format!("{}://{}{port}{rest}", parsed.scheme(), parsed.host_str().unwrap_or(""))
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// What came of an attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status_code: Option<u16>,
    pub duration: Duration,
    /// Why it failed, when it did without an answer (timeout, refused address, …).
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|code| (200..300).contains(&code))
    }
}

/// Wakes the delivery worker when the outbox grows.
#[derive(Clone, Default)]
pub(crate) struct Outbox(Arc<Notify>);

impl Outbox {
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

/// The gap before retry number `failed` (1 after the first failed attempt).
pub fn retry_delay(base: Duration, failed: i64) -> Duration {
    let index = usize::try_from(failed - 1).unwrap_or(0).min(RETRY_BACKOFF.len() - 1);
    base * RETRY_BACKOFF[index]
}

impl Vault {
    /// Queues a `webhook.test` event for this webhook only; returns its id.
    /// Limited per workspace, as redeliveries are ([`crate::MANUAL_SENDS_PER_MINUTE`]).
    pub async fn send_test_event(&self, actor: &Actor, id: i64) -> Result<String> {
        let webhook = self.webhook(actor, id).await?;
        if !webhook.enabled {
            return Err(VaultError::conflict(
                Conflict::WebhookDisabled,
                "this webhook is disabled; enable it to send a test event",
            ));
        }
        self.manual_sends.count(actor.workspace_id)?;
        let event_id = events::new_event_id();
        let mut tx = self.db.write.begin().await?;
        let change = events::Change {
            id: event_id.clone(),
            kind: EventKind::WebhookTest,
            prompt: None,
            label: None,
            version: None,
            previous: None,
            requested_by: None,
            request: None,
            rollout: None,
        };
        events::record(&mut tx, actor, change, Some(id)).await?;
        tx.commit().await?;
        self.outbox.poke();
        Ok(event_id)
    }

    /// Every attempt to deliver to this webhook, newest first (the last 200).
    pub async fn delivery_log(&self, actor: &Actor, id: i64) -> Result<Vec<Attempt>> {
        self.webhook(actor, id).await?;
        let rows = sqlx::query(
            "select d.event_id, e.type, a.attempt, a.at, a.status_code, a.duration_ms, a.error, d.state \
             from delivery_attempts a join deliveries d on d.id = a.delivery_id join events e on e.id = d.event_id \
             where d.webhook_id = $1 order by a.id desc limit 200",
        )
        .bind(id)
        .fetch_all(&self.db.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Attempt {
                    event_id: row.try_get("event_id")?,
                    event_type: EventKind::parse(&row.try_get::<String, _>("type")?)?,
                    attempt: row.try_get("attempt")?,
                    at: Timestamp(row.try_get("at")?),
                    status_code: row.try_get("status_code")?,
                    duration_ms: row.try_get("duration_ms")?,
                    error: row.try_get("error")?,
                    delivery_state: DeliveryState::parse(&row.try_get::<String, _>("state")?)?,
                })
            })
            .collect()
    }

    /// Sends an event to the webhook again, now: one more attempt, whatever came before.
    /// Refused while the webhook is disabled, which would hold it back unsent; limited per
    /// workspace, as test events are.
    pub async fn redeliver(&self, actor: &Actor, id: i64, event_id: &str) -> Result<()> {
        if !self.webhook(actor, id).await?.enabled {
            return Err(VaultError::conflict(
                Conflict::WebhookDisabled,
                "this webhook is disabled; enable it to redeliver",
            ));
        }
        self.manual_sends.count(actor.workspace_id)?;
        let updated = sqlx::query(
            "update deliveries set state = 'pending', next_attempt_at = $1 where webhook_id = $2 and event_id = $3",
        )
        .bind(Timestamp::now().0)
        .bind(id)
        .bind(event_id)
        .execute(&self.db.write)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(VaultError::NotFound(format!("event {event_id} was never sent to webhook {id}")));
        }
        self.outbox.poke();
        Ok(())
    }

    /// Records an attempt and what follows from it: delivered; or due again after the next
    /// gap of the schedule (`retry_base` times the backoff); or, when the schedule is spent,
    /// failed. A webhook failing `DISABLE_AFTER_FAILURES` times in a row is disabled.
    pub async fn record_attempt(
        &self,
        due: &DueDelivery,
        outcome: &Outcome,
        retry_base: Duration,
    ) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.db.write.begin().await?;
        sqlx::query(
            "insert into delivery_attempts (delivery_id, attempt, at, status_code, duration_ms, error) \
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(due.delivery_id)
        .bind(due.attempt)
        .bind(now.0)
        .bind(outcome.status_code.map(i64::from))
        .bind(i64::try_from(outcome.duration.as_millis()).unwrap_or(i64::MAX))
        .bind(outcome.error.as_deref())
        .execute(&mut *tx)
        .await?;
        if outcome.succeeded() {
            sqlx::query("update deliveries set state = 'delivered', attempts = $1, claimed_until = null where id = $2")
                .bind(due.attempt)
                .bind(due.delivery_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("update webhooks set consecutive_failures = 0 where id = $1")
                .bind(due.webhook_id)
                .execute(&mut *tx)
                .await?;
        } else {
            let (state, next) = if due.attempt >= MAX_ATTEMPTS {
                ("failed", now)
            } else {
                ("pending", now.plus(retry_delay(retry_base, due.attempt)))
            };
            sqlx::query(
                "update deliveries set state = $1, attempts = $2, next_attempt_at = $3, claimed_until = null \
                 where id = $4",
            )
            .bind(state)
            .bind(due.attempt)
            .bind(next.0)
            .bind(due.delivery_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "update webhooks set consecutive_failures = consecutive_failures + 1, \
                     enabled = case when consecutive_failures + 1 >= $1 then 0 else enabled end, \
                     disabled_reason = case when consecutive_failures + 1 >= $1 and enabled = 1 then $2 \
                         else disabled_reason end \
                 where id = $3",
            )
            .bind(DISABLE_AFTER_FAILURES)
            .bind(format!("disabled by the server after {DISABLE_AFTER_FAILURES} failed attempts in a row"))
            .bind(due.webhook_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Resolves when an event was recorded or a delivery made due (maybe already before
    /// this was called: the wake-up is kept until taken).
    pub async fn deliveries_waiting(&self) {
        self.outbox.0.notified().await;
    }
}
