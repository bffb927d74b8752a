//! `/v1/manage/push` and `/v1/manage/imports/langfuse`: prompts as code. What `promptvault
//! prompts push` and `promptvault import --from-langfuse` send; the rules are the vault's.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{
    DraftBody, ImportedPrompt, LangfuseVersion, PromptFile, Push, PushReport, PushStep, Pushed, Vault,
};

use super::dto::{Body, ErrorJson, VersionJson};
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
}

impl PromptFileJson {
    fn parse(self) -> Result<PromptFile, vault::VaultError> {
        let kind = vault::content::prompt_type(self.kind.as_deref())?;
        let body =
            DraftBody::from_fields(self.source, self.messages)?.unwrap_or(DraftBody::Text(String::new()));
        Ok(PromptFile { name: self.name, kind, body, config: self.config })
    }
}

/// `{"message","prompts":[…],"stage","promote","dry_run"}`.
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
    /// Answer what the push would do, and change nothing.
    #[serde(default)]
    pub(crate) dry_run: bool,
}

/// One step of a push: `{"action":"created"}`, `{"action":"saved"|"staged"|"promoted","version":"v4"}`,
/// `{"action":"requested","version":"v4","request":12}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PushStepJson {
    pub(crate) action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request: Option<i64>,
}

impl From<PushStep> for PushStepJson {
    fn from(step: PushStep) -> Self {
        let (action, version, request) = match step {
            PushStep::Created => ("created", None, None),
            PushStep::Saved { version } => ("saved", Some(version), None),
            PushStep::Staged { version } => ("staged", Some(version), None),
            PushStep::Promoted { version } => ("promoted", Some(version), None),
            PushStep::Requested { version, request } => ("requested", Some(version), Some(request)),
        };
        PushStepJson { action: action.into(), version: version.map(vault::VersionNumber::label), request }
    }
}

/// What a push did to one prompt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PushedJson {
    pub(crate) name: String,
    /// The version holding the file's content.
    pub(crate) version: String,
    /// Empty when the file changed nothing.
    pub(crate) steps: Vec<PushStepJson>,
    /// The newest version before the push, with its content, when a draft was saved.
    pub(crate) previous: Option<VersionJson>,
    /// The open request to promote `version`, under review.
    pub(crate) awaiting_review: Option<i64>,
}

impl From<Pushed> for PushedJson {
    fn from(p: Pushed) -> Self {
        PushedJson {
            name: p.name,
            version: p.version.label(),
            steps: p.steps.into_iter().map(Into::into).collect(),
            previous: p.previous.map(VersionJson::from),
            awaiting_review: p.awaiting_review,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct PushReportJson {
    pub(crate) dry_run: bool,
    /// Whether anything changed (in a dry run: would).
    pub(crate) changed: bool,
    /// By name.
    pub(crate) prompts: Vec<PushedJson>,
}

impl From<PushReport> for PushReportJson {
    fn from(report: PushReport) -> Self {
        PushReportJson {
            dry_run: report.dry_run,
            changed: report.changed(),
            prompts: report.prompts.into_iter().map(Into::into).collect(),
        }
    }
}

#[utoipa::path(post, path = "/manage/push", tag = "prompts as code", request_body = PushRequest, security(("access_token" = [])),
    responses((status = 200, description = "What the push did, prompt by prompt; all of it or, on any refusal, none of it", body = PushReportJson),
        (status = 403, body = ErrorJson), (status = 409, description = "Staging disabled, a name taken meanwhile", body = ErrorJson),
        (status = 413, body = ErrorJson), (status = 422, description = "A file breaks a rule; the message names its prompt", body = ErrorJson)))]
pub(crate) async fn push(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<PushRequest>,
) -> Result<Response, ApiError> {
    let files = req.prompts.into_iter().map(PromptFileJson::parse).collect::<Result<_, _>>()?;
    let push =
        Push { files, message: req.message, stage: req.stage, promote: req.promote, dry_run: req.dry_run };
    let report = vault.push(&actor, push).await?;
    Ok(Json(PushReportJson::from(report)).into_response())
}

/// What an import did to one prompt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ImportedJson {
    pub(crate) name: String,
    pub(crate) created: bool,
    pub(crate) added: Vec<String>,
    pub(crate) unchanged: Vec<String>,
    pub(crate) promoted: Option<String>,
    pub(crate) requested: Option<i64>,
    pub(crate) staged: Option<String>,
    /// What PromptVault does not keep: other labels, tags.
    pub(crate) left_out: Vec<String>,
}

impl From<ImportedPrompt> for ImportedJson {
    fn from(p: ImportedPrompt) -> Self {
        let labels = |numbers: Vec<vault::VersionNumber>| numbers.into_iter().map(|n| n.label()).collect();
        ImportedJson {
            name: p.name,
            created: p.created,
            added: labels(p.added),
            unchanged: labels(p.unchanged),
            promoted: p.promoted.map(|n| n.label()),
            requested: p.requested,
            staged: p.staged.map(|n| n.label()),
            left_out: p.left_out,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ImportReportJson {
    /// Whether anything changed: `false` for an export imported before.
    pub(crate) changed: bool,
    /// By name.
    pub(crate) prompts: Vec<ImportedJson>,
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
