//! A rollout's steps inside the caller's transaction, with no rule of who may take them:
//! the operations (`rollouts`) check the label's rule first, an approved request
//! (`reviews`) was checked when it was approved, and the ramp (`ramps`) acts as the member
//! who started the rollout.

use serde_json::json;
use sqlx::{Any, Transaction};
use types::rollouts::{self, GuardJson, RolloutEventJson, RolloutJson, StepJson};

use crate::Result;
use crate::access::Actor;
use crate::activity::{self, ActivityKind};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::events::{self, EventKind};
use crate::labels::{Found, Pointer};
use crate::names::{LabelName, VersionNumber};
use crate::prompts::PromptRow;
use crate::prompts::model::Requester;
use crate::prompts::moves::{move_label_in, own_label_at, publish, require_publishing};
use crate::prompts::splits::{latest_rollout, running, running_rollout};
use crate::prompts::steps::find_version;
use crate::version::Status;

/// The most steps of a ramp.
pub const MAX_STEPS: usize = 20;

/// A rollout to start: the new version (a draft is published), the share it starts at, an
/// optional ramp and an optional automatic stop.
#[derive(Debug, Clone)]
pub struct NewRollout {
    pub version: VersionNumber,
    pub percent: f64,
    pub schedule: Vec<StepJson>,
    pub guard: Option<GuardJson>,
}

/// A rollout to start, its share, ramp and guard checked.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub version: VersionNumber,
    pub basis_points: u32,
    pub schedule: Vec<StepJson>,
    pub guard: Option<GuardJson>,
}

impl NewRollout {
    /// Refuses a share off the 0.01 % grid, a ramp that does not rise or has too many steps,
    /// and a guard out of range, naming the field.
    pub(crate) fn checked(self) -> Result<Checked> {
        let basis_points = share(self.percent)?;
        let schedule = checked_schedule(&self.schedule, basis_points)?;
        let guard = self.guard.map(checked_guard).transpose()?;
        Ok(Checked { version: self.version, basis_points, schedule, guard })
    }
}

/// Starts rolling `new.version` out on label `found` of `prompt`: a protected label that
/// points at an older version. A draft is published, as the workspace's rule for publishing
/// lets `actor` (unless an approved request asks for it, `approved`).
pub(crate) async fn start_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    found: &Found,
    new: &Checked,
    approved: bool,
) -> Result<RolloutJson> {
    let (label, name) = (&found.label.name, &prompt.name);
    if !found.label.protected {
        return Err(VaultError::invalid(
            "label",
            format!(
                "{label} is a preview label: a rollout splits a protected label (live, or one of the workspace's own)"
            ),
        ));
    }
    let from = label_at(tx, prompt, found).await?.ok_or_else(|| {
        VaultError::conflict(
            Conflict::NothingLive,
            format!("{label} points at no version of {name}: move it first, then roll the next one out"),
        )
    })?;
    let to = find_version(tx, prompt, new.version).await?;
    if to.number <= from {
        return Err(VaultError::invalid(
            "version",
            format!("{label} is on {from}: a rollout moves it to a newer version, not {}", to.number),
        ));
    }
    if to.status == Status::Draft {
        if !approved {
            require_publishing(tx, actor, label).await?;
        }
        publish(tx, prompt, to.number).await?;
    }
    let now = Timestamp::now().0;
    let next_step_at = new.schedule.first().map(|step| now + minutes(step.after_minutes));
    let inserted = sqlx::query(
        "insert into rollouts (prompt_id, label, from_number, to_number, basis_points, seed, state, schedule, \
         next_step_at, guard, started_by, started_at) values ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9, $10, $11)",
    )
    .bind(prompt.id)
    .bind(label.as_str())
    .bind(from.get())
    .bind(to.number.get())
    .bind(i64::from(new.basis_points))
    .bind(uuid::Uuid::now_v7().simple().to_string())
    .bind(serde_json::to_string(&new.schedule).map_err(|e| VaultError::Internal(Box::new(e)))?)
    .bind(next_step_at)
    .bind(new.guard.as_ref().map(serde_json::to_string).transpose().map_err(|e| VaultError::Internal(Box::new(e)))?)
    .bind(actor.account_id)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(running(label.as_str(), name));
        }
        other => other?,
    };
    let rollout = running_rollout(tx, prompt, label).await?.ok_or(sqlx::Error::RowNotFound)?;
    record(tx, actor, prompt, &rollout, EventKind::RolloutStarted).await?;
    Ok(rollout)
}

/// Sets the share of the running rollout of `found` on `prompt` (nothing when it is that).
pub(crate) async fn change_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    found: &Found,
    basis_points: u32,
) -> Result<RolloutJson> {
    let rollout = must_run(tx, prompt, found).await?;
    if rollouts::basis_points(rollout.percent).ok() == Some(basis_points) {
        return Ok(rollout);
    }
    set_share(tx, prompt, &found.label.name, basis_points).await?;
    let rollout = running_rollout(tx, prompt, &found.label.name).await?.ok_or(sqlx::Error::RowNotFound)?;
    record(tx, actor, prompt, &rollout, EventKind::RolloutChanged).await?;
    Ok(rollout)
}

/// Completes the running rollout of `found` on `prompt`: the label points at its new
/// version, as any move of it (recorded in the deployments, with the requester of an
/// approved request).
pub(crate) async fn complete_in(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    found: &Found,
    requester: Option<&Requester>,
) -> Result<RolloutJson> {
    let running = must_run(tx, prompt, found).await?;
    end(tx, prompt, &found.label.name, "completed", None).await?;
    let to = VersionNumber::parse(&running.to)?;
    move_label_in(tx, actor, prompt, found, Some(to), requester).await?;
    let rollout = latest_rollout(tx, prompt, &found.label.name).await?.ok_or(sqlx::Error::RowNotFound)?;
    record(tx, actor, prompt, &rollout, EventKind::RolloutCompleted).await?;
    Ok(rollout)
}

/// A share in percent as basis points, refused in words.
pub(crate) fn share(percent: f64) -> Result<u32> {
    rollouts::basis_points(percent).map_err(|why| VaultError::invalid("percent", why))
}

/// The ramp, checked: at most [`MAX_STEPS`] steps, each a share above the one before, at
/// least a minute after it.
fn checked_schedule(steps: &[StepJson], start: u32) -> Result<Vec<StepJson>> {
    if steps.len() > MAX_STEPS {
        return Err(VaultError::invalid("schedule", format!("a ramp has at most {MAX_STEPS} steps")));
    }
    let mut below = start;
    for (i, step) in steps.iter().enumerate() {
        let at = rollouts::basis_points(step.percent)
            .map_err(|why| VaultError::invalid("schedule", format!("step {}: {why}", i + 1)))?;
        if at <= below {
            return Err(VaultError::invalid(
                "schedule",
                format!(
                    "step {}: each step raises the share ({} % is not above {} %)",
                    i + 1,
                    step.percent,
                    rollouts::percent(below)
                ),
            ));
        }
        if step.after_minutes == 0 || step.after_minutes > 7 * 24 * 60 {
            return Err(VaultError::invalid(
                "schedule",
                format!("step {}: after_minutes is between 1 and 10080 (a week)", i + 1),
            ));
        }
        below = at;
    }
    Ok(steps.to_vec())
}

fn checked_guard(guard: GuardJson) -> Result<GuardJson> {
    if !(guard.max_failure_increase > 0.0 && guard.max_failure_increase <= 1.0) {
        return Err(VaultError::invalid(
            "guard",
            "max_failure_increase is a share of uses above 0 and at most 1 (0.02: two points)",
        ));
    }
    if guard.min_uses == 0 {
        return Err(VaultError::invalid("guard", "min_uses is at least 1"));
    }
    Ok(guard)
}

pub(crate) fn minutes(count: u32) -> i64 {
    i64::from(count) * 60_000
}

/// Where label `found` points on `prompt` now.
pub(crate) async fn label_at(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    found: &Found,
) -> Result<Option<VersionNumber>> {
    match found.pointer {
        Pointer::Live => Ok(prompt.live),
        Pointer::Staging => Ok(prompt.staging),
        Pointer::Own(id) => own_label_at(tx, prompt.id, id).await,
    }
}

/// The running rollout of `found` on `prompt`, or 404 when none runs.
pub(crate) async fn must_run(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    found: &Found,
) -> Result<RolloutJson> {
    running_rollout(tx, prompt, &found.label.name).await?.ok_or_else(|| {
        VaultError::NotFound(format!("no rollout of {} on {} is running", found.label.name, prompt.name))
    })
}

async fn set_share(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    label: &LabelName,
    basis_points: u32,
) -> Result<()> {
    sqlx::query(
        "update rollouts set basis_points = $1 where prompt_id = $2 and label = $3 and state = 'running'",
    )
    .bind(i64::from(basis_points))
    .bind(prompt.id)
    .bind(label.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn end(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    label: &LabelName,
    state: &str,
    reason: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "update rollouts set state = $1, reason = $2, ended_at = $3, next_step_at = null \
         where prompt_id = $4 and label = $5 and state = 'running'",
    )
    .bind(state)
    .bind(reason)
    .bind(Timestamp::now().0)
    .bind(prompt.id)
    .bind(label.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a rollout's step: its activity entry and its event (the new version as
/// `version`, the old as `previous`).
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    rollout: &RolloutJson,
    kind: EventKind,
) -> Result<()> {
    let activity_kind = match kind {
        EventKind::RolloutStarted => ActivityKind::RolloutStarted,
        EventKind::RolloutChanged => ActivityKind::RolloutChanged,
        EventKind::RolloutCompleted => ActivityKind::RolloutCompleted,
        _ => ActivityKind::RolloutAborted,
    };
    let details = json!({
        "label": rollout.label,
        "from": rollout.from,
        "to": rollout.to,
        "percent": rollout.percent,
        "reason": rollout.reason,
    });
    activity::record(tx, actor, activity_kind, Some(&prompt.name), details).await?;
    let to = find_version(tx, prompt, VersionNumber::parse(&rollout.to)?).await?;
    let from = find_version(tx, prompt, VersionNumber::parse(&rollout.from)?).await?;
    let change = events::Change {
        id: events::new_event_id(),
        kind,
        prompt: Some(&prompt.name),
        label: Some(&rollout.label),
        version: Some(&to),
        previous: Some(&from),
        requested_by: None,
        request: None,
        rollout: Some(RolloutEventJson {
            percent: rollout.percent,
            state: rollout.state.clone(),
            reason: rollout.reason.clone(),
        }),
    };
    events::record(tx, actor, change, None).await
}
