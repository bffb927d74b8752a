//! `/v1/manage/prompts/{name}/labels/{label}/rollout`: starting, reading, changing,
//! completing and aborting a label's rollout; and `/v1/manage/fleet`, what applications
//! report serving. The rules are the vault's.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use types::rollouts::{GuardJson, RolloutJson, StepJson};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vault::{NewRollout, Vault};

use super::dto::{Body, ErrorJson, Path, Query, RequestJson, VersionRef};
use super::{ApiError, ApiResult, Member};
use crate::AppState;

/// `POST …/rollout`: the new version, the share it starts at, and optionally a ramp and a guard.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartRolloutBody {
    /// The new version (`4` or `"v4"`); a draft is published.
    pub version: VersionRef,
    /// The share of units that read it, 0 to 100 in steps of 0.01.
    pub percent: f64,
    #[serde(default)]
    pub schedule: Vec<StepJson>,
    pub guard: Option<GuardJson>,
}

/// `POST …/rollout/request`: under review, what to ask for — a rollout (as `POST …/rollout`
/// takes it), or the new share of the one running to that version — and a note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RolloutRequestBody {
    pub version: VersionRef,
    pub percent: f64,
    #[serde(default)]
    pub schedule: Vec<StepJson>,
    pub guard: Option<GuardJson>,
    /// For the reviewer.
    #[serde(default)]
    pub note: String,
}

/// `PATCH …/rollout`: the new share.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeRolloutBody {
    pub percent: f64,
}

/// `POST …/rollout/abort`: why (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AbortRolloutBody {
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/manage/prompts/{name}/labels/{label}/rollout", tag = "rollouts",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded (`support%2Ftriage`)"), ("label" = String, Path, description = "A protected label: `live`, or one of the workspace's own")),
    request_body = StartRolloutBody, security(("access_token" = [])),
    responses((status = 201, description = "The rollout, running", body = RolloutJson), (status = 401, body = ErrorJson),
        (status = 403, description = "The label's rule does not let the member move it", body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "A rollout of the label runs already (`rollout_running`), the label points nowhere (`nothing_live`), or it is under review (`review_required`)", body = ErrorJson),
        (status = 422, description = "A preview label, an older version, a share or a ramp out of bounds", body = ErrorJson)))]
pub(crate) async fn start_rollout(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, label)): Path<(String, String)>,
    Body(req): Body<StartRolloutBody>,
) -> ApiResult {
    let new = NewRollout {
        version: req.version.parse()?,
        percent: req.percent,
        schedule: req.schedule,
        guard: req.guard,
    };
    let rollout = vault.start_rollout(&actor, &name, &label, new).await?;
    Ok((StatusCode::CREATED, Json(rollout)).into_response())
}

#[utoipa::path(post, path = "/manage/prompts/{name}/labels/{label}/rollout/request", tag = "rollouts",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded"), ("label" = String, Path, description = "A protected label under review")),
    request_body = RolloutRequestBody, security(("access_token" = [])),
    responses((status = 201, description = "The request, open: another member entitled to the label approves it (`POST /v1/manage/requests/{id}/approve`), which starts the rollout or sets its share", body = RequestJson),
        (status = 401, body = ErrorJson), (status = 403, description = "The member may not move the label at all", body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "Not under review for the member (`review_off`), a rollout of another version runs (`rollout_running`), or the label points nowhere (`nothing_live`)", body = ErrorJson),
        (status = 422, description = "A preview label, an older version, a share or a ramp out of bounds", body = ErrorJson)))]
pub(crate) async fn request_rollout(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, label)): Path<(String, String)>,
    Body(req): Body<RolloutRequestBody>,
) -> ApiResult {
    let new = NewRollout {
        version: req.version.parse()?,
        percent: req.percent,
        schedule: req.schedule,
        guard: req.guard,
    };
    let request = vault.request_rollout(&actor, &name, &label, new, &req.note).await?;
    Ok((StatusCode::CREATED, Json(RequestJson::from(request))).into_response())
}

#[utoipa::path(get, path = "/manage/prompts/{name}/labels/{label}/rollout", tag = "rollouts",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded"), ("label" = String, Path, description = "The label")),
    security(("access_token" = [])),
    responses((status = 200, description = "The running rollout, or else the latest", body = RolloutJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub(crate) async fn rollout(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, label)): Path<(String, String)>,
) -> ApiResult<Json<RolloutJson>> {
    Ok(Json(vault.rollout(&actor, &name, &label).await?))
}

#[utoipa::path(patch, path = "/manage/prompts/{name}/labels/{label}/rollout", tag = "rollouts",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded"), ("label" = String, Path, description = "The label")),
    request_body = ChangeRolloutBody, security(("access_token" = [])),
    responses((status = 200, description = "The rollout at its new share", body = RolloutJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson),
        (status = 404, description = "No rollout of the label runs", body = ErrorJson), (status = 409, description = "Under review (`review_required`)", body = ErrorJson),
        (status = 422, description = "A share out of bounds", body = ErrorJson)))]
pub(crate) async fn change_rollout(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, label)): Path<(String, String)>,
    Body(req): Body<ChangeRolloutBody>,
) -> ApiResult<Json<RolloutJson>> {
    Ok(Json(vault.change_rollout(&actor, &name, &label, req.percent).await?))
}

#[utoipa::path(post, path = "/manage/prompts/{name}/labels/{label}/rollout/complete", tag = "rollouts",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded"), ("label" = String, Path, description = "The label")),
    security(("access_token" = [])),
    responses((status = 200, description = "Completed: the label points at the new version", body = RolloutJson), (status = 401, body = ErrorJson), (status = 403, body = ErrorJson),
        (status = 404, description = "No rollout of the label runs", body = ErrorJson), (status = 409, description = "Under review (`review_required`)", body = ErrorJson)))]
pub(crate) async fn complete_rollout(
    State(vault): State<Vault>,
    Member(actor): Member,
    Path((name, label)): Path<(String, String)>,
) -> ApiResult<Json<RolloutJson>> {
    Ok(Json(vault.complete_rollout(&actor, &name, &label).await?))
}

#[utoipa::path(post, path = "/manage/prompts/{name}/labels/{label}/rollout/abort", tag = "rollouts",
    params(("name" = String, Path, description = "The prompt's name, percent-encoded"), ("label" = String, Path, description = "The label")),
    request_body = AbortRolloutBody, security(("access_token" = [])),
    responses((status = 200, description = "Aborted: the label reads its old version alone. A member's token, or one made only to abort rollouts (for automation)", body = RolloutJson), (status = 401, body = ErrorJson),
        (status = 403, description = "The token's member may not move the label at all", body = ErrorJson), (status = 404, description = "No rollout of the label runs", body = ErrorJson)))]
pub(crate) async fn abort_rollout(
    State(vault): State<Vault>,
    headers: axum::http::HeaderMap,
    Path((name, label)): Path<(String, String)>,
    Body(req): Body<AbortRolloutBody>,
) -> ApiResult<Json<RolloutJson>> {
    let token = super::reads::bearer(&headers).ok_or_else(|| {
        ApiError::unauthorized("send a personal access token: Authorization: Bearer pv_pat_…")
    })?;
    Ok(Json(vault.abort_rollout_with_token(token, &name, &label, &req.reason).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FleetQuery {
    /// Only this prompt.
    pub prompt: Option<String>,
    /// Only this label.
    pub label: Option<String>,
}

#[utoipa::path(get, path = "/manage/fleet", tag = "rollouts", params(FleetQuery), security(("access_token" = [])),
    responses((status = 200, description = "Per prompt and label: its version, the versions applications reported using in the last hour (instances and uses in the last 5 minutes, uses and failures in the last 60), and the instances still using an older version than the label's", body = types::fleet::FleetJson),
        (status = 401, body = ErrorJson), (status = 404, description = "No such prompt", body = ErrorJson),
        (status = 422, description = "A malformed prompt or label name", body = ErrorJson)))]
pub(crate) async fn fleet(
    State(vault): State<Vault>,
    Member(actor): Member,
    Query(query): Query<FleetQuery>,
) -> ApiResult<Json<types::fleet::FleetJson>> {
    Ok(Json(vault.fleet(&actor, query.prompt.as_deref(), query.label.as_deref()).await?))
}

/// This module's routes, each with its part of the OpenAPI document (merged in `api::router`).
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_rollout, rollout, change_rollout))
        .routes(routes!(complete_rollout))
        .routes(routes!(request_rollout))
        .routes(routes!(abort_rollout))
        .routes(routes!(fleet))
}
