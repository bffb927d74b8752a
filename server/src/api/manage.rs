//! `/v1/setup` and `/v1/manage/…`: the management calls, authenticated by a member's
//! personal access token.

use axum::Json;
use axum::extract::State;
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{DraftBody, NewDraft, Rewrite, Vault, Version, VersionNumber};

use super::dto::{
    Body, EditorJson, ErrorJson, Items, Path, PromptJson, Query, RollBackJson, VersionJson, VersionRef,
    WorkspaceTokenJson,
};
use super::{ApiResult, Member};
use crate::AppState;

pub(super) fn version_number(raw: &str) -> ApiResult<VersionNumber> {
    Ok(VersionNumber::parse(raw)?)
}

/// A version's entity tag: changes whenever the version does (a rewrite bumps the revision).
fn etag(version: &Version) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}.r{}\"", version.number, version.revision))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// A version with its `ETag`, and the given status.
fn version_response(status: StatusCode, version: Version) -> Response {
    let tag = etag(&version);
    (status, [(ETAG, tag)], Json(VersionJson::from(version))).into_response()
}

/// The revision an `If-Match` header expects: none for a missing header or `*`. A tag
/// this server did not hand out for this version can never match, so it names
/// revision 0, which no version has.
fn expected_revision(headers: &HeaderMap, number: VersionNumber) -> Option<i64> {
    let raw = headers.get(IF_MATCH)?.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return None;
    }
    let tag = raw.trim_start_matches("W/").trim_matches('"');
    let revision = tag.strip_prefix(&format!("{number}.r")).and_then(|r| r.parse::<i64>().ok()).unwrap_or(0);
    Some(revision)
}

#[utoipa::path(post, path = "/setup", tag = "setup", request_body = SetUpRequest,
    responses((status = 201, description = "The workspace and its owner", body = WorkspaceTokenJson),
        (status = 409, description = "Already set up", body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn set_up(State(vault): State<Vault>, Body(req): Body<SetUpRequest>) -> ApiResult {
    let input =
        vault::SetUp { workspace: req.workspace, email: req.email, password: req.password, name: req.name };
    let (owner, token) = vault.set_up(input).await?;
    let member = vault.member(&owner, owner.member_id).await?.into();
    let body = WorkspaceTokenJson { token: token.secret, workspace: owner.workspace.clone(), member };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(post, path = "/manage/prompts", tag = "prompts", request_body = CreatePromptRequest, security(("access_token" = [])),
    responses((status = 201, body = PromptJson), (status = 409, body = ErrorJson), (status = 422, body = ErrorJson), (status = 401, body = ErrorJson)))]
pub(crate) async fn create_prompt(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<CreatePromptRequest>,
) -> ApiResult {
    let kind = vault::content::prompt_type(req.kind.as_deref())?;
    let state = vault.create_prompt_of_type(&actor, &req.name, kind).await?;
    Ok((StatusCode::CREATED, Json(PromptJson::from(state))).into_response())
}

#[utoipa::path(get, path = "/manage/prompts", tag = "prompts", params(PromptsQuery), security(("access_token" = [])),
    responses((status = 200, body = Items<PromptJson>), (status = 401, body = ErrorJson)))]
pub(crate) async fn list_prompts(
    State(vault): State<Vault>,
    Member(actor): Member,
    Query(query): Query<PromptsQuery>,
) -> ApiResult<Json<Items<PromptJson>>> {
    let mut prompts = vault.prompts(&actor).await?;
    if let Some(tag) = query.tag {
        prompts.retain(|p| p.state.tags.contains(&tag));
    }
    Ok(Json(Items::all(prompts)))
}

#[utoipa::path(get, path = "/manage/prompts/{name}", tag = "prompts", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")), security(("access_token" = [])),
    responses((status = 200, body = PromptJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn prompt(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
) -> ApiResult<Json<PromptJson>> {
    Ok(Json(vault.prompt(&actor, &name).await?.into()))
}

#[utoipa::path(get, path = "/manage/prompts/{name}/versions", tag = "versions", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), VersionsQuery),
    security(("access_token" = [])),
    responses((status = 200, description = "A page of the history, newest first", body = Items<VersionJson>), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn versions(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Query(query): Query<VersionsQuery>,
) -> ApiResult<Json<Items<VersionJson>>> {
    let page = vault.versions(&actor, &name, query.page()?).await?;
    Ok(Json(Items::from(page)))
}

#[utoipa::path(get, path = "/manage/prompts/{name}/versions/{n}", tag = "versions", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), ("n" = String, Path, description = "The version: `3` or `v3`")), security(("access_token" = [])),
    responses((status = 200, description = "The version, with an ETag for conditional rewrites", body = VersionJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn version(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, n)): Path<(String, String)>,
) -> ApiResult {
    let version = vault.version(&actor, &name, version_number(&n)?).await?;
    Ok(version_response(StatusCode::OK, version))
}

#[utoipa::path(post, path = "/manage/prompts/{name}/versions", tag = "versions", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")), request_body = SaveDraftRequest,
    security(("access_token" = [])),
    responses((status = 201, description = "The new draft", body = VersionJson), (status = 409, description = "Past a quota (`quota_reached`)", body = ErrorJson), (status = 413, body = ErrorJson), (status = 422, body = ErrorJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn save_draft(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Body(req): Body<SaveDraftRequest>,
) -> ApiResult {
    let body = DraftBody::from_fields(req.source, req.messages)?.unwrap_or(DraftBody::Text(String::new()));
    let draft = NewDraft { body, config: req.config, message: req.message };
    let version = vault.save_draft(&actor, &name, draft).await?;
    Ok(version_response(StatusCode::CREATED, version))
}

#[utoipa::path(patch, path = "/manage/prompts/{name}/versions/{n}", tag = "versions", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), ("n" = String, Path, description = "The version: `3` or `v3`"),
        ("If-Match" = Option<String>, Header, description = "The ETag the rewrite is based on")),
    request_body = RewriteRequest, security(("access_token" = [])),
    responses((status = 200, body = VersionJson), (status = 409, description = "A live version is frozen", body = ErrorJson),
        (status = 412, description = "Stale: changed since the ETag", body = ErrorJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn rewrite_draft(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, n)): Path<(String, String)>,
    headers: HeaderMap,
    Body(req): Body<RewriteRequest>,
) -> ApiResult {
    let number = version_number(&n)?;
    let rewrite = Rewrite {
        body: DraftBody::from_fields(req.source, req.messages)?,
        config: req.config,
        message: req.message,
        expected_revision: expected_revision(&headers, number),
    };
    let version = vault.rewrite_draft(&actor, &name, number, rewrite).await?;
    Ok(version_response(StatusCode::OK, version))
}

#[utoipa::path(delete, path = "/manage/prompts/{name}/versions/{n}", tag = "versions", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), ("n" = String, Path, description = "The version: `3` or `v3`")), security(("access_token" = [])),
    responses((status = 204, description = "Deleted; staging cleared if it pointed here"), (status = 409, description = "Live versions are never deleted", body = ErrorJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn delete_draft(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, n)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    vault.delete_draft(&actor, &name, version_number(&n)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/manage/prompts/{name}/versions/{n}/promote", tag = "pointers", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), ("n" = String, Path, description = "The version: `3` or `v3`")), security(("access_token" = [])),
    responses((status = 200, description = "The prompt's new state", body = PromptJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn promote(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, n)): Path<(String, String)>,
) -> ApiResult<Json<PromptJson>> {
    Ok(Json(vault.promote(&actor, &name, version_number(&n)?).await?.into()))
}

#[utoipa::path(post, path = "/manage/prompts/{name}/rollback", tag = "pointers", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")), request_body = RollBackRequest,
    security(("access_token" = [])),
    responses((status = 200, body = RollBackJson), (status = 409, description = "Not an older published version", body = ErrorJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn roll_back(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Body(req): Body<RollBackRequest>,
) -> ApiResult<Json<RollBackJson>> {
    let rolled = vault.roll_back(&actor, &name, req.version.parse()?).await?;
    let editor = EditorJson::from(rolled.version);
    Ok(Json(RollBackJson { state: rolled.state.into(), editor }))
}

#[utoipa::path(put, path = "/manage/prompts/{name}/staging", tag = "pointers", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")), request_body = StagingRequest,
    security(("access_token" = [])),
    responses((status = 200, body = PromptJson), (status = 409, description = "Staging is disabled", body = ErrorJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn set_staging(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Body(req): Body<StagingRequest>,
) -> ApiResult<Json<PromptJson>> {
    let number = req.version.as_ref().map(|v| v.parse()).transpose()?;
    Ok(Json(vault.set_staging(&actor, &name, number).await?.into()))
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_up))
        .routes(routes!(create_prompt, list_prompts))
        .routes(routes!(prompt))
        .routes(routes!(versions, save_draft))
        .routes(routes!(version, rewrite_draft, delete_draft))
        .routes(routes!(promote))
        .routes(routes!(roll_back))
        .routes(routes!(set_staging))
}

// The bodies and queries of these calls.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetUpRequest {
    pub workspace: String,
    pub email: String,
    pub password: String,
    pub name: String,
}

/// Never the password: a `Debug` print may end up in a log.
impl std::fmt::Debug for SetUpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetUpRequest")
            .field("workspace", &self.workspace)
            .field("email", &self.email)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/manage/prompts`: its name, and its type (`text` when absent).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreatePromptRequest {
    pub name: String,
    /// `text` (the default) or `chat`; never changes.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A new draft: `source` for a text prompt, `messages` for a chat prompt; `config` (an
/// object, `{}` when absent) and the change `message` for either.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaveDraftRequest {
    pub source: Option<String>,
    #[schema(value_type = Option<Vec<types::content::WireMessage>>)]
    pub messages: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Value>,
    #[serde(default)]
    pub message: String,
}

/// A draft's rewrite: what is given replaces what was.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RewriteRequest {
    pub source: Option<String>,
    #[schema(value_type = Option<Vec<types::content::WireMessage>>)]
    pub messages: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Value>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RollBackRequest {
    pub version: VersionRef,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StagingRequest {
    pub version: Option<VersionRef>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PromptsQuery {
    /// Only the prompts carrying this tag.
    pub tag: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VersionsQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Words to search for in messages and authors' names and emails; every word must
    /// match. Parsed leniently: any text gives results or none.
    pub q: Option<String>,
}

impl VersionsQuery {
    pub fn page(self) -> Result<vault::PageRequest, vault::VaultError> {
        let cursor = self.cursor.as_deref().map(vault::Cursor::parse).transpose()?;
        Ok(vault::PageRequest { limit: self.limit, cursor, search: self.q })
    }
}

#[cfg(test)]
mod tests {
    use super::SetUpRequest;
    use crate::api::team::JoinRequest;

    #[test]
    fn requests_with_passwords_print_without_them() {
        let setup: SetUpRequest = serde_json::from_str(
            r#"{"workspace":"Acme","email":"ada@example.com","password":"correct horse battery","name":"Ada"}"#,
        )
        .expect("setup");
        let join: JoinRequest = serde_json::from_str(
            r#"{"token":"pv_inv_secret","name":"Grace","password":"correct horse battery"}"#,
        )
        .expect("join");
        for printed in [format!("{setup:?}"), format!("{join:?}")] {
            assert!(!printed.contains("correct horse") && !printed.contains("pv_inv_"), "{printed}");
        }
    }
}
