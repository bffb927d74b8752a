//! Rollouts (PRODUCT.md "Rollouts"): a protected label of a prompt split between the version
//! it points at (`from`) and one newer published version (`to`) at a share of units; the
//! share changes by hand (or by a schedule), and the rollout completes (the label then points
//! at `to`) or is aborted (it reads `from` alone). Starting, changing and completing follow
//! the label's change rule; aborting is allowed to anyone who may change the label at all.
//! While a rollout runs, the label moves by completing or aborting it, not otherwise. Each
//! step is recorded in the activity log and is an event. Which side a unit reads is
//! `types::rollouts::reads_new`, the same in the server and the SDK.

use sqlx::{Any, Transaction};
use types::rollouts::RolloutJson;

use crate::access::{Actor, ChangeRight, Permission};
use crate::error::{Conflict, VaultError};
use crate::events::EventKind;
use crate::labels::{Found, find_label};
use crate::names::LabelName;
use crate::prompts::PromptRow;
pub use crate::prompts::rollout_steps::NewRollout;
use crate::prompts::rollout_steps::{change_in, complete_in, end, must_run, record, share, start_in};
use crate::prompts::splits::latest_rollout;
use crate::prompts::steps::lock_prompt;
use crate::{Result, Vault};

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
        let new = new.checked()?;
        let mut tx = self.db.write.begin().await?;
        let (prompt, found) = prompt_and_label(&mut tx, actor, name, label).await?;
        directly(actor, &found, "start a rollout")?;
        let rollout = start_in(&mut tx, actor, &prompt, &found, &new, false).await?;
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
        let rollout = change_in(&mut tx, actor, &prompt, &found, basis_points).await?;
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
        let rollout = complete_in(&mut tx, actor, &prompt, &found, None).await?;
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

/// Refuses an actor whom the label's rule does not let change it directly: under review a
/// rollout is requested (`Vault::request_rollout`).
fn directly(actor: &Actor, found: &Found, what: &str) -> Result<()> {
    match actor.change_right(found.label.name.as_str(), found.label.rule)? {
        ChangeRight::Directly => Ok(()),
        ChangeRight::ByRequest => Err(VaultError::conflict(
            Conflict::ReviewRequired,
            format!(
                "{} is under review: to {what} on it, request it (a rollout request names the version and the share) for another member to approve",
                found.label.name
            ),
        )),
    }
}
