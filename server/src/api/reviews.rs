//! `/v1/manage/…/requests`: moves of labels under review (promote and rollback for live) —
//! opened by one member, approved (applied at once), rejected or cancelled by another.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{RequestAction, RequestState, Vault};

use super::dto::{Body, ErrorJson, Items, Path, PromptJson, Query, RequestJson, VersionRef};
use super::{ApiResult, Member};
use crate::AppState;

#[utoipa::path(post, path = "/manage/prompts/{name}/requests", tag = "reviews",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")),
    request_body = ChangeRequestBody, security(("access_token" = [])),
    responses((status = 201, description = "The open request", body = RequestJson), (status = 403, body = ErrorJson),
        (status = 404, body = ErrorJson),
        (status = 409, description = "The workspace does not review changes (`review_off`), or the operation would be refused", body = ErrorJson)))]
pub(crate) async fn open_request(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Body(req): Body<ChangeRequestBody>,
) -> ApiResult {
    let action = RequestAction::parse(&req.action)?;
    let number = req.version.parse()?;
    let request =
        vault.request_change(&actor, &name, action, req.label.as_deref(), number, &req.note).await?;
    Ok((StatusCode::CREATED, Json(RequestJson::from(request))).into_response())
}

#[utoipa::path(get, path = "/manage/requests", tag = "reviews", params(RequestsQuery), security(("access_token" = [])),
    responses((status = 200, description = "The workspace's requests, newest first (the last 200)", body = Items<RequestJson>),
        (status = 401, body = ErrorJson)))]
pub(crate) async fn requests(
    State(vault): State<Vault>,
    Member(actor): Member,
    Query(query): Query<RequestsQuery>,
) -> ApiResult<Json<Items<RequestJson>>> {
    let state = query.state.as_deref().map(RequestState::parse).transpose()?;
    Ok(Json(Items::all(vault.requests(&actor, state, None).await?)))
}

#[utoipa::path(post, path = "/manage/requests/{id}/approve", tag = "reviews", params(("id" = i64, Path)),
    security(("access_token" = [])),
    responses((status = 200, description = "Applied: the prompt's new state", body = PromptJson),
        (status = 403, description = "Not entitled, or one's own request", body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "No longer open (`not_open`), or the change would be refused now", body = ErrorJson)))]
pub(crate) async fn approve(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<Json<PromptJson>> {
    Ok(Json(vault.approve_request(&actor, id).await?.into()))
}

#[utoipa::path(post, path = "/manage/requests/{id}/reject", tag = "reviews", params(("id" = i64, Path)),
    request_body = RejectBody, security(("access_token" = [])),
    responses((status = 200, description = "Rejected", body = RequestJson), (status = 403, body = ErrorJson),
        (status = 404, body = ErrorJson), (status = 409, description = "No longer open (`not_open`)", body = ErrorJson)))]
pub(crate) async fn reject(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
    Body(req): Body<RejectBody>,
) -> ApiResult<Json<RequestJson>> {
    Ok(Json(vault.reject_request(&actor, id, &req.note).await?.into()))
}

#[utoipa::path(post, path = "/manage/requests/{id}/cancel", tag = "reviews", params(("id" = i64, Path)),
    security(("access_token" = [])),
    responses((status = 200, description = "Cancelled", body = RequestJson),
        (status = 403, description = "Not one's own request", body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "No longer open (`not_open`)", body = ErrorJson)))]
pub(crate) async fn cancel(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<Json<RequestJson>> {
    Ok(Json(vault.cancel_request(&actor, id).await?.into()))
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_request))
        .routes(routes!(requests))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(cancel))
}

/// `POST /v1/manage/prompts/{name}/requests`: what to change live to, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeRequestBody {
    /// `promote` or `rollback` (live), or `move` (the label named by `label`).
    pub action: String,
    /// For a move: the label it moves.
    #[serde(default)]
    pub label: Option<String>,
    pub version: VersionRef,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RejectBody {
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RequestsQuery {
    /// Only requests in this state: `open`, `applied`, `rejected`, `cancelled` or `stale`.
    pub state: Option<String>,
}
