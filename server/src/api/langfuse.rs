//! `GET /api/public/v2/prompts/{name}`: the read part of Langfuse's public prompt API, so
//! applications using the Langfuse SDKs read PromptVault by changing the host and the keys.
//! Authentication is HTTP Basic as the SDKs send it: the public key is not checked (any
//! value), the secret key is a PromptVault read key (`pv_live_…` or `pv_test_…`).

use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use vault::{LangfuseRefused, Vault};

use super::dto::Path;
use super::{READS_LIMITED, UNAVAILABLE};

pub(crate) async fn read_prompt(
    State(vault): State<Vault>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let Some(secret) = basic_secret(request.headers()) else {
        return refused(LangfuseRefused::Unauthorized);
    };
    let (mut label, mut version) = (None, None);
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "label" => label = Some(value.into_owned()),
            "version" => version = Some(value.into_owned()),
            _ => {}
        }
    }
    match vault.read_langfuse(&secret, &name, label.as_deref(), version.as_deref()).await {
        Ok(body) => (
            StatusCode::OK,
            [
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
            ],
            Body::from(body),
        )
            .into_response(),
        Err(refusal) => refused(refusal),
    }
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

/// Errors as Langfuse gives them, `{"message","error"}`, with the statuses its SDKs map.
fn refused(refusal: LangfuseRefused) -> Response {
    let mut retry_after = None;
    let (status, error, message) = match refusal {
        LangfuseRefused::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "send HTTP Basic auth with a PromptVault read key (pv_live_… or pv_test_…) as the secret key; \
             it may be unknown or revoked"
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
    let body = serde_json::json!({"message": message, "error": error});
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"PromptVault\""));
    }
    response
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
}
