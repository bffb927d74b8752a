//! A label's rollout as it is stored: the columns, reading one, the running one of a label,
//! and the splits the read model serves. A leaf of `prompts`: both the rollouts and every
//! move of a label (which a running rollout refuses) read it.

use sqlx::{Any, Row, Transaction};
use types::rollouts::{self, RolloutJson};

use crate::Result;
use crate::db::Timestamp;
use crate::error::{Conflict, VaultError};
use crate::names::{LabelName, VersionNumber};
use crate::prompts::PromptRow;
use crate::version::number_from_db;

/// The running rollout of a label, as the read model serves it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Split {
    pub from: VersionNumber,
    pub to: VersionNumber,
    pub basis_points: u32,
    pub seed: String,
}

pub(crate) const ROLLOUT_COLUMNS: &str = "r.id, r.label, r.from_number, r.to_number, r.basis_points, r.seed, r.state, \
     r.schedule, r.next_step_at, r.guard, r.reason, r.started_at, r.ended_at, a.name as started_by";

pub(crate) fn running(label: &str, name: &str) -> VaultError {
    VaultError::conflict(
        Conflict::RolloutRunning,
        format!("a rollout of {label} on {name} is running: complete or abort it first"),
    )
}

/// The running rollout of `label` on `prompt`, if any.
pub(crate) async fn running_rollout(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    label: &LabelName,
) -> Result<Option<RolloutJson>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {ROLLOUT_COLUMNS} from rollouts r join accounts a on a.id = r.started_by \
         where r.prompt_id = $1 and r.label = $2 and r.state = 'running'"
    )))
    .bind(prompt.id)
    .bind(label.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| rollout_from_row(&row, &prompt.name)).transpose()
}

/// The latest rollout of `label` on `prompt`, running or ended, if any.
pub(crate) async fn latest_rollout(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    label: &LabelName,
) -> Result<Option<RolloutJson>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "select {ROLLOUT_COLUMNS} from rollouts r join accounts a on a.id = r.started_by \
         where r.prompt_id = $1 and r.label = $2 order by r.id desc limit 1"
    )))
    .bind(prompt.id)
    .bind(label.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| rollout_from_row(&row, &prompt.name)).transpose()
}

/// Refuses to move label `label` of `prompt` by any other way while a rollout splits it.
pub(crate) async fn refuse_while_running(
    tx: &mut Transaction<'_, Any>,
    prompt: &PromptRow,
    label: &LabelName,
) -> Result<()> {
    match running_rollout(tx, prompt, label).await? {
        Some(_) => Err(running(label.as_str(), &prompt.name)),
        None => Ok(()),
    }
}

pub(crate) fn rollout_from_row(row: &sqlx::any::AnyRow, prompt: &str) -> Result<RolloutJson> {
    let schedule: Option<String> = row.try_get("schedule")?;
    let guard: Option<String> = row.try_get("guard")?;
    let unreadable = |e: serde_json::Error| VaultError::Internal(format!("unreadable rollout: {e}").into());
    let at = |column: &str| -> Result<Option<String>> {
        Ok(row.try_get::<Option<i64>, _>(column)?.map(|t| Timestamp(t).to_rfc3339()))
    };
    Ok(RolloutJson {
        prompt: prompt.to_owned(),
        label: row.try_get("label")?,
        from: number_from_db(row.try_get("from_number")?)?.label(),
        to: number_from_db(row.try_get("to_number")?)?.label(),
        percent: rollouts::percent(u32::try_from(row.try_get::<i64, _>("basis_points")?).unwrap_or(0)),
        state: row.try_get("state")?,
        seed: row.try_get("seed")?,
        schedule: schedule
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(unreadable)?
            .unwrap_or_default(),
        next_step_at: at("next_step_at")?,
        guard: guard.map(|g| serde_json::from_str(&g)).transpose().map_err(unreadable)?,
        reason: row.try_get("reason")?,
        started_by: row.try_get("started_by")?,
        started_at: Timestamp(row.try_get("started_at")?).to_rfc3339(),
        ended_at: at("ended_at")?,
    })
}

/// The running rollouts of prompt `prompt_id`, by label: what its reads split.
pub(crate) async fn splits_of(db: &crate::db::Db, prompt_id: i64) -> Result<Vec<(String, Split)>> {
    let rows = sqlx::query(
        "select label, from_number, to_number, basis_points, seed from rollouts where prompt_id = $1 and state = 'running'",
    )
    .bind(prompt_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("label")?,
                Split {
                    from: number_from_db(row.try_get("from_number")?)?,
                    to: number_from_db(row.try_get("to_number")?)?,
                    basis_points: u32::try_from(row.try_get::<i64, _>("basis_points")?).unwrap_or(0),
                    seed: row.try_get("seed")?,
                },
            ))
        })
        .collect()
}
