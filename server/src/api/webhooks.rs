//! `/v1/manage/webhooks…`: the webhook lifecycle and its delivery log (admins).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::Vault;

use super::dto::{Body, ErrorJson, Items, Path};
use super::{ApiError, Member};
use crate::AppState;

type ApiResult<T = Response> = Result<T, ApiError>;

/// A webhook. `secret` only in the answers that create or rotate it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookJson {
    id: i64,
    url: String,
    /// `version.promoted`, `version.rolled_back`, `staging.changed`, `draft.deleted`
    events: Vec<&'static str>,
    enabled: bool,
    /// Why the server disabled it (repeated failures), if it did.
    disabled_reason: Option<String>,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookJson {
    fn new(w: vault::Webhook, secret: Option<String>) -> Self {
        WebhookJson {
            id: w.id,
            url: w.url,
            events: w.events.iter().map(|e| e.as_str()).collect(),
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            created_at: w.created_at.to_rfc3339(),
            updated_at: w.updated_at.to_rfc3339(),
            secret,
        }
    }
}

impl From<vault::WebhookSecret> for WebhookJson {
    fn from(made: vault::WebhookSecret) -> Self {
        WebhookJson::new(made.webhook, Some(made.secret))
    }
}

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

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttemptJson {
    event_id: String,
    #[serde(rename = "type")]
    event_type: String,
    attempt: i64,
    at: String,
    status_code: Option<i64>,
    duration_ms: i64,
    error: Option<String>,
    /// Where the delivery stands now: `pending` (a retry is scheduled), `delivered`, `failed`.
    delivery: String,
}

impl From<vault::Attempt> for AttemptJson {
    fn from(a: vault::Attempt) -> Self {
        AttemptJson {
            event_id: a.event_id,
            event_type: a.event_type,
            attempt: a.attempt,
            at: a.at.to_rfc3339(),
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            delivery: a.delivery_state,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EventQueued {
    event_id: String,
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
    Ok(Json(Items { items: all.into_iter().map(|w| WebhookJson::new(w, None)).collect(), next_cursor: None }))
}

#[utoipa::path(get, path = "/manage/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 200, body = WebhookJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn webhook(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<Json<WebhookJson>> {
    Ok(Json(WebhookJson::new(vault.webhook(&actor, id).await?, None)))
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
    Ok(Json(WebhookJson::new(vault.update_webhook(&actor, id, patch).await?, None)))
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
