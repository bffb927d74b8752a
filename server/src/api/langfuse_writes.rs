//! The writes of Langfuse's prompt API, for a member's personal access token (a read key
//! is refused with 403): create a version (`POST /api/public/v2/prompts`, 201), move labels
//! onto one (`PATCH …/{name}/versions/{n}` `{"newLabels"}`) and delete drafts (`DELETE
//! …/{name}?version=|label=`, 204). Each is one vault operation under PromptVault's rules.

use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use vault::{LangfuseCreate, LangfuseDelete, PromptType, Vault};

use super::dto::Path;
use super::langfuse::{
    bad_request, caller, json_of, label_and_version, member, positive_version, vault_refused,
};

/// The largest body a write reads: a 1 MiB prompt, JSON-escaped, and the rest.
const BODY_LIMIT: usize = 3 * vault::MAX_SOURCE_BYTES;

/// A create as the SDKs send it; unknown fields are ignored, as Langfuse ignores them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    name: String,
    prompt: Value,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    config: Option<Value>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    commit_message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LabelsBody {
    new_labels: Vec<String>,
}

/// `POST /api/public/v2/prompts`.
pub(crate) async fn create_prompt(State(vault): State<Vault>, request: Request) -> Response {
    let actor = match caller(&vault, request.headers()).await.and_then(member) {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let body: CreateBody = match json_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let kind = match body.kind.as_deref() {
        None => None,
        Some(raw) => match PromptType::parse(raw) {
            Some(kind) => Some(kind),
            None => return bad_request(&format!("type is text or chat, not {raw:?}")),
        },
    };
    let create = LangfuseCreate {
        name: body.name,
        kind,
        prompt: body.prompt,
        config: body.config,
        labels: body.labels.unwrap_or_default(),
        tags: body.tags,
        commit_message: body.commit_message,
    };
    match vault.langfuse_create(&actor, create).await {
        Ok(prompt) => json_of(StatusCode::CREATED, &prompt),
        Err(error) => vault_refused(error),
    }
}

/// `PATCH …/{name}/versions/{n}`, on the route that also reads a prompt: the path after
/// `prompts/` is decoded once (the SDKs send a name's `/` as `%2F`), and the version is what
/// follows its last `/versions/`.
pub(crate) async fn patch_version(
    State(vault): State<Vault>,
    Path(path): Path<String>,
    request: Request,
) -> Response {
    let actor = match caller(&vault, request.headers()).await.and_then(member) {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let Some((name, number)) = path.rsplit_once("/versions/") else {
        return bad_request(
            "PATCH /api/public/v2/prompts/{name}/versions/{version} moves labels onto a version",
        );
    };
    let number = match positive_version(number) {
        Ok(number) => number,
        Err(response) => return response,
    };
    let body: LabelsBody = match json_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    match vault.langfuse_label(&actor, name, number, &body.new_labels).await {
        Ok(prompt) => json_of(StatusCode::OK, &prompt),
        Err(error) => vault_refused(error),
    }
}

pub(crate) async fn delete_prompt(
    State(vault): State<Vault>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let actor = match caller(&vault, request.headers()).await.and_then(member) {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let (label, version) = label_and_version(query.as_deref());
    let what = match (label, version) {
        (Some(_), Some(_)) => return bad_request("set either a label or a version, not both"),
        (Some(label), None) => LangfuseDelete::Label(label),
        (None, Some(raw)) => match positive_version(&raw) {
            Ok(number) => LangfuseDelete::Version(number),
            Err(response) => return response,
        },
        (None, None) => LangfuseDelete::All,
    };
    match vault.langfuse_delete(&actor, &name, what).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => vault_refused(error),
    }
}

/// The body as JSON of `T`: at most [`BODY_LIMIT`] bytes, read no further.
async fn json_body<T: serde::de::DeserializeOwned>(request: Request) -> Result<T, Response> {
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT).await.map_err(|_| {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(serde_json::json!({
                "message": format!("the body is larger than {BODY_LIMIT} bytes"),
                "error": "InvalidRequestError"
            })),
        )
            .into_response()
    })?;
    serde_json::from_slice(&bytes).map_err(|error| bad_request(&format!("Invalid request data: {error}")))
}
