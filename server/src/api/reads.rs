//! `GET /v1/prompts/{name}`: the SDK read, the hot path. One hash lookup in the vault's
//! in-memory model, then the pre-built bytes and their ETag; no database query, no JSON
//! encoding per request.

use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use vault::{ClientId, ReadRefused, Vault, VersionNumber};

use super::dto::Path;
use super::{ApiError, READS_LIMITED, UNAVAILABLE};

/// Clients may keep a copy but must revalidate it (cheaply, with the ETag) before use:
/// a promote must reach them on their next request.
const CACHE_CONTROL_VALUE: &str = "private, no-cache";

#[utoipa::path(get, path = "/prompts/{name}", tag = "reads",
    params(("name" = String, Path, description = "The prompt's name; `/` may be sent as is or as `%2F`"),
        ("version" = Option<String>, Query, description = "A published version to pin: `3` or `v3`; drafts are 404 here"),
        ("unit" = Option<String>, Query, description = "A user, session or tenant id: under a rollout of the label read, the version this unit is assigned (sticky); without one, the label's current version"),
        ("PromptVault-Unit" = Option<String>, Header, description = "The unit, as a header instead of `unit`"),
        ("PromptVault-App" = Option<String>, Header, description = "The application reading (with `PromptVault-Instance`): the fleet view sees this instance served the version read"),
        ("PromptVault-Instance" = Option<String>, Header, description = "The instance reading, an id it makes (with `PromptVault-App`)"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag already held: 304 when unchanged")),
    security(("read_key" = [])),
    responses((status = 200, description = "What the key's channel serves: live keys live, test keys staging (or live)",
            body = super::dto::ServedJson),
        (status = 304, description = "Not modified"),
        (status = 400, description = "A malformed version, a unit over 256 bytes, or one of `PromptVault-App` and `PromptVault-Instance` without the other", body = super::dto::ErrorJson),
        (status = 401, description = "Missing, unknown or revoked key", body = super::dto::ErrorJson),
        (status = 404, description = "No such prompt, nothing live, or no such published version", body = super::dto::ErrorJson),
        (status = 422, description = "An application name or instance id that is empty, over 100 bytes or not printable", body = super::dto::ErrorJson),
        (status = 429, description = "The key read more than the server's configured rate (off by default)", body = super::dto::ErrorJson),
        (status = 503, description = "A pinned version not yet in memory while the database cannot be reached", body = super::dto::ErrorJson)))]
pub(crate) async fn read_prompt(
    State(vault): State<Vault>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    // The request itself rather than a `HeaderMap` extractor, which would clone every header.
    let headers = request.headers();
    let Some(token) = bearer(headers) else {
        return refused(ReadRefused::Unauthorized);
    };
    let pinned = match pinned_version(query.as_deref()) {
        Ok(pinned) => pinned,
        Err(error) => return error.into_response(),
    };
    let unit = match unit(query.as_deref(), headers) {
        Ok(unit) => unit,
        Err(error) => return error.into_response(),
    };
    let client = match client(headers) {
        Ok(client) => client,
        Err(error) => return error.into_response(),
    };
    let served = match vault.read_prompt_for(token, &name, pinned, unit.as_deref()).await {
        Ok(served) => served,
        Err(refusal) => return refused(refusal),
    };
    if let Some(client) = &client {
        vault.note_served(token, &name, served.number(), client);
    }
    let etag = HeaderValue::from_str(&served.etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let cache = HeaderValue::from_static(CACHE_CONTROL_VALUE);
    if headers.get(IF_NONE_MATCH).is_some_and(|tags| matches(tags, &served.etag)) {
        return (StatusCode::NOT_MODIFIED, [(ETAG, etag), (CACHE_CONTROL, cache)]).into_response();
    }
    let json = HeaderValue::from_static("application/json");
    (
        StatusCode::OK,
        [(CONTENT_TYPE, json), (ETAG, etag), (CACHE_CONTROL, cache)],
        Body::from(served.body.clone()),
    )
        .into_response()
}

#[utoipa::path(get, path = "/prompts", tag = "reads",
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of the bundle already held: 304 when unchanged")),
    security(("read_key" = [])),
    responses((status = 200, description = "Every prompt the key's label serves, by name: `{\"items\":[…]}`, each item what \
            `GET /v1/prompts/{name}` answers; one ETag over the whole", body = super::dto::Items<super::dto::ServedJson>),
        (status = 304, description = "Not modified"),
        (status = 401, description = "Missing, unknown or revoked key", body = super::dto::ErrorJson),
        (status = 429, description = "The key read more than the server's configured rate (off by default)", body = super::dto::ErrorJson)))]
pub(crate) async fn read_bundle(State(vault): State<Vault>, request: Request) -> Response {
    let headers = request.headers();
    let Some(token) = bearer(headers) else {
        return refused(ReadRefused::Unauthorized);
    };
    let bundle = match vault.read_bundle(token) {
        Ok(bundle) => bundle,
        Err(refusal) => return refused(refusal),
    };
    let etag = HeaderValue::from_str(&bundle.etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let cache = HeaderValue::from_static(CACHE_CONTROL_VALUE);
    if headers.get(IF_NONE_MATCH).is_some_and(|tags| matches(tags, &bundle.etag)) {
        return (StatusCode::NOT_MODIFIED, [(ETAG, etag), (CACHE_CONTROL, cache)]).into_response();
    }
    let json = HeaderValue::from_static("application/json");
    (StatusCode::OK, [(CONTENT_TYPE, json), (ETAG, etag), (CACHE_CONTROL, cache)], Body::from(bundle.body()))
        .into_response()
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// `?version=3` or `?version=v3`; other parameters are ignored.
fn pinned_version(query: Option<&str>) -> Result<Option<VersionNumber>, ApiError> {
    let Some(raw) = query.unwrap_or_default().split('&').find_map(|pair| pair.strip_prefix("version="))
    else {
        return Ok(None);
    };
    Ok(Some(VersionNumber::parse(raw)?))
}

/// The most bytes of a unit: an id, not a document.
const MAX_UNIT_BYTES: usize = 256;

/// The unit a read names: `?unit=` (percent-decoded), or else the `PromptVault-Unit` header.
pub(crate) fn unit(query: Option<&str>, headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let from_query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "unit")
        .map(|(_, value)| value.into_owned());
    let unit = match from_query {
        Some(unit) => Some(unit),
        None => match headers.get("promptvault-unit") {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| ApiError::bad_request("the PromptVault-Unit header is printable ASCII"))?
                    .to_owned(),
            ),
            None => None,
        },
    };
    match unit {
        Some(unit) if unit.len() > MAX_UNIT_BYTES => {
            Err(ApiError::bad_request(format!("a unit is at most {MAX_UNIT_BYTES} bytes")))
        }
        Some(unit) if unit.is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// The client a read names (`PromptVault-App` and `PromptVault-Instance`, both or neither):
/// the fleet sees it served what it read.
pub(crate) fn client(headers: &HeaderMap) -> Result<Option<ClientId>, ApiError> {
    let header = |name: &str| headers.get(name).map(|value| value.to_str());
    match (header("promptvault-app"), header("promptvault-instance")) {
        (None, None) => Ok(None),
        (Some(Ok(app)), Some(Ok(instance))) => Ok(Some(ClientId::new(app, instance)?)),
        _ => Err(ApiError::bad_request(
            "a client names itself with both PromptVault-App and PromptVault-Instance, in printable ASCII",
        )),
    }
}

/// `If-None-Match`: a list of tags, or `*`; weak tags compare by their value.
fn matches(header: &HeaderValue, etag: &str) -> bool {
    header
        .to_str()
        .unwrap_or_default()
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

fn refused(refusal: ReadRefused) -> Response {
    match refusal {
        ReadRefused::Unauthorized => ApiError::unauthorized(
            "send a read key: Authorization: Bearer pv_live_… or pv_test_… (it may be unknown or revoked)",
        ),
        ReadRefused::NotFound => {
            ApiError::not_found("no such prompt, no live version, or no such published version")
        }
        ReadRefused::Unavailable => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", UNAVAILABLE)
        }
        ReadRefused::Limited(retry_after) => {
            ApiError::from(vault::VaultError::Limited { what: READS_LIMITED, retry_after })
        }
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = "\"abc\"";
        for header in ["\"abc\"", "\"x\", \"abc\"", "W/\"abc\"", "*"] {
            assert!(matches(&HeaderValue::from_static(header), etag), "{header}");
        }
        assert!(!matches(&HeaderValue::from_static("\"abd\""), etag));
    }

    #[test]
    fn pinned_versions_are_numbers_or_labels() {
        assert_eq!(pinned_version(Some("version=3")).ok().flatten().map(VersionNumber::get), Some(3));
        assert_eq!(pinned_version(Some("a=b&version=v4")).ok().flatten().map(VersionNumber::get), Some(4));
        assert!(pinned_version(None).is_ok_and(|p| p.is_none()));
        assert!(pinned_version(Some("version=draft")).is_err());
    }
}

#[utoipa::path(post, path = "/reports", tag = "reads", request_body = types::fleet::ReportJson,
    security(("read_key" = [])),
    responses((status = 202, description = "Recorded: each item's uses and failures added to this minute's counts"),
        (status = 401, description = "Missing, unknown or revoked key", body = super::dto::ErrorJson),
        (status = 404, description = "An item names a prompt the key's workspace does not have; nothing was recorded", body = super::dto::ErrorJson),
        (status = 422, description = "A malformed report (names, versions, counts, more than 500 items); nothing was recorded", body = super::dto::ErrorJson),
        (status = 429, description = "The key read more than the server's configured rate", body = super::dto::ErrorJson)))]
pub(crate) async fn report(
    State(vault): State<Vault>,
    headers: HeaderMap,
    super::dto::Body(report): super::dto::Body<types::fleet::ReportJson>,
) -> Result<StatusCode, ApiError> {
    let Some(token) = bearer(&headers) else {
        return Err(ApiError::from(vault::VaultError::Unauthorized(
            "a report is made with a read key".into(),
        )));
    };
    vault.record_usage(token, &report).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The reports' route, with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(report))
}
