//! `/v1/manage/prompts/{name}/dependents` and `…/versions/{n}/pins`: where a prompt is
//! included, updating the prompts that include it, and what a published version pins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::Vault;

use super::dto::{Body, ErrorJson, Items, Path};
use super::manage::version_number;
use super::{ApiResult, Member};
use crate::AppState;
use types::{DependentJson, PinJson, UpdatedDependentJson};

#[utoipa::path(get, path = "/manage/prompts/{name}/dependents", tag = "composition",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")),
    security(("access_token" = [])),
    responses((status = 200, description = "The prompts whose labels' versions include it, by name: per label, its version and the version of this prompt it pins; `behind` where live pins another than this prompt's live one", body = Items<DependentJson>),
        (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn dependents(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
) -> ApiResult<Json<Items<DependentJson>>> {
    Ok(Json(Items::all(vault.dependents(&actor, &name).await?)))
}

/// `POST …/dependents/update`: whether the new versions go live in the same release.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateDependentsBody {
    /// `true`: one release, all or nothing, under live's rule; `false` (default): drafts.
    #[serde(default)]
    pub publish: bool,
}

#[utoipa::path(post, path = "/manage/prompts/{name}/dependents/update", tag = "composition",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)")),
    request_body = UpdateDependentsBody, security(("access_token" = [])),
    responses((status = 200, description = "Per prompt whose live version pinned an older version of this one: the new version (a copy of its live one, pinned anew), or why it was skipped", body = Items<UpdatedDependentJson>),
        (status = 401, body = ErrorJson), (status = 403, description = "Publishing takes the right to change live", body = ErrorJson),
        (status = 404, body = ErrorJson),
        (status = 409, description = "Nothing live to update to (`nothing_live`), live is under review (`review_required`: update as drafts), or past a quota", body = ErrorJson),
        (status = 422, description = "A dependent's references no longer resolve (named), or too many dependents", body = ErrorJson)))]
pub(crate) async fn update_dependents(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Body(req): Body<UpdateDependentsBody>,
) -> ApiResult<Json<Items<UpdatedDependentJson>>> {
    Ok(Json(Items::all(vault.update_dependents(&actor, &name, req.publish).await?)))
}

#[utoipa::path(get, path = "/manage/prompts/{name}/versions/{n}/pins", tag = "composition",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), ("n" = String, Path, description = "The version: `3` or `v3`")),
    security(("access_token" = [])),
    responses((status = 200, description = "What the version embeds, pinned when it was published (none for a draft: it resolves when read)", body = Items<PinJson>),
        (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn pins(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, n)): Path<(String, String)>,
) -> ApiResult<Json<Items<PinJson>>> {
    Ok(Json(Items::all(vault.pins(&actor, &name, version_number(&n)?).await?)))
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dependents)).routes(routes!(update_dependents)).routes(routes!(pins))
}
