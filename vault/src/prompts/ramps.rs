//! A rollout's ramp: the steps of its schedule, taken by the server when they are due, each
//! once across instances (the write names when the step was due, and only one write finds
//! it so), recorded and an event like a change by hand.

use sqlx::Row;
use types::rollouts::StepJson;

use crate::db::Timestamp;
use crate::error::VaultError;
use crate::events::EventKind;
use crate::names::LabelName;
use crate::prompts::rollout_steps::{minutes, record, share};
use crate::prompts::splits::running_rollout;
use crate::prompts::steps::lock_prompt;
use crate::{Result, Vault};

impl Vault {
    /// Takes every due step of the running rollouts' ramps: the share rises to the step's,
    /// and the step after is due its `after_minutes` after this one was (so a ramp keeps its
    /// cadence, and one late after a pause catches up a step at a time). Each step is taken
    /// once, whichever instance gets to it first: the write names when the step was due, and
    /// only one write finds it so. Recorded and an event, as the member who started the
    /// rollout (a ramp whose starter has left the workspace waits for a person). How many
    /// steps this instance took.
    pub async fn advance_rollouts(&self) -> Result<usize> {
        let now = Timestamp::now().0;
        let due = sqlx::query(
            "select r.id, r.schedule, r.next_step_at, r.started_by, p.workspace_id, p.name from rollouts r \
             join prompts p on p.id = r.prompt_id where r.state = 'running' and r.next_step_at <= $1 \
             order by r.next_step_at limit 100",
        )
        .bind(now)
        .fetch_all(&self.db.read)
        .await?;
        let mut taken = 0;
        for row in &due {
            let step = DueStep {
                id: row.try_get("id")?,
                schedule: row.try_get("schedule")?,
                due: row.try_get("next_step_at")?,
                started_by: row.try_get("started_by")?,
                workspace_id: row.try_get("workspace_id")?,
                prompt: row.try_get("name")?,
            };
            let prompt = step.prompt.clone();
            match self.take_step(step).await {
                Ok(true) => taken += 1,
                Ok(false) => {}
                // One ramp that cannot step does not hold the others back.
                Err(error) => tracing::warn!(prompt, %error, "a ramp step could not be taken"),
            }
        }
        if taken > 0 {
            self.outbox.poke();
            self.follow_changes().await;
        }
        Ok(taken)
    }

    /// Takes one due step; `false` when another instance took it first, or it ended.
    async fn take_step(&self, step: DueStep) -> Result<bool> {
        let unreadable = |e: serde_json::Error| VaultError::Internal(format!("unreadable ramp: {e}").into());
        let schedule: Vec<StepJson> = step
            .schedule
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(unreadable)?
            .unwrap_or_default();
        let Some((next, rest)) = schedule.split_first() else { return Ok(false) };
        let Some((actor, _)) =
            crate::members::actor_in(&self.db.read, step.started_by, step.workspace_id).await?
        else {
            tracing::warn!(
                prompt = step.prompt,
                "a ramp's starter has left the workspace; the ramp waits for a person"
            );
            return Ok(false);
        };
        let basis_points = share(next.percent)?;
        let after = rest.first().map(|following| step.due + minutes(following.after_minutes));
        let mut tx = self.db.write.begin().await?;
        let prompt = lock_prompt(&mut tx, &actor, &step.prompt).await?;
        let taken = sqlx::query(
            "update rollouts set basis_points = $1, schedule = $2, next_step_at = $3 \
             where id = $4 and state = 'running' and next_step_at = $5",
        )
        .bind(i64::from(basis_points))
        .bind(serde_json::to_string(rest).map_err(|e| VaultError::Internal(Box::new(e)))?)
        .bind(after)
        .bind(step.id)
        .bind(step.due)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !taken {
            return Ok(false);
        }
        let label: String = sqlx::query_scalar("select label from rollouts where id = $1")
            .bind(step.id)
            .fetch_one(&mut *tx)
            .await?;
        let rollout = running_rollout(&mut tx, &prompt, &LabelName::parse(&label)?)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        record(&mut tx, &actor, &prompt, &rollout, EventKind::RolloutChanged).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// A ramp step found due.
struct DueStep {
    id: i64,
    schedule: Option<String>,
    due: i64,
    started_by: i64,
    workspace_id: i64,
    prompt: String,
}
