//! The public HTTP API, `/v1`: JSON in and out, errors as
//! `{"error": {"code", "message"}}`. Handlers parse, call one vault operation, and map its
//! error; the rules live in the vault.

mod dto;
mod error;
mod langfuse;
mod manage;
mod reads;
mod webhooks;

pub(crate) use langfuse::read_prompt as read_langfuse_prompt;
pub(crate) use reads::read_prompt;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::Actor;

use crate::AppState;
pub(crate) use error::ApiError;

/// A request body may hold a 1 MiB source plus JSON escaping; larger bodies are refused
/// with 413 before they are read.
const BODY_LIMIT: usize = 3 * vault::MAX_SOURCE_BYTES;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PromptVault API",
        version = "1",
        description = "SDK reads with API keys (`pv_live_…`, `pv_test_…`) and management with personal access \
            tokens (`pv_pat_…`). Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    servers((url = "/v1")),
    paths(reads::read_prompt),
    modifiers(&BearerSchemes)
)]
struct ApiDoc;

struct BearerSchemes;

impl utoipa::Modify for BearerSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(description)).build(),
            )
        };
        components.add_security_scheme("access_token", bearer("A member's personal access token, pv_pat_…"));
        components.add_security_scheme(
            "read_key",
            bearer("An API key: pv_live_… reads live, pv_test_… reads staging"),
        );
    }
}

/// The `/v1` routes. The management routes and their OpenAPI document are built together
/// from the handlers' annotations, so the document cannot drift from what is served.
pub(crate) fn router() -> Router<AppState> {
    let (routes, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(manage::set_up))
        .routes(routes!(manage::create_prompt, manage::list_prompts))
        .routes(routes!(manage::prompt))
        .routes(routes!(manage::versions, manage::save_draft))
        .routes(routes!(manage::version, manage::rewrite_draft, manage::delete_draft))
        .routes(routes!(manage::promote))
        .routes(routes!(manage::roll_back))
        .routes(routes!(manage::set_staging))
        .routes(routes!(manage::deployments))
        .routes(routes!(manage::diff))
        .routes(routes!(manage::search))
        .routes(routes!(manage::settings, manage::update_settings))
        .routes(routes!(manage::access_tokens, manage::create_access_token))
        .routes(routes!(manage::revoke_access_token))
        .routes(routes!(manage::api_keys, manage::create_api_key))
        .routes(routes!(manage::revoke_api_key))
        .routes(routes!(webhooks::create_webhook, webhooks::webhooks))
        .routes(routes!(webhooks::webhook, webhooks::update_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::rotate_webhook_secret))
        .routes(routes!(webhooks::send_test_event))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .split_for_parts();
    let document = Bytes::from(openapi.to_pretty_json().unwrap_or_default());
    routes
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(CONTENT_TYPE, "application/json")], document) }
            }),
        )
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// The member a `pv_pat_…` bearer token belongs to; they are the author of what the
/// request does.
pub(crate) struct Member(pub Actor);

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("send a personal access token: Authorization: Bearer pv_pat_…")
            })?;
        Ok(Member(state.vault.token_actor(token.trim()).await?))
    }
}
