//! `/v1/manage/push` and `/v1/manage/imports/langfuse`: prompts as code. What `promptvault
//! prompts push` and `promptvault import --from-langfuse` send; the rules are the vault's.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use types::{ImportReportJson, PushReportJson};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{DraftBody, ImportedPrompt, LangfuseVersion, PromptFile, Push, Vault};

use super::dto::{Body, ErrorJson};
use super::{ApiError, Member};
use crate::AppState;

/// A push carries every file of a folder at once (it is one transaction), and an import a
/// whole export: more than one source's worth, so these two calls take up to 16 MiB.
pub(crate) const CODE_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// One prompt file: its name, type and content (`source` for text, `messages` for chat).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromptFileJson {
    pub(crate) name: String,
    /// `text` (the default) or `chat`.
    #[serde(rename = "type")]
    pub(crate) kind: Option<String>,
    pub(crate) source: Option<String>,
    #[schema(value_type = Option<Vec<types::content::WireMessage>>)]
    pub(crate) messages: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub(crate) config: Option<serde_json::Value>,
    /// The prompt's tags (absent: it keeps its own; `[]` removes them).
    #[serde(default)]
    pub(crate) tags: Option<Vec<String>>,
}

impl PromptFileJson {
    fn parse(self) -> Result<PromptFile, vault::VaultError> {
        let kind = vault::content::prompt_type(self.kind.as_deref())?;
        let body =
            DraftBody::from_fields(self.source, self.messages)?.unwrap_or(DraftBody::Text(String::new()));
        Ok(PromptFile { name: self.name, kind, body, config: self.config, tags: self.tags })
    }
}

/// `{"message","prompts":[…],"stage","promote","labels","dry_run"}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PushRequest {
    /// The message of every draft the push saves.
    pub(crate) message: String,
    pub(crate) prompts: Vec<PromptFileJson>,
    /// Point staging at each file's version.
    #[serde(default)]
    pub(crate) stage: bool,
    /// Make each file's version live; under review, open a request for it.
    #[serde(default)]
    pub(crate) promote: bool,
    /// Move each of these labels (the workspace's own; `live` and `staging` mean `promote`
    /// and `stage`) to each file's version, under its rule; under review, open a request.
    #[serde(default)]
    pub(crate) labels: Vec<String>,
    /// Answer what the push would do, and change nothing.
    #[serde(default)]
    pub(crate) dry_run: bool,
}

#[utoipa::path(post, path = "/manage/push", tag = "prompts as code", request_body = PushRequest, security(("access_token" = [])),
    responses((status = 200, description = "What the push did, prompt by prompt; all of it or, on any refusal, none of it", body = PushReportJson),
        (status = 403, body = ErrorJson), (status = 404, description = "A label the workspace does not have", body = ErrorJson),
        (status = 409, description = "Staging disabled, a name taken meanwhile", body = ErrorJson),
        (status = 413, body = ErrorJson), (status = 422, description = "A file breaks a rule; the message names its prompt", body = ErrorJson)))]
pub(crate) async fn push(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<PushRequest>,
) -> Result<Response, ApiError> {
    let files = req.prompts.into_iter().map(PromptFileJson::parse).collect::<Result<_, _>>()?;
    let push = Push {
        files,
        message: req.message,
        stage: req.stage,
        promote: req.promote,
        labels: req.labels,
        dry_run: req.dry_run,
    };
    let report = vault.push(&actor, push).await?;
    Ok(Json(PushReportJson::from(report)).into_response())
}

#[utoipa::path(post, path = "/manage/imports/langfuse", tag = "prompts as code",
    request_body(content = Vec<Object>, description = "A Langfuse prompt export: a list of versions `{name, version, type, prompt, config, labels, tags, commitMessage}`"),
    security(("access_token" = [])),
    responses((status = 200, description = "What the import did, prompt by prompt; all of it or none of it", body = ImportReportJson),
        (status = 403, body = ErrorJson), (status = 409, description = "A version here holds other content than the export's", body = ErrorJson),
        (status = 413, body = ErrorJson), (status = 422, description = "The export breaks a rule; the message names the prompt and version", body = ErrorJson)))]
pub(crate) async fn import_from_langfuse(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(export): Body<Vec<LangfuseVersion>>,
) -> Result<Response, ApiError> {
    let prompts = vault.import_from_langfuse(&actor, export).await?;
    let changed = prompts.iter().any(ImportedPrompt::changed);
    let prompts = prompts.into_iter().map(Into::into).collect();
    Ok(Json(ImportReportJson { changed, prompts }).into_response())
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(larger_bodies(routes!(push)))
        .routes(larger_bodies(routes!(import_from_langfuse)))
}

/// The route with the larger body limit of prompts as code (a whole folder, a whole export).
fn larger_bodies(
    (schemas, paths, route): utoipa_axum::router::UtoipaMethodRouter<AppState>,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (schemas, paths, route.layer(axum::extract::DefaultBodyLimit::max(CODE_BODY_LIMIT)))
}
