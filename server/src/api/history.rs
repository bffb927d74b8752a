//! Reading a prompt's history through the API: search, deployments, the activity log and
//! the diff between two versions.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::Vault;

use super::dto::{ActivityJson, DiffJson, ErrorJson, Items, Path, PointerMoveJson, Query, SearchHitJson};
use super::{ApiResult, Member};
use crate::AppState;

use super::manage::{VersionsQuery, version_number};

#[utoipa::path(get, path = "/manage/search", tag = "versions", params(VersionsQuery),
    security(("access_token" = [])),
    responses((status = 200, description = "The versions of every prompt whose message or author matches `q`, newest first; none without `q`", body = Items<SearchHitJson>), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson)))]
pub(crate) async fn search(
    State(vault): State<Vault>,
    Member(actor): Member,
    Query(query): Query<VersionsQuery>,
) -> ApiResult<Json<Items<SearchHitJson>>> {
    Ok(Json(Items::from(vault.search(&actor, query.page()?).await?)))
}

#[utoipa::path(get, path = "/manage/prompts/{name}/deployments", tag = "pointers",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), DeploymentsQuery),
    security(("access_token" = [])),
    responses((status = 200, description = "Every label move, newest first (only `label`'s with `?label=`)", body = Items<PointerMoveJson>),
        (status = 401, body = ErrorJson), (status = 404, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn deployments(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Query(query): Query<DeploymentsQuery>,
) -> ApiResult<Json<Items<PointerMoveJson>>> {
    let moves = match query.label {
        Some(label) => vault.label_deployments(&actor, &name, &label).await?,
        None => vault.deployments(&actor, &name).await?,
    };
    Ok(Json(Items::all(moves)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeploymentsQuery {
    /// Only the moves of this label (`live`, `staging` or one of the workspace's; a deleted
    /// label's moves stay in the history).
    pub label: Option<String>,
}

#[utoipa::path(get, path = "/manage/activity", tag = "activity", params(ActivityQuery), security(("access_token" = [])),
    responses((status = 200, description = "Every change in the workspace, newest first, a page at a time", body = Items<ActivityJson>), (status = 401, body = ErrorJson)))]
pub(crate) async fn activity(
    State(vault): State<Vault>,
    Member(actor): Member,
    Query(query): Query<ActivityQuery>,
) -> ApiResult<Json<Items<ActivityJson>>> {
    Ok(Json(Items::from(vault.activity(&actor, query.filter()?).await?)))
}

#[utoipa::path(get, path = "/manage/prompts/{name}/diff", tag = "versions",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), DiffQuery),
    security(("access_token" = [])),
    responses((status = 200, description = "The side-by-side rows: `{\"from\",\"to\",\"added\",\"removed\",\"rows\":[…]}`; \
            a row is `same` (old_line, new_line, text), `changed` (old and new sides, each with line, \
            segments of text marked `changed`, no_newline) or `folded` (unchanged lines, for unfolding)",
            body = DiffJson),
        (status = 401, body = ErrorJson), (status = 404, body = ErrorJson), (status = 422, body = ErrorJson)))]
pub(crate) async fn diff(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path(name): Path<String>,
    Query(query): Query<DiffQuery>,
) -> ApiResult<Json<DiffJson>> {
    let from = query.from.as_deref().map(version_number).transpose()?;
    let compared = vault.diff(&actor, &name, from, version_number(&query.to)?).await?;
    Ok(Json(compared.into()))
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deployments))
        .routes(routes!(diff))
        .routes(routes!(search))
        .routes(routes!(activity))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ActivityQuery {
    /// Only changes to this prompt.
    pub prompt: Option<String>,
    /// Only changes made by the member with this email.
    pub member: Option<String>,
    /// Only changes of this kind.
    pub kind: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ActivityQuery {
    pub fn filter(self) -> Result<vault::ActivityFilter, vault::VaultError> {
        let cursor = self.cursor.as_deref().map(vault::Cursor::parse).transpose()?;
        let page = vault::PageRequest { limit: self.limit, cursor, search: None };
        let kind = self.kind.as_deref().map(vault::ActivityKind::parse).transpose()?;
        Ok(vault::ActivityFilter { page, prompt: self.prompt, member: self.member, kind })
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiffQuery {
    /// The older version (`3` or `v3`); by default the version before `to`.
    pub from: Option<String>,
    /// The newer version (`3` or `v3`).
    pub to: String,
}
