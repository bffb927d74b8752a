//! The public HTTP API, `/v1`: JSON in and out, errors as
//! `{"error": {"code", "message"}}`. Handlers parse, call one vault operation, and map its
//! error; the rules live in the vault.

pub(crate) mod code;
mod composition;
pub(crate) mod dto;
mod error;
mod history;
mod labels;
mod langfuse;
mod langfuse_writes;
mod manage;
mod reads;
mod reviews;
mod rollouts;
mod settings;
mod stream;
pub(crate) mod team;
mod webhooks;

pub(crate) use langfuse::{
    list_prompts as langfuse_list, not_served as langfuse_not_served, read_prompt as read_langfuse_prompt,
};
pub(crate) use langfuse_writes::{
    create_prompt as langfuse_create, delete_prompt as langfuse_delete, patch_version as langfuse_patch,
};
pub(crate) use reads::{bearer, read_bundle, read_prompt, unit};
pub use stream::HEARTBEAT as STREAM_HEARTBEAT;
pub(crate) use stream::stream;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use vault::Actor;

use crate::AppState;
pub(crate) use error::ApiError;

/// What a handler answers: its response (or a body), or the API's error.
pub(crate) type ApiResult<T = axum::response::Response> = Result<T, ApiError>;

/// A request body may hold a 1 MiB source plus JSON escaping; larger bodies are refused
/// with 413 before they are read.
const BODY_LIMIT: usize = 3 * vault::MAX_SOURCE_BYTES;

/// What an SDK read answers (503) when what it asks for is not in memory and the database
/// cannot be read: the live and staging versions are always in memory.
/// What an SDK read answers (429) past the server's reads-per-key rate.
const READS_LIMITED: &str = "this key read more often than the server allows";

const UNAVAILABLE: &str =
    "this version is not in memory and the database cannot be reached right now; try again shortly";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PromptVault API",
        version = "1",
        description = "SDK reads with API keys (`pv_live_…`, `pv_test_…`) and management with personal access \
            tokens (`pv_pat_…`). Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    servers((url = "/v1")),
    paths(reads::read_prompt, reads::read_bundle, stream::stream),
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
pub(crate) fn router() -> anyhow::Result<Router<AppState>> {
    let (routes, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(manage::routes())
        .merge(history::routes())
        .merge(team::routes())
        .merge(reviews::routes())
        .merge(labels::routes())
        .merge(composition::routes())
        .merge(rollouts::routes())
        .merge(reads::routes())
        .merge(settings::routes())
        .merge(webhooks::routes())
        .merge(code::routes())
        .split_for_parts();
    let mut openapi = openapi;
    list_common_statuses(&mut openapi);
    // Serialised once, at start-up; a document that cannot be is a bug, not an empty page.
    let document = Bytes::from(openapi.to_pretty_json()?);
    Ok(routes
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(CONTENT_TYPE, "application/json")], document) }
            }),
        )
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT)))
}

/// Adds the statuses that every operation of a kind can answer, where its annotation does
/// not list them, so the document lists every status the server sends: 400 for a malformed
/// path, query or body anywhere; 401 without a valid token and 403 for a role that may not
/// change things; 404 where a path names something; 413 and 415 where there is a body; 422
/// where there is a body or a parameter; 429 where a password is hashed
/// (setup and join); 503 anywhere (the database unreachable, or a request past its time);
/// 507 for changes (the database's disk full).
fn list_common_statuses(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorJson"))).build();
        ResponseBuilder::new().description(description).content("application/json", content).build()
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations = [
            (true, &mut item.get),
            (false, &mut item.post),
            (false, &mut item.put),
            (false, &mut item.patch),
            (false, &mut item.delete),
        ];
        for (reads, operation) in operations {
            let Some(operation) = operation else { continue };
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = operation.request_body.is_some();
            let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let statuses = [
                (true, "400", "The path, query or body is malformed"),
                (secured, "401", "No valid token"),
                (secured && !reads, "403", "The member's role does not allow it"),
                (path.contains('{'), "404", "Nothing of that name in the workspace"),
                (has_body, "413", "The body or a field is over its size limit"),
                (has_body, "415", "The body is not `Content-Type: application/json`"),
                (
                    has_body || has_parameters,
                    "422",
                    "A field, a name or a version in the path, or a query value breaks its rule",
                ),
                (
                    path == "/setup" || path == "/join",
                    "429",
                    "Too many password checks at once; see `Retry-After`",
                ),
                (true, "503", "The database cannot be reached, or the request ran past its time"),
                (!reads, "507", "The disk under the database is full; nothing was changed"),
            ];
            for (applies, status, description) in statuses {
                if applies {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(description).into());
                }
            }
        }
    }
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
