//! The public HTTP API, `/v1`: JSON in and out, errors as
//! `{"error": {"code", "message"}}`. Handlers parse, call one vault operation, and map its
//! error; the rules live in the vault.

mod dto;
mod error;
mod manage;
mod reads;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::{get, post};
use vault::Actor;

use crate::AppState;
pub(crate) use error::ApiError;

/// A request body may hold a 1 MiB source plus JSON escaping; larger bodies are refused
/// with 413 before they are read.
const BODY_LIMIT: usize = 3 * vault::MAX_SOURCE_BYTES;

pub(crate) fn router() -> Router<AppState> {
    let prompt = "/manage/prompts/{name}";
    Router::new()
        .route("/prompts/{*name}", get(reads::read_prompt))
        .route("/setup", post(manage::set_up))
        .route("/manage/prompts", post(manage::create_prompt).get(manage::list_prompts))
        .route(prompt, get(manage::prompt))
        .route(&format!("{prompt}/versions"), get(manage::versions).post(manage::save_draft))
        .route(
            &format!("{prompt}/versions/{{n}}"),
            get(manage::version).patch(manage::rewrite_draft).delete(manage::delete_draft),
        )
        .route(&format!("{prompt}/versions/{{n}}/promote"), post(manage::promote))
        .route(&format!("{prompt}/rollback"), post(manage::roll_back))
        .route(&format!("{prompt}/staging"), axum::routing::put(manage::set_staging))
        .route(&format!("{prompt}/deployments"), get(manage::deployments))
        .route("/manage/settings", get(manage::settings).patch(manage::update_settings))
        .route("/manage/tokens", get(manage::access_tokens).post(manage::create_access_token))
        .route("/manage/tokens/{id}", axum::routing::delete(manage::revoke_access_token))
        .route("/manage/keys", get(manage::api_keys).post(manage::create_api_key))
        .route("/manage/keys/{id}", axum::routing::delete(manage::revoke_api_key))
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
