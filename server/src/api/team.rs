//! `/v1/join` and `/v1/manage/{members,invitations,workspaces}`: who is in a workspace, how
//! people join it, and the workspaces a person belongs to.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{Joining, Role, Vault};

use super::dto::{
    Body, ErrorJson, InvitationJson, Items, MemberJson, NamedRequest, Path, WorkspaceJson, WorkspaceTokenJson,
};
use super::{ApiResult, Member};
use crate::AppState;

/// The join link for an invitation token: on the public URL when one is configured, else on
/// the address the inviter reached this server by (the dashboard builds its links alike).
fn join_url(headers: &HeaderMap, reached: Option<&app::Reached>, token: &str) -> String {
    format!("{}/join/{token}", app::origin_of(headers, reached))
}

#[utoipa::path(get, path = "/manage/members", tag = "members", security(("access_token" = [])),
    responses((status = 200, description = "The workspace's members, owners first", body = Items<MemberJson>),
        (status = 401, body = ErrorJson)))]
pub(crate) async fn members(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<MemberJson>>> {
    Ok(Json(Items::all(vault.members(&actor).await?)))
}

#[utoipa::path(patch, path = "/manage/members/{id}", tag = "members", params(("id" = i64, Path)), request_body = RoleRequest,
    security(("access_token" = [])),
    responses((status = 200, description = "The member with the new role; it counts on their next request", body = MemberJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "The last owner keeps the role (`last_owner`)", body = ErrorJson)))]
pub(crate) async fn change_role(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
    Body(req): Body<RoleRequest>,
) -> ApiResult<Json<MemberJson>> {
    vault.change_role(&actor, id, Role::parse(&req.role)?).await?;
    Ok(Json(vault.member(&actor, id).await?.into()))
}

#[utoipa::path(delete, path = "/manage/members/{id}", tag = "members", params(("id" = i64, Path)),
    security(("access_token" = [])),
    responses((status = 204, description = "Removed: their sessions and tokens here stop working"),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "The last owner cannot go (`last_owner`)", body = ErrorJson)))]
pub(crate) async fn remove_member(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    vault.remove_member(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/manage/invitations", tag = "members", request_body = InviteRequest,
    security(("access_token" = [])),
    responses((status = 201, description = "The invitation, with its link (`url`, `token`) shown this once", body = InvitationJson),
        (status = 403, body = ErrorJson),
        (status = 409, description = "The email is already a member (`already_exists`)", body = ErrorJson),
        (status = 422, body = ErrorJson)))]
pub(crate) async fn invite(
    State(vault): State<Vault>,
    Member(actor): Member,
    headers: HeaderMap,
    reached: Option<axum::Extension<app::Reached>>,
    Body(req): Body<InviteRequest>,
) -> ApiResult {
    let created = vault.invite(&actor, &req.email, Role::parse(&req.role)?).await?;
    let url = join_url(&headers, reached.as_deref(), &created.token);
    let body = InvitationJson { url: Some(url), token: Some(created.token), ..created.invitation.into() };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, path = "/manage/invitations", tag = "members", security(("access_token" = [])),
    responses((status = 200, description = "Invitations neither used nor revoked, newest first", body = Items<InvitationJson>),
        (status = 403, body = ErrorJson)))]
pub(crate) async fn invitations(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<InvitationJson>>> {
    let items = vault.invitations(&actor).await?.into_iter().map(InvitationJson::from).collect();
    Ok(Json(Items { items, next_cursor: None }))
}

#[utoipa::path(delete, path = "/manage/invitations/{id}", tag = "members", params(("id" = i64, Path)),
    security(("access_token" = [])),
    responses((status = 204, description = "Revoked: the link stops working"), (status = 403, body = ErrorJson),
        (status = 404, body = ErrorJson)))]
pub(crate) async fn revoke_invitation(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    vault.revoke_invitation(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/join", tag = "members", request_body = JoinRequest,
    responses((status = 201, description = "Joined: a token acting in the workspace", body = WorkspaceTokenJson),
        (status = 401, description = "The email has an account here and the password is not its own", body = ErrorJson),
        (status = 404, description = "No such invitation", body = ErrorJson),
        (status = 409, description = "Already a member (`already_exists`), or the workspace holds its quota of tokens (`quota_reached`: nobody joined)", body = ErrorJson),
        (status = 410, description = "The invitation was used, revoked or has expired (`gone`)", body = ErrorJson),
        (status = 422, body = ErrorJson)))]
pub(crate) async fn join(
    State(vault): State<Vault>,
    reached: Option<axum::Extension<app::Reached>>,
    Body(req): Body<JoinRequest>,
) -> ApiResult {
    let from = app::Reached::client_of(reached.as_ref().map(|reached| &reached.0));
    let joining = Joining { name: req.name, password: req.password };
    let (actor, token) = vault.join_with_token(&req.token, joining, from, "joined").await?;
    let member = vault.member(&actor, actor.member_id).await?;
    let body =
        WorkspaceTokenJson { token: token.secret, workspace: actor.workspace.clone(), member: member.into() };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, path = "/manage/workspaces", tag = "workspaces", security(("access_token" = [])),
    responses((status = 200, description = "The caller's workspaces, with their role in each", body = Items<WorkspaceJson>),
        (status = 401, body = ErrorJson)))]
pub(crate) async fn workspaces(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<WorkspaceJson>>> {
    Ok(Json(Items::all(vault.workspaces(&actor).await?)))
}

#[utoipa::path(post, path = "/manage/workspaces", tag = "workspaces", request_body = NamedRequest,
    security(("access_token" = [])),
    responses((status = 201, description = "The new workspace, owned by the caller. No token comes with it: a token cannot make another, so the owner makes one for it in the dashboard, signed in with their password", body = WorkspaceJson),
        (status = 401, body = ErrorJson), (status = 403, description = "The server's `--workspace-creators` setting does not allow it", body = ErrorJson),
        (status = 409, description = "The account owns its quota of workspaces (`quota_reached`)", body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn create_workspace(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<NamedRequest>,
) -> ApiResult {
    let owner = vault.create_workspace(&actor, &req.name).await?;
    let created =
        vault::WorkspaceMembership { id: owner.workspace_id, name: owner.workspace, role: owner.role };
    Ok((StatusCode::CREATED, Json(WorkspaceJson::from(created))).into_response())
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join))
        .routes(routes!(members))
        .routes(routes!(change_role, remove_member))
        .routes(routes!(invite, invitations))
        .routes(routes!(revoke_invitation))
        .routes(routes!(workspaces, create_workspace))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InviteRequest {
    pub email: String,
    /// `owner`, `admin`, `editor` or `viewer`.
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleRequest {
    /// `owner`, `admin`, `editor` or `viewer`.
    pub role: String,
}

/// `POST /v1/join`: the invitation's token, and a new person's name and password (a person
/// with an account gives its password; the name is then ignored).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JoinRequest {
    pub token: String,
    #[serde(default)]
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinRequest").field("name", &self.name).finish_non_exhaustive()
    }
}
