//! The outbox. Every change that webhooks hear about writes its event, with the exact body
//! each webhook will receive and one pending delivery per subscribed webhook, in the same
//! transaction as the change: the change and its deliveries are saved together or not at
//! all, so a crash can never lose a delivery.

use sqlx::{Any, Transaction};
use types::{EVENT_API_VERSION, EventJson, EventRequestJson, PersonJson};

use crate::access::Actor;
use crate::db::Timestamp;
use crate::version::Version;
use crate::{Result, VaultError};

pub use types::EventKind;

/// One of the subscribable event types, by name.
pub(crate) fn subscribable(raw: &str) -> Result<EventKind> {
    EventKind::parse_subscribable(raw).ok_or_else(|| {
        let known: Vec<&str> = EventKind::SUBSCRIBABLE.iter().map(|k| k.as_str()).collect();
        VaultError::invalid(
            "events",
            format!("unknown event type {raw:?}; the types are {}", known.join(", ")),
        )
    })
}

/// A new event id: `evt_` and a time-ordered UUID.
pub(crate) fn new_event_id() -> String {
    format!("evt_{}", uuid::Uuid::now_v7().simple())
}

/// What an event says about a change to a prompt.
pub(crate) struct Change<'a> {
    pub id: String,
    pub kind: EventKind,
    pub prompt: Option<&'a str>,
    /// For a label's move, the label.
    pub label: Option<&'a str>,
    pub version: Option<&'a Version>,
    pub previous: Option<&'a Version>,
    /// For a move made by approving a request: who requested it.
    pub requested_by: Option<PersonJson>,
    /// For a request's events: the request.
    pub request: Option<EventRequestJson>,
    /// For a rollout's events: its share, state and reason.
    pub rollout: Option<types::rollouts::RolloutEventJson>,
}

/// Writes the event and a pending delivery for every webhook of the workspace that
/// subscribes to it (or for `only` that webhook, for a test event): every enabled one, and
/// every one the server disabled after failures, whose deliveries wait until it is enabled
/// again (a webhook a person disabled receives nothing).
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    change: Change<'_>,
    only: Option<i64>,
) -> Result<()> {
    let now = Timestamp::now();
    let body = EventJson {
        id: change.id.clone(),
        kind: change.kind,
        created_at: now.to_rfc3339(),
        api_version: EVENT_API_VERSION.to_owned(),
        workspace: actor.workspace.clone(),
        prompt: change.prompt.map(str::to_owned),
        label: change.label.map(str::to_owned),
        version: change.version.map(|v| v.to_json(false)),
        previous: change.previous.map(|v| v.to_json(false)),
        actor: PersonJson { name: actor.name.clone(), email: actor.email.clone() },
        requested_by: change.requested_by,
        request: change.request,
        rollout: change.rollout,
    };
    sqlx::query("insert into events (id, workspace_id, type, body, created_at) values ($1, $2, $3, $4, $5)")
        .bind(&change.id)
        .bind(actor.workspace_id)
        .bind(change.kind.as_str())
        .bind(serde_json::to_string(&body).map_err(|e| VaultError::Internal(Box::new(e)))?)
        .bind(now.0)
        .execute(&mut **tx)
        .await?;
    let pattern = format!("% {} %", change.kind.as_str());
    sqlx::query(
        "insert into deliveries (event_id, webhook_id, state, next_attempt_at, created_at) \
         select $1, id, 'pending', $2, $2 from webhooks \
         where workspace_id = $3 and (enabled = 1 or disabled_reason is not null) \
           and (($4 = 0 and (' ' || events || ' ') like $5) or id = $4)",
    )
    .bind(&change.id)
    .bind(now.0)
    .bind(actor.workspace_id)
    .bind(only.unwrap_or(0))
    .bind(pattern)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
