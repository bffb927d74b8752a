//! Webhooks on the wire: the webhook as listed, its delivery attempts, and the answer to a
//! test send. The event kinds and the body a webhook receives are in the crate root and
//! `signature` signs it.

use serde::{Deserialize, Serialize};

use crate::{DeliveryState, EventKind};

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
