//! `/v1/setup` and `/v1/manage/…`: the management calls, authenticated by a member's
//! personal access token.

use axum::Json;
use axum::extract::State;
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{DraftBody, NewDraft, Rewrite, SettingsPatch, Vault, Version, VersionNumber};

use super::dto::{
    AccessTokenJson, ActivityJson, ActivityQuery, ApiKeyJson, Body, CreatePromptRequest, DiffQuery,
    EditorJson, ErrorJson, Items, NamedRequest, NewKeyRequest, Path, PointerMoveJson, PromptJson, Query,
    RewriteRequest, RollBackJson, RollBackRequest, SaveDraftRequest, SearchHitJson, SetUpRequest,
    SettingsJson, SettingsRequest, StagingRequest, VersionJson, VersionsQuery, WorkspaceTokenJson,
};
use super::{ApiError, Member};
use crate::AppState;

type ApiResult<T = Response> = Result<T, ApiError>;

fn version_number(raw: &str) -> ApiResult<VersionNumber> {
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

#[utoipa::path(get, path = "/manage/prompts", tag = "prompts", security(("access_token" = [])),
    responses((status = 200, body = Items<PromptJson>), (status = 401, body = ErrorJson)))]
pub(crate) async fn list_prompts(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<PromptJson>>> {
    Ok(Json(Items::all(vault.prompts(&actor).await?)))
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
    Ok(Json(Items::page(page)))
}

#[utoipa::path(get, path = "/manage/search", tag = "versions", params(VersionsQuery),
    security(("access_token" = [])),
    responses((status = 200, description = "The versions of every prompt whose message or author matches `q`, newest first; none without `q`", body = Items<SearchHitJson>), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson)))]
pub(crate) async fn search(
    State(vault): State<Vault>,
    Member(actor): Member,
    Query(query): Query<VersionsQuery>,
) -> ApiResult<Json<Items<SearchHitJson>>> {
    Ok(Json(Items::page(vault.search(&actor, query.page()?).await?)))
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
    let editor = EditorJson::of(rolled.version);
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

#[utoipa::path(get, path = "/manage/prompts/{name}/deployments", tag = "pointers", params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")), security(("access_token" = [])),
    responses((status = 200, description = "Every pointer move, newest first", body = Items<PointerMoveJson>), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn deployments(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
) -> ApiResult<Json<Items<PointerMoveJson>>> {
    Ok(Json(Items::all(vault.deployments(&actor, &name).await?)))
}

#[utoipa::path(get, path = "/manage/activity", tag = "activity", params(ActivityQuery), security(("access_token" = [])),
    responses((status = 200, description = "Every change in the workspace, newest first, a page at a time", body = Items<ActivityJson>), (status = 401, body = ErrorJson)))]
pub(crate) async fn activity(
    State(vault): State<Vault>,
    Member(actor): Member,
    Query(query): Query<ActivityQuery>,
) -> ApiResult<Json<Items<ActivityJson>>> {
    Ok(Json(Items::page(vault.activity(&actor, query.filter()?).await?)))
}

#[utoipa::path(get, path = "/manage/settings", tag = "settings", security(("access_token" = [])),
    responses((status = 200, body = SettingsJson), (status = 401, body = ErrorJson)))]
pub(crate) async fn settings(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<SettingsJson>> {
    Ok(Json(vault.settings(&actor).await?.into()))
}

#[utoipa::path(patch, path = "/manage/settings", tag = "settings", request_body = SettingsRequest, security(("access_token" = [])),
    responses((status = 200, body = SettingsJson), (status = 403, body = ErrorJson), (status = 401, body = ErrorJson)))]
pub(crate) async fn update_settings(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<SettingsRequest>,
) -> ApiResult<Json<SettingsJson>> {
    let live_changes = req.live_changes.as_deref().map(vault::LiveChanges::parse).transpose()?;
    let patch = SettingsPatch { staging_enabled: req.staging_enabled, live_changes };
    Ok(Json(vault.update_settings(&actor, patch).await?.into()))
}

/// Made with a password behind the request only: over the API a token cannot make another
/// (403), so new tokens come from the dashboard, a setup or a join.
#[utoipa::path(post, path = "/manage/tokens", tag = "tokens", request_body = NamedRequest, security(("access_token" = [])),
    responses((status = 201, description = "The token, shown this once", body = AccessTokenJson), (status = 401, body = ErrorJson),
        (status = 403, description = "A personal access token cannot create tokens", body = ErrorJson), (status = 409, description = "Past a quota (`quota_reached`)", body = ErrorJson)))]
pub(crate) async fn create_access_token(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<NamedRequest>,
) -> ApiResult {
    let created = vault.create_access_token(&actor, &req.name).await?;
    let body = AccessTokenJson::new(created.token, Some(created.secret));
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(get, path = "/manage/tokens", tag = "tokens", security(("access_token" = [])),
    responses((status = 200, body = Items<AccessTokenJson>), (status = 401, body = ErrorJson)))]
pub(crate) async fn access_tokens(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<AccessTokenJson>>> {
    let tokens = vault.access_tokens(&actor).await?;
    Ok(Json(Items {
        items: tokens.into_iter().map(|t| AccessTokenJson::new(t, None)).collect(),
        next_cursor: None,
    }))
}

#[utoipa::path(delete, path = "/manage/tokens/{id}", tag = "tokens", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn revoke_access_token(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    vault.revoke_access_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/manage/keys", tag = "keys", request_body = NewKeyRequest, security(("access_token" = [])),
    responses((status = 201, description = "The key, its token shown this once", body = ApiKeyJson), (status = 403, body = ErrorJson), (status = 409, description = "Past a quota (`quota_reached`)", body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn create_api_key(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<NewKeyRequest>,
) -> ApiResult {
    let kind = vault::KeyKind::parse(&req.kind)?;
    let created = vault.create_api_key(&actor, kind, &req.name).await?;
    Ok((StatusCode::CREATED, Json(ApiKeyJson::new(created.key, Some(created.token)))).into_response())
}

#[utoipa::path(get, path = "/manage/keys", tag = "keys", security(("access_token" = [])),
    responses((status = 200, body = Items<ApiKeyJson>), (status = 403, body = ErrorJson)))]
pub(crate) async fn api_keys(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<ApiKeyJson>>> {
    let keys = vault.api_keys(&actor).await?;
    Ok(Json(Items { items: keys.into_iter().map(|k| ApiKeyJson::new(k, None)).collect(), next_cursor: None }))
}

#[utoipa::path(delete, path = "/manage/keys/{id}", tag = "keys", params(("id" = i64, Path)), security(("access_token" = [])),
    responses((status = 204, description = "Revoked: its next read is refused"), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn revoke_api_key(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    vault.revoke_api_key(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/manage/prompts/{name}/diff", tag = "versions",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), DiffQuery),
    security(("access_token" = [])),
    responses((status = 200, description = "The side-by-side rows: `{\"from\",\"to\",\"added\",\"removed\",\"rows\":[…]}`; \
            a row is `same` (old_line, new_line, text), `changed` (old and new sides, each with line, \
            segments of text marked `changed`, no_newline) or `folded` (unchanged lines, for unfolding)",
            body = serde_json::Value),
        (status = 401, body = ErrorJson), (status = 404, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn diff(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Query(query): Query<DiffQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let from = query.from.as_deref().map(version_number).transpose()?;
    let compared = vault.diff(&actor, &name, from, version_number(&query.to)?).await?;
    Ok(Json(serde_json::json!({
        "from": compared.from.map(VersionNumber::label),
        "to": compared.to.label(),
        "added": compared.diff.added,
        "removed": compared.diff.removed,
        "rows": compared.diff.rows,
        "messages": compared.messages,
        "config": compared.config,
    })))
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
        .routes(routes!(deployments))
        .routes(routes!(diff))
        .routes(routes!(search))
        .routes(routes!(activity))
        .routes(routes!(settings, update_settings))
        .routes(routes!(access_tokens, create_access_token))
        .routes(routes!(revoke_access_token))
        .routes(routes!(api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
}
