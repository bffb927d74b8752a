//! `GET /v1/stream`: Server-Sent Events with a read key. An event each time what the key
//! reads changes — `prompt` with the same JSON `GET /v1/prompts/{name}` answers, or
//! `removed` when the key reads nothing for that prompt any more — with the change-feed
//! revision as its id, so a client resumes with `Last-Event-ID` on any instance. The rules
//! (what is due, when a stream ends) are the vault's; this frames them.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt, stream};
use vault::{ClientId, Resume, StreamEvent, StreamRefused, Subscription, Vault, VaultError};

use super::ApiError;
use super::reads::bearer;

/// Comments sent while nothing changes, so that proxies keep the stream open.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// How long a client refused for having too many streams open should wait.
const RETRY_STREAMS: Duration = Duration::from_secs(5);

/// The stream's query, for the OpenAPI document: the handler reads it raw (see `prompts`).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StreamQuery {
    /// Only these prompts, comma-separated (`support/triage,support/reply`; a comma within a
    /// name as `%2C`); every prompt the key reads when absent.
    #[allow(dead_code, reason = "documents the parameter, which `prompts` reads still encoded")]
    prompts: Option<String>,
}

impl StreamQuery {
    /// The `prompts` parameter as sent, still percent-encoded: the commas between names
    /// are told from a comma within one (`%2C`) only before decoding.
    fn prompts(query: Option<&str>) -> Option<&str> {
        query?.split('&').find_map(|pair| pair.strip_prefix("prompts="))
    }
}

#[utoipa::path(get, path = "/stream", tag = "reads",
    params(StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received: only what changed after it is sent"),
        ("PromptVault-App" = Option<String>, Header, description = "The application (with `PromptVault-Instance`): the fleet view sees this instance served each version sent"),
        ("PromptVault-Instance" = Option<String>, Header, description = "The instance, an id it makes (with `PromptVault-App`)")),
    security(("read_key" = [])),
    responses((status = 200, description = "`text/event-stream`: `prompt` events (data: the JSON of `GET /v1/prompts/{name}`), \
            `removed` events (data: `{\"name\"}`), each with the change's id; first what the client lacks, then each change; \
            a comment every 15 s", content_type = "text/event-stream", body = String),
        (status = 400, description = "A malformed `Last-Event-ID` or prompt name, or one of `PromptVault-App` and `PromptVault-Instance` without the other", body = super::dto::ErrorJson),
        (status = 401, description = "Missing, unknown or revoked key", body = super::dto::ErrorJson),
        (status = 404, description = "A prompt named in `prompts` is not in the key's workspace", body = super::dto::ErrorJson),
        (status = 422, description = "An application name or instance id that is empty, over 100 bytes or not printable", body = super::dto::ErrorJson),
        (status = 429, description = "The key, or its workspace, has as many streams open as the server allows", body = super::dto::ErrorJson)))]
pub(crate) async fn stream(
    State(vault): State<Vault>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(token) = bearer(&headers) else {
        return refused(StreamRefused::Unauthorized);
    };
    let opened = async {
        let last_event_id = headers.get("last-event-id").map(|v| v.to_str().unwrap_or("not text"));
        let resume =
            Resume::parse(last_event_id).map_err(|e| ApiError::bad_request(e.to_string()).into_response())?;
        let only = StreamQuery::prompts(query.as_deref())
            .map(vault::prompt_filter)
            .transpose()
            .map_err(|e| ApiError::bad_request(e.to_string()).into_response())?;
        vault.subscribe(token, only, resume).await.map_err(refused)
    };
    let client = match super::reads::client(&headers) {
        Ok(client) => client,
        Err(error) => return error.into_response(),
    };
    let seen = client.map(|client| (vault.clone(), token.to_owned(), client));
    match opened.await {
        Ok((subscription, first)) => Sse::new(events(subscription, first, seen))
            .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
            .into_response(),
        Err(response) => response,
    }
}

/// The events of one stream: what the client lacks, then each change, until the vault ends
/// the subscription. A client that names itself (`seen`) is noted as served each version sent.
fn events(
    subscription: Subscription,
    first: Vec<StreamEvent>,
    seen: Option<(Vault, String, ClientId)>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let changes = stream::unfold(subscription, |mut subscription| async move {
        let events = subscription.next().await?;
        Some((stream::iter(events), subscription))
    })
    .flatten();
    stream::iter(first).chain(changes).map(move |event| {
        if let (Some((vault, token, client)), StreamEvent::Prompt { name, version, .. }) = (&seen, &event) {
            vault.note_served(token, name, *version, client);
        }
        Ok(sse(event))
    })
}

fn sse(event: StreamEvent) -> Event {
    let id = event.id().to_string();
    match event {
        // The served JSON is compact: no raw line breaks, so one `data:` line.
        StreamEvent::Prompt { body, .. } => {
            Event::default().id(id).event("prompt").data(String::from_utf8_lossy(&body))
        }
        StreamEvent::Removed { name, .. } => {
            Event::default().id(id).event("removed").data(serde_json::json!({ "name": name }).to_string())
        }
    }
}

fn refused(refusal: StreamRefused) -> Response {
    match refusal {
        StreamRefused::Unauthorized => ApiError::unauthorized(
            "send a read key: Authorization: Bearer pv_live_… or pv_test_… (it may be unknown or revoked)",
        ),
        StreamRefused::UnknownPrompt(name) => {
            ApiError::not_found(format!("no prompt {name:?} in this key's workspace"))
        }
        StreamRefused::TooMany => ApiError::from(VaultError::Limited {
            what: "this key has as many streams open as the server allows",
            retry_after: RETRY_STREAMS,
        }),
        StreamRefused::TooManyInWorkspace => ApiError::from(VaultError::Limited {
            what: "this key's workspace has as many streams open as the server allows",
            retry_after: RETRY_STREAMS,
        }),
        StreamRefused::Limited(retry_after) => {
            ApiError::from(VaultError::Limited { what: super::READS_LIMITED, retry_after })
        }
    }
    .into_response()
}
