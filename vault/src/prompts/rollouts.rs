//! Rollouts (PRODUCT.md "Rollouts"): a protected label of a prompt split between the version
//! it points at (`from`) and one newer published version (`to`) at a share of units; the
//! share changes by hand (or by a schedule), and the rollout completes (the label then points
//! at `to`) or is aborted (it reads `from` alone). Starting, changing and completing follow
//! the label's change rule; aborting is allowed to anyone who may change the label at all.
//! While a rollout runs, the label moves by completing or aborting it, not otherwise. Each
//! step is recorded in the activity log and is an event. Which side a unit reads is
//! `types::rollouts::reads_new`, the same in the server and the SDK.

use serde_json::json;
use sqlx::{Any, Transaction};
use types::rollouts::{self, GuardJson, RolloutEventJson, RolloutJson, StepJson};

use crate::access::{Actor, ChangeRight, Permission};
use crate::activity::{self, ActivityKind};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::events::{self, EventKind};
use crate::labels::{Found, Pointer, find_label};
use crate::names::{LabelName, VersionNumber};
use crate::prompts::PromptRow;
use crate::prompts::moves::{move_label_in, own_label_at, publish, require_publishing};
use crate::prompts::splits::{latest_rollout, running, running_rollout};
use crate::prompts::steps::{find_version, lock_prompt};
use crate::version::Status;
use crate::{Result, Vault};

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

impl Vault {
    /// Starts rolling `new.version` out on protected label `label` of prompt `name`.
    pub async fn start_rollout(
        &self,
        actor: &Actor,
        name: &str,
        label: &str,
        new: NewRollout,
    ) -> Result<RolloutJson> {
        actor.require(Permission::ChangeLive)?;
        let basis_points = share(new.percent)?;
        let schedule = checked_schedule(&new.schedule, basis_points)?;
        let guard = new.guard.map(checked_guard).transpose()?;
        let mut tx = self.db.write.begin().await?;
        let (prompt, found) = prompt_and_label(&mut tx, actor, name, label).await?;
        directly(actor, &found, "start a rollout")?;
        if !found.label.protected {
            return Err(VaultError::invalid(
                "label",
                format!(
                    "{label} is a preview label: a rollout splits a protected label (live, or one of the workspace's own)"
                ),
            ));
        }
        let from = label_at(&mut tx, &prompt, &found).await?.ok_or_else(|| {
            VaultError::conflict(
                Conflict::NothingLive,
                format!("{label} points at no version of {name}: move it first, then roll the next one out"),
            )
        })?;
        let to = find_version(&mut tx, &prompt, new.version).await?;
        if to.number <= from {
            return Err(VaultError::invalid(
                "version",
                format!("{label} is on {from}: a rollout moves it to a newer version, not {}", to.number),
            ));
        }
        if to.status == Status::Draft {
            require_publishing(&mut tx, actor, &found.label.name).await?;
            publish(&mut tx, &prompt, to.number).await?;
        }
        let now = Timestamp::now().0;
        let next_step_at = schedule.first().map(|step| now + minutes(step.after_minutes));
        let inserted = sqlx::query(
            "insert into rollouts (prompt_id, label, from_number, to_number, basis_points, seed, state, schedule, \
             next_step_at, guard, started_by, started_at) values ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9, $10, $11)",
        )
        .bind(prompt.id)
        .bind(found.label.name.as_str())
        .bind(from.get())
        .bind(to.number.get())
        .bind(i64::from(basis_points))
        .bind(uuid::Uuid::now_v7().simple().to_string())
        .bind(serde_json::to_string(&schedule).map_err(|e| VaultError::Internal(Box::new(e)))?)
        .bind(next_step_at)
        .bind(guard.map(|g| serde_json::to_string(&g)).transpose().map_err(|e| VaultError::Internal(Box::new(e)))?)
        .bind(actor.account_id)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Err(running(label, name)),
            other => other?,
        };
        let rollout =
            running_rollout(&mut tx, &prompt, &found.label.name).await?.ok_or(sqlx::Error::RowNotFound)?;
        record(&mut tx, actor, &prompt, &rollout, EventKind::RolloutStarted).await?;
        self.finish_step(tx).await?;
        Ok(rollout)
    }

    /// The rollout of label `label` of prompt `name`: the running one, or else the latest.
    pub async fn rollout(&self, actor: &Actor, name: &str, label: &str) -> Result<RolloutJson> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = crate::prompts::steps::find_prompt(&mut tx, actor, name).await?;
        let label = LabelName::parse(label)?;
        latest_rollout(&mut tx, &prompt, &label)
            .await?
            .ok_or_else(|| VaultError::NotFound(format!("no rollout of {label} on {name}")))
    }

    /// Sets the share of the running rollout of `label` on `name`.
    pub async fn change_rollout(
        &self,
        actor: &Actor,
        name: &str,
        label: &str,
        percent: f64,
    ) -> Result<RolloutJson> {
        actor.require(Permission::ChangeLive)?;
        let basis_points = share(percent)?;
        let mut tx = self.db.write.begin().await?;
        let (prompt, found) = prompt_and_label(&mut tx, actor, name, label).await?;
        directly(actor, &found, "change a rollout")?;
        let rollout = must_run(&mut tx, &prompt, &found).await?;
        if rollouts::basis_points(rollout.percent).ok() == Some(basis_points) {
            return Ok(rollout);
        }
        set_share(&mut tx, &prompt, &found.label.name, basis_points).await?;
        let rollout =
            running_rollout(&mut tx, &prompt, &found.label.name).await?.ok_or(sqlx::Error::RowNotFound)?;
        record(&mut tx, actor, &prompt, &rollout, EventKind::RolloutChanged).await?;
        self.finish_step(tx).await?;
        Ok(rollout)
    }

    /// Completes the running rollout of `label` on `name`: the label points at its new
    /// version, as any move of it (recorded in the deployments, its events).
    pub async fn complete_rollout(&self, actor: &Actor, name: &str, label: &str) -> Result<RolloutJson> {
        actor.require(Permission::ChangeLive)?;
        let mut tx = self.db.write.begin().await?;
        let (prompt, found) = prompt_and_label(&mut tx, actor, name, label).await?;
        directly(actor, &found, "complete a rollout")?;
        let running = must_run(&mut tx, &prompt, &found).await?;
        end(&mut tx, &prompt, &found.label.name, "completed", None).await?;
        let to = VersionNumber::parse(&running.to)?;
        move_label_in(&mut tx, actor, &prompt, &found, Some(to), None).await?;
        let rollout = self.ended(&mut tx, &prompt, &found.label.name).await?;
        record(&mut tx, actor, &prompt, &rollout, EventKind::RolloutCompleted).await?;
        self.finish_step(tx).await?;
        Ok(rollout)
    }

    /// Aborts the running rollout of `label` on `name`: the label reads its old version
    /// alone. Allowed to anyone who may change the label, under review too.
    pub async fn abort_rollout(
        &self,
        actor: &Actor,
        name: &str,
        label: &str,
        reason: &str,
    ) -> Result<RolloutJson> {
        actor.require(Permission::ChangeLive)?;
        let reason = crate::names::message(reason)?;
        let mut tx = self.db.write.begin().await?;
        let (prompt, found) = prompt_and_label(&mut tx, actor, name, label).await?;
        actor.change_right(found.label.name.as_str(), found.label.rule)?;
        must_run(&mut tx, &prompt, &found).await?;
        let reason = if reason.is_empty() { format!("aborted by {}", actor.name) } else { reason.to_owned() };
        end(&mut tx, &prompt, &found.label.name, "aborted", Some(&reason)).await?;
        let rollout = self.ended(&mut tx, &prompt, &found.label.name).await?;
        record(&mut tx, actor, &prompt, &rollout, EventKind::RolloutAborted).await?;
        self.finish_step(tx).await?;
        Ok(rollout)
    }

    /// Commits a step of a rollout: its event goes to the webhooks at once, and the read
    /// model serves the new split before the call returns.
    async fn finish_step(&self, tx: Transaction<'_, Any>) -> Result<()> {
        tx.commit().await?;
        self.outbox.poke();
        self.follow_changes().await;
        Ok(())
    }

    /// The latest rollout of `label` on `prompt`, just ended.
    async fn ended(
        &self,
        tx: &mut Transaction<'_, Any>,
        prompt: &PromptRow,
        label: &LabelName,
    ) -> Result<RolloutJson> {
        Ok(latest_rollout(tx, prompt, label).await?.ok_or(sqlx::Error::RowNotFound)?)
    }
}

/// The prompt (its row held until the transaction ends) and the label, found.
async fn prompt_and_label(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    name: &str,
    label: &str,
) -> Result<(PromptRow, Found)> {
    let label = LabelName::parse(label)?;
    let prompt = lock_prompt(tx, actor, name).await?;
    let found = find_label(tx, actor.workspace_id, &label).await?;
    Ok((prompt, found))
}

/// Refuses an actor whom the label's rule does not let change it directly: a rollout is
/// not requested (a label under review is rolled out by an approved move instead).
fn directly(actor: &Actor, found: &Found, what: &str) -> Result<()> {
    match actor.change_right(found.label.name.as_str(), found.label.rule)? {
        ChangeRight::Directly => Ok(()),
        ChangeRight::ByRequest => Err(VaultError::conflict(
            Conflict::ReviewRequired,
            format!(
                "{} is under review: to {what} on it, the workspace's rule for it must let you move it directly",
                found.label.name
            ),
        )),
    }
}

/// A share in percent as basis points, refused in words.
pub(super) fn share(percent: f64) -> Result<u32> {
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

pub(super) fn minutes(count: u32) -> i64 {
    i64::from(count) * 60_000
}

/// Where label `found` points on `prompt` now.
async fn label_at(
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

/// The running rollout of `found` on `prompt`, or 409 when none runs.
async fn must_run(tx: &mut Transaction<'_, Any>, prompt: &PromptRow, found: &Found) -> Result<RolloutJson> {
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

async fn end(
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
pub(super) async fn record(
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
