//! The API's vocabulary, in one place: every shape PromptVault sends (the version JSON, the
//! SDK reads, search hits, and one module per area: `prompts`, `history`, `team`,
//! `settings`, `webhooks` with the event body, `diff`, `code` for prompts as code); the
//! fixed words as enums (`words`: roles, key kinds, request states, activity and event
//! kinds, …; "draft", "live" and "staging" here in the root); chat messages and config; the
//! field limits the dashboard shows. And the `{{variable}}` grammar with its compile
//! (`template`), which the server, the Rust SDK and the dashboard's preview must apply alike.
//!
//! No I/O and no other rules here (those are the vault's): only what the server, the Rust
//! SDK and the dashboard's browser side must agree on, so that they cannot drift.

use std::fmt;

use serde::{Deserialize, Serialize};

pub mod code;
pub mod composition;
pub mod content;
pub mod diff;
pub mod errors;
pub mod fleet;
pub mod history;
pub mod labels;
pub mod langfuse;
pub mod prompts;
pub mod rollouts;
pub mod settings;
#[cfg(feature = "signatures")]
pub mod signature;
pub mod team;
pub mod template;
pub mod webhooks;
pub mod words;

pub use code::{ImportReportJson, ImportedJson, PushReportJson, PushStepJson, PushedJson};
pub use composition::{DependentJson, DependentLabelJson, IncludedPart, PinJson, UpdatedDependentJson};
pub use content::{Body, ChatMessage, Config, MAX_CONFIG_BYTES, MessageRole, PromptType};
pub use diff::DiffJson;
pub use errors::{ErrorBody, ErrorJson};
pub use history::{ActivityJson, PointerMoveJson, RequestJson};
pub use labels::LabelJson;
pub use langfuse::{LangfuseListJson, LangfuseListedJson, LangfusePageJson, LangfusePromptJson};
pub use prompts::{EditorJson, Items, PromptJson, RollBackJson};
pub use settings::{AccessTokenJson, ApiKeyJson, SettingsJson};
pub use team::{InvitationJson, InvitationPreviewJson, MemberJson, WorkspaceJson, WorkspaceTokenJson};
pub use webhooks::{
    AttemptJson, EVENT_API_VERSION, EventJson, EventQueued, EventRequestJson, PersonJson, WebhookJson,
};
pub use words::{
    ActivityKind, ChangeRule, DeliveryState, EventKind, Fallback, KeyKind, PushAction, RequestAction,
    RequestState, Role, UnknownWord,
};

/// The largest prompt source accepted: 1 MiB.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;
/// The largest change message accepted, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 2000;
/// The longest prompt name, in bytes (Langfuse's limit).
pub const MAX_PROMPT_NAME_BYTES: usize = 128;

/// The dashboard's page of prompt `name`: `/prompts/` and the name with each folder
/// percent-encoded (a name may hold spaces, `?`, `#`, `%`, unicode…), its `/` kept.
pub fn prompt_page(name: &str) -> String {
    let mut path = String::from("/prompts/");
    for (i, folder) in name.split('/').enumerate() {
        if i > 0 {
            path.push('/');
        }
        for byte in folder.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                path.push(char::from(byte));
            } else {
                path.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    path
}
/// The longest one-line text (a member's, a token's or a workspace's name), in characters.
pub const MAX_SHORT_TEXT_CHARS: usize = 100;

/// A version's status. Published versions are frozen and never deleted; on the wire a
/// published version's status is `live`, whether or not the live pointer is at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    /// Editable and deletable; never served to live keys.
    #[serde(rename = "draft")]
    Draft,
    /// Published: frozen forever.
    #[serde(rename = "live")]
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "live",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        match raw {
            "draft" => Some(Status::Draft),
            "live" => Some(Status::Published),
            _ => None,
        }
    }
}

/// One of a prompt's two pointers, and so what a read key reads: `live` (production) or
/// `staging` (preview).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Live,
    Staging,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Live => "live",
            Channel::Staging => "staging",
        }
    }

    pub fn parse(raw: &str) -> Option<Channel> {
        match raw {
            "live" => Some(Channel::Live),
            "staging" => Some(Channel::Staging),
            _ => None,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `v3`: how people and the API name version 3.
pub fn label(number: i64) -> String {
    format!("v{number}")
}

/// The version JSON, everywhere a version appears:
/// `{"version":"v3","number":3,"status","type","source"|"messages","config","variables",
/// "message","author","created_at"}`. Webhook bodies leave the source or messages out;
/// lists and search hits leave the config out too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionJson {
    /// `v3`
    pub version: String,
    pub number: i64,
    pub status: Status,
    /// The prompt's type: `text` (a `source`) or `chat` (`messages`).
    #[serde(rename = "type", default)]
    pub kind: PromptType,
    /// A text prompt's text; absent where a version is only named (webhooks, search hits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A chat prompt's messages and placeholders; absent where a version is only named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<content::WireMessage>>))]
    pub messages: Option<Vec<ChatMessage>>,
    /// The model configuration saved with the version (`{}` when none); absent in lists and
    /// search hits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub config: Option<Config>,
    /// The `{{variables}}` of its text or messages, each once, in order.
    #[serde(default)]
    pub variables: Vec<String>,
    pub message: String,
    /// The name of the member who saved it.
    pub author: String,
    /// RFC 3339, UTC, milliseconds.
    pub created_at: String,
}

impl VersionJson {
    /// The same version without its source or messages (its config stays).
    pub fn without_source(self) -> VersionJson {
        VersionJson { source: None, messages: None, ..self }
    }

    /// Its text or messages, where the JSON carries them.
    pub fn body(&self) -> Option<Body> {
        match self.kind {
            PromptType::Text => self.source.clone().map(Body::Text),
            PromptType::Chat => self.messages.clone().map(Body::Chat),
        }
    }
}

/// What an SDK read returns: the version JSON, the prompt's name, and which label served
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServedPrompt {
    pub name: String,
    #[serde(flatten)]
    pub version: VersionJson,
    /// The label that served it: the key's own, or `live` where the key's label falls back
    /// to live.
    #[serde(default)]
    pub label: String,
    /// For `live` and `staging`: which (as before labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// While a rollout splits the label: its versions, share and seed, so that an SDK
    /// assigns units itself (`types::rollouts::reads_new`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<rollouts::SplitJson>,
}

/// A version found by a search across the workspace: the version JSON without its source,
/// and its prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// `support/triage`
    pub prompt: String,
    #[serde(flatten)]
    pub version: VersionJson,
}

/// What the rules let a member do with one version right now: the actions the dashboard
/// offers on its row. Decided by the vault, which refuses anything else anyway.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offered {
    /// Rewrite it in place (a draft).
    pub edit: bool,
    pub delete: bool,
    /// Make it live: a draft, or a published version newer than live.
    pub promote: bool,
    /// Point live back at it: a published version older than live.
    pub roll_back: bool,
    /// Point staging at it (staging enabled, not staged yet).
    pub stage: bool,
    /// Clear staging, which points at it.
    pub unstage: bool,
    /// The workspace reviews changes to live: promote and roll back open a request for
    /// another member to approve.
    pub by_request: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(source: Option<&str>) -> VersionJson {
        VersionJson {
            version: label(3),
            number: 3,
            status: Status::Published,
            kind: PromptType::Text,
            source: source.map(str::to_owned),
            messages: None,
            config: Some(Config::new()),
            variables: Vec::new(),
            message: "tone".into(),
            author: "Ada".into(),
            created_at: "2026-11-24T06:00:00.000Z".into(),
        }
    }

    #[test]
    fn the_version_json_has_the_documented_fields() {
        let json = serde_json::to_value(version(Some("Hi"))).ok();
        let expected = serde_json::json!({"version":"v3","number":3,"status":"live","type":"text",
            "source":"Hi","config":{},"variables":[],"message":"tone","author":"Ada",
            "created_at":"2026-11-24T06:00:00.000Z"});
        assert_eq!(json, Some(expected));
        let named = serde_json::to_value(version(Some("Hi")).without_source()).ok();
        assert!(named.is_some_and(|v| v.get("source").is_none()));
    }

    #[test]
    fn a_prompt_page_encodes_each_folder_and_keeps_the_slashes() {
        assert_eq!(prompt_page("support/triage-v2"), "/prompts/support/triage-v2");
        assert_eq!(prompt_page("Movie Critic?/été #1"), "/prompts/Movie%20Critic%3F/%C3%A9t%C3%A9%20%231");
        assert_eq!(prompt_page("100%"), "/prompts/100%25");
    }

    #[test]
    fn a_served_prompt_is_the_version_json_with_name_and_channel() {
        let served = ServedPrompt {
            name: "support/triage".into(),
            version: version(Some("Hi")),
            label: "staging".into(),
            channel: Some(Channel::Staging),
            rollout: None,
        };
        let json = serde_json::to_string(&served).unwrap_or_default();
        let back: Option<ServedPrompt> = serde_json::from_str(&json).ok();
        assert_eq!(back.as_ref(), Some(&served));
        assert!(json.contains(r#""channel":"staging""#) && json.contains(r#""status":"live""#), "{json}");
    }

    #[test]
    fn event_kinds_round_trip_by_name() {
        for kind in EventKind::SUBSCRIBABLE {
            assert_eq!(EventKind::parse_subscribable(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse_subscribable("webhook.test"), None);
        assert_eq!(EventKind::parse_subscribable("version.deleted"), None);
    }
}
