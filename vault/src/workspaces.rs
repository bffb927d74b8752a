//! Several workspaces on one server: the ones a person belongs to, and new ones, which any
//! signed-in person may create and then owns. Nothing crosses workspaces.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::accounts::insert_workspace;
use crate::activity::{self, ActivityKind};
use crate::members::{Actor, Role};
use crate::names::short_text;
use crate::{Result, Vault};

/// A workspace the person belongs to, with their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceMembership {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

impl Vault {
    /// Every workspace the actor's person belongs to, by name.
    pub async fn workspaces(&self, actor: &Actor) -> Result<Vec<WorkspaceMembership>> {
        let rows = sqlx::query(
            "select w.id, w.name, m.role from members m join workspaces w on w.id = m.workspace_id \
             where m.account_id = $1 and m.removed_at is null order by w.name, w.id",
        )
        .bind(actor.account_id)
        .fetch_all(&self.db.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WorkspaceMembership {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    role: Role::parse(&row.try_get::<String, _>("role")?)?,
                })
            })
            .collect()
    }

    /// Creates a workspace owned by the actor's person; returns them acting in it.
    pub async fn create_workspace(&self, actor: &Actor, name: &str) -> Result<Actor> {
        let name = short_text("name", name)?;
        let mut tx = self.db.write.begin().await?;
        let owner = insert_workspace(&mut tx, &name, actor.account_id).await?;
        activity::record(&mut tx, &owner, ActivityKind::WorkspaceCreated, None, json!({ "name": name }))
            .await?;
        tx.commit().await?;
        Ok(owner)
    }
}
