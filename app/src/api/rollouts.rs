//! Rollouts from a prompt's page (start, change the share, complete, abort) and the Fleet
//! page: what the applications serve, from their reports.

// A server function takes one argument per field of its form; the start form has nine.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AppError;
#[cfg(feature = "ssr")]
use super::ssr;

/// A protected label of a prompt as the rollout card shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutLine {
    pub label: String,
    /// The version it points at on this prompt, if any.
    pub version: Option<i64>,
    /// The newer versions a rollout of it may go to (of the newest 50), newest first.
    pub candidates: Vec<i64>,
    /// The running rollout, or else the latest one that ended.
    pub rollout: Option<types::rollouts::RolloutJson>,
    /// The member may start, change and complete a rollout of it (directly, or by request).
    pub may_steer: bool,
    /// Under review: starting, changing and completing are requested.
    pub by_request: bool,
    /// The member may abort one (they may change the label at all).
    pub may_abort: bool,
}

impl RolloutLine {
    pub fn running(&self) -> Option<&types::rollouts::RolloutJson> {
        self.rollout.as_ref().filter(|r| r.state == "running")
    }
}

/// The prompt's protected labels (`live` first) with their rollouts.
#[server]
pub async fn load_rollouts(name: String) -> Result<Vec<RolloutLine>, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let state = ctx.vault.prompt(&actor, &name).await?;
    let newest = vault::PageRequest { limit: Some(50), cursor: None, search: None };
    let numbers: Vec<i64> =
        ctx.vault.history(&actor, &name, newest).await?.items.iter().map(|e| e.number.get()).collect();
    let mut lines = Vec::new();
    for label in ctx.vault.labels(&actor).await?.into_iter().filter(|l| l.protected) {
        let rollout = match ctx.vault.rollout(&actor, &name, label.name.as_str()).await {
            Ok(rollout) => Some(rollout),
            Err(vault::VaultError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let right = actor.change_right(label.name.as_str(), label.rule);
        let version = state.labels.get(&label.name).map(|n| n.get());
        lines.push(RolloutLine {
            candidates: numbers.iter().copied().filter(|&n| version.is_some_and(|at| n > at)).collect(),
            version,
            label: label.name.to_string(),
            rollout,
            may_steer: right.is_ok(),
            by_request: matches!(right, Ok(vault::ChangeRight::ByRequest)),
            may_abort: right.is_ok(),
        });
    }
    Ok(lines)
}

/// Starts rolling version `number` out on `label` at `percent`; `ramp` (optional) is the
/// shares to come, comma-separated, one every `every` minutes; `max_failure_points`
/// (optional) and `min_uses` make the guard. Under review (a `note` is sent), requests it.
#[server]
pub async fn start_rollout(
    name: String,
    label: String,
    number: String,
    percent: String,
    ramp: String,
    every: String,
    max_failure_points: String,
    min_uses: String,
    note: Option<String>,
    back: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let new = vault::NewRollout {
        version: vault::VersionNumber::parse(&number)?,
        percent: share("percent", &percent)?,
        schedule: schedule(&ramp, &every)?,
        guard: guard(&max_failure_points, &min_uses)?,
    };
    match note {
        Some(note) => {
            ctx.vault.request_rollout(&actor, &name, &label, new, &note).await?;
        }
        None => {
            ctx.vault.start_rollout(&actor, &name, &label, new).await?;
        }
    }
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// Sets the running rollout's share (of version `number`); under review (a `note` is sent),
/// requests it.
#[server]
pub async fn change_rollout(
    name: String,
    label: String,
    number: String,
    percent: String,
    note: Option<String>,
    back: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let percent = share("percent", &percent)?;
    match note {
        Some(note) => {
            let version = vault::VersionNumber::parse(&number)?;
            let new = vault::NewRollout { version, percent, schedule: Vec::new(), guard: None };
            ctx.vault.request_rollout(&actor, &name, &label, new, &note).await?;
        }
        None => {
            ctx.vault.change_rollout(&actor, &name, &label, percent).await?;
        }
    }
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// Completes the running rollout (to version `number`): the label points at its new
/// version. Under review (a `note` is sent), requests the move, which completes it when
/// approved.
#[server]
pub async fn complete_rollout(
    name: String,
    label: String,
    number: String,
    note: Option<String>,
    back: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    match note {
        Some(note) => {
            let to = vault::VersionNumber::parse(&number)?;
            let (action, moved) = if label == "live" {
                (vault::RequestAction::Promote, None)
            } else {
                (vault::RequestAction::Move, Some(label.as_str()))
            };
            ctx.vault.request_change(&actor, &name, action, moved, to, &note).await?;
        }
        None => {
            ctx.vault.complete_rollout(&actor, &name, &label).await?;
        }
    }
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// Aborts the running rollout, saying why: the label reads its old version alone.
#[server]
pub async fn abort_rollout(
    name: String,
    label: String,
    reason: String,
    back: String,
) -> Result<(), AppError> {
    let (ctx, actor) = ssr::acting().await?;
    ctx.vault.abort_rollout(&actor, &name, &label, reason.trim()).await?;
    leptos_axum::redirect(&ssr::back_to_prompt(&name, &back));
    Ok(())
}

/// What the applications serve (the whole workspace, or prompt `prompt`).
#[server]
pub async fn load_fleet(prompt: Option<String>) -> Result<types::fleet::FleetJson, AppError> {
    let (ctx, actor) = ssr::acting().await?;
    let prompt = prompt.filter(|p| !p.is_empty());
    Ok(ctx.vault.fleet(&actor, prompt.as_deref(), None).await?)
}

/// A share typed into field `field` (`10`, `12.5`, `10 %`).
#[cfg(feature = "ssr")]
fn share(field: &'static str, raw: &str) -> Result<f64, AppError> {
    let raw = raw.trim().trim_end_matches('%').trim();
    raw.parse::<f64>()
        .map_err(|_| invalid(field, format!("a share is a number of percent, like 10 or 12.5, not “{raw}”")))
}

/// The ramp typed as shares (`25, 50, 100`), one step every `every` minutes.
#[cfg(feature = "ssr")]
fn schedule(ramp: &str, every: &str) -> Result<Vec<types::rollouts::StepJson>, AppError> {
    let steps: Vec<&str> = ramp.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let after_minutes = every.trim().parse::<u32>().map_err(|_| {
        invalid("every", format!("a ramp's steps come every whole number of minutes, not “{}”", every.trim()))
    })?;
    steps
        .into_iter()
        .map(|step| Ok(types::rollouts::StepJson { percent: share("ramp", step)?, after_minutes }))
        .collect()
}

/// The guard typed as a margin in points (`2`) and a minimum of uses; none without a margin.
#[cfg(feature = "ssr")]
fn guard(max_failure_points: &str, min_uses: &str) -> Result<Option<types::rollouts::GuardJson>, AppError> {
    if max_failure_points.trim().is_empty() {
        return Ok(None);
    }
    let points = share("max_failure_points", max_failure_points)?;
    let min_uses = min_uses.trim().parse::<u64>().map_err(|_| {
        invalid(
            "min_uses",
            format!("the guard's minimum is a whole number of uses, not “{}”", min_uses.trim()),
        )
    })?;
    Ok(Some(types::rollouts::GuardJson { max_failure_increase: points / 100.0, min_uses }))
}

/// A form field refused in words, as the vault refuses one (422, naming the field).
#[cfg(feature = "ssr")]
fn invalid(field: &'static str, message: String) -> AppError {
    vault::VaultError::Invalid { field, message }.into()
}
