//! Prompts on the wire: a prompt's state, what the editor continues from after a rollback,
//! and the page of items every list answers with.

use serde::{Deserialize, Serialize};

use crate::{ChatMessage, Config, PromptType};

/// `{"name","type","live":"v3"|null,"staging":"v4"|null,"labels":{…},"versions":N}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromptJson {
    pub name: String,
    /// `text` or `chat`, chosen at creation.
    #[serde(rename = "type")]
    pub kind: PromptType,
    pub live: Option<String>,
    pub staging: Option<String>,
    /// Where each label points: `{"live":"v3","staging":"v4","eu":"v2"}` (a label that points
    /// nowhere is left out; staging only while it is enabled).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// The prompt's tags, in their order.
    #[serde(default)]
    pub tags: Vec<String>,
    pub versions: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A rollback's result: the prompt's new state and the source copied to the editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RollBackJson {
    #[serde(flatten)]
    pub state: PromptJson,
    pub editor: EditorJson,
}

/// What the editor continues from after a rollback: the version's text (or messages) and
/// config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditorJson {
    pub based_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::content::WireMessage>>))]
    pub messages: Option<Vec<ChatMessage>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config: Config,
}

/// `{"items": […]}`, and the cursor of the next page where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Items<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Option<String>>,
}

impl<T> Items<T> {
    /// Every item, in one answer (no `next_cursor`).
    pub fn all(items: impl IntoIterator<Item = impl Into<T>>) -> Self {
        Items { items: items.into_iter().map(Into::into).collect(), next_cursor: None }
    }
}
