//! `/v1/manage/labels` and `/v1/manage/prompts/{name}/labels/{label}`: the workspace's
//! labels and their rules, and moving a prompt's label; and a prompt's tags.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{ChangeRule, Fallback, LabelPatch, NewLabel, Vault};

use super::dto::{Body, ErrorJson, Items, LabelJson, Path, PromptJson, Query, VersionRef};
use super::{ApiResult, Member};
use crate::AppState;

#[utoipa::path(get, path = "/manage/labels", tag = "labels", security(("access_token" = [])),
    responses((status = 200, description = "`live`, `staging`, then the workspace's own labels by name", body = Items<LabelJson>),
        (status = 401, body = ErrorJson)))]
pub(crate) async fn labels(
    State(vault): State<Vault>,
    Member(actor): Member,
) -> ApiResult<Json<Items<LabelJson>>> {
    Ok(Json(Items::all(vault.labels(&actor).await?)))
}

#[utoipa::path(post, path = "/manage/labels", tag = "labels", request_body = NewLabelBody, security(("access_token" = [])),
    responses((status = 201, description = "The new label", body = LabelJson), (status = 401, body = ErrorJson),
        (status = 403, description = "Admins and owners make labels", body = ErrorJson),
        (status = 409, description = "The name is taken (`already_exists`), or past the quota", body = ErrorJson),
        (status = 422, description = "A reserved or malformed name", body = ErrorJson)))]
pub(crate) async fn create_label(
    State(vault): State<Vault>,
    Member(actor): Member,
    Body(req): Body<NewLabelBody>,
) -> ApiResult {
    let new = NewLabel {
        name: req.name,
        protected: req.protected,
        rule: req.rule.as_deref().map(ChangeRule::parse).transpose()?.unwrap_or_default(),
        fallback: req.fallback.as_deref().map(Fallback::parse).transpose()?,
    };
    let label = vault.create_label(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(LabelJson::from(label))).into_response())
}

#[utoipa::path(get, path = "/manage/labels/{label}", tag = "labels", params(("label" = String, Path, description = "The label's name")),
    security(("access_token" = [])), responses((status = 200, body = LabelJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn label(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
) -> ApiResult<Json<LabelJson>> {
    Ok(Json(vault.label(&actor, &name).await?.into()))
}

#[utoipa::path(patch, path = "/manage/labels/{label}", tag = "labels", params(("label" = String, Path, description = "The label's name")),
    request_body = LabelPatchBody, security(("access_token" = [])),
    responses((status = 200, body = LabelJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "Protecting a label that points at a draft (`not_published`)", body = ErrorJson),
        (status = 422, description = "A field of live or staging, which are built in", body = ErrorJson)))]
pub(crate) async fn update_label(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Body(req): Body<LabelPatchBody>,
) -> ApiResult<Json<LabelJson>> {
    let patch = LabelPatch {
        protected: req.protected,
        rule: req.rule.as_deref().map(ChangeRule::parse).transpose()?,
        fallback: req.fallback.map(|f| f.as_deref().map(Fallback::parse).transpose()).transpose()?,
    };
    Ok(Json(vault.update_label(&actor, &name, patch).await?.into()))
}

#[utoipa::path(delete, path = "/manage/labels/{label}", tag = "labels", params(("label" = String, Path, description = "The label's name"), DeleteLabelQuery),
    security(("access_token" = [])),
    responses((status = 204, description = "Deleted, with its pointers (and its keys, when asked)"), (status = 401, body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "Keys read it (`label_in_use`): revoke them, or pass `revoke_keys=true`", body = ErrorJson),
        (status = 422, description = "live and staging are built in", body = ErrorJson)))]
pub(crate) async fn delete_label(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Query(query): Query<DeleteLabelQuery>,
) -> ApiResult<StatusCode> {
    vault.delete_label(&actor, &name, query.revoke_keys).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/manage/prompts/{name}/labels/{label}", tag = "labels",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), ("label" = String, Path, description = "The label's name")),
    request_body = MoveLabelBody, security(("access_token" = [])),
    responses((status = 200, description = "The prompt's new state", body = PromptJson), (status = 401, body = ErrorJson),
        (status = 403, description = "The label's rule does not let the member move it", body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "The label is under review (`review_required`: request the move), or staging is disabled", body = ErrorJson),
        (status = 422, description = "Live cannot be cleared", body = ErrorJson)))]
pub(crate) async fn move_label(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, label)): Path<(String, String)>,
    Body(req): Body<MoveLabelBody>,
) -> ApiResult<Json<PromptJson>> {
    let number = req.version.as_ref().map(VersionRef::parse).transpose()?;
    Ok(Json(vault.move_label(&actor, &name, &label, number).await?.into()))
}

#[utoipa::path(put, path = "/manage/prompts/{name}/tags", tag = "prompts",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")),
    request_body = TagsBody, security(("access_token" = [])),
    responses((status = 200, description = "The prompt's new state", body = PromptJson), (status = 401, body = ErrorJson),
        (status = 403, body = ErrorJson), (status = 404, body = ErrorJson), (status = 422, description = "A tag too long, or too many", body = ErrorJson)))]
pub(crate) async fn set_tags(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Body(req): Body<TagsBody>,
) -> ApiResult<Json<PromptJson>> {
    Ok(Json(vault.set_tags(&actor, &name, &req.tags).await?.into()))
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(labels, create_label))
        .routes(routes!(label, update_label, delete_label))
        .routes(routes!(move_label))
        .routes(routes!(set_tags))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagsBody {
    /// The prompt's tags from now on, in order (`[]` removes them): each one line of 1 to 64
    /// characters, at most 50.
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLabelBody {
    /// Lowercase letters, digits, `-`, `_` and `.`, at most 36.
    pub name: String,
    /// Published versions only (moving it to a draft publishes the draft); `false` for a
    /// preview label, which may point at drafts.
    pub protected: bool,
    /// `editors` (the default), `admins` or `review`.
    #[serde(default)]
    pub rule: Option<String>,
    /// `live` (its keys read live where it points nowhere), or `null`.
    #[serde(default)]
    pub fallback: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelPatchBody {
    #[serde(default)]
    pub protected: Option<bool>,
    #[serde(default)]
    pub rule: Option<String>,
    /// `live`, or `null` to remove it; absent keeps it.
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<String>)]
    pub fallback: Option<Option<String>>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeleteLabelQuery {
    /// Revoke the keys that read it, in the same step.
    #[serde(default)]
    pub revoke_keys: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveLabelBody {
    /// The version to point at (`3` or `"v3"`), or `null` to take the label off the prompt.
    pub version: Option<VersionRef>,
}
