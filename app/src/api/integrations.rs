//! Settings → Integrations (admins): webhooks, their secrets, test events, and the
//! delivery log with redeliver.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{AppError, CreatedToken, When};

pub use types::EventKind;

/// A webhook as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub webhook: types::WebhookJson,
    pub created: When,
}

/// A delivery attempt as the log lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRow {
    pub attempt: types::AttemptJson,
    pub at: When,
}

/// The checked event types of a webhook form: one checkbox per type, named after it with
/// `_` for `.` (`version_promoted`), present when checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventChoice {
    pub version_promoted: Option<String>,
    pub version_rolled_back: Option<String>,
    pub staging_changed: Option<String>,
    pub draft_deleted: Option<String>,
    pub request_opened: Option<String>,
    pub request_rejected: Option<String>,
    pub label_moved: Option<String>,
    pub rollout_started: Option<String>,
    pub rollout_changed: Option<String>,
    pub rollout_completed: Option<String>,
    pub rollout_aborted: Option<String>,
}

impl EventChoice {
    #[cfg(feature = "ssr")]
    fn chosen(&self) -> Vec<String> {
        EventKind::SUBSCRIBABLE
            .into_iter()
            .filter(|kind| self.checked(*kind))
            .map(|kind| kind.as_str().to_owned())
            .collect()
    }

    /// The box for `kind`; one field per subscribable type, checked when present.
    #[cfg(feature = "ssr")]
    fn checked(&self, kind: EventKind) -> bool {
        match kind {
            EventKind::VersionPromoted => self.version_promoted.is_some(),
            EventKind::VersionRolledBack => self.version_rolled_back.is_some(),
            EventKind::StagingChanged => self.staging_changed.is_some(),
            EventKind::DraftDeleted => self.draft_deleted.is_some(),
            EventKind::RequestOpened => self.request_opened.is_some(),
            EventKind::RequestRejected => self.request_rejected.is_some(),
            EventKind::LabelMoved => self.label_moved.is_some(),
            EventKind::RolloutStarted => self.rollout_started.is_some(),
            EventKind::RolloutChanged => self.rollout_changed.is_some(),
            EventKind::RolloutCompleted => self.rollout_completed.is_some(),
            EventKind::RolloutAborted => self.rollout_aborted.is_some(),
            EventKind::WebhookTest => false,
        }
    }
}

#[server]
pub async fn load_webhooks() -> Result<Vec<WebhookRow>, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let webhooks = ctx.vault.webhooks(&actor).await?;
    Ok(webhooks
        .into_iter()
        .map(|w| WebhookRow { created: ssr::when(w.created_at, now), webhook: w.into() })
        .collect())
}

/// Adds a webhook, enabled when its box is checked (present); its signing secret is shown
/// once.
#[server]
pub async fn add_webhook(
    url: String,
    #[server(default)] events: EventChoice,
    #[server(default)] enabled: Option<String>,
) -> Result<CreatedToken, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let input = vault::NewWebhook { url, events: events.chosen(), enabled: enabled.is_some() };
    let made = ctx.vault.create_webhook(&actor, input).await?;
    Ok(CreatedToken { name: made.webhook.url, secret: made.secret })
}

#[server]
pub async fn edit_webhook(
    id: i64,
    url: String,
    #[server(default)] events: EventChoice,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let patch = vault::WebhookPatch { url: Some(url), events: Some(events.chosen()), enabled: None };
    ctx.vault.update_webhook(&actor, id, patch).await?;
    leptos_axum::redirect("/settings/integrations");
    Ok(())
}

#[server]
pub async fn set_webhook_enabled(id: i64, enabled: bool) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let patch = vault::WebhookPatch { enabled: Some(enabled), ..Default::default() };
    ctx.vault.update_webhook(&actor, id, patch).await?;
    Ok(())
}

/// A new signing secret, shown once; the old one stops signing at once.
#[server]
pub async fn rotate_secret(id: i64) -> Result<CreatedToken, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let rotated = ctx.vault.rotate_webhook_secret(&actor, id).await?;
    Ok(CreatedToken { name: rotated.webhook.url, secret: rotated.secret })
}

#[server]
pub async fn remove_webhook(id: i64) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.delete_webhook(&actor, id).await?;
    Ok(())
}

/// Queues a `webhook.test` event for this webhook; its delivery shows in the log.
#[server]
pub async fn send_test_event(id: i64) -> Result<String, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    Ok(ctx.vault.send_test_event(&actor, id).await?)
}

#[server]
pub async fn load_delivery_log(id: i64) -> Result<Vec<AttemptRow>, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let now = vault::Timestamp::now();
    let log = ctx.vault.delivery_log(&actor, id).await?;
    Ok(log.into_iter().map(|a| AttemptRow { at: ssr::when(a.at, now), attempt: a.into() }).collect())
}

#[server]
pub async fn redeliver(id: i64, event_id: String) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    Ok(ctx.vault.redeliver(&actor, id, &event_id).await?)
}
