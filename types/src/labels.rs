//! Labels on the wire: a workspace's named pointers and their rules.

use serde::{Deserialize, Serialize};

use crate::{ChangeRule, Fallback};

/// A label: `{"name","protected","rule","fallback","built_in","keys"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabelJson {
    pub name: String,
    /// Points only at published versions: moving it to a draft publishes the draft.
    pub protected: bool,
    /// Who moves it: `editors`, `admins`, or `review` (a request another member approves).
    pub rule: ChangeRule,
    /// What its keys read where it points at no version: `live`, or nothing (`null`).
    pub fallback: Option<Fallback>,
    /// `live` and `staging`: their fields are fixed (live's rule is the `live_changes`
    /// setting).
    pub built_in: bool,
    /// How many API keys (not revoked) read it.
    pub keys: i64,
}
