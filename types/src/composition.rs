//! Composition on the wire: where a prompt is used, what a published version pins, and
//! what updating the prompts that include one made.

use serde::{Deserialize, Serialize};

/// One reference of a published version, pinned when it was published:
/// `{"reference":"name=tone|label=production","prompt":"tone","version":"v4"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinJson {
    /// The reference as written, between `@@@langfusePrompt:` and `@@@`.
    pub reference: String,
    pub prompt: String,
    /// The version of `prompt` it embeds, for ever.
    pub version: String,
}

/// A prompt that includes another, and what each of its labels pins of it:
/// `{"prompt":"support/reply","labels":[{"label":"live","version":"v7","pins":"v4"}],"behind":true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependentJson {
    pub prompt: String,
    /// Each label of the prompt whose version includes the other, most used first (live).
    pub labels: Vec<DependentLabelJson>,
    /// Its live version pins a version of the other that is not the other's live one: an
    /// update would give it a new version.
    pub behind: bool,
}

/// One label of a dependent: its version, and the version of the included prompt it pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependentLabelJson {
    pub label: String,
    pub version: String,
    pub pins: String,
}

/// What updating one dependent made: `{"prompt","from":"v7","to":"v8","published":true}`,
/// or why it was left as it is (`skipped`: it names the included prompt by version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdatedDependentJson {
    pub prompt: String,
    /// Its live version, which the new one copies.
    pub from: String,
    /// The new version; absent when skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Made live in the same release (else a draft).
    pub published: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// A piece of a text as the editor's preview shows it: written here, or included from
/// another prompt (`"included":"tone v4"`), in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncludedPart {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<String>,
}
