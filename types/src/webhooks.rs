//! Webhooks on the wire: the body every delivery carries (`signature` signs it), the webhook
//! as listed, its delivery attempts, and the answer to a test send.

use serde::{Deserialize, Serialize};

use crate::{DeliveryState, EventKind, RequestAction, RequestState, VersionJson};

/// The body of every webhook delivery: what happened (`type`), where, to which version, and
/// who did it. The versions leave their source out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventJson {
    /// `evt_…`, also the `PromptVault-Delivery` header: dedupe on it.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub created_at: String,
    /// `v1`.
    pub api_version: String,
    /// The workspace's name.
    pub workspace: String,
    pub prompt: Option<String>,
    /// For a move: the label moved (`live` for a promote or rollback, `staging`, `eu`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The version the pointer moved to (for `draft.deleted`, the deleted draft; for a
    /// request's events, the requested version).
    pub version: Option<VersionJson>,
    /// The version the pointer left (for a request's events, the live one).
    pub previous: Option<VersionJson>,
    pub actor: PersonJson,
    /// For a move made by approving a request: who requested it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<PersonJson>,
    /// For `request.opened` and `request.rejected`: the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<EventRequestJson>,
    /// For a rollout's events (`version` is its new version, `previous` its old): its share
    /// and state, and why it was aborted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<crate::rollouts::RolloutEventJson>,
}

/// The version of the event body, `api_version`.
pub const EVENT_API_VERSION: &str = "v1";

/// A member, as an event names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonJson {
    pub name: String,
    pub email: String,
}

/// A request, as its events (and its activity entries) describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRequestJson {
    pub id: i64,
    pub action: RequestAction,
    /// The label it moves: `live` for promote and rollback.
    pub label: String,
    pub version: String,
    pub state: RequestState,
    pub note: String,
    /// The requester's name.
    pub requested_by: String,
    pub decision_note: Option<String>,
    /// What a rollout request asks (action `rollout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<crate::rollouts::RolloutAskJson>,
}

/// A webhook. `secret` only in the answers that create or rotate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookJson {
    pub id: i64,
    pub url: String,
    pub events: Vec<EventKind>,
    pub enabled: bool,
    /// Why the server disabled it (repeated failures), if it did.
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptJson {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: EventKind,
    pub attempt: i64,
    pub at: String,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// Where the delivery stands now.
    pub delivery: DeliveryState,
}

/// The answer to "send test event": the event's id, to find its attempts by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventQueued {
    pub event_id: String,
}
