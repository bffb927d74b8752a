//! The JSON shapes of the API (PRODUCT.md "Public HTTP API"), and extractors whose
//! rejections use the API's error shape.

use axum::extract::{FromRequest, FromRequestParts};
use serde::Deserialize;
use utoipa::ToSchema;
use vault::VersionNumber;

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

/// The response shapes: the API's vocabulary, shared with the dashboard, the CLI and the SDK.
pub(crate) use types::{
    AccessTokenJson, ActivityJson, ApiKeyJson, AttemptJson, DiffJson, EditorJson, EventQueued,
    InvitationJson, Items, LabelJson, MemberJson, PointerMoveJson, PromptJson, RequestJson, RollBackJson,
    SettingsJson, WebhookJson, WorkspaceJson, WorkspaceTokenJson,
};

/// A field that may be absent (`None`: keep what is), `null` (`Some(None)`: remove it) or
/// given; use with `#[serde(default, deserialize_with = "present")]`.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
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
