//! A workspace's settings and its credentials on the wire: API keys (what applications read
//! with) and personal access tokens (what people and scripts manage with).

use serde::{Deserialize, Serialize};

use crate::{ChangeRule, KeyKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsJson {
    pub staging_enabled: bool,
    /// Who changes live: `editors` (directly; the default), `admins` (only admins and
    /// owners), or `review` (every promote and rollback is a request another member approves).
    pub live_changes: ChangeRule,
}

/// An API key as listed: never the key itself, but in the response that created it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyJson {
    pub id: i64,
    pub kind: KeyKind,
    /// The label it reads: `live` for a live key and `staging` for a test key unless it
    /// was made for another.
    #[serde(default)]
    pub label: String,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Only in the response that created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl ApiKeyJson {
    /// `pv_live_…abcd`: enough to recognise it, never the key.
    pub fn hint(&self) -> String {
        hint(&self.prefix, &self.last_four)
    }
}

/// A personal access token as listed: never the token itself, but in the response that
/// created it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessTokenJson {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub last_four: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// Made only to abort rollouts (every other call refuses it).
    #[serde(default)]
    pub abort_only: bool,
    /// Only in the response that created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl AccessTokenJson {
    /// `pv_pat_…abcd`: enough to recognise it, never the token.
    pub fn hint(&self) -> String {
        hint(&self.prefix, &self.last_four)
    }
}

/// How a secret is shown once made: its prefix and last four characters.
fn hint(prefix: &str, last_four: &str) -> String {
    format!("{prefix}…{last_four}")
}
