//! Workspace settings.

use serde::Serialize;
use serde_json::json;

use crate::activity::{self, ActivityKind};

use crate::members::{Actor, Permission};
use crate::{Result, Vault};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Settings -> Enable staging. Off for a new workspace. While off, every staging control
    /// is hidden and test keys read live; nothing is deleted.
    pub staging_enabled: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsPatch {
    pub staging_enabled: Option<bool>,
}

impl Vault {
    pub async fn settings(&self, actor: &Actor) -> Result<Settings> {
        Ok(Settings { staging_enabled: self.staging_enabled(actor.workspace_id).await? })
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
            self.refresh_served_workspace(actor.workspace_id).await?;
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
