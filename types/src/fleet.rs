//! What applications report of their use of prompts, on the wire (`POST /v1/reports`).

use serde::{Deserialize, Serialize};

/// `{"app","instance","items":[{"prompt","version","uses","failures"}…]}`: counts since the
/// client's last report, per prompt and served version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportJson {
    /// The application's name, as it chooses it (`support-bot`).
    pub app: String,
    /// The instance, an id the SDK makes when it starts.
    pub instance: String,
    pub items: Vec<ReportItemJson>,
}

/// One prompt and version: how many times it was used, and how many of those failed (a
/// failure is whatever the application calls one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportItemJson {
    pub prompt: String,
    /// `v3` (or `3`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version: serde_json::Value,
    pub uses: u64,
    #[serde(default)]
    pub failures: u64,
}
