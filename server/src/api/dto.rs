//! The JSON shapes of the API (PRODUCT.md "Public HTTP API"), and extractors whose
//! rejections use the API's error shape.

use axum::extract::{FromRequest, FromRequestParts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vault::{AccessToken, PointerMove, PromptState, PromptSummary, VersionNumber};

use super::ApiError;
pub(crate) use super::error::ErrorJson;

/// A JSON body; malformed or oversized bodies get the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub(crate) struct Body<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct Path<T>(pub T);

/// The version JSON, the SDK read and the search hit: one shape each, shared with the SDK and
/// the vault (which converts its versions), so that no copy can drift.
pub(crate) use types::{SearchHit as SearchHitJson, ServedPrompt as ServedJson, VersionJson};

/// `{"name","type","live":"v3"|null,"staging":"v4"|null,"versions":N}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PromptJson {
    pub(crate) name: String,
    /// `text` or `chat`, chosen at creation.
    #[serde(rename = "type")]
    pub(crate) kind: types::PromptType,
    pub(crate) live: Option<String>,
    pub(crate) staging: Option<String>,
    pub(crate) versions: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) updated_at: Option<String>,
}

impl From<PromptState> for PromptJson {
    fn from(p: PromptState) -> Self {
        PromptJson {
            name: p.name,
            kind: p.kind,
            live: p.live.map(VersionNumber::label),
            staging: p.staging.map(VersionNumber::label),
            versions: p.versions,
            updated_at: None,
        }
    }
}

impl From<PromptSummary> for PromptJson {
    fn from(p: PromptSummary) -> Self {
        PromptJson { updated_at: Some(p.updated_at.to_rfc3339()), ..PromptJson::from(p.state) }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PointerMoveJson {
    channel: types::Channel,
    from: Option<String>,
    to: Option<String>,
    actor: String,
    /// For a move that approved a request: who requested it (`actor` approved it).
    requested_by: Option<String>,
    at: String,
    event_id: String,
}

impl From<PointerMove> for PointerMoveJson {
    fn from(m: PointerMove) -> Self {
        PointerMoveJson {
            channel: m.channel,
            from: m.from.map(VersionNumber::label),
            to: m.to.map(VersionNumber::label),
            actor: m.actor,
            requested_by: m.requested_by,
            at: m.at.to_rfc3339(),
            event_id: m.event_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AccessTokenJson {
    id: i64,
    name: String,
    prefix: &'static str,
    last_four: String,
    created_at: String,
    last_used_at: Option<String>,
    /// Only in the response that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl AccessTokenJson {
    pub fn new(t: AccessToken, secret: Option<String>) -> Self {
        AccessTokenJson {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            last_four: t.last_four,
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
            token: secret,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiKeyJson {
    id: i64,
    kind: &'static str,
    name: String,
    prefix: &'static str,
    last_four: String,
    created_at: String,
    last_used_at: Option<String>,
    /// Only in the response that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl ApiKeyJson {
    pub fn new(k: vault::ApiKey, token: Option<String>) -> Self {
        ApiKeyJson {
            id: k.id,
            kind: k.kind.as_str(),
            name: k.name,
            prefix: k.prefix,
            last_four: k.last_four,
            created_at: k.created_at.to_rfc3339(),
            last_used_at: k.last_used_at.map(|at| at.to_rfc3339()),
            token,
        }
    }
}

/// `{"items": […]}`, and the cursor of the next page where there is one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Items<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Option<String>>,
}

impl<T> Items<T> {
    pub fn all(items: impl IntoIterator<Item = impl Into<T>>) -> Self {
        Items { items: items.into_iter().map(Into::into).collect(), next_cursor: None }
    }

    /// A page, with its `next_cursor` (`null` on the last page).
    pub fn page(page: vault::Page<impl Into<T>>) -> Self {
        Items { items: page.items.into_iter().map(Into::into).collect(), next_cursor: Some(page.next_cursor) }
    }
}

/// A version named in a body: `3` or `"v3"`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum VersionRef {
    Number(i64),
    Label(String),
}

impl VersionRef {
    pub fn parse(&self) -> Result<VersionNumber, vault::VaultError> {
        match self {
            VersionRef::Number(n) => VersionNumber::new(*n),
            VersionRef::Label(label) => VersionNumber::parse(label),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NamedRequest {
    pub name: String,
}

/// A request to change live: `{"id","prompt","action","version","state","requested_by","note","created_at",…}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RequestJson {
    id: i64,
    prompt: String,
    /// `promote` or `rollback`.
    action: &'static str,
    version: String,
    /// `open`, `applied`, `rejected`, `cancelled` or `stale`.
    state: &'static str,
    requested_by: String,
    note: String,
    created_at: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    /// A rejection's note.
    decision_note: Option<String>,
}

impl From<vault::ChangeRequest> for RequestJson {
    fn from(r: vault::ChangeRequest) -> Self {
        RequestJson {
            id: r.id,
            prompt: r.prompt,
            action: r.action.as_str(),
            version: r.number.label(),
            state: r.state.as_str(),
            requested_by: r.requested_by,
            note: r.note,
            created_at: r.created_at.to_rfc3339(),
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(|at| at.to_rfc3339()),
            decision_note: r.decision_note,
        }
    }
}

/// What `POST /v1/setup` and `POST /v1/join` return: a
/// personal access token acting in the workspace, and the member it acts as.
#[derive(Serialize, ToSchema)]
pub(crate) struct WorkspaceTokenJson {
    pub token: String,
    /// The workspace's name.
    pub workspace: String,
    pub member: MemberJson,
}

/// `{"id","name","email","role","joined_at","last_seen_at"}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MemberJson {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    joined_at: String,
    last_seen_at: Option<String>,
}

impl From<vault::Member> for MemberJson {
    fn from(m: vault::Member) -> Self {
        MemberJson {
            id: m.id,
            name: m.name,
            email: m.email,
            role: m.role.as_str(),
            joined_at: m.joined_at.to_rfc3339(),
            last_seen_at: m.last_seen_at.map(|at| at.to_rfc3339()),
        }
    }
}

/// A workspace of the caller's, with their role there.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WorkspaceJson {
    id: i64,
    name: String,
    role: &'static str,
}

impl From<vault::WorkspaceMembership> for WorkspaceJson {
    fn from(w: vault::WorkspaceMembership) -> Self {
        WorkspaceJson { id: w.id, name: w.name, role: w.role.as_str() }
    }
}

/// `{"id","email","role","invited_by","created_at","expires_at"}`, and the link (`url`,
/// `token`) only in the response that made it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InvitationJson {
    id: i64,
    email: String,
    role: &'static str,
    invited_by: String,
    created_at: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl InvitationJson {
    /// `link` is the join URL and the token, for the response that made the invitation.
    pub fn new(i: vault::Invitation, link: Option<(String, String)>) -> Self {
        let (url, token) = link.unzip();
        InvitationJson {
            id: i.id,
            email: i.email,
            role: i.role.as_str(),
            invited_by: i.invited_by,
            created_at: i.created_at.to_rfc3339(),
            expires_at: i.expires_at.to_rfc3339(),
            url,
            token,
        }
    }
}

/// A rollback's result: the prompt's new state and the source copied to the editor.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RollBackJson {
    #[serde(flatten)]
    pub state: PromptJson,
    pub editor: EditorJson,
}

/// What the editor continues from after a rollback: the version's text (or messages) and
/// config.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EditorJson {
    pub based_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<types::content::WireMessage>>)]
    pub messages: Option<Vec<types::ChatMessage>>,
    #[schema(value_type = Object)]
    pub config: types::Config,
}

impl EditorJson {
    pub(crate) fn of(version: vault::Version) -> EditorJson {
        let based_on = version.number.label();
        let (source, messages) = match version.body {
            vault::Body::Text(text) => (Some(text), None),
            vault::Body::Chat(messages) => (None, Some(messages)),
        };
        EditorJson { based_on, source, messages, config: version.config }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SettingsJson {
    pub staging_enabled: bool,
    /// Who changes live: `editors` (directly; the default), `admins` (only admins and
    /// owners), or `review` (every promote and rollback is a request another member approves).
    pub live_changes: &'static str,
}

impl From<vault::Settings> for SettingsJson {
    fn from(s: vault::Settings) -> Self {
        SettingsJson { staging_enabled: s.staging_enabled, live_changes: s.live_changes.as_str() }
    }
}

/// One change in the activity log.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ActivityJson {
    id: i64,
    at: String,
    /// The member's name.
    actor: String,
    /// `prompt.created`, `version.saved`, `version.rewritten`, `draft.deleted`,
    /// `version.promoted`, `version.rolled_back`, `staging.changed`, `setting.changed`,
    /// `key.created`, `key.revoked`, `token.created`, `token.revoked`, `webhook.created`,
    /// `webhook.changed`, `webhook.deleted`, `webhook.secret_rotated`.
    kind: &'static str,
    /// The prompt the change concerns, if it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<String>,
    /// What changed, by kind (never a secret or a webhook's URL).
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

impl From<vault::ActivityEntry> for ActivityJson {
    fn from(e: vault::ActivityEntry) -> Self {
        ActivityJson {
            id: e.id,
            at: e.at.to_rfc3339(),
            actor: e.actor,
            kind: e.kind.as_str(),
            prompt: e.prompt,
            details: e.details,
        }
    }
}
