//! Rollouts under review: where a label moves only by request, starting a rollout of it, or
//! changing the share of the one running, is requested too (action `rollout`, with what it
//! asks), and completing it is a request to move the label onto the rollout's new version.
//! Another member entitled to the label approves: the rollout starts (or its share
//! changes), or completes, at once. Aborting is never requested: it is always allowed.

use sqlx::{Any, Transaction};
use types::rollouts::{self, RolloutAskJson};

use crate::access::{Actor, Permission};
use crate::error::{Conflict, VaultError};
use crate::labels::Found;
use crate::names::LabelName;
use crate::prompts::moves::moves_by_request;
use crate::prompts::rollout_steps::{change_in, label_at, start_in};
use crate::prompts::splits::running_rollout;
use crate::prompts::steps::{find_version, lock_prompt};
use crate::prompts::{NewRollout, PromptRow};
use crate::quotas::Quota;
use crate::requests::{Asked, ChangeRequest, RequestAction, note};
use crate::{Result, Vault};

impl Vault {
    /// Opens a request to roll version `new.version` of prompt `name` out on protected label
    /// `label` at `new.percent` (with its ramp and guard), or, while a rollout of that
    /// version runs, to set its share; only where the label moves by request.
    pub async fn request_rollout(
        &self,
        actor: &Actor,
        name: &str,
        label: &str,
        new: NewRollout,
        note_text: &str,
    ) -> Result<ChangeRequest> {
        actor.require(Permission::ChangeLive)?;
        let note = note(note_text)?;
        let new = new.checked()?;
        let mut tx = self.db.write.begin().await?;
        self.room(&mut tx, Quota::OpenRequestsPerWorkspace, actor.workspace_id).await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        let version = find_version(&mut tx, &prompt, new.version).await?;
        let found = crate::labels::find_label(&mut tx, actor.workspace_id, &LabelName::parse(label)?).await?;
        if !found.label.protected {
            return Err(VaultError::invalid(
                "label",
                format!("{label} is a preview label: a rollout splits a protected label"),
            ));
        }
        if !moves_by_request(&mut tx, actor, &found, version.status).await? {
            return Err(VaultError::conflict(
                Conflict::ReviewOff,
                format!("{label} is not under review for you: start or change the rollout directly"),
            ));
        }
        possible(&mut tx, &prompt, &found, &version.number).await?;
        let ask = RolloutAskJson {
            percent: rollouts::percent(new.basis_points),
            schedule: new.schedule,
            guard: new.guard,
        };
        let asked = Asked {
            action: RequestAction::Rollout,
            label: Some(&found.label.name),
            number: new.version,
            rollout: Some(&ask),
        };
        let request = self.open_request_in(&mut tx, actor, &prompt, asked, &note).await?;
        tx.commit().await?;
        self.outbox.poke();
        Ok(request)
    }
}

/// Refuses a rollout request that could not be applied now: while a rollout of the label
/// runs, one for another version; otherwise one of a version not newer than the label's.
async fn possible(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    found: &Found,
    number: &crate::VersionNumber,
) -> Result<()> {
    let label = &found.label.name;
    if let Some(running) = running_rollout(tx, prompt, label).await? {
        if running.to != number.label() {
            return Err(VaultError::conflict(
                Conflict::RolloutRunning,
                format!(
                    "a rollout of {} on {label} is running: request its share, or complete or abort it first",
                    running.to
                ),
            ));
        }
        return Ok(());
    }
    match label_at(tx, prompt, found).await? {
        Some(from) if from < *number => Ok(()),
        Some(from) => Err(VaultError::invalid(
            "version",
            format!("{label} is on {from}: a rollout moves it to a newer version, not {number}"),
        )),
        None => Err(VaultError::conflict(
            Conflict::NothingLive,
            format!(
                "{label} points at no version of {}: move it first, then roll the next one out",
                prompt.name
            ),
        )),
    }
}

/// Whether approving `request` (a promote or a move) completes the rollout running on its
/// label: it moves the label onto the rollout's new version.
pub(crate) async fn completes_rollout(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    found: &Found,
    request: &ChangeRequest,
) -> Result<bool> {
    if !matches!(request.action, RequestAction::Promote | RequestAction::Move) {
        return Ok(false);
    }
    let running = running_rollout(tx, prompt, &found.label.name).await?;
    Ok(running.is_some_and(|r| r.to == request.number.label()))
}

/// Applies an approved rollout request as `actor`: sets the share of the rollout running to
/// its version, or starts one.
pub(crate) async fn approve_rollout(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    prompt: &PromptRow,
    found: &Found,
    request: &ChangeRequest,
) -> Result<()> {
    let ask = request
        .rollout
        .clone()
        .ok_or_else(|| VaultError::Internal("a rollout request without what it asks".into()))?;
    let new = NewRollout {
        version: request.number,
        percent: ask.percent,
        schedule: ask.schedule,
        guard: ask.guard,
    };
    let new = new.checked()?;
    possible(tx, prompt, found, &request.number).await?;
    match running_rollout(tx, prompt, &found.label.name).await? {
        Some(_) => change_in(tx, actor, prompt, found, new.basis_points).await?,
        None => start_in(tx, actor, prompt, found, &new, true).await?,
    };
    Ok(())
}
