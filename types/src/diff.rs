//! Diffs on the wire: two versions' texts side by side (line numbers from 1), a chat
//! prompt's messages paired in order (indexes from 0, in each version's list), and the config
//! keys that differ. The vault computes them; the API and the dashboard show these shapes.

use serde::{Deserialize, Serialize};

use crate::{ChatMessage, MessageRole};

/// `{"from","to","added","removed","rows","messages","config"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffJson {
    /// The older version (`v3`); `null` against nothing (the first version).
    pub from: Option<String>,
    pub to: String,
    /// Lines (messages, for a chat prompt) only in the newer version, and only in the older.
    pub added: usize,
    pub removed: usize,
    /// A text prompt's lines side by side (empty for a chat prompt).
    pub rows: Vec<DiffRow>,
    /// A chat prompt's messages, paired in order; `null` for a text prompt.
    pub messages: Option<Vec<MessageChange>>,
    /// The config's keys whose values differ, by key.
    pub config: Vec<ConfigChange>,
    /// The references whose included version differs (`tone v4 → v5`); the texts above are
    /// resolved, the included prompts in place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<PinChange>,
}

/// One reference whose included version differs between the two versions compared:
/// `{"reference":"name=tone|label=production","prompt":"tone","from":"v4","to":"v5"}`
/// (`from` or `to` absent where only one of them holds the reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinChange {
    pub reference: String,
    pub prompt: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Two texts side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diff {
    pub rows: Vec<DiffRow>,
    /// Lines only in the newer text, and only in the older one.
    pub added: usize,
    pub removed: usize,
}

/// One row of the side-by-side view. Line numbers start at 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiffRow {
    /// The same line on both sides.
    Same { old_line: usize, new_line: usize, text: String },
    /// A removed line paired with an added one; either side may be missing.
    Changed { old: Option<DiffSide>, new: Option<DiffSide> },
    /// Unchanged lines folded away, with their text for unfolding.
    Folded { old_line: usize, new_line: usize, lines: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffSide {
    pub line: usize,
    pub segments: Vec<Segment>,
    /// The text ends on this line without a final newline.
    pub no_newline: bool,
}

/// A run of a changed line; `changed` runs are the words that differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Segment {
    pub text: String,
    pub changed: bool,
}

/// One entry of a chat diff. Indexes start at 0, in each version's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageChange {
    Same {
        old_index: usize,
        new_index: usize,
        #[cfg_attr(feature = "openapi", schema(value_type = crate::content::WireMessage))]
        message: ChatMessage,
    },
    Added {
        new_index: usize,
        #[cfg_attr(feature = "openapi", schema(value_type = crate::content::WireMessage))]
        message: ChatMessage,
    },
    Removed {
        old_index: usize,
        #[cfg_attr(feature = "openapi", schema(value_type = crate::content::WireMessage))]
        message: ChatMessage,
    },
    /// A message whose role or content changed: the content's diff, words emphasised.
    Changed {
        old_index: usize,
        new_index: usize,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        old_role: MessageRole,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        new_role: MessageRole,
        diff: Diff,
    },
}

/// A config key added (`old` absent), removed (`new` absent) or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigChange {
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub old: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub new: Option<serde_json::Value>,
}
