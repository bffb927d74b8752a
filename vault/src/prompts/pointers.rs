//! The operations that move a prompt's labels: promote, roll back and stage (live and
//! staging, as before labels), `move_label` for any label (every channel's one way to move
//! one: the dashboard, the REST API, the Langfuse API), and the history of the moves.

use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, Permission};
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::labels::{Pointer, find_label};
use crate::names::{LabelName, VersionNumber};
use crate::prompts::model::{PointerMove, PromptState, RollBack};
use crate::prompts::moves::{move_label_in, promote_in, roll_back_in, stage_in};
use crate::prompts::steps::{
    find_prompt, find_version, lock_prompt, optional_number, state_of, workspace_staging_enabled,
};
use crate::settings;
use crate::{Result, Vault};

impl Vault {
    /// Makes a version the live one. A draft is published (frozen from now on); an already
    /// published version just gets the pointer back. Promoting the current live version
    /// changes nothing and records nothing.
    pub async fn promote(&self, actor: &Actor, name: &str, number: VersionNumber) -> Result<PromptState> {
        actor.require(Permission::ChangeLive)?;
        let mut tx = self.db.write.begin().await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        find_version(&mut tx, &prompt, number).await?;
        directly(&mut tx, actor).await?;
        promote_in(&mut tx, actor, &prompt, number, None).await?;
        self.finish_live_change(tx, actor, name).await
    }

    /// Points live back at an older published version. Newer versions stay in the history
    /// and can be promoted again. Returns the older version's source for the editor.
    pub async fn roll_back(&self, actor: &Actor, name: &str, number: VersionNumber) -> Result<RollBack> {
        actor.require(Permission::ChangeLive)?;
        let mut tx = self.db.write.begin().await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        find_version(&mut tx, &prompt, number).await?;
        directly(&mut tx, actor).await?;
        let version = roll_back_in(&mut tx, actor, &prompt, number, None).await?;
        let state = self.finish_live_change(tx, actor, name).await?;
        Ok(RollBack { state, based_on: number, version })
    }

    /// Commits a change of many prompts and, if it changed anything, makes it seen: search,
    /// webhooks, and the served read model.
    pub(crate) async fn finish_changes(&self, tx: Transaction<'_, Any>, changed: bool) -> Result<()> {
        tx.commit().await?;
        if changed {
            self.search_index.poke();
            self.outbox.poke();
            self.follow_changes().await;
        }
        Ok(())
    }

    /// Commits a change to live and makes it seen: webhooks, and the served read model.
    pub(crate) async fn finish_live_change(
        &self,
        mut tx: Transaction<'_, Any>,
        actor: &Actor,
        name: &str,
    ) -> Result<PromptState> {
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let state = state_of(&mut tx, actor, &prompt).await?;
        tx.commit().await?;
        self.outbox.poke();
        self.follow_changes().await;
        Ok(state)
    }

    /// Points staging at any existing version (a draft too), or clears it with `None`.
    /// Only while staging is enabled in the workspace's settings.
    pub async fn set_staging(
        &self,
        actor: &Actor,
        name: &str,
        number: Option<VersionNumber>,
    ) -> Result<PromptState> {
        actor.require(Permission::EditPrompts)?;
        let mut tx = self.db.write.begin().await?;
        // What is named must exist (404) before a rule about the workspace's state applies.
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        if let Some(number) = number {
            find_version(&mut tx, &prompt, number).await?;
        }
        if !workspace_staging_enabled(&mut tx, actor.workspace_id).await? {
            return Err(staging_disabled());
        }
        if prompt.staging != number {
            stage_in(&mut tx, actor, &prompt, number).await?;
        }
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let state = state_of(&mut tx, actor, &prompt).await?;
        tx.commit().await?;
        self.outbox.poke();
        self.follow_changes().await;
        Ok(state)
    }

    /// Moves label `label` of prompt `name` to version `to`, or takes it off the prompt with
    /// `None`, under the label's rule: live as promote or rollback would (never cleared),
    /// staging as set (while enabled), a protected label publishing a draft it is moved to.
    /// Under `review` it is refused (409 `review_required`): request the move instead.
    pub async fn move_label(
        &self,
        actor: &Actor,
        name: &str,
        label: &str,
        to: Option<VersionNumber>,
    ) -> Result<PromptState> {
        let label = LabelName::parse(label)?;
        actor.require(Permission::ChangeLive)?;
        let mut tx = self.db.write.begin().await?;
        let prompt = lock_prompt(&mut tx, actor, name).await?;
        let found = find_label(&mut tx, actor.workspace_id, &label).await?;
        if let Some(number) = to {
            find_version(&mut tx, &prompt, number).await?;
        }
        actor.require_direct_change(label.as_str(), found.label.rule)?;
        if found.pointer == Pointer::Staging
            && !workspace_staging_enabled(&mut tx, actor.workspace_id).await?
        {
            return Err(staging_disabled());
        }
        move_label_in(&mut tx, actor, &prompt, &found, to, None).await?;
        self.finish_live_change(tx, actor, name).await
    }

    /// Every move of the prompt's labels, newest first.
    pub async fn deployments(&self, actor: &Actor, name: &str) -> Result<Vec<PointerMove>> {
        self.moves_of(actor, name, None).await
    }

    /// Every move of one label of the prompt, newest first. The name is only checked for its
    /// form: a deleted label's moves stay in the history and can still be asked for.
    pub async fn label_deployments(
        &self,
        actor: &Actor,
        name: &str,
        label: &str,
    ) -> Result<Vec<PointerMove>> {
        let label = LabelName::parse(label)?;
        self.moves_of(actor, name, Some(&label)).await
    }

    async fn moves_of(
        &self,
        actor: &Actor,
        name: &str,
        label: Option<&LabelName>,
    ) -> Result<Vec<PointerMove>> {
        let mut conn = self.db.read.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let prompt = find_prompt(&mut tx, actor, name).await?;
        let only_label = if label.is_some() { " and d.label = $2" } else { "" };
        let sql = format!(
            "select d.label, d.from_number, d.to_number, d.at, d.event_id, m.name as actor, r.name as requester \
             from pointer_moves d join accounts m on m.id = d.actor_id left join accounts r on r.id = d.requested_by \
             where d.prompt_id = $1{only_label} order by d.id desc"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(prompt.id);
        if let Some(label) = label {
            query = query.bind(label.as_str());
        }
        let rows = query.fetch_all(&mut *tx).await?;
        rows.iter()
            .map(|row| {
                Ok(PointerMove {
                    label: LabelName::parse(&row.try_get::<String, _>("label")?)?,
                    from: optional_number(row, "from_number")?,
                    to: optional_number(row, "to_number")?,
                    actor: row.try_get("actor")?,
                    requested_by: row.try_get("requester")?,
                    at: Timestamp(row.try_get("at")?),
                    event_id: row.try_get("event_id")?,
                })
            })
            .collect()
    }
}

/// Refuses a direct promote or rollback the workspace's `live_changes` does not allow (see
/// [`Actor::live_right`]).
async fn directly(tx: &mut Transaction<'_, Any>, actor: &Actor) -> Result<()> {
    let rule = settings::live_changes(tx, actor.workspace_id).await?;
    actor.require_direct_live_change(rule)
}

fn staging_disabled() -> VaultError {
    VaultError::conflict(
        Conflict::StagingDisabled,
        "staging is disabled for this workspace; enable it in Settings first",
    )
}
