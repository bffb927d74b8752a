//! Workspace settings.

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::access::{Actor, ChangeRule, Permission};
use crate::activity::{self, ActivityKind};
use crate::{Result, Vault};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Settings -> Enable staging. Off for a new workspace. While off, every staging control
    /// is hidden and test keys read live; nothing is deleted.
    pub staging_enabled: bool,
    /// Settings -> Who can change live.
    pub live_changes: ChangeRule,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsPatch {
    pub staging_enabled: Option<bool>,
    pub live_changes: Option<ChangeRule>,
}

impl Vault {
    pub async fn settings(&self, actor: &Actor) -> Result<Settings> {
        let row = sqlx::query("select staging_enabled, live_changes from workspaces where id = $1")
            .bind(actor.workspace_id)
            .fetch_one(&self.db.read)
            .await?;
        Ok(Settings {
            staging_enabled: row.try_get::<i64, _>("staging_enabled")? != 0,
            live_changes: ChangeRule::parse(&row.try_get::<String, _>("live_changes")?)?,
        })
    }

    /// Changes settings (admins only); a field left out keeps its value.
    pub async fn update_settings(&self, actor: &Actor, patch: SettingsPatch) -> Result<Settings> {
        actor.require(Permission::Administer)?;
        if let Some(enabled) = patch.staging_enabled {
            let mut tx = self.db.write.begin().await?;
            sqlx::query("update workspaces set staging_enabled = $1 where id = $2")
                .bind(i64::from(enabled))
                .bind(actor.workspace_id)
                .execute(&mut *tx)
                .await?;
            let details = json!({ "staging_enabled": enabled });
            activity::record(&mut tx, actor, ActivityKind::SettingChanged, None, details).await?;
            tx.commit().await?;
            // Test keys of every prompt read staging or live from now on.
            self.follow_changes().await;
        }
        if let Some(rule) = patch.live_changes {
            let mut tx = self.db.write.begin().await?;
            sqlx::query("update workspaces set live_changes = $1 where id = $2")
                .bind(rule.as_str())
                .bind(actor.workspace_id)
                .execute(&mut *tx)
                .await?;
            let details = json!({ "live_changes": rule.as_str() });
            activity::record(&mut tx, actor, ActivityKind::SettingChanged, None, details).await?;
            tx.commit().await?;
        }
        self.settings(actor).await
    }

    pub(crate) async fn staging_enabled(&self, workspace_id: i64) -> Result<bool> {
        let enabled: i64 = sqlx::query_scalar("select staging_enabled from workspaces where id = $1")
            .bind(workspace_id)
            .fetch_one(&self.db.read)
            .await?;
        Ok(enabled != 0)
    }
}

/// The workspace's `live_changes` setting, read in the transaction that acts on it.
pub(crate) async fn live_changes(tx: &mut Transaction<'_, Any>, workspace_id: i64) -> Result<ChangeRule> {
    let raw: String = sqlx::query_scalar("select live_changes from workspaces where id = $1")
        .bind(workspace_id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(ChangeRule::parse(&raw)?)
}
