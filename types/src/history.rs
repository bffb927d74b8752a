//! What happened, on the wire: pointer moves (a prompt's deployments), the activity log, and
//! requests to change live.

use serde::{Deserialize, Serialize};

use crate::{ActivityKind, Channel, RequestAction, RequestState};

/// One move of a label:
/// `{"label","channel"?,"from","to","actor","requested_by","at","event_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointerMoveJson {
    /// The label moved: `live`, `staging` or one of the workspace's own.
    pub label: String,
    /// For a move of `live` or `staging`, which (as before labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: String,
    /// For a move that approved a request: who requested it (`actor` approved it).
    pub requested_by: Option<String>,
    pub at: String,
    pub event_id: String,
}

/// One change in the activity log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityJson {
    pub id: i64,
    pub at: String,
    /// The member's name.
    pub actor: String,
    pub kind: ActivityKind,
    /// The prompt the change concerns, if it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// What changed, by kind (never a secret or a webhook's URL).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// A request to move a label (promote and rollback move live):
/// `{"id","prompt","action","version","state","requested_by","note","created_at",…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestJson {
    pub id: i64,
    pub prompt: String,
    pub action: RequestAction,
    /// The label it moves: `live` for promote and rollback.
    pub label: String,
    pub version: String,
    pub state: RequestState,
    pub requested_by: String,
    pub note: String,
    pub created_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// A rejection's note.
    pub decision_note: Option<String>,
    /// What a rollout request asks (action `rollout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<crate::rollouts::RolloutAskJson>,
}
