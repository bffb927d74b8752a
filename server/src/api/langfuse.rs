//! `/api/public/v2/prompts`: Langfuse's public prompt API, so that the Langfuse SDKs manage
//! prompts on PromptVault given only its URL and a secret. Authentication is HTTP Basic as
//! the SDKs send it: the public key is not checked (any value); the secret is a member's
//! personal access token (`pv_pat_…`: reads and writes, as that member, under every rule) or
//! a read key (`pv_live_…`, `pv_test_…`: reads only, from memory). Errors are Langfuse's
//! `{"message","error"}`. The writes are in `langfuse_writes`.
// A refusal here is the response sent, built once on the way out: boxing it would only add
// an allocation to the error path.
#![allow(clippy::result_large_err)]

use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use vault::{Actor, LangfuseListQuery, LangfuseRefused, Timestamp, Vault, VaultError, VersionNumber};

use super::dto::Path;
use super::{READS_LIMITED, UNAVAILABLE};

/// Who calls: a member (by a personal access token), or an application (by a read key).
pub(super) enum Caller {
    Member(Actor),
    Key(String),
}

/// The caller of `Authorization: Basic base64(public:secret)`: a personal access token
/// resolved to its member, or a read key (checked on use, from memory).
pub(super) async fn caller(vault: &Vault, headers: &HeaderMap) -> Result<Caller, Response> {
    let Some(secret) = basic_secret(headers) else {
        return Err(refused(LangfuseRefused::Unauthorized));
    };
    if secret.starts_with("pv_pat_") {
        return match vault.token_actor(&secret).await {
            Ok(actor) => Ok(Caller::Member(actor)),
            Err(error) => Err(vault_refused(error)),
        };
    }
    Ok(Caller::Key(secret))
}

/// Refuses a write by a read key: reads only.
pub(super) fn member(caller: Caller) -> Result<Actor, Response> {
    match caller {
        Caller::Member(actor) => Ok(actor),
        Caller::Key(_) => Err(answer(
            StatusCode::FORBIDDEN,
            "ForbiddenError",
            "a read key (pv_live_…, pv_test_…) only reads; to write, use a member's personal access token (pv_pat_…) \
             as the secret key",
        )),
    }
}

pub(crate) async fn read_prompt(
    State(vault): State<Vault>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let caller = match caller(&vault, request.headers()).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let (label, version) = label_and_version(query.as_deref());
    let resolved = resolves(query.as_deref());
    // A unit (`?unit=` or `PromptVault-Unit`), as on PromptVault's own read: under a rollout,
    // the side it is assigned. Langfuse's SDKs send none; a request made by hand may.
    let unit = match super::reads::unit(query.as_deref(), request.headers()) {
        Ok(unit) => unit,
        Err(_) => {
            return answer(
                StatusCode::BAD_REQUEST,
                "InvalidRequestError",
                "a unit is at most 256 bytes of printable text",
            );
        }
    };
    match caller {
        Caller::Key(secret) => {
            let wanted = (label.as_deref(), version.as_deref());
            match vault.read_langfuse_for(&secret, &name, wanted, resolved, unit.as_deref()).await {
                Ok(body) => json(StatusCode::OK, body),
                Err(refusal) => refused(refusal),
            }
        }
        Caller::Member(actor) => {
            if label.is_some() && version.is_some() {
                return answer(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestError",
                    "set either a label or a version, not both",
                );
            }
            let number = match version.as_deref().map(positive_version).transpose() {
                Ok(number) => number,
                Err(response) => return response,
            };
            match vault.langfuse_version(&actor, &name, (label.as_deref(), number), resolved).await {
                Ok(prompt) => json_of(StatusCode::OK, &prompt),
                Err(error) => vault_refused(error),
            }
        }
    }
}

/// The `label` and `version` of a query (other parameters are Langfuse's, or ignored).
pub(super) fn label_and_version(query: Option<&str>) -> (Option<String>, Option<String>) {
    let (mut label, mut version) = (None, None);
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "label" => label = Some(value.into_owned()),
            "version" => version = Some(value.into_owned()),
            _ => {}
        }
    }
    (label, version)
}

/// Whether a read serves the text with the prompts it includes in place: yes, unless the
/// query says `resolve=false` (the text as written, its references as tags).
fn resolves(query: Option<&str>) -> bool {
    !url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(key, value)| key == "resolve" && value.eq_ignore_ascii_case("false"))
}

/// `GET /api/public/v2/prompts`: the list, a page at a time.
pub(crate) async fn list_prompts(
    State(vault): State<Vault>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let caller = match caller(&vault, request.headers()).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let query = match list_query(query.as_deref().unwrap_or_default()) {
        Ok(query) => query,
        Err(response) => return response,
    };
    let listed = match caller {
        Caller::Member(actor) => vault.langfuse_list(&actor, query).await,
        Caller::Key(secret) => match vault.langfuse_list_for_key(&secret, query).await {
            Ok(listed) => listed,
            Err(refusal) => return refused(read_refusal(refusal)),
        },
    };
    match listed {
        Ok(list) => json_of(StatusCode::OK, &list),
        Err(error) => vault_refused(error),
    }
}

/// The list's query: `name`, `label`, `tag`, `version`, `page`, `limit`, `fromUpdatedAt`,
/// `toUpdatedAt`; a number or a time that is not one is a 400 naming it.
fn list_query(raw: &str) -> Result<LangfuseListQuery, Response> {
    let mut query = LangfuseListQuery::default();
    let number = |key: &str, value: &str| {
        value.parse::<i64>().map_err(|_| bad_request(&format!("{key} must be an integer, not {value:?}")))
    };
    let time = |key: &str, value: &str| {
        Timestamp::parse_rfc3339(value).ok_or_else(|| {
            bad_request(&format!("{key} must be an ISO 8601 time such as 2026-01-31T12:00:00Z"))
        })
    };
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "name" => query.name = Some(value.into_owned()),
            "label" => query.label = Some(value.into_owned()),
            "tag" => query.tag = Some(value.into_owned()),
            "version" => query.version = Some(positive_version(&value)?),
            "page" => query.page = Some(number("page", &value)?),
            "limit" => query.limit = Some(number("limit", &value)?),
            "fromUpdatedAt" => query.from_updated_at = Some(time("fromUpdatedAt", &value)?),
            "toUpdatedAt" => query.to_updated_at = Some(time("toUpdatedAt", &value)?),
            _ => {}
        }
    }
    Ok(query)
}

/// A version number as Langfuse takes it: a positive integer.
pub(super) fn positive_version(raw: &str) -> Result<VersionNumber, Response> {
    raw.parse::<i64>()
        .ok()
        .and_then(|n| VersionNumber::new(n).ok())
        .ok_or_else(|| bad_request(&format!("version must be a positive integer, not {raw:?}")))
}

/// Every other `/api/public/` path (a Langfuse SDK with tracing left on posts its traces
/// there, and retries): a Langfuse-shaped 404 saying what is served, without reading the body.
pub(crate) async fn not_served(request: Request) -> Response {
    // The path is echoed, bounded: a client's URL can be long.
    let path: String = request.uri().path().chars().take(200).collect();
    let message = format!(
        "PromptVault serves Langfuse's prompt management only (/api/public/v2/prompts); {} {} is not served \
         (turn tracing off in the Langfuse SDK, or send traces to a Langfuse server)",
        request.method(),
        path
    );
    refused(LangfuseRefused::NotFound(message))
}

/// The secret key of `Authorization: Basic base64(public:secret)`.
fn basic_secret(headers: &HeaderMap) -> Option<String> {
    let encoded = headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (_public, secret) = decoded.split_once(':')?;
    Some(secret.to_owned())
}

fn read_refusal(refusal: vault::ReadRefused) -> LangfuseRefused {
    match refusal {
        vault::ReadRefused::Limited(wait) => LangfuseRefused::Limited(wait),
        vault::ReadRefused::Unavailable => LangfuseRefused::Unavailable,
        vault::ReadRefused::NotFound => LangfuseRefused::NotFound("not found".into()),
        vault::ReadRefused::Unauthorized => LangfuseRefused::Unauthorized,
    }
}

/// A refusal of the vault's as Langfuse's SDKs expect it: a rule's refusal (409) or a
/// role's (403) keeps its message, which names the rule.
pub(super) fn vault_refused(error: VaultError) -> Response {
    let message = error.to_string();
    let retry_after = error.retry_after();
    let (status, name) = match error.status() {
        400 | 413 | 422 => (StatusCode::BAD_REQUEST, "InvalidRequestError"),
        401 => return refused(LangfuseRefused::Unauthorized),
        403 => (StatusCode::FORBIDDEN, "ForbiddenError"),
        404 | 410 => (StatusCode::NOT_FOUND, "LangfuseNotFoundError"),
        409 | 412 => (StatusCode::CONFLICT, "LangfuseConflictError"),
        429 => (StatusCode::TOO_MANY_REQUESTS, "RateLimitError"),
        503 => return refused(LangfuseRefused::Unavailable),
        _ => {
            tracing::error!(%error, "a Langfuse API call failed");
            return refused(LangfuseRefused::Internal);
        }
    };
    let mut response = answer(status, name, &message);
    if let Some(wait) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    }
    response
}

pub(super) fn bad_request(message: &str) -> Response {
    answer(StatusCode::BAD_REQUEST, "InvalidRequestError", message)
}

/// Errors as Langfuse gives them, `{"message","error"}`, with the statuses its SDKs map.
pub(super) fn refused(refusal: LangfuseRefused) -> Response {
    let mut retry_after = None;
    let (status, error, message) = match refusal {
        LangfuseRefused::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "send HTTP Basic auth with a PromptVault credential as the secret key: a read key (pv_live_…, pv_test_…) \
             or a personal access token (pv_pat_…); it may be unknown or revoked"
                .to_owned(),
        ),
        LangfuseRefused::NotFound(message) => (StatusCode::NOT_FOUND, "LangfuseNotFoundError", message),
        LangfuseRefused::BadRequest(message) => (StatusCode::BAD_REQUEST, "InvalidRequestError", message),
        LangfuseRefused::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "something went wrong on our side; it has been logged".to_owned(),
        ),
        LangfuseRefused::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableError", UNAVAILABLE.to_owned())
        }
        LangfuseRefused::Limited(wait) => {
            retry_after = Some(wait.as_secs());
            (StatusCode::TOO_MANY_REQUESTS, "RateLimitError", READS_LIMITED.to_owned())
        }
    };
    let mut response = answer(status, error, &message);
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"PromptVault\""));
    }
    response
}

fn answer(status: StatusCode, error: &str, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({"message": message, "error": error}))).into_response()
}

pub(super) fn json_of(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json(status, body.into()),
        Err(error) => {
            tracing::error!(%error, "serialising a Langfuse answer failed");
            refused(LangfuseRefused::Internal)
        }
    }
}

fn json(status: StatusCode, body: axum::body::Bytes) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
        ],
        Body::from(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_key_is_the_password_of_basic_auth() {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode("pk-lf-anything:pv_live_abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_str(&value).expect("header"));
        assert_eq!(basic_secret(&headers).as_deref(), Some("pv_live_abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer pv_live_abc"));
        assert_eq!(basic_secret(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_secret(&headers), None);
    }

    #[test]
    fn a_list_query_names_what_is_wrong() {
        let query =
            list_query("name=a%2Fb&label=production&page=2&limit=5&fromUpdatedAt=2026-01-01T00:00:00Z").ok();
        let query = query.expect("a good query");
        assert_eq!((query.name.as_deref(), query.page, query.limit), (Some("a/b"), Some(2), Some(5)));
        assert!(query.from_updated_at.is_some());
        for bad in ["page=x", "limit=1.5", "version=0", "toUpdatedAt=yesterday"] {
            assert_eq!(list_query(bad).err().map(|r| r.status()), Some(StatusCode::BAD_REQUEST), "{bad}");
        }
    }
}
