//! `/v1/manage/webhooks…`: the webhook lifecycle and its delivery log (admins).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::Vault;

use super::dto::{AttemptJson, Body, ErrorJson, EventQueued, Items, Path, WebhookJson};
use super::{ApiResult, Member};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWebhookRequest {
    url: String,
    events: Vec<String>,
    /// Default true.
    enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookPatchRequest {
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
}

#[utoipa::path(post, path = "/manage/webhooks", tag = "webhooks", request_body = NewWebhookRequest, security(("access_token" = [])),
    responses((status = 201, description = "The webhook, its signing secret shown this once", body = WebhookJson), (status = 403, body = ErrorJson), (status = 409, description = "Past a quota (`quota_reached`)", body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn create_webhook(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<NewWebhookRequest>,
) -> ApiResult {
    let input = vault::NewWebhook { url: req.url, events: req.events, enabled: req.enabled.unwrap_or(true) };
    let made = vault.create_webhook(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(WebhookJson::from(made))).into_response())
}

#[utoipa::path(get, path = "/manage/webhooks", tag = "webhooks", security(("access_token" = [])),
    responses((status = 200, body = Items<WebhookJson>), (status = 403, body = ErrorJson)))]
pub(crate) async fn webhooks(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<WebhookJson>>> {
    let all = vault.webhooks(&actor).await?;
    Ok(Json(Items { items: all.into_iter().map(WebhookJson::from).collect(), next_cursor: None }))
}

#[utoipa::path(get, path = "/manage/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 200, body = WebhookJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn webhook(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<Json<WebhookJson>> {
    Ok(Json(WebhookJson::from(vault.webhook(&actor, id).await?)))
}

#[utoipa::path(patch, path = "/manage/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), request_body = WebhookPatchRequest,
    security(("access_token" = [])),
    responses((status = 200, description = "The webhook as changed; enabling it again clears its failure count", body = WebhookJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn update_webhook(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
    Body(req): Body<WebhookPatchRequest>,
) -> ApiResult<Json<WebhookJson>> {
    let patch = vault::WebhookPatch { url: req.url, events: req.events, enabled: req.enabled };
    Ok(Json(WebhookJson::from(vault.update_webhook(&actor, id, patch).await?)))
}

#[utoipa::path(delete, path = "/manage/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 204, description = "Deleted, with its pending deliveries and its log"), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn delete_webhook(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    vault.delete_webhook(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/manage/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 200, description = "The webhook with its new secret, shown this once; the old one stops signing at once", body = WebhookJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn rotate_webhook_secret(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<Json<WebhookJson>> {
    Ok(Json(vault.rotate_webhook_secret(&actor, id).await?.into()))
}

#[utoipa::path(post, path = "/manage/webhooks/{id}/test", tag = "webhooks", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 202, description = "A `webhook.test` event is on its way to this webhook", body = EventQueued), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson), (status = 409, body = ErrorJson)))]
pub(crate) async fn send_test_event(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult {
    let event_id = vault.send_test_event(&actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(EventQueued { event_id })).into_response())
}

#[utoipa::path(get, path = "/manage/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 200, description = "Every delivery attempt, newest first (the last 200)", body = Items<AttemptJson>), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn deliveries(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<AttemptJson>>> {
    Ok(Json(Items::all(vault.delivery_log(&actor, id).await?)))
}

#[utoipa::path(post, path = "/manage/webhooks/{id}/deliveries/{event_id}/redeliver", tag = "webhooks",
    params(("id" = i64, Path), ("event_id" = String, Path)), security(("access_token" = [])),
    responses((status = 202, description = "The event is sent to this webhook again, now", body = EventQueued), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson), (status = 409, description = "The webhook is disabled", body = ErrorJson)))]
pub(crate) async fn redeliver(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((id, event_id)): Path<(i64, String)>,
) -> ApiResult {
    vault.redeliver(&actor, id, &event_id).await?;
    Ok((StatusCode::ACCEPTED, Json(EventQueued { event_id })).into_response())
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, webhooks))
        .routes(routes!(webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_webhook_secret))
        .routes(routes!(send_test_event))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
}
