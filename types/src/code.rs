//! Prompts as code on the wire: what a push did (prompt by prompt, step by step) and what a
//! Langfuse import did. The CLI reads exactly what the server writes.

use serde::{Deserialize, Serialize};

use crate::VersionJson;
use crate::words::PushAction;

/// One step of a push: `{"action":"created"}`, `{"action":"saved"|"staged"|"promoted","version":"v4"}`,
/// `{"action":"requested","version":"v4","request":12}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushStepJson {
    pub action: PushAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<i64>,
    /// The label moved (`labelled`) or asked for (`requested`); absent for live and staging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What a push did to one prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushedJson {
    pub name: String,
    /// The version holding the file's content.
    pub version: String,
    /// Empty when the file changed nothing.
    pub steps: Vec<PushStepJson>,
    /// The newest version before the push, with its content, when a draft was saved.
    pub previous: Option<VersionJson>,
    /// The open request to promote `version`, under review.
    pub awaiting_review: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushReportJson {
    pub dry_run: bool,
    /// Whether anything changed (in a dry run: would).
    pub changed: bool,
    /// By name.
    pub prompts: Vec<PushedJson>,
}

/// What an import did to one prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportedJson {
    pub name: String,
    pub created: bool,
    pub added: Vec<String>,
    pub unchanged: Vec<String>,
    pub promoted: Option<String>,
    pub requested: Option<i64>,
    pub staged: Option<String>,
    /// The workspace's own labels moved, each to its version: `{"eu":"v3"}`.
    #[serde(default)]
    pub labelled: std::collections::BTreeMap<String, String>,
    /// Under review: the requests opened to move the workspace's own labels, by label.
    #[serde(default)]
    pub label_requests: std::collections::BTreeMap<String, i64>,
    /// The prompt's tags from now on, when the import changed them.
    #[serde(default)]
    pub tagged: Option<Vec<String>>,
    /// What is not imported (staging while it is disabled), and what the export lacks (the
    /// history before an export of the newest versions only).
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReportJson {
    /// Whether anything changed: `false` for an export imported before.
    pub changed: bool,
    /// By name.
    pub prompts: Vec<ImportedJson>,
}
