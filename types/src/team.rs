//! The people of a workspace on the wire: members, the workspaces a person belongs to,
//! invitations, and the token that setting up or joining hands back.

use serde::{Deserialize, Serialize};

use crate::Role;

/// `{"id","name","email","role","joined_at","last_seen_at"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberJson {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: String,
    pub last_seen_at: Option<String>,
}

/// A workspace of the caller's, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceJson {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// `{"id","email","role","invited_by","created_at","expires_at"}`, and the link (`url`,
/// `token`) only in the response that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationJson {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: String,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// What the holder of a usable invitation link is shown before joining: the workspace, the
/// email and role invited, who invited them, until when, and whether the email already has
/// an account on this server (they then give its password instead of choosing a name and
/// password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationPreviewJson {
    pub workspace: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: String,
    pub has_account: bool,
}

/// What `POST /v1/setup` and `POST /v1/join` return: a personal access token acting in the
/// workspace, and the member it acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceTokenJson {
    pub token: String,
    /// The workspace's name.
    pub workspace: String,
    pub member: MemberJson,
}
