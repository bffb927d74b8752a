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

/// `GET /v1/manage/fleet`: per prompt and label, what is being served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FleetJson {
    pub items: Vec<FleetItemJson>,
}

/// One prompt and label: the label's version, the versions the applications reported using
/// in the last hour, and the instances whose latest use is of an older version than the
/// label's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FleetItemJson {
    pub prompt: String,
    pub label: String,
    /// The version the label points at (`null`: nowhere).
    pub version: Option<String>,
    pub versions: Vec<FleetVersionJson>,
    pub stale: Vec<StaleInstanceJson>,
}

/// One version in use: by how many instances now (seen with it in the last 15 seconds: its
/// reports, or its reads and streams when it names itself) and in the last 5 minutes, how
/// many uses (last 5 and 60 minutes), how many failures (last 60).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FleetVersionJson {
    pub version: String,
    pub instances_now: u64,
    pub instances: u64,
    pub uses_5m: u64,
    pub uses_60m: u64,
    pub failures_60m: u64,
}

/// An instance still using an older version than its label's (a stale cache, a dead stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaleInstanceJson {
    pub app: String,
    pub instance: String,
    pub version: String,
    /// RFC 3339: the minute of its latest report.
    pub last_seen: String,
}
