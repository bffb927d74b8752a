//! `/v1/manage/settings`, `/tokens` and `/keys`: the workspace's settings, one's personal
//! access tokens, and the workspace's API keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{SettingsPatch, Vault};

use super::dto::{AccessTokenJson, ApiKeyJson, Body, ErrorJson, Items, NamedRequest, Path, SettingsJson};
use super::{ApiResult, Member};
use crate::AppState;

#[utoipa::path(get, path = "/manage/settings", tag = "settings", security(("access_token" = [])),
    responses((status = 200, body = SettingsJson), (status = 401, body = ErrorJson)))]
pub(crate) async fn settings(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<SettingsJson>> {
    Ok(Json(vault.settings(&actor).await?.into()))
}

#[utoipa::path(patch, path = "/manage/settings", tag = "settings", request_body = SettingsRequest, security(("access_token" = [])),
    responses((status = 200, body = SettingsJson), (status = 403, body = ErrorJson), (status = 401, body = ErrorJson)))]
pub(crate) async fn update_settings(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<SettingsRequest>,
) -> ApiResult<Json<SettingsJson>> {
    let live_changes = req
        .live_changes
        .as_deref()
        .map(|rule| vault::ChangeRule::parse(rule).map_err(|wrong| wrong.for_field("live_changes")))
        .transpose()?;
    let patch = SettingsPatch { staging_enabled: req.staging_enabled, live_changes };
    Ok(Json(vault.update_settings(&actor, patch).await?.into()))
}

/// Made with a password behind the request only: over the API a token cannot make another
/// (403), so new tokens come from the dashboard, a setup or a join.
#[utoipa::path(post, path = "/manage/tokens", tag = "tokens", request_body = NamedRequest, security(("access_token" = [])),
    responses((status = 201, description = "The token, shown this once", body = AccessTokenJson), (status = 401, body = ErrorJson),
        (status = 403, description = "A personal access token cannot create tokens", body = ErrorJson), (status = 409, description = "Past a quota (`quota_reached`)", body = ErrorJson)))]
pub(crate) async fn create_access_token(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<NamedRequest>,
) -> ApiResult {
    let created = vault.create_access_token(&actor, &req.name).await?;
    let body = AccessTokenJson { token: Some(created.secret), ..created.token.into() };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, path = "/manage/tokens", tag = "tokens", security(("access_token" = [])),
    responses((status = 200, body = Items<AccessTokenJson>), (status = 401, body = ErrorJson)))]
pub(crate) async fn access_tokens(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<AccessTokenJson>>> {
    let tokens = vault.access_tokens(&actor).await?;
    Ok(Json(Items { items: tokens.into_iter().map(AccessTokenJson::from).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/manage/tokens/{id}", tag = "tokens", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn revoke_access_token(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    vault.revoke_access_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/manage/keys", tag = "keys", request_body = NewKeyRequest, security(("access_token" = [])),
    responses((status = 201, description = "The key, its token shown this once", body = ApiKeyJson), (status = 403, body = ErrorJson), (status = 409, description = "Past a quota (`quota_reached`)", body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn create_api_key(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<NewKeyRequest>,
) -> ApiResult {
    let kind = vault::KeyKind::parse(&req.kind)?;
    let created = vault.create_label_key(&actor, kind, &req.name, req.label.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(ApiKeyJson { token: Some(created.token), ..created.key.into() }))
        .into_response())
}

#[utoipa::path(get, path = "/manage/keys", tag = "keys", security(("access_token" = [])),
    responses((status = 200, body = Items<ApiKeyJson>), (status = 403, body = ErrorJson)))]
pub(crate) async fn api_keys(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<ApiKeyJson>>> {
    let keys = vault.api_keys(&actor).await?;
    Ok(Json(Items { items: keys.into_iter().map(ApiKeyJson::from).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/manage/keys/{id}", tag = "keys", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 204, description = "Revoked: its next read is refused"), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn revoke_api_key(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    vault.revoke_api_key(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(settings, update_settings))
        .routes(routes!(access_tokens, create_access_token))
        .routes(routes!(revoke_access_token))
        .routes(routes!(api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsRequest {
    pub staging_enabled: Option<bool>,
    /// `editors`, `admins` or `review`.
    pub live_changes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewKeyRequest {
    /// `live` (`pv_live_…`) or `test` (`pv_test_…`).
    pub kind: String,
    pub name: String,
    /// The label it reads; by default `live` for a live key and `staging` for a test key.
    #[serde(default)]
    pub label: Option<String>,
}
